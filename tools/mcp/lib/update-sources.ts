import { execFile } from "node:child_process";
import { parse } from "yaml";
import { networkReason } from "./cli";
import type { Pin, PinSource } from "./pins";
import { isPseudoVersion, newerVersions, versionKey } from "./versions";

/**
 * Where `mcp update check` reads what is available, one source per kind of pin:
 *
 * - EKS (`aws eks describe-cluster-versions`, `aws eks describe-addon-versions`, through the
 *   AWS CLI and its credentials; `AWS_ENDPOINT_URL_EKS` points it elsewhere);
 * - a Helm repository's `index.yaml` over HTTP (with each chart version's
 *   `artifacthub.io/changes` annotation, the notes chart authors publish);
 * - an OCI registry's tag list (Docker Registry HTTP API v2 `GET /v2/<name>/tags/list`, with
 *   the anonymous bearer token its `WWW-Authenticate` challenge names, following `Link`
 *   pages): container images and OCI Helm charts;
 * - the Go module proxy (`GET <proxy>/<module>/@v/list`; `$GOPROXY`, else proxy.golang.org).
 *
 * Registries, the Go proxy and EKS publish no change notes: a release's notes live on its
 * project's release page (GitHub release bodies), which this command does not read.
 */
export interface Release {
    readonly version: string;
    /** Change notes the source publishes for this release (`changed: …`, `removed: …`). */
    readonly notes?: readonly string[];
}

export interface Availability {
    /** Newer versions of the pin's shape, oldest first. */
    readonly newer: readonly Release[];
    /** Facts the source states about the pinned version (support dates, EKS's default). */
    readonly facts?: readonly string[];
    /** Whether the source publishes change notes at all. */
    readonly notesPublished: boolean;
    /** The pin is a commit (a Go pseudo-version), not a release: compare by hand. */
    readonly commit?: boolean;
    /** With `commit`: the newest release the source lists. */
    readonly newestRelease?: string;
}

/** A source that could not be asked (network, credentials, the CLI missing). */
export class SourceUnreachable extends Error {
    constructor(
        message: string,
        readonly remedy: string,
    ) {
        super(message);
        this.name = "SourceUnreachable";
    }
}

/** The source has no such name (a registry's NAME_UNKNOWN, a chart missing from the index). */
export class NotInSource extends Error {
    constructor(message: string) {
        super(message);
        this.name = "NotInSource";
    }
}

export interface VersionSource {
    available(pin: Pin): Promise<Availability>;
}

/**
 * HTTP with mirrors: `HOST=URL` sends `https://HOST/…` to `URL/…`; `*=URL` sends every host
 * to `URL/HOST/…` (an artifact proxy that fronts several registries, or an offline copy).
 */
export class Http {
    private readonly cache = new Map<string, Promise<Response>>();
    constructor(
        private readonly mirrors: ReadonlyMap<string, string> = new Map(),
        private readonly timeoutMs = 30_000,
    ) {}

    resolve(url: string): string {
        const u = new URL(url);
        // A URL that already points at a mirror (a $GOPROXY on it, a token realm) stays.
        if ([...this.mirrors.values()].some((m) => new URL(m).origin === u.origin)) return url;
        const exact = this.mirrors.get(u.host);
        if (exact) return `${exact.replace(/\/$/, "")}${u.pathname}${u.search}`;
        const any = this.mirrors.get("*");
        if (any) return `${any.replace(/\/$/, "")}/${u.host}${u.pathname}${u.search}`;
        return url;
    }

    async get(url: string, headers: Record<string, string> = {}): Promise<Response> {
        const target = this.resolve(url);
        const key = `${target} ${JSON.stringify(headers)}`;
        let pending = this.cache.get(key);
        if (!pending) {
            pending = fetch(target, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
            this.cache.set(key, pending);
        }
        try {
            return (await pending).clone();
        } catch (error) {
            throw new SourceUnreachable(
                `${new URL(url).host}: ${networkReason(error)}`,
                "check the network, or ask a mirror: --mirror HOST=URL",
            );
        }
    }
}

const releases = (versions: readonly string[]): Release[] =>
    versions.map((version) => ({ version }));

/** A Helm repository's index.yaml: versions and their `artifacthub.io/changes`. */
export class HelmIndexSource implements VersionSource {
    constructor(private readonly http: Http) {}

