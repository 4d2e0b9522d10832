/**
 * Versions compared the way a tag list must be read: a tag is newer than the pin only when
 * it has the same shape (the same words and separators around its numbers: `15.13-bookworm`
 * against `15.14-bookworm`, never against `16-alpine` or `15.14-rc1`), and then by its numbers
 * in order. This is Renovate's docker versioning in spirit (the suffix must match), and it reads
 * semver tags, EKS add-on builds (`v1.20.4-eksbuild.2`), Go module versions and date-stamped
 * image builds (`15.14-202511100817-system-bookworm`) alike; pre-releases differ in shape and
 * are never offered.
 */
export interface VersionKey {
    /** The tag with each run of digits replaced by `#`. */
    readonly shape: string;
    readonly numbers: readonly number[];
}

export function versionKey(tag: string): VersionKey {
    const parts = tag.split(/(\d+)/);
    return {
        shape: parts.map((part, i) => (i % 2 === 1 ? "#" : part)).join(""),
        numbers: parts.filter((_, i) => i % 2 === 1).map(Number),
    };
}

/** Negative, 0 or positive as `a` is older than, the same as, or newer than `b`. */
export function compareNumbers(a: readonly number[], b: readonly number[]): number {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
        const d = (a[i] ?? 0) - (b[i] ?? 0);
        if (d !== 0) return d;
    }
    return 0;
}

/** Go's pseudo-version: a commit, not a release (`v4.0.0-20260115033456-f47bc2d6f199`). */
export const isPseudoVersion = (version: string) => /-(?:0\.)?\d{14}-[0-9a-f]{12}$/.test(version);

/** The versions of `available` newer than `current` with its shape, oldest first. */
export function newerVersions(current: string, available: readonly string[]): string[] {
    const key = versionKey(current);
    return [...new Set(available)]
        .map((version) => ({ version, key: versionKey(version) }))
        .filter(({ key: k }) => k.shape === key.shape && compareNumbers(k.numbers, key.numbers) > 0)
        .sort((a, b) => compareNumbers(a.key.numbers, b.key.numbers))
        .map(({ version }) => version);
}

/** The release line that semver calls compatible: the first number, or the second under 0.x. */
function line(numbers: readonly number[]): string {
    return numbers[0] === 0 ? `0.${numbers[1] ?? 0}` : String(numbers[0] ?? 0);
}

/** Whether `to` leaves `from`'s major line (0.x: its minor line): a breaking change by semver. */
export function crossesMajor(from: string, to: string): boolean {
    return line(versionKey(from).numbers) !== line(versionKey(to).numbers);
}

/** The newest version on `current`'s major line, if it is newer. */
export function newestSameMajor(current: string, newer: readonly string[]): string | undefined {
    return newer.filter((v) => !crossesMajor(current, v)).pop();
}
