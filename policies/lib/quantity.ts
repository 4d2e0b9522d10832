/**
 * Kubernetes resource quantities (`500m`, `2`, `1Gi`, `512Mi`, `1G`, `1e3`) as numbers:
 * CPU in cores, memory in bytes. Returns undefined for anything that is not a quantity.
 */

const binary: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

const decimal: Record<string, number> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
};

const quantityPattern =
    /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

/** A quantity's value in base units (cores for CPU, bytes for memory). */
export function parseQuantity(value: unknown): number | undefined {
    if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
    if (typeof value !== "string") return undefined;
    const match = quantityPattern.exec(value.trim());
    if (!match) return undefined;
    const [, number, suffix, exponent] = match;
    const base = Number(number);
    if (exponent !== undefined) return base * 10 ** Number(exponent);
    if (suffix === undefined) return base;
    return base * (binary[suffix] ?? decimal[suffix]);
}

export const gib = 2 ** 30;

/** Human-readable CPU (cores) for messages. */
export function formatCpu(cores: number): string {
    return `${Math.round(cores * 100) / 100} vCPU`;
}

/** Human-readable memory (bytes) as GiB for messages. */
export function formatMemory(bytes: number): string {
    return `${Math.round((bytes / gib) * 100) / 100} GiB`;
}
