/**
 * Kubernetes resource quantities as numbers, for the arithmetic the platform does on them
 * (requests ≤ limits, a namespace quota that fits the catalog at its largest). Only the forms
 * the config validators accept are parsed: CPU as cores or millicores, memory with a binary
 * (Ki…Ti) or decimal (k…T) suffix.
 */

/** CPU in millicores: `"500m"` → 500, `"2"` → 2000, `"1.5"` → 1500. */
export function cpuMillis(quantity: string): number {
    const milli = /^(\d+)m$/.exec(quantity);
    if (milli) return Number(milli[1]);
    if (/^\d+(\.\d+)?$/.test(quantity)) return Math.round(Number(quantity) * 1000);
    throw new Error(`not a CPU quantity: ${quantity}`);
}

const memoryUnits: Record<string, number> = {
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
};

/** Memory in bytes: `"1Gi"` → 1073741824, `"512M"` → 512000000. */
export function memoryBytes(quantity: string): number {
    const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
    if (!match) throw new Error(`not a memory quantity: ${quantity}`);
    return Math.round(Number(match[1]) * memoryUnits[match[2] ?? ""]);
}

/** Millicores back to a quantity: 2500 → `"2500m"`, 4000 → `"4"`. */
export function formatCpu(millis: number): string {
    return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Bytes back to the largest whole binary unit: 3 GiB → `"3Gi"`. */
export function formatMemory(bytes: number): string {
    for (const unit of ["Ti", "Gi", "Mi", "Ki"]) {
        if (bytes % memoryUnits[unit] === 0) return `${bytes / memoryUnits[unit]}${unit}`;
    }
    return String(bytes);
}
