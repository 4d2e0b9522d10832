import * as fs from "node:fs";
import type {
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
} from "@pulumi/policy";
import { parseAllDocuments } from "yaml";
import { type AllowedHelmChart, allowedHelmCharts } from "./exemptions";
import { asArray, configOf, jsonDocument } from "./lib/config";

/**
 * Kubernetes objects declared indirectly, which the other policies would not see:
 *
 * - `kubernetes:yaml/v2:ConfigGroup` / `ConfigFile` are components whose objects the
 *   provider registers as children. Under `pulumi preview` the children reach every policy
 *   like any object; under the offline synth (mock runtime) only the component is recorded,
 *   with its `objs`/`yaml`/`files` inputs. This policy parses those inputs and runs the
 *   pack's Kubernetes resource policies on each object, so both runners refuse the same thing.
 * - Helm releases and charts render objects the pack never sees: they are limited to a
 *   reviewed list of charts, and their values are scanned for host and privileged settings.
 */

const groupTypes = [
    "kubernetes:yaml/v2:ConfigGroup",
    "kubernetes:yaml/v2:ConfigFile",
    "kubernetes:yaml:ConfigGroup",
    "kubernetes:yaml:ConfigFile",
];

type Manifest = { apiVersion?: string; kind?: string; metadata?: { name?: string } };

function parseYaml(text: string): Manifest[] {
    return parseAllDocuments(text)
        .map((doc) => doc.toJS() as Manifest | null)
        .filter((m): m is Manifest => !!m && typeof m === "object");
}

