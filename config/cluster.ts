import { z } from "zod";
import { coversInternet, widestAllowedPrefix } from "./lib/cidrs";
import { imageCacheSchema } from "./image-cache";
import { iamRoleArn, ipv4Cidr } from "./lib/validators";

/** A Kubernetes label key (optional DNS prefix, then a name of at most 63 characters). */
const labelKey = z
    .string()
    .regex(
        /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
        {
            message: "expected a Kubernetes label key such as example.com/role",
        },
    );

/** A Kubernetes label value (at most 63 characters, may be empty). */
const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, {
    message: "expected a Kubernetes label value (letters, digits, -, _, ., at most 63)",
});

/** A node taint, written the Kubernetes way (`effect: NoSchedule`). */
export const taintSchema = z.strictObject({
    key: labelKey,
    value: labelValue.optional(),
    effect: z.enum(["NoSchedule", "NoExecute", "PreferNoSchedule"]),
});

/** One managed node group's capacity. */
export const nodeGroupSchema = z
    .strictObject({
        instanceTypes: z
            .array(
                z.string().regex(/^[a-z0-9]+\.[a-z0-9]+$/, {
                    message: "expected an EC2 instance type such as m6i.large",
                }),
            )
            .min(1),
        minSize: z.number().int().min(0),
        desiredSize: z.number().int().min(0),
        maxSize: z.number().int().min(1),
        /** Root volume size (encrypted gp3). @default 50 */
        diskSizeGiB: z.number().int().min(20).max(16384).default(50),
        /** Extra Kubernetes labels on the group's nodes. @default {} */
        labels: z.record(labelKey, labelValue).default({}),
        /** Taints on the group's nodes; pods need a matching toleration. @default [] */
        taints: z.array(taintSchema).default([]),
        /**
         * Sizes a standby stack switches to when it is activated (`drActive: true`), so the DR
         * region's managed baseline matches production's with the same `pulumi up` that scales
         * the workloads (Karpenter adds the nodes beyond it). Within `maxSize`. @default the sizes above
         */
        activated: z
            .strictObject({
                minSize: z.number().int().min(0),
                desiredSize: z.number().int().min(0),
            })
            .optional(),
    })
    .superRefine((group, ctx) => {
        const activated = group.activated;
        if (
            activated &&
            (activated.minSize > activated.desiredSize || activated.desiredSize > group.maxSize)
        ) {
            ctx.addIssue({
                code: "custom",
                path: ["activated", "desiredSize"],
                input: activated.desiredSize,
                message: `expected activated sizes with minSize (${activated.minSize}) <= desiredSize <= maxSize (${group.maxSize})`,
            });
        }
        if (group.minSize > group.maxSize) {
            ctx.addIssue({
                code: "custom",
                path: ["minSize"],
                input: group.minSize,
                message: `expected minSize <= maxSize (${group.maxSize})`,
            });
        }
        if (group.desiredSize < group.minSize || group.desiredSize > group.maxSize) {
            ctx.addIssue({
                code: "custom",
                path: ["desiredSize"],
                input: group.desiredSize,
                message: `expected desiredSize between minSize (${group.minSize}) and maxSize (${group.maxSize})`,
            });
        }
    });

/** An EKS managed add-on version such as `v1.20.4-eksbuild.2`. */
const addonVersion = z.string().regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, {
    message: 'expected an EKS add-on version such as "v1.20.4-eksbuild.2"',
});

/** A Helm chart version, exact (no ranges), e.g. `88.5.3`. */
const chartVersion = z.string().regex(/^\d+\.\d+\.\d+$/, {
    message: 'expected an exact chart version such as "1.2.3" (no ranges)',
});

/**
 * Pinned EKS managed add-on versions for Kubernetes 1.35 (docs/cluster.md, "Versions: how they
 * were chosen", says where each comes from); `aws eks describe-addon-versions
 * --kubernetes-version 1.35 --addon-name <name>` lists what EKS offers. kube-proxy must match
 * the control plane's minor.
 */
export const defaultAddonVersions = {
    vpcCni: "v1.20.4-eksbuild.2",
    coreDns: "v1.14.3-eksbuild.3",
    kubeProxy: "v1.35.3-eksbuild.13",
    ebsCsiDriver: "v1.53.0-eksbuild.1",
} as const;

