import { UsageError } from "./errors";
import { optionFlags, type OptionSpecs } from "./options";

/**
 * Shell completion scripts generated from the same specs the parser and `--help` read:
 * the commands, their subcommands, every option (long and short) and the values an option
 * offers (`--stack production|dr`, `-o json|yaml`, a file for `--kubeconfig`). zsh runs the
 * bash function through its `bashcompinit`, so both shells complete alike.
 */
export interface CompletionCommand {
    readonly name: string;
    readonly options: OptionSpecs;
    /** Words that may follow, each with options of its own (`backup status`, `dr activate`). */
    readonly subcommands?: readonly CompletionCommand[];
    /** Plain words offered for arguments (`postgres redis app-data`, `bash zsh`). */
    readonly words?: readonly string[];
}

export const shells = ["bash", "zsh"] as const;

const safeWord = /^[A-Za-z0-9._:/@+-]+$/;

function wordList(words: readonly string[]): string {
    for (const word of words) {
        if (!safeWord.test(word)) throw new Error(`completion: "${word}" is not a plain word`);
    }
    return words.join(" ");
}

/** The `case "$path"` branch of one command: values after options, then options or words. */
function branch(path: string, command: CompletionCommand): string[] {
    const valueCases: string[] = [];
    const flags: string[] = [];
    for (const [name, spec] of Object.entries(command.options)) {
        const names = optionFlags(name, spec);
        flags.push(...names);
        if (spec.type !== "string") continue;
        const action = spec.choices
            ? `COMPREPLY=($(compgen -W "${wordList(spec.choices)}" -- "$cur"))`
            : spec.file
              ? `COMPREPLY=($(compgen -f -- "$cur"))`
              : ":";
        valueCases.push(`                ${names.join("|")}) ${action}; return 0 ;;`);
    }
    const words = [...(command.subcommands ?? []).map((s) => s.name), ...(command.words ?? [])];
    return [
        `        "${path}")`,
        ...(valueCases.length
            ? ['            case "$prev" in', ...valueCases, "            esac"]
            : []),
        '            if [[ "$cur" == -* ]]; then',
        `                COMPREPLY=($(compgen -W "${wordList(flags)}" -- "$cur"))`,
        ...(words.length
            ? [
                  "            else",
                  `                COMPREPLY=($(compgen -W "${wordList(words)}" -- "$cur"))`,
              ]
            : []),
        "            fi",
        "            ;;",
    ];
}

function bashFunction(program: string, commands: readonly CompletionCommand[], top: string[]) {
    const fn = `_${program.replace(/[^A-Za-z0-9_]/g, "_")}_complete`;
    const nested = commands.flatMap((c) =>
        (c.subcommands ?? []).map((s) => ({ path: `${c.name} ${s.name}`, command: s })),
    );
    const branches = [...commands.map((c) => ({ path: c.name, command: c })), ...nested].flatMap(
        ({ path, command }) => branch(path, command),
    );
    return {
        fn,
        text: [
            `${fn}() {`,
            '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" path',
            "    COMPREPLY=()",
            "    if ((COMP_CWORD == 1)); then",
            `        COMPREPLY=($(compgen -W "${wordList([...commands.map((c) => c.name), ...top])}" -- "$cur"))`,
            "        return 0",
            "    fi",
            '    path="${COMP_WORDS[1]}"',
            ...(nested.length
                ? [
                      "    if ((COMP_CWORD > 2)); then",
                      '        case "$path ${COMP_WORDS[2]}" in',
                      `            ${nested.map((n) => `"${n.path}"`).join("|")}) path="$path \${COMP_WORDS[2]}" ;;`,
                      "        esac",
                      "    fi",
                  ]
                : []),
            '    case "$path" in',
            ...branches,
            "    esac",
            "    return 0",
            "}",
            `complete -F ${fn} ${program}`,
        ].join("\n"),
    };
}

/**
 * The script for `shell`: `source <(<program> completion bash)` in ~/.bashrc, or
 * `source <(<program> completion zsh)` in ~/.zshrc. `top` are the words offered in the
 * first position besides the commands (`--help`, `--version`).
 */
export function completionScript(
    shell: string,
    program: string,
    commands: readonly CompletionCommand[],
    top: string[] = [],
): string {
    const { text } = bashFunction(program, commands, top);
    switch (shell) {
        case "bash":
            return [
                `# bash completion for ${program}: source <(${program} completion bash)`,
                text,
            ].join("\n");
        case "zsh":
            return [
                `#compdef ${program}`,
                `# zsh completion for ${program}: source <(${program} completion zsh)`,
                "autoload -U +X compinit && compinit",
                "autoload -U +X bashcompinit && bashcompinit",
                text,
            ].join("\n");
        default:
            throw new UsageError(`completion expects one of ${shells.join(", ")}, got "${shell}"`);
    }
}
