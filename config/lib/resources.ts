import { z } from "zod";
import { cpuMillis, memoryBytes } from "../../contracts/quantity";
import { cpuQuantity, memoryQuantity } from "./validators";

/** A CPU and memory amount, e.g. `{ cpu: "500m", memory: "1Gi" }`. */
export const resourceAmounts = z.strictObject({ cpu: cpuQuantity, memory: memoryQuantity });

/** Parses a quantity the schema already checked; `undefined` if it did not pass. */
export function parsedQuantity(parse: (q: string) => number, quantity: string): number | undefined {
    try {
        return parse(quantity);
    } catch {
        return undefined;
    }
}

/** Container requests and limits; requests may not exceed limits. */
export const containerResources = z
    .strictObject({ requests: resourceAmounts, limits: resourceAmounts })
    .superRefine((r, ctx) => {
        const checks = [
            [
                "cpu",
                parsedQuantity(cpuMillis, r.requests.cpu),
                parsedQuantity(cpuMillis, r.limits.cpu),
            ],
            [
                "memory",
                parsedQuantity(memoryBytes, r.requests.memory),
                parsedQuantity(memoryBytes, r.limits.memory),
            ],
        ] as const;
        for (const [resource, request, limit] of checks) {
            if (request !== undefined && limit !== undefined && request > limit) {
                ctx.addIssue({
                    code: "custom",
                    path: ["requests", resource],
                    input: r.requests[resource],
                    message: `expected at most the ${resource} limit (${r.limits[resource]})`,
                });
            }
        }
    });