export const addonsSchema = z
    .strictObject({
        /** Amazon VPC CNI (pod networking and NetworkPolicy enforcement). */
        vpcCni: addonVersion.default(defaultAddonVersions.vpcCni),
        /** CoreDNS (cluster DNS). */
        coreDns: addonVersion.default(defaultAddonVersions.coreDns),
        /** kube-proxy (Service routing); its minor version follows the control plane. */
        kubeProxy: addonVersion.default(defaultAddonVersions.kubeProxy),
        /** Amazon EBS CSI driver (PersistentVolumes on gp3). */
        ebsCsiDriver: addonVersion.default(defaultAddonVersions.ebsCsiDriver),
    })
    .default(() => ({ ...defaultAddonVersions }));

/** Pinned Helm chart versions of the in-cluster add-ons (see docs/cluster.md). */
export const defaultChartVersions = {
    // Each `renovate:` line tells Renovate's custom manager (renovate.json) where the chart is
    // published: the repositories of contracts/pinned-sources.ts (test/renovate.test.ts).
    // renovate: datasource=helm depName=metrics-server registryUrl=https://kubernetes-sigs.github.io/metrics-server/
    metricsServer: "3.13.1",
    // renovate: datasource=helm depName=vpa registryUrl=https://charts.fairwinds.com/stable
    verticalPodAutoscaler: "5.0.0",
    // renovate: datasource=helm depName=kube-prometheus-stack registryUrl=https://prometheus-community.github.io/helm-charts
    kubePrometheusStack: "88.5.3",
    // renovate: datasource=helm depName=aws-load-balancer-controller registryUrl=https://aws.github.io/eks-charts
    awsLoadBalancerController: "3.5.0",
    // renovate: datasource=docker depName=public.ecr.aws/karpenter/karpenter
    karpenter: "1.15.2",
} as const;

export const chartsSchema = z
    .strictObject({
        /** kubernetes-sigs/metrics-server (resource metrics for HPA and `kubectl top`). */
        metricsServer: chartVersion.default(defaultChartVersions.metricsServer),
        /** FairwindsOps `vpa` chart (recommender, updater, admission controller). */
        verticalPodAutoscaler: chartVersion.default(defaultChartVersions.verticalPodAutoscaler),
        /** prometheus-community/kube-prometheus-stack. */
        kubePrometheusStack: chartVersion.default(defaultChartVersions.kubePrometheusStack),
        /** aws/eks-charts aws-load-balancer-controller (ingress class `alb`). */
        awsLoadBalancerController: chartVersion.default(
            defaultChartVersions.awsLoadBalancerController,
        ),
        /** oci://public.ecr.aws/karpenter/karpenter (chart and controller share the version). */
        karpenter: chartVersion.default(defaultChartVersions.karpenter),
    })
    .default(() => ({ ...defaultChartVersions }));

export const defaultPrometheusSettings = { retention: "15d", storageGiB: 100 } as const;

/** Prometheus sizing in kube-prometheus-stack. */
export const prometheusSchema = z
    .strictObject({
        /** How long Prometheus keeps samples. @default "15d" */
        retention: z.string().regex(/^\d+(h|d|w|y)$/, {
            message: 'expected a Prometheus duration such as "15d"',
        }),
        /** Size of Prometheus' volume (gp3 StorageClass). @default 100 */
        storageGiB: z.number().int().min(10).max(16384),
    })
    .default(() => ({ ...defaultPrometheusSettings }));

/** A Kubernetes quantity of whole units or a Go duration, as Karpenter reads them. */
const goDuration = z.string().regex(/^(\d+h)?(\d+m)?(\d+s)?$/, {
    message: 'expected a duration such as "720h", "30m" or "1h30m"',
});

