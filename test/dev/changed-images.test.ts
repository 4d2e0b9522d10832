import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { changedImages } from "../../dev/changed-images";
import { projectDir } from "../support/synth";

/** A scratch git repository holding the stack files and config/ at a base commit. */
function scratchRepo(): { dir: string; edit: (file: string, from: string, to: string) => void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "changed-images-"));
    for (const file of ["Pulumi.yaml", "Pulumi.production.yaml", "Pulumi.dr.yaml"]) {
        fs.copyFileSync(path.join(projectDir, file), path.join(dir, file));
    }
    fs.cpSync(path.join(projectDir, "config"), path.join(dir, "config"), { recursive: true });
    const git = (...args: string[]) =>
        execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
            cwd: dir,
            stdio: "ignore",
        });
    git("init", "-q");
    git("add", "-A");
    git("commit", "-q", "-m", "base");
    return {
        dir,
        edit: (file, from, to) => {
            const target = path.join(dir, file);
            const text = fs.readFileSync(target, "utf8");
            expect(text).toContain(from);
            fs.writeFileSync(target, text.replace(from, to));
        },
    };
}

describe("npm run changed-images", () => {
    it("lists nothing when no image changed", () => {
        const repo = scratchRepo();
        expect(changedImages("HEAD", repo.dir)).toEqual([]);
    });

    it("lists a new tag once, however many stack files pin it", () => {
        const repo = scratchRepo();
        repo.edit(
            "Pulumi.production.yaml",
            "image: redis:7.2.5-bookworm",
            "image: redis:7.2.6-bookworm",
        );
        repo.edit("Pulumi.dr.yaml", "image: redis:7.2.5-bookworm", "image: redis:7.2.6-bookworm");
        expect(changedImages("HEAD", repo.dir)).toEqual(["redis:7.2.6-bookworm"]);
    });

    it("matches whole references: a registry's path is not the image", () => {
        const repo = scratchRepo();
        for (const file of ["Pulumi.production.yaml", "Pulumi.dr.yaml"]) {
            repo.edit(
                file,
                "collectorImage: fluent/fluent-bit:5.1.1",
                "collectorImage: ghcr.io/fluent/fluent-bit:5.1.1",
            );
        }
        expect(changedImages("HEAD", repo.dir)).toEqual(["ghcr.io/fluent/fluent-bit:5.1.1"]);
    });
});