    async available(pin: Pin): Promise<Availability> {
        const source = pin.source as Extract<PinSource, { type: "helm-index" }>;
        const url = `${source.repository.replace(/\/$/, "")}/index.yaml`;
        const res = await this.http.get(url);
        if (!res.ok)
            throw new SourceUnreachable(
                `${url} answered ${res.status}`,
                "check the repository URL",
            );
        const index = parse(await res.text()) as {
            entries?: Record<string, { version: string; annotations?: Record<string, string> }[]>;
        };
        const entries = index.entries?.[source.chart];
        if (!entries) throw new NotInSource(`${source.repository} has no chart ${source.chart}`);
        const notesOf = new Map(entries.map((e) => [e.version, changeNotes(e.annotations)]));
        return {
            newer: newerVersions(
                pin.current,
                entries.map((e) => e.version),
            ).map((version) => ({ version, notes: notesOf.get(version) })),
            notesPublished: true,
        };
    }
}

/** `artifacthub.io/changes`: a YAML list of `{kind, description}` or of plain strings. */
export function changeNotes(annotations: Record<string, string> | undefined): string[] {
    const text = annotations?.["artifacthub.io/changes"];
    if (!text) return [];
    try {
        const changes = parse(text) as unknown;
        if (!Array.isArray(changes)) return [];
        return changes.map((c) =>
            typeof c === "string"
                ? c
                : `${(c as { kind?: string }).kind ?? "changed"}: ${(c as { description?: string }).description ?? ""}`,
        );
    } catch {
        return [];
    }
}

/** An OCI registry's tags (Docker Registry HTTP API v2), with its anonymous token. */
export class OciTagsSource implements VersionSource {
    constructor(private readonly http: Http) {}

    async tags(registry: string, repository: string): Promise<string[]> {
        const tags: string[] = [];
        let next: string | undefined = `https://${registry}/v2/${repository}/tags/list?n=1000`;
        let auth: Record<string, string> = {};
        for (let page = 0; next && page < 50; page++) {
            let res = await this.http.get(next, auth);
            if (res.status === 401 && !auth.Authorization) {
                auth = await this.token(res.headers.get("www-authenticate"), registry, repository);
                res = await this.http.get(next, auth);
            }
            if (res.status === 404)
                throw new NotInSource(`${registry} has no repository ${repository}`);
            if (res.status === 401 || res.status === 403) {
                throw new NotInSource(
                    `${registry} refuses ${repository} anonymously (${res.status}): private, or not there`,
                );
            }
            if (!res.ok)
                throw new SourceUnreachable(
                    `${registry} answered ${res.status}`,
                    "try again later",
                );
            const body = (await res.json()) as { tags?: string[] | null };
            tags.push(...(body.tags ?? []));
            const link = /<([^>]+)>;\s*rel="?next"?/.exec(res.headers.get("link") ?? "")?.[1];
            next = link ? new URL(link, `https://${registry}`).toString() : undefined;
        }
        return tags;
    }