/** One Karpenter NodePool: what it may launch, its ceiling and how it gives nodes back. */
export const nodePoolSchema = z.strictObject({
    /** `spot` and/or `on-demand`; Karpenter prefers spot when both are allowed. */
    capacityTypes: z.array(z.enum(["spot", "on-demand"])).min(1),
    /** EC2 instance categories (c compute, m general, r memory). @default ["c","m","r"] */
    instanceCategories: z
        .array(z.enum(["c", "m", "r"]))
        .min(1)
        .default(["c", "m", "r"]),
    /**
     * vCPU sizes Karpenter may pick (`karpenter.k8s.aws/instance-cpu`). Bounded so the
     * capacity policy can count the nodes a pool can grow to. @default [4, 8, 16]
     */
    instanceCpu: z.array(z.number().int().min(1).max(192)).min(1).default([4, 8, 16]),
    /** Ceiling of the pool: all its nodes together (replaces a node group's maxSize). */
    limits: z.strictObject({
        cpu: z.number().int().min(1),
        memoryGiB: z.number().int().min(1),
    }),
    /**
     * `WhenEmptyOrUnderutilized` repacks pods onto fewer nodes; `WhenEmpty` only removes
     * nodes with no pods left. @default "WhenEmptyOrUnderutilized"
     */
    consolidationPolicy: z
        .enum(["WhenEmpty", "WhenEmptyOrUnderutilized"])
        .default("WhenEmptyOrUnderutilized"),
    /** How long a node must be consolidatable before Karpenter acts. @default "5m" */
    consolidateAfter: goDuration.default("5m"),
    /** Nodes one pool may disrupt at once, e.g. "10%" or "1". @default "10%" */
    maxDisruption: z
        .string()
        .regex(/^(\d+|\d{1,3}%)$/, { message: 'expected a count or a percentage such as "10%"' })
        .default("10%"),
    /** A node's lifetime before replacement (new AMI, fresh kernel), or "Never". @default "720h" */
    expireAfter: z.union([z.literal("Never"), goDuration]).default("720h"),
});
export type NodePoolConfig = z.output<typeof nodePoolSchema>;

/**
 * The EKS-optimized Amazon Linux 2023 release the EC2NodeClass pins (`al2023@v<date>`,
 * https://github.com/awslabs/amazon-eks-ami/releases); a new value rolls every Karpenter node.
 */
export const defaultAmiAlias = "al2023@v20260903";

/** Defaults of the two pools (the production stack file states its own). */
export const defaultNodePools: Record<"general" | "dataStores", z.input<typeof nodePoolSchema>> = {
    general: { capacityTypes: ["spot", "on-demand"], limits: { cpu: 160, memoryGiB: 640 } },
    dataStores: {
        capacityTypes: ["on-demand"],
        instanceCategories: ["m", "r"],
        instanceCpu: [4, 8],
        limits: { cpu: 32, memoryGiB: 256 },
        consolidationPolicy: "WhenEmpty",
        consolidateAfter: "1h",
        maxDisruption: "1",
        expireAfter: "Never",
    },
};

/** `mcp-platform:cluster.karpenter` — node autoscaling for the workloads (docs/cluster.md). */
export const karpenterSchema = z
    .strictObject({
        /** @default defaultAmiAlias */
        amiAlias: z
            .string()
            .regex(/^al2023@v\d{8}$/, {
                message: 'expected a pinned Amazon Linux 2023 alias such as "al2023@v20260903"',
            })
            .default(defaultAmiAlias),
        /** Root volume of every Karpenter node (gp3, encrypted with the volume key). @default 100 */
        rootVolumeGiB: z.number().int().min(20).max(16384).default(100),
        /** @default defaultNodePools */
        nodePools: z
            .strictObject({
                /** Stateless MCP services (spot and on-demand). */
                general: nodePoolSchema.prefault(() => structuredClone(defaultNodePools.general)),
                /** Postgres and Redis: on-demand only, tainted so only the data stores land there. */
                dataStores: nodePoolSchema
                    .superRefine((pool, ctx) => {
                        if (
                            pool.capacityTypes.length !== 1 ||
                            pool.capacityTypes[0] !== "on-demand"
                        ) {
                            ctx.addIssue({
                                code: "custom",
                                path: ["capacityTypes"],
                                input: pool.capacityTypes,
                                message:
                                    'expected capacityTypes: ["on-demand"]: a spot reclaim would stop a database',
                            });
                        }
                    })
                    .prefault(() => structuredClone(defaultNodePools.dataStores)),
            })
            .prefault({}),
    })
    .prefault({});

/**
 * The deploy runner: one EC2 instance in an Auto Scaling group in the private subnets that
 * registers itself as a GitHub Actions runner labelled `mcp-<environment>`.
 */
