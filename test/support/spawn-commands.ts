import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { relativeImports } from "../../dev/lib/test-tiers";

/**
 * The programs a TypeScript module starts: the first argument of every `spawn`, `spawnSync`,
 * `execFile`, `execFileSync`, `exec`, `execSync` call (including `promisify(execFile)(…)`),
 * resolved through string literals, `a ?? "x"`, conditionals, `path.join(dir, "x")`, constants
 * (also imported ones), destructured conditionals, `for … of [literal]` loops, class fields and
 * parameter defaults, and — for a parameter without a default — the arguments callers pass. A
 * module that imports the Pulumi Automation API starts `pulumi`. What cannot be resolved is
 * reported, never guessed.
 */

export interface Spawn {
    /** The command: a name looked up on PATH, or an absolute path. */
    readonly command: string;
    /** `file:line` of the call, relative to the root. */
    readonly at: string;
}

export interface SpawnReport {
    readonly spawns: Spawn[];
    /** Calls whose command could not be resolved, as `file:line: expression`. */
    readonly unresolved: string[];
}

const spawnFunctions = new Set([
    "spawn",
    "spawnSync",
    "execFile",
    "execFileSync",
    "exec",
    "execSync",
]);

/** Functions that return the path of the program their first argument names. */
const lookups = new Set(["systemTool", "builtEngine"]);

type Source = { file: string; sf: ts.SourceFile };

function load(file: string): Source {
    return {
        file,
        sf: ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true),
    };
}

function resolveImport(from: string, specifier: string): string | undefined {
    const base = path.resolve(path.dirname(from), specifier);
    return [base, `${base}.ts`, `${base}.mts`, `${base}.mjs`, path.join(base, "index.ts")].find(
        (f) => fs.existsSync(f) && fs.statSync(f).isFile(),
    );
}

/** `entry` and every module it reaches through relative imports. */
export function reachableModules(
    entry: string,
    skip: (file: string) => boolean = () => false,
): string[] {
    const seen = new Set<string>();
    const visit = (file: string) => {
        if (seen.has(file) || skip(file)) return;
        seen.add(file);
        for (const spec of relativeImports(fs.readFileSync(file, "utf8"))) {
            const target = resolveImport(file, spec);
            if (target) visit(target);
        }
    };
    visit(path.resolve(entry));
    return [...seen].sort();
}

function walk(node: ts.Node, f: (n: ts.Node) => void): void {
    f(node);
    node.forEachChild((c) => walk(c, f));
}

function calleeName(call: ts.CallExpression): string | undefined {
    let callee: ts.Expression = call.expression;
    // promisify(execFile)(…)
    if (ts.isCallExpression(callee) && callee.arguments.length === 1) {
        const inner = callee.arguments[0];
        if (ts.isIdentifier(inner)) return inner.text;
        callee = callee.expression;
    }
    if (ts.isIdentifier(callee)) return callee.text;
    if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
    return undefined;
}

/** Resolves an expression to the strings it can take; undefined when it cannot. */
class Resolver {
    constructor(private readonly modules: Map<string, Source>) {}

