import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { builtEngine, pinnedGoModule, systemTool } from "../support/engines";

/**
 * The engines `npm run engines` built are the versions pinned under dev/engines/: each
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

    it("pulumi-resource-kubernetes embeds the schema of its pinned release and serves", async () => {
        const bin = builtEngine("pulumi-resource-kubernetes");
        // The Go module proxy serves provider/v4 only as the v4.25.0 tag's pseudo-version.
        const { version } = pinnedGoModule(
            "kubernetes-provider",
            "github.com/pulumi/pulumi-kubernetes/provider/v4",
        );
        expect(version).toBe("v4.0.0-20260115033456-f47bc2d6f199");
        expect(fs.readFileSync(bin).includes('"version":"4.25.0"')).toBe(true);
        // What we ship is what we test: @pulumi/kubernetes (and the pack's copy) asks for
        // exactly the provider built here.
        for (const manifest of ["package.json", "policies/package.json"]) {
            const pins = JSON.parse(fs.readFileSync(manifest, "utf8")).dependencies;
            expect(pins["@pulumi/kubernetes"], manifest).toBe("4.25.0");
        }
        const sdk = JSON.parse(
            fs.readFileSync(require.resolve("@pulumi/kubernetes/package.json"), "utf8"),
        );
        expect(sdk.pulumi).toMatchObject({ name: "kubernetes", version: "4.25.0" });
        // A Pulumi plugin prints the port of its gRPC server on stdout once it serves.
        const child = spawn(bin, [], { stdio: ["ignore", "pipe", "pipe"] });
        try {
            const port = await new Promise<string>((resolve, reject) => {
                let out = "";
                child.stdout.on("data", (d: Buffer) => {
                    out += d.toString();
                    if (out.includes("\n")) resolve(out.trim());
                });
                child.on("exit", (code) => reject(new Error(`exited ${code} before serving`)));
                setTimeout(() => reject(new Error("no port after 20 s")), 20_000);
            });
            expect(port).toMatch(/^\d+$/);
        } finally {
            child.kill();
        }
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
