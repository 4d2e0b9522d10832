/**
 * Which series the catalog's rules look at: fixed names from design.md and the manuals.
 */

/** The namespaces the platform's workloads run in (design.md). */
export const platformNamespaces = ["mcp-production", "mcp-system", "mcp-platform"] as const;

/** `namespace=~"…"` matcher of the platform's namespaces. */
export const inPlatformNamespaces = `namespace=~"${platformNamespaces.join("|")}"`;

/**
 * The scrape job of every MCP service (seed 004's `up{job="mcp-services"}`): the services'
 * ServiceMonitors set `job` to this value.
 */
export const mcpServicesJob = "mcp-services";

/** Seed 000's critical services (Registry-Powered-MCP), by their `service` label. */
export const registryServices = ["mcp-registry", "mcp-router", "mcp-cache"] as const;

/** Seed 001's namespace (mcp-typescript-api, mcp-learning-system, mcp-rust-server). */
export const productionNamespace = "mcp-production";

/** Seed 002's namespace (mcp-semantic-control-plane: validation, promotion, artifacts). */
export const semanticNamespace = "mcp-system";
