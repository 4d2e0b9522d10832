import { eksStandardSupportEnds } from "../../../contracts/eks-support";
import { update as spec } from "../catalog";
import { exitCodes, outputFormat, parseVerbArgs, renderData, UsageError } from "../lib/cli";
import type { Io } from "../lib/context";
import { type Pin, type PinKind, platformPins } from "../lib/pins";
import { loadStackConfig, resolveStackName } from "../lib/stack";
import {
    type Availability,
    awsCli,
    EksSource,
    GoProxySource,
    HelmIndexSource,
    Http,
    NotInSource,
    OciTagsSource,
    type Release,
    SourceUnreachable,
    type VersionSource,
} from "../lib/update-sources";
import { crossesMajor, newestSameMajor } from "../lib/versions";
import type { Verb } from "./verb";

export type PinStatus = "current" | "update" | "commit" | "not-found" | "unreachable";

export interface PinReport {
    readonly kind: PinKind;
    readonly name: string;
    readonly current: string;
    readonly status: PinStatus;
    /** The newest version of the pin's shape. */
    readonly latest?: string;
    /** The newest on the pin's major line, when `latest` leaves it. */
    readonly latestSameMajor?: string;
    readonly newer?: readonly string[];
    readonly facts?: readonly string[];
    readonly breaking?: readonly { version: string; notes: readonly string[] }[];
    readonly notesPublished?: boolean;
    readonly problem?: string;
    readonly remedy?: string;
    readonly where: readonly string[];
}

/** `--mirror HOST=URL` and `$MCP_UPDATE_MIRRORS` (comma-separated), the option winning. */
export function mirrors(given: readonly string[] | undefined, env: NodeJS.ProcessEnv) {
    const entries = given ?? (env.MCP_UPDATE_MIRRORS ?? "").split(",").filter(Boolean);
    const map = new Map<string, string>();
    for (const entry of entries) {
        const m = /^([^=\s]+)=(https?:\/\/\S+)$/.exec(entry.trim());
        if (!m) throw new UsageError(`--mirror expects HOST=URL or *=URL, got "${entry}"`);
        map.set(m[1], m[2]);
    }
    return map;
}

