import * as fs from "node:fs";
import * as path from "node:path";
import type { ArtifactWriter } from "./types";

/** The component whose (credential-free) `alertmanagerYaml` input is the configuration. */
const componentType = "mcp-platform:monitoring:AlertmanagerConfig";

/**
 * The rendered Alertmanager configuration, as `amtool check-config` and
 * `amtool config routes test` read it. It holds no credential: receivers read theirs from
 * files of the `alertmanager-receivers` Secret.
 */
export const alertmanagerWriter: ArtifactWriter = {
    name: "alertmanager",
    write({ outDir, records }) {
        const configs = records.filter((r) => r.type === componentType);
        if (configs.length === 0) return [];
        if (configs.length > 1) {
            throw new Error(
                `expected one ${componentType}; found ${configs.map((r) => r.name).join(", ")}`,
            );
        }
        const text = configs[0].inputs.alertmanagerYaml;
        if (typeof text !== "string") {
            throw new Error(`${componentType} ${configs[0].name} has no alertmanagerYaml input`);
        }
        const file = path.join("alertmanager", "alertmanager.yaml");
        fs.mkdirSync(path.join(outDir, "alertmanager"), { recursive: true });
        fs.writeFileSync(path.join(outDir, file), text);
        return [file];
    },
};
