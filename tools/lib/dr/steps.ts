import { formatDuration } from "./targets";
import { type Clock, DrStepError } from "./types";

/**
 * Runs a procedure's steps in order and numbers them for the operator. A step that throws
 * stops the procedure: its error becomes a {@link DrStepError} naming the step, with the
 * remedy given for that step (a DrStepError thrown inside keeps its own).
 */
export interface StepRecord {
    readonly name: string;
    readonly ms: number;
    readonly detail?: string;
}

export class StepRunner {
    private index = 0;
    readonly records: StepRecord[] = [];
    private readonly start: number;

    constructor(
        private readonly clock: Clock,
        private readonly log: (line: string) => void,
        private readonly total: number,
    ) {
        this.start = clock.now();
    }

    /** Milliseconds since the procedure started. */
    elapsed(): number {
        return this.clock.now() - this.start;
    }

    /**
     * Runs one step. `fn` returns the step's value and optionally a one-line detail for the
     * log (`{ value, detail }`), or a plain value.
     */
    async run<T>(
        name: string,
        remedy: string | ((error: Error) => string),
        fn: () => Promise<T | Detailed<T>>,
    ): Promise<T> {
        this.index++;
        this.log(`[${this.index}/${this.total}] ${name}`);
        const began = this.clock.now();
        try {
            const result = await fn();
            const { value, detail } =
                result instanceof Detailed ? result : { value: result, detail: undefined };
            const ms = this.clock.now() - began;
            this.records.push({ name, ms, detail });
            this.log(`      ok (${formatDuration(ms)})${detail ? `: ${detail}` : ""}`);
            return value;
        } catch (caught) {
            if (caught instanceof DrStepError) throw caught;
            const error = caught instanceof Error ? caught : new Error(String(caught));
            throw new DrStepError(
                name,
                error.message,
                typeof remedy === "function" ? remedy(error) : remedy,
            );
        }
    }
}

/** A step's value with a detail line for the log. */
export class Detailed<T> {
    constructor(
        readonly value: T,
        readonly detail: string,
    ) {}
}

export function detailed<T>(value: T, detail: string): Detailed<T> {
    return new Detailed(value, detail);
}

/** `{ create: 2, same: 180 }` → `create 2, same 180`. */
export function describeChanges(changes: Readonly<Record<string, number>>): string {
    const text = Object.entries(changes)
        .map(([op, n]) => `${op} ${n}`)
        .join(", ");
    return text || "no changes";
}