/** The first proxy of `$GOPROXY` (as go reads it), else proxy.golang.org. */
export function goProxy(env: NodeJS.ProcessEnv): string {
    const first = (env.GOPROXY ?? "")
        .split(/[,|]/)
        .map((p) => p.trim())
        .find((p) => /^https?:\/\//.test(p));
    return first ?? "https://proxy.golang.org";
}

/**
 * Breaking-change material of an update, per release: "major version" on the first release
 * of each new major line, then the notes the source published for it.
 */
function breakingOf(pin: Pin, newer: readonly Release[]) {
    return newer
        .map((r, i) => {
            const previous = i === 0 ? pin.current : newer[i - 1].version;
            const major = crossesMajor(previous, r.version)
                ? [`major version: ${previous} → ${r.version}`]
                : [];
            return { version: r.version, notes: [...major, ...(r.notes ?? [])] };
        })
        .filter((r) => r.notes.length > 0);
}

function report(pin: Pin, found: Availability, showBreaking: boolean): PinReport {
    const newer = found.newer.map((r) => r.version);
    const latest = newer[newer.length - 1];
    const sameMajor = newestSameMajor(pin.current, newer);
    return {
        kind: pin.kind,
        name: pin.name,
        current: pin.current,
        status: found.commit ? "commit" : latest ? "update" : "current",
        latest: latest ?? found.newestRelease,
        latestSameMajor: latest && sameMajor !== latest ? sameMajor : undefined,
        newer: newer.length ? newer : undefined,
        facts: found.facts?.length ? found.facts : undefined,
        breaking: showBreaking && newer.length ? breakingOf(pin, found.newer) : undefined,
        notesPublished: showBreaking ? found.notesPublished : undefined,
        where: pin.where,
    };
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping their order. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>) {
    const results: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            results[i] = await fn(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

/**
 * What this repository itself knows about a pin, stated whether its source answers or not:
 * the Kubernetes minor's standard-support end from contracts/eks-support.ts (days from
 * `today`), and that a digest-pinned image's digest must move with its tag.
 */
export function ownFacts(pin: Pin, today: string): string[] {
    if (pin.kind === "kubernetes") {
        const end = eksStandardSupportEnds[pin.current];
        if (!end)
            return [`contracts/eks-support.ts has no standard-support end for ${pin.current}`];
        const days = Math.round(
            (Date.parse(`${end}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000,
        );
        return [
            days >= 0
                ? `contracts/eks-support.ts: standard support until ${end} (${days} days after ${today})`
                : `contracts/eks-support.ts: standard support ended ${end} (${-days} days before ${today}): extended support is billed`,
        ];
    }
    if (pin.digest)
        return [
            `pinned by digest too (${pin.digest.slice(0, 19)}…): the digest moves with the tag`,
        ];
    return [];
}

export async function checkPins(
    pins: readonly Pin[],
    sources: Readonly<Record<Pin["source"]["type"], VersionSource>>,
    showBreaking: boolean,
    today: string = new Date().toISOString().slice(0, 10),
): Promise<PinReport[]> {
    return pool(pins, 6, async (pin) => {
        const own = ownFacts(pin, today);
        try {
            const found = report(pin, await sources[pin.source.type].available(pin), showBreaking);
            const facts = [...own, ...(found.facts ?? [])];
            return { ...found, facts: facts.length ? facts : undefined };
        } catch (error) {
            const base = {
                kind: pin.kind,
                name: pin.name,
                current: pin.current,
                facts: own.length ? own : undefined,
                where: pin.where,
            };
            if (error instanceof NotInSource) {
                return {
                    ...base,
                    status: "not-found",
                    problem: error.message,
                    remedy: "check the name and where it is published",
                };
            }
            if (error instanceof SourceUnreachable) {
                return {
                    ...base,
                    status: "unreachable",
                    problem: error.message,
                    remedy: error.remedy,
                };
            }
            throw error;
        }
    });
}

function textLines(reports: readonly PinReport[], showBreaking: boolean): string[] {
    const lines: string[] = [];
    for (const r of reports) {
        const head = `${r.kind.padEnd(10)} ${r.name} ${r.current}`;
        switch (r.status) {
            case "current":
                lines.push(`ok         ${head}: current`);
                break;
            case "update":
                lines.push(
                    `UPDATE     ${head} → ${r.latest}${r.latestSameMajor ? ` (newest on its major line: ${r.latestSameMajor})` : ""}`,
                );
                break;
            case "commit":
                lines.push(
                    `commit     ${head}: a commit, not a release; newest release ${r.latest ?? "none"} (compare by hand)`,
                );
                break;
            case "not-found":
                lines.push(`NOT FOUND  ${head}: ${r.problem}`);
                break;
            case "unreachable":
                lines.push(`N/A        ${head}: ${r.problem} (${r.remedy})`);
                break;
        }
        for (const fact of r.facts ?? []) lines.push(`             ${fact}`);
        if (r.status === "update" || r.status === "not-found")
            lines.push(`             pinned in ${r.where.join("; ")}`);
        if (showBreaking && r.status === "update") {
            for (const b of r.breaking ?? []) {
                for (const note of b.notes) lines.push(`             ${b.version}: ${note}`);
            }
            if (!r.notesPublished) {
                lines.push(
                    "             (this source publishes no change notes: read the project's release notes)",
                );
            }
        }
    }
    return lines;
}

export const update: Verb = {
    spec,
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, spec);
        const format = outputFormat(values);
        if (positionals[0] !== "check" || positionals.length > 1) {
            throw new UsageError("expected `mcp update check`");
        }
        const kinds = values.kind?.map((k) => {
            if (!(spec.options.kind.choices as readonly string[]).includes(k)) {
                throw new UsageError(
                    `--kind expects one of ${spec.options.kind.choices.join(", ")}, got "${k}"`,
                );
            }
            return k as PinKind;
        });
        const http = new Http(mirrors(values.mirror, io.env));
        const stacks =
            values.stack !== undefined ? [await resolveStackName(values.stack, io.env)] : undefined;
        const pins = platformPins({ stacks }).filter((p) => !kinds || kinds.includes(p.kind));
        const region = loadStackConfig(stacks?.[0] ?? "production").region;
        const eks = new EksSource(awsCli(io.env, region), eksStandardSupportEnds);
        const oci = new OciTagsSource(http);
        const sources = {
            "eks-cluster-versions": eks,
            "eks-addon-versions": eks,
            "helm-index": new HelmIndexSource(http),
            "oci-tags": oci,
            "go-proxy": new GoProxySource(http, goProxy(io.env)),
        } as const;
        io.err(`checking ${pins.length} pinned versions against their sources…`);
        const showBreaking = Boolean(values["show-breaking-changes"]);
        // The day support dates are judged against: $MCP_POLICY_TODAY (as the policy pack
        // reads it, for planning ahead), else today.
        const today = /^\d{4}-\d{2}-\d{2}$/.test(io.env.MCP_POLICY_TODAY ?? "")
            ? io.env.MCP_POLICY_TODAY!
            : new Date().toISOString().slice(0, 10);
        const reports = await checkPins(pins, sources, showBreaking, today);
        const count = (status: PinStatus) => reports.filter((r) => r.status === status).length;
        const summary = {
            current: count("current"),
            updates: count("update"),
            commits: count("commit"),
            notFound: count("not-found"),
            unreachable: count("unreachable"),
        };
        if (format === "text") {
            for (const line of textLines(reports, showBreaking)) io.out(line);
            io.out(
                `${summary.updates} update(s), ${summary.current} current, ${summary.notFound} not found, ${summary.unreachable} not checked (unreachable), ${summary.commits} pinned to a commit`,
            );
        } else {
            io.out(renderData(format, { pins: reports, summary }));
        }
        if (summary.updates > 0 || summary.notFound > 0) return exitCodes.problem;
        if (summary.unreachable > 0) return exitCodes.unreachable;
        return exitCodes.ok;
    },
};