    values(expr: ts.Expression, src: Source, depth = 0): string[] | undefined {
        if (depth > 12) return undefined;
        const again = (e: ts.Expression, s = src) => this.values(e, s, depth + 1);
        if (ts.isStringLiteralLike(expr)) return [expr.text];
        if (
            ts.isParenthesizedExpression(expr) ||
            ts.isAsExpression(expr) ||
            ts.isNonNullExpression(expr)
        ) {
            return again(expr.expression);
        }
        // `undefined` where a caller passes no program (`cond ? builtEngine("x") : undefined`).
        if (ts.isIdentifier(expr) && expr.text === "undefined") return [];
        if (ts.isPropertyAccessExpression(expr) && expr.getText(src.sf) === "process.execPath") {
            return ["node"];
        }
        if (ts.isBinaryExpression(expr)) {
            const op = expr.operatorToken.kind;
            if (op === ts.SyntaxKind.QuestionQuestionToken || op === ts.SyntaxKind.BarBarToken) {
                // The left side is an optional override; the right side is what runs by default.
                const right = again(expr.right);
                const left = again(expr.left);
                return right ? [...(left ?? []), ...right] : undefined;
            }
            return undefined;
        }
        if (ts.isConditionalExpression(expr)) {
            const a = again(expr.whenTrue);
            const b = again(expr.whenFalse);
            return a && b ? [...a, ...b] : undefined;
        }
        if (ts.isCallExpression(expr) && /^path\.(join|resolve)$/.test(expr.expression.getText())) {
            const parts = expr.arguments.map((a) => again(a));
            if (parts.some((p) => p === undefined || p.length !== 1)) return undefined;
            return [path.posix.join(...parts.map((p) => p![0]))];
        }
        if (
            ts.isPropertyAccessExpression(expr) &&
            expr.expression.kind === ts.SyntaxKind.ThisKeyword
        ) {
            return this.member(expr.name.text, expr, src, depth);
        }
        if (ts.isIdentifier(expr)) return this.identifier(expr.text, expr, src, depth);
        // The test harness's lookups (test/support/engines.ts): the program they name.
        if (
            ts.isCallExpression(expr) &&
            ts.isIdentifier(expr.expression) &&
            lookups.has(expr.expression.text) &&
            expr.arguments[0] &&
            ts.isStringLiteralLike(expr.arguments[0])
        ) {
            return [expr.arguments[0].text];
        }
        return undefined;
    }

    /** `this.name`: a class field or constructor parameter property with an initializer. */
    private member(name: string, at: ts.Node, src: Source, depth: number): string[] | undefined {
        let cls: ts.Node | undefined = at;
        while (cls && !ts.isClassLike(cls)) cls = cls.parent;
        if (!cls || !ts.isClassLike(cls)) return undefined;
        for (const m of cls.members) {
            if (ts.isPropertyDeclaration(m) && m.name.getText() === name && m.initializer) {
                return this.values(m.initializer, src, depth + 1);
            }
            if (ts.isConstructorDeclaration(m)) {
                for (const p of m.parameters) {
                    if (p.name.getText() === name && p.initializer) {
                        return this.values(p.initializer, src, depth + 1);
                    }
                }
            }
        }
        return undefined;
    }

    /** An identifier: the nearest declaration of that name in scope, or an import. */
    private identifier(
        name: string,
        at: ts.Node,
        src: Source,
        depth: number,
    ): string[] | undefined {
        for (let scope: ts.Node | undefined = at.parent; scope; scope = scope.parent) {
            const found = this.declarationIn(scope, name, at, src, depth);
            if (found !== null) return found;
        }
        return this.imported(name, src, depth);
    }

