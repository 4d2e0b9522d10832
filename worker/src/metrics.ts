import type { Region } from "./env";

/**
 * Counters of this Worker isolate, rendered as Prometheus text exposition format 0.0.4.
 *
 * Workers keep no shared memory between isolates (one or more per Cloudflare location), so
 * these series describe the isolate that answered the scrape since it started
 * (`edge_isolate_start_time_seconds` tells a restart apart). Fleet-wide numbers come from
 * Workers observability (logs are enabled on the script); see docs/edge.md.
 */

/** The only values the `route` label takes: cardinality stays fixed. */
export type Route = "health" | "health_detailed" | "metrics" | "status" | "proxy";
/** Who produced the response: an origin, or the edge itself (errors, health, maintenance). */
export type Source = Region | "edge";
/** Why an origin attempt failed. */
export type FailureReason = "refused" | "timeout" | "http_5xx";
/** Why a request was refused before reaching any origin. */
export type RejectReason =
    "method" | "body_size" | "path" | "url_length" | "maintenance" | "rate_limit";

const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

class Histogram {
    readonly counts = durationBuckets.map(() => 0);
    sum = 0;
    count = 0;
    observe(seconds: number): void {
        this.sum += seconds;
        this.count += 1;
        durationBuckets.forEach((bound, i) => {
            if (seconds <= bound) this.counts[i] += 1;
        });
    }
}

const requests = new Map<string, number>();
const failovers = new Map<string, number>();
const originFailures = new Map<string, number>();
const rejected = new Map<string, number>();
const durations = new Map<Region, Histogram>();
// Set on the first request: in the global scope of a Worker the clock reads 1970-01-01.
let startedAt: number | undefined;
let lastSwitches: { activeRegion: Region; maintenance: boolean } = {
    activeRegion: "primary",
    maintenance: false,
};

function bump(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
}

export const metrics = {
    /** Marks the isolate as started (first call wins). */
    started(): void {
        startedAt ??= Date.now() / 1000;
    },
    request(route: Route, status: number, source: Source): void {
        bump(requests, `${route}\u0000${status}\u0000${source}`);
    },
    failover(reason: FailureReason): void {
        bump(failovers, reason);
    },
    originFailure(region: Region, reason: FailureReason): void {
        bump(originFailures, `${region}\u0000${reason}`);
    },
    rejected(reason: RejectReason): void {
        bump(rejected, reason);
    },
    originDuration(region: Region, seconds: number): void {
        let histogram = durations.get(region);
        if (!histogram) durations.set(region, (histogram = new Histogram()));
        histogram.observe(seconds);
    },
    switches(activeRegion: Region, maintenance: boolean): void {
        lastSwitches = { activeRegion, maintenance };
    },
};

function escapeLabel(value: string): string {
    return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labels(pairs: Record<string, string>): string {
    const body = Object.entries(pairs)
        .map(([name, value]) => `${name}="${escapeLabel(value)}"`)
        .join(",");
    return `{${body}}`;
}

function family(name: string, type: string, help: string, samples: string[]): string {
    return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples].join("\n");
}

function sorted(map: Map<string, number>): [string[], number][] {
    return [...map]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => [key.split("\u0000"), value]);
}

function number(value: number): string {
    return Number.isInteger(value) ? String(value) : value.toPrecision(6);
}

/** The exposition served on /metrics (`text/plain; version=0.0.4`). */
export function renderMetrics(): string {
    const regions: Region[] = ["primary", "dr"];
    const histogramSamples: string[] = [];
    for (const region of regions) {
        const h = durations.get(region) ?? new Histogram();
        durationBuckets.forEach((bound, i) => {
            histogramSamples.push(
                `edge_origin_request_duration_seconds_bucket${labels({ origin: region, le: String(bound) })} ${h.counts[i]}`,
            );
        });
        histogramSamples.push(
            `edge_origin_request_duration_seconds_bucket${labels({ origin: region, le: "+Inf" })} ${h.count}`,
            `edge_origin_request_duration_seconds_sum${labels({ origin: region })} ${number(h.sum)}`,
            `edge_origin_request_duration_seconds_count${labels({ origin: region })} ${h.count}`,
        );
    }
    const families = [
        family(
            "edge_requests_total",
            "counter",
            "Requests answered by this Worker isolate, by route, status code and the origin that produced the response (edge = answered by the Worker itself).",
            sorted(requests).map(
                ([[route, status, origin], value]) =>
                    `edge_requests_total${labels({ route, status, origin })} ${value}`,
            ),
        ),
        family(
            "edge_failovers_total",
            "counter",
            "Idempotent requests retried on the DR origin after the primary failed, by the primary's failure reason.",
            (["refused", "timeout", "http_5xx"] as const).map(
                (reason) =>
                    `edge_failovers_total${labels({ from: "primary", to: "dr", reason })} ${failovers.get(reason) ?? 0}`,
            ),
        ),
        family(
            "edge_origin_failures_total",
            "counter",
            "Origin attempts that failed (connection refused or reset, timeout, 5xx answer), by origin and reason.",
            sorted(originFailures).map(
                ([[origin, reason], value]) =>
                    `edge_origin_failures_total${labels({ origin, reason })} ${value}`,
            ),
        ),
        family(
            "edge_rejected_requests_total",
            "counter",
            "Requests the edge answered itself without contacting an origin, by reason.",
            sorted(rejected).map(
                ([[reason], value]) => `edge_rejected_requests_total${labels({ reason })} ${value}`,
            ),
        ),
        family(
            "edge_origin_request_duration_seconds",
            "histogram",
            "Time from sending a proxied request to an origin until its response headers arrived.",
            histogramSamples,
        ),
        family(
            "edge_active_region",
            "gauge",
            "1 for the region the KV switch sends traffic to, as last read by this isolate.",
            regions.map(
                (region) =>
                    `edge_active_region${labels({ region })} ${lastSwitches.activeRegion === region ? 1 : 0}`,
            ),
        ),
        family(
            "edge_maintenance_mode",
            "gauge",
            "1 while the maintenance switch is on, as last read by this isolate.",
            [`edge_maintenance_mode ${lastSwitches.maintenance ? 1 : 0}`],
        ),
        family(
            "edge_isolate_start_time_seconds",
            "gauge",
            "Unix time at which this Worker isolate started; the counters above count from then.",
            [`edge_isolate_start_time_seconds ${number(startedAt ?? 0)}`],
        ),
    ];
    return `${families.join("\n")}\n`;
}

/** A compact JSON view (`/metrics?format=json`) for `jq` in runbooks. */
export function metricsJson(): Record<string, unknown> {
    let total = 0;
    const byStatusClass: Record<string, number> = {};
    for (const [key, value] of requests) {
        const status = key.split("\u0000")[1];
        total += value;
        const statusClass = `${status[0]}xx`;
        byStatusClass[statusClass] = (byStatusClass[statusClass] ?? 0) + value;
    }
    const latency: Record<string, unknown> = {};
    for (const [region, h] of durations) {
        latency[region] = {
            count: h.count,
            meanMs: h.count === 0 ? 0 : Math.round((h.sum / h.count) * 1000 * 10) / 10,
        };
    }
    return {
        isolateStartedAt: new Date((startedAt ?? 0) * 1000).toISOString(),
        performance: { requests: total, byStatusClass, originLatency: latency },
        failovers: Object.fromEntries(failovers),
        rejected: Object.fromEntries(rejected),
        activeRegion: lastSwitches.activeRegion,
        maintenance: lastSwitches.maintenance,
    };
}
