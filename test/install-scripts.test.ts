import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { projectDir } from "./support/synth";

/**
 * No dependency install script runs (README, "Install scripts"): the .npmrc of the project and
 * of the policy pack set `ignore-scripts`, which npm enforces (`allowScripts` in package.json is
 * advisory: a denied postinstall still runs). Shown with the real npm on a scratch project, and
 * the packages that ship install scripts work without them.
 */

const npm = (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
    spawnSync("npm", args, {
        cwd,
        encoding: "utf8",
        env: { ...process.env, ...env, npm_config_cache: path.join(cwd, ".npm-cache") },
        timeout: 120_000,
    });

/** Packages of a lockfile that declare install scripts, and why we need none of them. */
const reviewed: Record<string, string> = {
    "@pulumi/kubernetes": "installs the provider plugin; the Pulumi CLI acquires plugins itself",
    esbuild: "optimizes its launcher; the binary comes from @esbuild/<platform>",
    protobufjs: "prints notes",
    sharp: "checks for its prebuilt binary from @img/sharp-<platform>",
    workerd: "optimizes its launcher; the binary comes from @cloudflare/workerd-<platform>",
};

function scripted(lockfile: string): string[] {
    const lock = JSON.parse(fs.readFileSync(path.join(projectDir, lockfile), "utf8"));
    return Object.entries<{ hasInstallScript?: boolean }>(lock.packages)
        .filter(([key, entry]) => key && entry.hasInstallScript)
        .map(([key]) => key.replace(/^.*node_modules\//, ""))
        .sort();
}

describe("install scripts", () => {
    it.each([".", "policies"])("npm reads ignore-scripts=true for %s", (dir) => {
        const prefix = path.join(projectDir, dir);
        const result = npm(["config", "get", "ignore-scripts", "--prefix", prefix], os.tmpdir());
        expect(result.status, result.stderr).toBe(0);
        expect(result.stdout.trim()).toBe("true");
    });

    it("skips a dependency's postinstall under this repository's .npmrc (npm ci)", () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "install-scripts-"));
        const dep = path.join(tmp, "dep");
        const project = path.join(tmp, "project");
        const marker = path.join(tmp, "postinstall-ran");
        fs.mkdirSync(dep);
        fs.mkdirSync(project);
        fs.writeFileSync(
            path.join(dep, "package.json"),
            JSON.stringify({
                name: "scripted-dep",
                version: "1.0.0",
                scripts: {
                    postinstall: `node -e "require('fs').writeFileSync(process.env.MARKER, 'ran')"`,
                },
            }),
        );
        const pack = npm(["pack", "--silent"], dep);
        expect(pack.status, pack.stderr).toBe(0);
        fs.copyFileSync(path.join(projectDir, ".npmrc"), path.join(project, ".npmrc"));
        fs.writeFileSync(
            path.join(project, "package.json"),
            JSON.stringify({
                name: "project",
                version: "1.0.0",
                private: true,
                dependencies: { "scripted-dep": "file:../dep/scripted-dep-1.0.0.tgz" },
                // What package.json said before: advisory only.
                allowScripts: { "scripted-dep": false },
            }),
        );
        const lock = npm(["install", "--package-lock-only", "--ignore-scripts"], project);
        expect(lock.status, lock.stderr).toBe(0);
        const ci = npm(["ci"], project, { MARKER: marker });
        expect(ci.status, ci.stderr).toBe(0);
        expect(fs.existsSync(path.join(project, "node_modules/scripted-dep"))).toBe(true);
        expect(fs.existsSync(marker), "the postinstall ran").toBe(false);
        fs.rmSync(tmp, { recursive: true, force: true });
    }, 180_000);

    it("reviews every dependency that ships an install script", () => {
        expect(
            [
                ...new Set([
                    ...scripted("package-lock.json"),
                    ...scripted("policies/package-lock.json"),
                ]),
            ].sort(),
        ).toEqual(Object.keys(reviewed).sort());
    });

    it("runs esbuild and workerd without their install scripts", () => {
        const version = (pkg: string) =>
            JSON.parse(
                fs.readFileSync(path.join(projectDir, "node_modules", pkg, "package.json"), "utf8"),
            ).version as string;
        const bin = (name: string) => path.join(projectDir, "node_modules/.bin", name);
        const esbuild = spawnSync(bin("esbuild"), ["--version"], { encoding: "utf8" });
        expect(esbuild.stdout.trim(), esbuild.stderr).toBe(version("esbuild"));
        const workerd = spawnSync(bin("workerd"), ["--version"], { encoding: "utf8" });
        expect(workerd.status, workerd.stderr).toBe(0);
        // workerd 1.YYYYMMDD.N reports its compatibility date YYYY-MM-DD.
        const date = /^1\.(\d{4})(\d{2})(\d{2})\./.exec(version("workerd"))!;
        expect(workerd.stdout.trim()).toBe(`workerd ${date[1]}-${date[2]}-${date[3]}`);
    });
});
