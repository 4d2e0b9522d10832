import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { kubernetesManifests } from "./kubernetes";
import type { ArtifactWriter } from "./types";

/**
 * Every rule group of every PrometheusRule, as one plain Prometheus rule file that
 * `promtool check rules` and `promtool test rules` read directly.
 */
export const prometheusRulesWriter: ArtifactWriter = {
    name: "prometheus",
    write({ outDir, records }) {
        const groups = kubernetesManifests(records)
            .filter((m) => m.kind === "PrometheusRule")
            .flatMap((m) => (m.spec as { groups?: unknown[] } | undefined)?.groups ?? []);
        if (groups.length === 0) return [];
        const file = path.join("prometheus", "rules.yaml");
        fs.mkdirSync(path.join(outDir, "prometheus"), { recursive: true });
        fs.writeFileSync(path.join(outDir, file), stringify({ groups }, { lineWidth: 0 }));
        return [file];
    },
};