const deployRunnerSchema = z.strictObject({
    /** `owner/repository` the runner registers with. */
    repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, {
        message: "expected a GitHub repository such as acme/mcp-platform",
    }),
    /**
     * SSM SecureString parameter holding a GitHub token that may create runner
     * registration tokens (fine-grained: Administration read/write on the repository).
     */
    tokenParameter: z.string().regex(/^\/[A-Za-z0-9_.\-/]+$/, {
        message:
            "expected an SSM parameter name such as /mcp-platform/production/github-runner-token",
    }),
    /** actions/runner release, e.g. "2.330.0". */
    version: z
        .string()
        .regex(/^\d+\.\d+\.\d+$/, { message: 'expected a version such as "2.330.0"' }),
    /** SHA-256 of actions-runner-linux-x64-<version>.tar.gz, from the release notes. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, {
        message: "expected the 64-hex-digit SHA-256 the release notes list for linux-x64",
    }),
    /** @default "t3.large" */
    instanceType: z.string().default("t3.large"),
});

/** `mcp-platform:cluster` — the EKS control plane and its node groups. */
export const clusterSchema = z
    .strictObject({
        /** Kubernetes minor version of the control plane, e.g. "1.35". */
        version: z
            .string()
            .regex(/^1\.\d{2}$/, { message: 'expected a Kubernetes version such as "1.35"' }),
        /**
         * CIDRs allowed to reach the public API endpoint, each a /16 or narrower and never
         * together the whole internet. Empty keeps the endpoint private-only (CIS 5.4.2).
         * @default []
         */
        endpointPublicAccessCidrs: z
            .array(
                ipv4Cidr.refine((cidr) => Number(cidr.split("/")[1]) >= widestAllowedPrefix, {
                    message: `expected a restricted CIDR, /${widestAllowedPrefix} or narrower; wider ranges open the API to much of the internet`,
                }),
            )
            .refine((cidrs) => !coversInternet(cidrs), {
                message:
                    "expected CIDRs that leave most of the internet out; together these cover every address",
            })
            .default([]),
        /**
         * The first deploy of a new account (docs/cluster.md, "First deploy"): the API's
         * public endpoint opens to the operator's single address for the `pulumi up` that
         * creates the cluster and the in-VPC deploy runner; unset it and deploy again from
         * the runner to close it. @default unset (private endpoint only)
         */
        bootstrap: z
            .strictObject({
                /** The operator's public address as a /32, e.g. 203.0.113.7/32. */
                operatorCidr: ipv4Cidr.refine((cidr) => cidr.endsWith("/32"), {
                    message: "expected one address as a /32 such as 203.0.113.7/32",
                }),
            })
            .optional(),
        /**
         * IAM roles of pull-request previews: an access entry with read-only access to
         * what `pulumi preview` diffs (objects and Helm release Secrets). @default []
         */
        previewRoleArns: z.array(iamRoleArn).default([]),
        /** The self-hosted GitHub Actions runner inside the VPC that deploys run on. */
        deployRunner: deployRunnerSchema.optional(),
        /** IAM roles granted cluster-admin through EKS access entries. At least one. */
        adminRoleArns: z.array(iamRoleArn).min(1),
        /** Control-plane log retention in CloudWatch. @default 90 */
        logRetentionDays: z.number().int().min(1).max(3653).default(90),
        nodeGroups: z.strictObject({
            /** Runs cluster add-ons (CoreDNS, monitoring, ingress) and the Karpenter controller. */
            system: nodeGroupSchema,
            /** An on-demand baseline for the MCP services; Karpenter adds the rest. */
            workload: nodeGroupSchema,
        }),
        /** Karpenter's NodePools and EC2NodeClass. @default defaultNodePools, defaultAmiAlias */
        karpenter: karpenterSchema,
        /** EKS managed add-on versions. @default defaultAddonVersions */
        addons: addonsSchema,
        /** Helm chart versions of the in-cluster add-ons. @default defaultChartVersions */
        charts: chartsSchema,
        /** Prometheus retention and volume size. @default { retention: "15d", storageGiB: 100 } */
        prometheus: prometheusSchema,
        /** The ECR pull-through cache every pod image is pulled through (config/image-cache.ts). */
        imageCache: imageCacheSchema,
    })
    .superRefine((cluster, ctx) => {
        const minor = `v${cluster.version}.`;
        if (!cluster.addons.kubeProxy.startsWith(minor)) {
            ctx.addIssue({
                code: "custom",
                path: ["addons", "kubeProxy"],
                input: cluster.addons.kubeProxy,
                message: `expected a kube-proxy add-on version for Kubernetes ${cluster.version} (${minor}N-eksbuild.N)`,
            });
        }
    });

export type NodeGroupConfig = z.output<typeof nodeGroupSchema>;
