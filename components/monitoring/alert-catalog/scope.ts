/**
 * Which series the catalog's rules look at: fixed names of the platform and the runbooks.
 */

/** The namespaces the platform's workloads run in. */
export const platformNamespaces = ["mcp-production", "mcp-system", "mcp-platform"] as const;

/** `namespace=~"…"` matcher of the platform's namespaces. */
export const inPlatformNamespaces = `namespace=~"${platformNamespaces.join("|")}"`;

/**
 * The scrape job of every MCP service (ServiceDown's `up{job="mcp-services"}`): the
 * services' ServiceMonitors set `job` to this value.
 */
export const mcpServicesJob = "mcp-services";

/** The registry's critical services (Registry-Powered-MCP), by their `service` label. */
export const registryServices = ["mcp-registry", "mcp-router", "mcp-cache"] as const;

/** The namespace of mcp-typescript-api, mcp-learning-system and mcp-rust-server. */
export const productionNamespace = "mcp-production";

/** The semantic control plane's namespace (validation, promotion, artifacts). */
export const semanticNamespace = "mcp-system";
