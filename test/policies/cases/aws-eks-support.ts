import { eksStandardSupport, eksStandardSupportEnding } from "../../../policies/aws-eks-support";
import type { PolicyCases } from "../lib/cases";
import { hardenedCluster } from "../lib/fixtures";

/**
 * The EKS standard-support dates (1.33 → 2026-07-29, 1.34 → 2026-12-02, 1.35 → 2027-03-27),
 * judged on fixed days so the cases mean the same on every day they run.
 */
const on = (today: string) => ({ today });
const cluster = (version: string) => hardenedCluster((c) => (c.version = version));

export const eksSupportCases: PolicyCases[] = [
    {
        policy: eksStandardSupport,
        pass: [
            { title: "1.35 on 2026-12-01", resources: [cluster("1.35")], config: on("2026-12-01") },
            {
                title: "1.34 on its last day of standard support",
                resources: [cluster("1.34")],
                config: on("2026-12-02"),
            },
            {
                title: "a minor added through the config table",
                resources: [cluster("1.36")],
                config: { today: "2027-01-10", standardSupportEnds: { "1.36": "2027-07-30" } },
            },
        ],
        fail: [
            {
                title: "1.33 after 2026-07-29",
                resources: [cluster("1.33")],
                config: on("2026-12-01"),
                expect: /must run a Kubernetes minor in standard support: 1\.33 left it on 2026-07-29 \(125 days before 2026-12-01\)\. Upgrade towards 1\.35\./,
            },
            {
                title: "1.34 the day after its end",
                resources: [cluster("1.34")],
                config: on("2026-12-03"),
                expect: /1\.34 left it on 2026-12-02 \(1 day before 2026-12-03\)/,
            },
            {
                title: "a version the table does not know",
                resources: [cluster("1.29")],
                config: on("2026-12-01"),
                expect: /runs Kubernetes 1\.29, which has no standard-support end date in the policy's table: it must be added/,
            },
            {
                title: "no explicit upgradePolicy",
                resources: [hardenedCluster((c) => delete c.upgradePolicy)],
                config: on("2026-12-01"),
                expect: /must set upgradePolicy\.supportType explicitly/,
            },
        ],
    },
    {
        policy: eksStandardSupportEnding,
        pass: [
            {
                title: "1.35 with 116 days left",
                resources: [cluster("1.35")],
                config: on("2026-12-01"),
            },
            {
                title: "1.33 already past its end (the mandatory policy reports that)",
                resources: [cluster("1.33")],
                config: on("2026-12-01"),
            },
        ],
        fail: [
            {
                title: "1.34 with one day left",
                resources: [cluster("1.34")],
                config: on("2026-12-01"),
                expect: /should be upgraded soon: Kubernetes 1\.34 leaves standard support on 2026-12-02, in 1 day/,
            },
            {
                title: "1.35 exactly 90 days before its end",
                resources: [cluster("1.35")],
                config: on("2026-12-27"),
                expect: /1\.35 leaves standard support on 2027-03-27, in 90 days/,
            },
            {
                title: "a shorter warning period from the config",
                resources: [cluster("1.35")],
                config: { today: "2027-03-20", warningDays: 7 },
                expect: /in 7 days/,
            },
        ],
    },
];
