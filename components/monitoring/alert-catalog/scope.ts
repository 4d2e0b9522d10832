import {
    appNamespaces,
    mcpServicesScrapeJob,
    productionNamespace,
    systemNamespace,
} from "../../../contracts/names";

/** Which series the catalog's rules look at: the platform's fixed names. */

/** `namespace=~"…"` matcher of the platform's application namespaces. */
export const inPlatformNamespaces = `namespace=~"${appNamespaces.join("|")}"`;

/**
 * The scrape job of every MCP service (ServiceDown's `up{job="mcp-services"}`): the
 * services' ServiceMonitors set `job` to this value.
 */
export const mcpServicesJob = mcpServicesScrapeJob;

/** The registry's critical services (Registry-Powered-MCP), by their `service` label. */
export const registryServices = ["mcp-registry", "mcp-router", "mcp-cache"] as const;

/** The namespace of mcp-typescript-api, mcp-learning-system and mcp-rust-server. */
export { productionNamespace };

/** The semantic control plane's namespace (validation, promotion, artifacts). */
export const semanticNamespace = systemNamespace;
