import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readStackConfig, StackFileError } from "../../tools/lib/stack-file";
import { projectDir, synth } from "../support/synth";

/** Writes `content` as a stack file in a temporary folder; returns its path. */
function stackFile(content: string | Buffer): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-file-"));
    const file = path.join(dir, "Pulumi.production.yaml");
    fs.writeFileSync(file, content);
    return file;
}

function errorOf(file: string): Error {
    try {
        readStackConfig(projectDir, file);
    } catch (error) {
        expect(error).toBeInstanceOf(StackFileError);
        return error as Error;
    }
    throw new Error("expected the stack file to be refused");
}

describe("a stack file that is not valid YAML", () => {
    it.each([
        [
            "a duplicate key",
            "config:\n  aws:region: us-east-1\n  aws:region: us-west-2\n",
            "3:3: Map keys must be unique",
        ],
        [
            "bad indentation",
            "config:\n  aws:region: us-east-1\n   mcp-platform:owner: x\n",
            "2:15: Nested mappings are not allowed in compact mappings",
        ],
        [
            "an unclosed flow map",
            "config:\n  mcp-platform:network: {vpcCidr: 10.0.0.0/16\n",
            "3:1: Flow map in block collection must be sufficiently indented and end with a }",
        ],
    ])("with %s is refused in one line naming the file, line and column", (_, text, problem) => {
        const file = stackFile(text);
        const error = errorOf(file);
        expect(error.message).toBe(`${path.relative(process.cwd(), file)}:${problem}`);
        expect(error.message).not.toContain("\n");
    });

    it("that is not UTF-8 is refused in one line naming the file", () => {
        const file = stackFile(Buffer.from("config:\n  mcp-platform:owner: caf\xe9\n", "latin1"));
        expect(errorOf(file).message).toBe(
            `${path.relative(process.cwd(), file)}: not valid UTF-8 text; save the file as UTF-8`,
        );
    });

    it("fails the synth with that line alone, without a stack trace", () => {
        const file = stackFile("config:\n  aws:region: us-east-1\n  aws:region: us-west-2\n");
        // The harness caches runs by file content; the path in a comment keeps this run its own.
        fs.appendFileSync(file, `# ${file}\n`);
        const result = synth("production", { stackFile: file });
        expect(result.status).toBe(1);
        expect(result.stdout).toBe("");
        expect(result.stderr).toBe(
            `${path.relative(projectDir, file)}:3:3: Map keys must be unique\n`,
        );
    });
});