    /** The bearer token a `WWW-Authenticate: Bearer realm=…,service=…,scope=…` challenge names. */
    private async token(
        challenge: string | null,
        registry: string,
        repository: string,
    ): Promise<Record<string, string>> {
        const params = Object.fromEntries(
            [...(challenge ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
        );
        if (!/^Bearer\s/i.test(challenge ?? "") || !params.realm) {
            throw new SourceUnreachable(
                `${registry} asks for credentials this command does not have (${challenge ?? "no challenge"})`,
                "the image is private: check it where it is published",
            );
        }
        const url = new URL(params.realm);
        if (params.service) url.searchParams.set("service", params.service);
        url.searchParams.set("scope", params.scope ?? `repository:${repository}:pull`);
        const res = await this.http.get(url.toString());
        if (!res.ok)
            throw new SourceUnreachable(
                `${url.host} gave no token (${res.status})`,
                "try again later",
            );
        const body = (await res.json()) as { token?: string; access_token?: string };
        return { Authorization: `Bearer ${body.token ?? body.access_token}` };
    }

    async available(pin: Pin): Promise<Availability> {
        const source = pin.source as Extract<PinSource, { type: "oci-tags" }>;
        const tags = await this.tags(source.registry, source.repository);
        return { newer: releases(newerVersions(pin.current, tags)), notesPublished: false };
    }
}

/** The Go module proxy's version list. */
export class GoProxySource implements VersionSource {
    constructor(
        private readonly http: Http,
        private readonly proxy: string,
    ) {}

    /** The module path as the proxy protocol escapes it (`!` before an upper-case letter). */
    static escape(module: string): string {
        return module.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
    }

    async available(pin: Pin): Promise<Availability> {
        const source = pin.source as Extract<PinSource, { type: "go-proxy" }>;
        const url = `${this.proxy.replace(/\/$/, "")}/${GoProxySource.escape(source.module)}/@v/list`;
        const res = await this.http.get(url);
        if (res.status === 404 || res.status === 410)
            throw new NotInSource(`the Go proxy has no ${source.module}`);
        if (!res.ok) throw new SourceUnreachable(`${url} answered ${res.status}`, "check $GOPROXY");
        const versions = (await res.text())
            .split("\n")
            .map((v) => v.trim())
            .filter(Boolean);
        if (isPseudoVersion(pin.current)) {
            const tagged = versions.filter((v) => versionKey(v).shape === "v#.#.#");
            return {
                newer: [],
                notesPublished: false,
                commit: true,
                newestRelease: newerVersions("v0.0.0", tagged).pop(),
            };
        }
        return { newer: releases(newerVersions(pin.current, versions)), notesPublished: false };
    }
}

/** Runs the AWS CLI and returns its JSON answer. */
export type AwsCli = (args: readonly string[]) => Promise<unknown>;

export function awsCli(env: NodeJS.ProcessEnv, region: string): AwsCli {
    return (args) =>
        new Promise((resolve, reject) => {
            execFile(
                "aws",
                [...args, "--region", region, "--output", "json"],
                { env, timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
                (error, stdout, stderr) => {
                    if ((error as NodeJS.ErrnoException | null)?.code === "ENOENT") {
                        reject(
                            new SourceUnreachable(
                                "the AWS CLI is not installed",
                                "install it (apt-get install awscli, or pip install awscli) and log in (aws configure / aws sso login)",
                            ),
                        );
                    } else if (error) {
                        const message = stderr.trim().split("\n").pop() ?? error.message;
                        reject(
                            new SourceUnreachable(
                                `aws ${args.slice(0, 2).join(" ")}: ${message}`,
                                /credential|token|expired/i.test(message)
                                    ? "log in: aws sso login, or aws configure"
                                    : "check the AWS CLI's region and network",
                            ),
                        );
                    } else {
                        try {
                            resolve(JSON.parse(stdout));
                        } catch {
                            reject(
                                new SourceUnreachable(
                                    `aws ${args.slice(0, 2).join(" ")}: not JSON`,
                                    "update the AWS CLI",
                                ),
                            );
                        }
                    }
                },
            );
        });
}

interface ClusterVersion {
    clusterVersion: string;
    status?: string;
    versionStatus?: string;
    endOfStandardSupportDate?: string;
    endOfExtendedSupportDate?: string;
}

const day = (date: string | undefined) => (date ? date.slice(0, 10) : undefined);

/** EKS: the Kubernetes minors it offers with their support dates, and each add-on's builds. */
export class EksSource implements VersionSource {
    private clusterVersions?: Promise<ClusterVersion[]>;
    constructor(
        private readonly aws: AwsCli,
        /** Our own table of standard-support ends (contracts/eks-support.ts). */
        private readonly supportTable: Readonly<Record<string, string>>,
    ) {}

    async available(pin: Pin): Promise<Availability> {
        return pin.source.type === "eks-cluster-versions" ? this.kubernetes(pin) : this.addon(pin);
    }

    private async kubernetes(pin: Pin): Promise<Availability> {
        this.clusterVersions ??= this.aws(["eks", "describe-cluster-versions"]).then(
            (answer) => (answer as { clusterVersions?: ClusterVersion[] }).clusterVersions ?? [],
        );
        const versions = await this.clusterVersions;
        const offered = versions.filter(
            (v) => !/UNSUPPORTED/.test(v.versionStatus ?? v.status ?? ""),
        );
        const mine = versions.find((v) => v.clusterVersion === pin.current);
        const facts: string[] = [];
        const standardEnd = day(mine?.endOfStandardSupportDate);
        if (mine) {
            facts.push(
                `EKS: standard support until ${standardEnd ?? "?"}, extended until ${day(mine.endOfExtendedSupportDate) ?? "?"} (${mine.versionStatus ?? mine.status ?? "?"})`,
            );
        }
        const table = this.supportTable[pin.current];
        if (standardEnd && table !== standardEnd) {
            facts.push(
                `contracts/eks-support.ts says ${table ?? "nothing"} for ${pin.current}: update its table`,
            );
        }
        return {
            newer: newerVersions(
                pin.current,
                offered.map((v) => v.clusterVersion),
            ).map((version) => {
                const v = offered.find((o) => o.clusterVersion === version);
                return {
                    version,
                    notes: v
                        ? [`standard support until ${day(v.endOfStandardSupportDate) ?? "?"}`]
                        : [],
                };
            }),
            facts,
            notesPublished: false,
        };
    }

    private async addon(pin: Pin): Promise<Availability> {
        const source = pin.source as Extract<PinSource, { type: "eks-addon-versions" }>;
        const answer = (await this.aws([
            "eks",
            "describe-addon-versions",
            "--kubernetes-version",
            source.kubernetesVersion,
            "--addon-name",
            source.addonName,
        ])) as {
            addons?: {
                addonVersions?: {
                    addonVersion: string;
                    compatibilities?: { clusterVersion?: string; defaultVersion?: boolean }[];
                }[];
            }[];
        };
        const builds = answer.addons?.[0]?.addonVersions;
        if (!builds?.length) {
            throw new NotInSource(
                `EKS offers no ${source.addonName} for Kubernetes ${source.kubernetesVersion}`,
            );
        }
        const fallback = builds.find((b) =>
            b.compatibilities?.some(
                (c) => c.clusterVersion === source.kubernetesVersion && c.defaultVersion,
            ),
        );
        return {
            newer: releases(
                newerVersions(
                    pin.current,
                    builds.map((b) => b.addonVersion),
                ),
            ),
            facts: fallback
                ? [`EKS default for ${source.kubernetesVersion}: ${fallback.addonVersion}`]
                : [],
            notesPublished: false,
        };
    }
}