    /** `undefined`: declared here but unresolvable; `null`: not declared in this scope. */
    private declarationIn(
        scope: ts.Node,
        name: string,
        at: ts.Node,
        src: Source,
        depth: number,
    ): string[] | undefined | null {
        const again = (e: ts.Expression) => this.values(e, src, depth + 1);
        if (ts.isFunctionLike(scope)) {
            const index = scope.parameters.findIndex((p) => p.name.getText() === name);
            if (index >= 0) {
                const param = scope.parameters[index];
                if (param.initializer) return again(param.initializer);
                return this.callerArguments(scope, index, depth);
            }
        }
        if (ts.isForOfStatement(scope) && ts.isVariableDeclarationList(scope.initializer)) {
            const declared = scope.initializer.declarations[0];
            if (declared.name.getText() === name && ts.isArrayLiteralExpression(scope.expression)) {
                const all = scope.expression.elements.map((e) => again(e));
                return all.every(Boolean) ? all.flatMap((v) => v!) : undefined;
            }
        }
        let result: string[] | undefined | null = null;
        scope.forEachChild((child) => {
            if (result !== null || !ts.isVariableStatement(child)) return;
            for (const d of child.declarationList.declarations) {
                if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer) {
                    result = again(d.initializer) ?? undefined;
                } else if (ts.isArrayBindingPattern(d.name) && d.initializer) {
                    const index = d.name.elements.findIndex(
                        (e) => ts.isBindingElement(e) && e.name.getText() === name,
                    );
                    if (index < 0) continue;
                    result = this.element(d.initializer, index, src, depth) ?? undefined;
                }
            }
        });
        void at;
        return result;
    }

    /** Element `index` of an array literal, or of each branch of a conditional. */
    private element(expr: ts.Expression, index: number, src: Source, depth: number) {
        const branches = ts.isConditionalExpression(expr)
            ? [expr.whenTrue, expr.whenFalse]
            : [expr];
        const out: string[] = [];
        for (const b of branches) {
            if (!ts.isArrayLiteralExpression(b) || !b.elements[index]) return undefined;
            const v = this.values(b.elements[index], src, depth + 1);
            if (!v) return undefined;
            out.push(...v);
        }
        return out;
    }

    /** What callers pass for parameter `index` of a named function, in every loaded module. */
    private callerArguments(fn: ts.SignatureDeclaration, index: number, depth: number) {
        const name =
            fn.name?.getText() ??
            (ts.isVariableDeclaration(fn.parent) ? fn.parent.name.getText() : undefined);
        if (!name) return undefined;
        const out: string[] = [];
        let calls = 0;
        for (const src of this.modules.values()) {
            let failed = false;
            walk(src.sf, (n) => {
                if (!ts.isCallExpression(n) || calleeName(n) !== name || !n.arguments[index])
                    return;
                calls++;
                const v = this.values(n.arguments[index], src, depth + 1);
                if (v) out.push(...v);
                else failed = true;
            });
            if (failed) return undefined;
        }
        return calls > 0 ? out : undefined;
    }

    /** An imported constant: `export const name = …` in the module it comes from. */
    private imported(name: string, src: Source, depth: number): string[] | undefined {
        for (const statement of src.sf.statements) {
            if (!ts.isImportDeclaration(statement)) continue;
            const bindings = statement.importClause?.namedBindings;
            if (!bindings || !ts.isNamedImports(bindings)) continue;
            const element = bindings.elements.find((e) => e.name.text === name);
            if (!element) continue;
            const spec = (statement.moduleSpecifier as ts.StringLiteral).text;
            const target = spec.startsWith(".") ? resolveImport(src.file, spec) : undefined;
            if (!target) return undefined;
            const module = this.modules.get(target) ?? load(target);
            const original = element.propertyName?.text ?? name;
            return this.identifier(
                original,
                module.sf.statements[0] ?? module.sf,
                module,
                depth + 1,
            );
        }
        return undefined;
    }
}

/** The programs `files` start (absolute paths), with the calls that could not be resolved. */
export function spawnCommands(files: readonly string[], root: string): SpawnReport {
    const modules = new Map(files.map((f) => [f, load(f)] as const));
    const resolver = new Resolver(modules);
    const spawns: Spawn[] = [];
    const unresolved: string[] = [];
    for (const src of modules.values()) {
        const text = src.sf.text;
        const rel = path.relative(root, src.file);
        const lineOf = (n: ts.Node) => src.sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
        if (/from\s+["']@pulumi\/pulumi\/automation["']/.test(text)) {
            spawns.push({ command: "pulumi", at: `${rel}: the Pulumi Automation API` });
        }
        if (!/["'](node:)?child_process["']/.test(text)) continue;
        walk(src.sf, (n) => {
            if (!ts.isCallExpression(n) || n.arguments.length === 0) return;
            const name = calleeName(n);
            if (!name || !spawnFunctions.has(name)) return;
            // `RegExp.prototype.exec` and friends: only calls on a bare name or `child_process.`.
            const callee = n.expression;
            if (
                ts.isPropertyAccessExpression(callee) &&
                !/child_process|cp$/.test(callee.expression.getText())
            ) {
                return;
            }
            const values = resolver.values(n.arguments[0], src);
            if (!values) {
                unresolved.push(`${rel}:${lineOf(n)}: ${n.arguments[0].getText()}`);
                return;
            }
            for (const command of new Set(values)) {
                spawns.push({ command, at: `${rel}:${lineOf(n)}` });
            }
        });
    }
    return { spawns, unresolved };
}