function readLocal(file: unknown): string | undefined {
    if (typeof file !== "string" || /^[a-z]+:\/\//i.test(file)) return undefined;
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
}

/** The objects a ConfigGroup or ConfigFile declares, `List` kinds expanded. */
function manifestsOf(props: Record<string, any>): Manifest[] {
    const texts = [
        ...asArray(props.yaml as string | string[]),
        ...[...asArray(props.files as string | string[]), props.file]
            .map(readLocal)
            .filter((t): t is string => t !== undefined),
    ];
    const objects = [
        ...asArray(props.objs as Manifest | Manifest[]),
        ...texts.filter((t) => typeof t === "string").flatMap(parseYaml),
    ];
    return objects.flatMap((o) =>
        o.kind?.endsWith("List") && Array.isArray((o as { items?: unknown }).items)
            ? ((o as { items: Manifest[] }).items ?? [])
            : [o],
    );
}

/** `kubernetes:apps/v1:Deployment`, `kubernetes:core/v1:ConfigMap` for an object. */
function typeToken(manifest: Manifest): string | undefined {
    if (!manifest.apiVersion || !manifest.kind) return undefined;
    const apiVersion = manifest.apiVersion.includes("/")
        ? manifest.apiVersion
        : `core/${manifest.apiVersion}`;
    return `kubernetes:${apiVersion}:${manifest.kind}`;
}

class ChildNotApplicable extends Error {}

/** Validation args for one object of a group: the group's, retyped, with default config. */
function childArgs(
    parent: ResourceValidationArgs,
    type: string,
    props: Record<string, any>,
    name: string,
): ResourceValidationArgs {
    const isType = (cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType === type;
    const opts: PolicyResourceOptions = { ...parent.opts };
    return {
        ...parent,
        type,
        props,
        name,
        urn: `${parent.urn}$${type}::${name}`,
        opts,
        isType,
        asType: ((cls: unknown) =>
            isType(cls) ? props : undefined) as ResourceValidationArgs["asType"],
        getConfig: <T extends object>() => ({}) as T,
        notApplicable: (reason?: string): never => {
            throw new ChildNotApplicable(reason);
        },
    };
}

/**
 * Judges the objects of ConfigGroups and ConfigFiles with `policies()`, the pack's other
 * Kubernetes resource policies (a function, since this policy is part of that list).
 */
export function configGroupObjectsPolicy(
    policies: () => readonly ResourceValidationPolicy[],
): ResourceValidationPolicy {
    return {
        name: "k8s-config-group-objects",
        description:
            "Checks whether every object of a YAML ConfigGroup or ConfigFile passes the pack's Kubernetes resource policies, as if it were declared directly.",
        enforcementLevel: "mandatory",
        severity: "high",
        tags: ["indirection"],
        remediationSteps:
            "Fix the object inside the YAML as the named policy's fix says, or declare it as a typed resource so it is checked directly.",
        validateResource: async (args, reportViolation) => {
            if (!groupTypes.includes(args.type)) return args.notApplicable("not a YAML group");
            const manifests = manifestsOf(args.props);
            for (const [index, manifest] of manifests.entries()) {
                const type = typeToken(manifest);
                if (!type) continue;
                const name = manifest.metadata?.name ?? `object-${index}`;
                const child = childArgs(args, type, manifest as Record<string, any>, name);
                for (const policy of policies()) {
                    for (const validation of asArray(policy.validateResource)) {
                        try {
                            await validation(child, (message) =>
                                reportViolation(
                                    `${args.type.split(":").pop()} ${args.name} object ${manifest.kind} ${name} (${policy.name}): ${message}`,
                                ),
                            );
                        } catch (error) {
                            if (!(error instanceof ChildNotApplicable)) throw error;
                        }
                    }
                }
            }
        },
    };
}

const helmTypes = [
    "kubernetes:helm.sh/v3:Release",
    "kubernetes:helm.sh/v3:Chart",
    "kubernetes:helm.sh/v4:Chart",
];

const helmSchema = {
    properties: {
        allowedCharts: {
            type: "array" as const,
            description:
                "Charts (name and repository URL) a release may install. Default: policies/exemptions.ts.",
            items: {
                type: "object" as const,
                properties: {
                    chart: { type: "string" as const, minLength: 1 },
                    repository: { type: "string" as const, minLength: 1 },
                    reason: { type: "string" as const },
                },
                required: ["chart", "repository"],
                additionalProperties: false,
            },
            default: allowedHelmCharts as unknown as object[],
        },
    },
};

const trimSlash = (url: string) => url.replace(/\/+$/, "");

/** Value paths that turn on privileged or host access in the rendered pods. */
function hostSettings(value: unknown, path: string, found: string[]): string[] {
    if (Array.isArray(value)) {
        value.forEach((item, i) => hostSettings(item, `${path}[${i}]`, found));
    } else if (value !== null && typeof value === "object") {
        for (const [key, child] of Object.entries(value)) {
            const here = path ? `${path}.${key}` : key;
            if (["privileged", "hostNetwork", "hostPID", "hostIPC"].includes(key)) {
                if (child === true || child === "true") found.push(here);
            } else if (
                key === "hostPath" &&
                child !== null &&
                child !== undefined &&
                child !== ""
            ) {
                if (child !== false) found.push(here);
            } else {
                hostSettings(child, here, found);
            }
        }
    }
    return found;
}

export const helmChartAllowed: ResourceValidationPolicy = {
    name: "k8s-helm-chart-allowed",
    description:
        "Checks whether a Helm release or chart installs a reviewed chart from its reviewed repository, and whether its values turn on privileged, hostNetwork, hostPID, hostIPC or hostPath.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["indirection", "supply-chain"],
    configSchema: helmSchema,
    remediationSteps:
        "Install only charts listed in policies/exemptions.ts (allowedHelmCharts; add one there in review), and leave privileged/host settings out of the values.",
    validateResource: (args, reportViolation) => {
        if (!helmTypes.includes(args.type)) return args.notApplicable("not a Helm release");
        const { allowedCharts } = configOf<{ allowedCharts: AllowedHelmChart[] }>(helmSchema, args);
        const props = args.props;
        const label = `Helm ${args.type.endsWith("Release") ? "release" : "chart"} ${props.name ?? args.name}`;
        // An OCI chart is named by its full reference (oci://<registry>/<path>/<chart>): its
        // repository is the reference without the last segment.
        const reference = String(props.chart ?? "");
        const oci = /^(oci:\/\/.+)\/([^/]+)$/.exec(reference);
        const repository = oci
            ? oci[1]
            : String(props.repositoryOpts?.repo ?? props.fetchOpts?.repo ?? "");
        const chart = oci ? oci[2] : reference;
        const allowed = allowedCharts.some(
            (c) =>
                trimSlash(c.repository) === trimSlash(repository) &&
                (chart === c.chart || chart.endsWith(`/${c.chart}`)),
        );
        if (!allowed) {
            reportViolation(
                `${label} must install a reviewed chart (got ${chart || "none"} from ${repository || "no repository"}).`,
            );
        }
        const values = jsonDocument(props.values);
        for (const path of hostSettings(values, "", [])) {
            reportViolation(`${label} values must not set ${path}.`);
        }
    },
};
