import type { PlatformConfig } from "../../../config";
import { dataNamespace } from "../../../contracts/names";
import { CliError, exitCodes } from "./cli";

/**
 * The names operators type (`mcp-registry`, `filesystem`, `postgres`) resolved to the
 * Kubernetes workload that runs them, from the stack's config: every catalog service is a
 * Deployment of its own name in its namespace; a manual's short name is the catalog name
 * without `-mcp` (`filesystem` → `filesystem-mcp`) or one of the service's `serviceAliases`;
 * the data stores are the StatefulSets in the data namespace.
 */
export interface Workload {
    /** The name as the catalog or the data layer knows it. */
    readonly name: string;
    readonly kind: "Deployment" | "StatefulSet";
    readonly namespace: string;
    /** Whether an HPA (`<name>-hpa`) owns the replica count. */
    readonly autoscaled: boolean;
}

/** The data layer's StatefulSets (components/data), by the names the manuals use for them. */
export const dataWorkloads: Readonly<Record<string, readonly string[]>> = {
    postgres: ["postgres-primary", "postgres-replica"],
    "postgres-primary": ["postgres-primary"],
    "postgres-replica": ["postgres-replica"],
    redis: ["redis"],
};

/** Every Deployment of the catalog, in config order. */
export function allServices(cfg: PlatformConfig): Workload[] {
    return Object.entries(cfg.workloads.services).map(([name, s]) => ({
        name,
        kind: "Deployment",
        namespace: s.namespace,
        autoscaled: s.autoscaling !== undefined,
    }));
}

/** Every StatefulSet of the data layer. */
export function dataStores(): Workload[] {
    return ["postgres-primary", "postgres-replica", "redis"].map((name) => ({
        name,
        kind: "StatefulSet",
        namespace: dataNamespace,
        autoscaled: false,
    }));
}

/** The workloads `name` stands for; a CliError listing the known names otherwise. */
export function resolveService(cfg: PlatformConfig, name: string): Workload[] {
    const services = allServices(cfg);
    const direct = services.find((s) => s.name === name || s.name === `${name}-mcp`);
    if (direct) return [direct];
    const aliased = Object.entries(cfg.workloads.services).find(([, s]) =>
        s.serviceAliases.includes(name),
    );
    if (aliased) return services.filter((s) => s.name === aliased[0]);
    const data = dataWorkloads[name];
    if (data) return dataStores().filter((w) => data.includes(w.name));
    throw new CliError(
        `unknown service "${name}" in the ${cfg.stack} stack`,
        `use one of: ${[...services.map((s) => s.name), ...Object.keys(dataWorkloads)].join(", ")}`,
        exitCodes.usage,
    );
}
