import * as fs from "node:fs";
import * as path from "node:path";
import { parseConfig, type PlatformConfig } from "../../../config";
import { groupConfig } from "../../../config/lib/raw";
import { defaultSmokeTestImage } from "../../../config/workloads";
import { eksAddonNames, helmCharts, karpenterCrdChart } from "../../../contracts/pinned-sources";
import { listStacks, readStackConfig } from "../../lib/stack-file";

/**
 * Every version the platform pins, in one list: what `mcp update check` compares with the
 * sources and what test/renovate.test.ts holds Renovate's custom managers to. Read from the
 * stack files as the program reads them (the config's defaults applied, so a component's
 * default image is here too) and from dev/engines/<engine>/go.mod:
 *
 * - the Kubernetes minor of each stack's cluster (`cluster.version`);
 * - the EKS managed add-ons (`cluster.addons`, for that minor);
 * - the Helm charts (`cluster.charts`, from the repositories of contracts/pinned-sources.ts);
 * - every container image of the config (a key named `image`/`…Image`, or under `images`);
 * - the Go modules the engines are built from (each go.mod's direct requirements).
 */
/** The repository (kept apart from ./stack.ts, which drives the Pulumi CLI: the inventory never does). */
const projectDir = path.resolve(__dirname, "..", "..", "..");

export type PinKind = "kubernetes" | "eks-addon" | "helm-chart" | "image" | "go-module";

/** Where a pin's available versions are read. */
export type PinSource =
    | { readonly type: "eks-cluster-versions" }
    | {
          readonly type: "eks-addon-versions";
          readonly addonName: string;
          readonly kubernetesVersion: string;
      }
    | { readonly type: "helm-index"; readonly repository: string; readonly chart: string }
    /** An OCI repository's tags: container images and OCI Helm charts. */
    | { readonly type: "oci-tags"; readonly registry: string; readonly repository: string }
    | { readonly type: "go-proxy"; readonly module: string };

export interface Pin {
    readonly kind: PinKind;
    /** kubernetes, vpc-cni, kube-prometheus-stack, ghcr.io/mcp-platform/mcp-registry, k8s.io/kubernetes */
    readonly name: string;
    readonly current: string;
    /** The image's digest when it is pinned by digest too. */
    readonly digest?: string;
    /** Each place that pins it: `Pulumi.production.yaml mcp-platform:cluster.version`, `config/ default: …`, a go.mod. */
    readonly where: readonly string[];
    readonly source: PinSource;
}

/** An image reference split the way registries see it (Docker Hub names normalized). */
export interface ImageRef {
    /** As written, e.g. `redis:7.2.5-bookworm`. */
    readonly reference: string;
    /** `redis`, `ghcr.io/mcp-platform/mcp-registry`: the name as written, without tag/digest. */
    readonly name: string;
    /** `registry-1.docker.io` for Docker Hub, else the host written. */
    readonly registry: string;
    /** `library/redis` on Docker Hub, else the path written. */
    readonly repository: string;
    readonly tag: string;
    readonly digest?: string;
}

export function parseImageRef(reference: string): ImageRef {
    const m =
        /^(?<name>[^@:]+(?::\d+\/[^@:]+)?)(?::(?<tag>[\w][\w.-]*))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/.exec(
            reference,
        );
    if (!m?.groups) throw new Error(`not an image reference: ${reference}`);
    const name = m.groups.name;
    const first = name.split("/")[0];
    const hasRegistry = name.includes("/") && (/[.:]/.test(first) || first === "localhost");
    const registry = hasRegistry ? first : "registry-1.docker.io";
    const rest = hasRegistry ? name.slice(first.length + 1) : name;
    return {
        reference,
        name,
        registry: registry === "docker.io" ? "registry-1.docker.io" : registry,
        repository: hasRegistry || rest.includes("/") ? rest : `library/${rest}`,
        tag: m.groups.tag ?? "latest",
        digest: m.groups.digest,
    };
}

/** The stack's config as parsed (defaults applied) and as written (to tell the two apart). */
function stackConfigs(dir: string, stack: string) {
    const { config, secretKeys } = readStackConfig(dir, path.join(dir, `Pulumi.${stack}.yaml`));
    const raw = groupConfig(config, (key) => secretKeys.includes(key));
    return { parsed: parseConfig(raw, stack), written: raw.byNamespace["mcp-platform"] ?? {} };
}

const lookup = (root: unknown, keys: readonly string[]): unknown =>
    keys.reduce<unknown>(
        (node, key) =>
            node !== null && typeof node === "object"
                ? (node as Record<string, unknown>)[key]
                : undefined,
        root,
    );

/** Every image of a parsed config: `[key path, reference]`. */
function imagesOf(node: unknown, keys: string[] = []): [string[], string][] {
    if (node === null || typeof node !== "object") return [];
    return Object.entries(node as Record<string, unknown>).flatMap(([key, value]) => {
        const at = [...keys, key];
        const isImageKey = /^image$|Image$/.test(key) || keys[keys.length - 1] === "images";
        if (typeof value === "string" && isImageKey) return [[at, value] as [string[], string]];
        return imagesOf(value, at);
    });
}

