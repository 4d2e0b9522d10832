import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { DatabaseControl } from "./types";

/**
 * {@link DatabaseControl} with kubectl: `kubectl exec -n mcp-production postgres-primary-0 -c
 * postgres -- bash /opt/mcp/ops/wal-promote.sh` (or wal-rearm.sh), with the stack's kubeconfig output written to
 * a private temporary file for the call (it authenticates with `aws eks get-token`).
 */
export class KubectlDatabase implements DatabaseControl {
    constructor(private readonly kubectl = "kubectl") {}

    promote(kubeconfig: unknown, stack: string): Promise<string> {
        return this.exec(kubeconfig, stack, "wal-promote.sh", "promoted");
    }

    rearm(kubeconfig: unknown, stack: string): Promise<string> {
        return this.exec(kubeconfig, stack, "wal-rearm.sh", "re-arm requested");
    }

    /** `bash /opt/mcp/ops/<script>` in the postgres container of postgres-primary-0. */
    private async exec(
        kubeconfig: unknown,
        stack: string,
        script: string,
        done: string,
    ): Promise<string> {
        if (kubeconfig === undefined || kubeconfig === null || kubeconfig === "") {
            throw new Error(
                `stack "${stack}" has no output "kubeconfig": deploy it first, or run ops/${script} by hand (docs/dr.md)`,
            );
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dr-kubeconfig-"));
        const file = path.join(dir, "config");
        fs.writeFileSync(
            file,
            typeof kubeconfig === "string" ? kubeconfig : JSON.stringify(kubeconfig),
            { mode: 0o600 },
        );
        try {
            const { status, stdout, stderr } = await this.run([
                "--kubeconfig",
                file,
                "exec",
                "--namespace",
                "mcp-production",
                "postgres-primary-0",
                "--container",
                "postgres",
                "--",
                "bash",
                `/opt/mcp/ops/${script}`,
            ]);
            if (status !== 0) throw new Error(lastMessage(stderr) ?? `kubectl exited ${status}`);
            return lastMessage(stdout) ?? done;
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    private run(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
        return new Promise((resolve, reject) => {
            const child = spawn(this.kubectl, args, { stdio: ["ignore", "pipe", "pipe"] });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d) => (stdout += d));
            child.stderr.on("data", (d) => (stderr += d));
            child.on("error", (error: NodeJS.ErrnoException) =>
                reject(
                    error.code === "ENOENT"
                        ? new Error(
                              "kubectl is not on PATH: install it (https://kubernetes.io/docs/tasks/tools/)",
                          )
                        : error,
                ),
            );
            child.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr }));
        });
    }
}

/** The `msg` (and the fields that explain it) of the last JSON log line, else the last line. */
export function lastMessage(output: string): string | undefined {
    const lines = output.split("\n").filter((l) => l.trim() !== "");
    const last = lines[lines.length - 1];
    if (last === undefined) return undefined;
    try {
        const entry = JSON.parse(last) as Record<string, unknown>;
        const extra = ["replay_segment", "newest_archived", "output"]
            .filter((k) => entry[k] !== undefined && entry[k] !== "")
            .map((k) => `${k} ${String(entry[k])}`);
        return [String(entry.msg ?? last), ...extra].join("; ");
    } catch {
        return last;
    }
}
