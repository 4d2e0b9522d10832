import { type OptionSpecs } from "./options";

/** What `--help` shows of a command, besides its options. */
export interface CommandHelp {
    /** Every usage form, each a whole command line, e.g. `mcp restart --all [--rolling]`. */
    readonly synopsis: readonly string[];
    readonly summary: string;
    /** Paragraphs after the options (what it reads, exit codes). */
    readonly notes?: readonly string[];
}

/** `-h, --help` and `--version`, which every entry point takes. */
export const helpOptions = {
    help: { type: "boolean", short: "h", help: "this help" },
    version: { type: "boolean", help: "the version of this repository's tools" },
} as const satisfies OptionSpecs;

/** `-o, --output json|yaml` as the option column shows it. */
export function optionLabel(name: string, spec: OptionSpecs[string]): string {
    const flags = `${spec.short ? `-${spec.short}, ` : ""}--${name}`;
    return spec.value ? `${flags} ${spec.value}` : flags;
}

/** The option lines of a help text, their descriptions aligned. */
export function optionLines(options: OptionSpecs): string[] {
    const entries = Object.entries(options);
    const width = Math.max(...entries.map(([name, spec]) => optionLabel(name, spec).length));
    return entries.map(
        ([name, spec]) => `  ${optionLabel(name, spec).padEnd(width)}  ${spec.help}`,
    );
}

/** A command's `--help`: every usage form, the summary, every option, the notes. */
export function renderHelp(help: CommandHelp, options: OptionSpecs): string {
    return [
        `usage: ${help.synopsis.join("\n       ")}`,
        "",
        help.summary,
        "",
        "options:",
        ...optionLines(options),
        ...(help.notes?.length ? ["", ...help.notes] : []),
    ].join("\n");
}