/** The pins of one stack file. */
export function stackPins(stack: string, dir = projectDir): Pin[] {
    const { parsed: cfg, written } = stackConfigs(dir, stack);
    const where = (keys: readonly string[]) =>
        lookup(written, keys) !== undefined
            ? `Pulumi.${stack}.yaml mcp-platform:${keys.join(".")}`
            : `config/ default of mcp-platform:${keys.join(".")} (${stack})`;
    const cluster: PlatformConfig["cluster"] = cfg.cluster;
    const pins: Pin[] = [
        {
            kind: "kubernetes",
            name: "kubernetes",
            current: cluster.version,
            where: [where(["cluster", "version"])],
            source: { type: "eks-cluster-versions" },
        },
    ];
    for (const [key, addonName] of Object.entries(eksAddonNames)) {
        pins.push({
            kind: "eks-addon",
            name: addonName,
            current: cluster.addons[key as keyof typeof eksAddonNames],
            where: [where(["cluster", "addons", key])],
            source: {
                type: "eks-addon-versions",
                addonName,
                kubernetesVersion: cluster.version,
            },
        });
    }
    for (const [key, chart] of Object.entries(helmCharts)) {
        const current = cluster.charts[key as keyof typeof helmCharts];
        const oci = chart.repository.startsWith("oci://");
        const [registry, ...rest] = chart.repository.replace(/^oci:\/\//, "").split("/");
        pins.push({
            kind: "helm-chart",
            name: chart.chart,
            current,
            where: [
                where(["cluster", "charts", key]) +
                    (chart.chart === helmCharts.karpenter.chart
                        ? ` (and ${karpenterCrdChart})`
                        : ""),
            ],
            source: oci
                ? { type: "oci-tags", registry, repository: [...rest, chart.chart].join("/") }
                : { type: "helm-index", repository: chart.repository, chart: chart.chart },
        });
    }
    const images: [string, string][] = imagesOf(cfg).map(([keys, reference]) => [
        where(keys),
        reference,
    ]);
    // A service without its own `smokeTest` is released with the default image.
    if (!images.some(([, reference]) => reference === defaultSmokeTestImage)) {
        images.push(["config/workloads.ts default: smokeTest.image", defaultSmokeTestImage]);
    }
    for (const [at, reference] of images) {
        const image = parseImageRef(reference);
        pins.push({
            kind: "image",
            name: image.name,
            current: image.tag,
            digest: image.digest,
            where: [at],
            source: { type: "oci-tags", registry: image.registry, repository: image.repository },
        });
    }
    return pins;
}

/** The engines' Go modules: each dev/engines/<engine>/go.mod's direct requirements. */
export function enginePins(dir = projectDir): Pin[] {
    const engines = path.join(dir, "dev", "engines");
    if (!fs.existsSync(engines)) return [];
    return fs
        .readdirSync(engines)
        .filter((engine) => fs.existsSync(path.join(engines, engine, "go.mod")))
        .sort()
        .flatMap((engine) => {
            const file = `dev/engines/${engine}/go.mod`;
            const text = fs.readFileSync(path.join(dir, file), "utf8");
            return goModRequirements(text).map(({ module, version }): Pin => ({
                kind: "go-module",
                name: module,
                current: version,
                where: [file],
                source: { type: "go-proxy", module },
            }));
        });
}

/** The direct (not `// indirect`) requirements of a go.mod. */
export function goModRequirements(text: string): { module: string; version: string }[] {
    const found: { module: string; version: string }[] = [];
    const line = /^\s*(?:require\s+)?([\w.~/-]+\.[\w.~/-]+)\s+(v[\w.+-]+)\s*(\/\/.*)?$/;
    let inRequire = false;
    for (const raw of text.split("\n")) {
        if (/^require\s*\($/.test(raw.trim())) inRequire = true;
        else if (inRequire && raw.trim() === ")") inRequire = false;
        else if (inRequire || /^require\s+\S/.test(raw)) {
            const m = line.exec(raw);
            if (m && !/indirect/.test(m[3] ?? "")) found.push({ module: m[1], version: m[2] });
        }
    }
    return found;
}

/**
 * Every pin of the platform: each stack's (`stacks`, default all), then the engines'. A
 * version pinned in several places is one pin with every place in `where`.
 */
export function platformPins({
    stacks,
    dir = projectDir,
}: { stacks?: readonly string[]; dir?: string } = {}): Pin[] {
    const all = [
        ...(stacks ?? listStacks(dir)).flatMap((stack) => stackPins(stack, dir)),
        ...enginePins(dir),
    ];
    const merged = new Map<string, Pin>();
    for (const pin of all) {
        const key = `${pin.kind} ${pin.name} ${pin.current} ${pin.digest ?? ""} ${JSON.stringify(pin.source)}`;
        const seen = merged.get(key);
        merged.set(
            key,
            seen ? { ...seen, where: [...new Set([...seen.where, ...pin.where])] } : pin,
        );
    }
    return [...merged.values()];
}
