import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { builtEngine, pinnedGoModule, systemTool } from "../harness/engines";

/**
 * The engines `npm run engines` built are the versions pinned under tools/engines/: each
 * binary's own version output names the module version of its go.mod.
 */
function versionOf(bin: string, args: string[]): string {
    const child = spawnSync(bin, args, { encoding: "utf8", timeout: 30_000 });
    return `${child.stdout}${child.stderr}`.trim();
}

describe("engines built from the pinned Go modules", () => {
    it("kube-apiserver, kube-controller-manager and kube-scheduler are the pinned Kubernetes", () => {
        const { version } = pinnedGoModule("kubernetes", "k8s.io/kubernetes");
        for (const name of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
            expect(versionOf(builtEngine(name), ["--version"])).toBe(`Kubernetes ${version}`);
        }
    });

    it("kwok is the pinned kwok", () => {
        const { version } = pinnedGoModule("kwok", "sigs.k8s.io/kwok");
        expect(versionOf(builtEngine("kwok"), ["--version"])).toContain(version.slice(1));
    });

    it("pulumi is the CLI of @pulumi/pulumi's version", () => {
        const { version } = pinnedGoModule("pulumi", "github.com/pulumi/pulumi/pkg/v3");
        const npmVersion = JSON.parse(
            fs.readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8"),
        ).version;
        expect(version).toBe(`v${npmVersion}`);
        expect(versionOf(builtEngine("pulumi"), ["version"])).toBe(version);
    });

    it("etcd is Debian's etcd-server", () => {
        expect(versionOf(systemTool("etcd", "apt-get install etcd-server"), ["--version"])).toMatch(
            /etcd Version: 3\.\d+\.\d+/,
        );
    });

    it("a missing engine fails with how to build it", () => {
        expect(() => builtEngine("no-such-engine")).toThrow(/Run `npm run engines`/);
    });
});
