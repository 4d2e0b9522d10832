import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { synth } from "../support/synth";

/**
 * The synth's manifests read the same under YAML 1.1, as Go's parsers in kubectl and the
 * Kubernetes provider read them, as under YAML 1.2; and StatefulSet claim templates, which the
 * API server never lets change, carry no label that follows an image tag.
 */
type Obj = Record<string, any>;

function manifests(dir: string, version: "1.1" | "1.2"): Obj[] {
    const out: Obj[] = [];
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const full = path.join(d, e.name);
            if (e.isDirectory()) walk(full);
            else if (e.name.endsWith(".yaml")) {
                for (const doc of parseAllDocuments(fs.readFileSync(full, "utf8"), { version })) {
                    out.push(doc.toJS() as Obj);
                }
            }
        }
    };
    walk(dir);
    return out;
}

describe("the production synth's Kubernetes manifests", () => {
    const run = synth("production");
    const dir = path.join(run.outDir, "k8s");

    it("parse to the same objects under YAML 1.1 and 1.2", () => {
        expect(run.status, run.stderr).toBe(0);
        const v11 = manifests(dir, "1.1");
        expect(v11.length).toBeGreaterThan(50);
        expect(v11).toEqual(manifests(dir, "1.2"));
        const vpas = v11.filter((m) => m.kind === "VerticalPodAutoscaler");
        expect(vpas.length).toBeGreaterThan(0);
        for (const vpa of vpas) expect(vpa.spec.updatePolicy.updateMode).toBe("Off");
    });

    it("put no version label on StatefulSet claim templates", () => {
        const sets = manifests(dir, "1.2").filter((m) => m.kind === "StatefulSet");
        expect(sets.length).toBeGreaterThan(0);
        for (const set of sets) {
            for (const claim of set.spec.volumeClaimTemplates ?? []) {
                expect(claim.metadata.labels).not.toHaveProperty("app.kubernetes.io/version");
                expect(claim.metadata.labels["app.kubernetes.io/name"]).toBeTruthy();
            }
        }
    });
});
