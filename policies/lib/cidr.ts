/**
 * CIDR arithmetic for allow-lists: whether a set of CIDR blocks, taken together, admits the
 * whole internet. `0.0.0.0/0` is the obvious case; `0.0.0.0/1` + `128.0.0.0/1` (or 256 /8
 * blocks) is the same exposure written so that a literal comparison misses it.
 *
 * Exported for every place that checks an allow-list (EKS `publicAccessCidrs`, security
 * groups, NetworkPolicy ipBlocks) and for config validation, so they all agree.
 */

type IpFamily = 4 | 6;

interface CidrRange {
    readonly family: IpFamily;
    /** First address, as an unsigned integer of 32 (IPv4) or 128 (IPv6) bits. */
    readonly start: bigint;
    /** Last address, inclusive. */
    readonly end: bigint;
}

const bits: Record<IpFamily, number> = { 4: 32, 6: 128 };

function parseIpv4(text: string): bigint | undefined {
    const parts = text.split(".");
    if (parts.length !== 4) return undefined;
    let value = 0n;
    for (const part of parts) {
        if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
        value = (value << 8n) | BigInt(Number(part));
    }
    return value;
}

function parseIpv6(text: string): bigint | undefined {
    let address = text.toLowerCase();
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
    if (v4) {
        const tail = parseIpv4(v4[1]);
        if (tail === undefined) return undefined;
        address = `${address.slice(0, -v4[1].length)}${(tail >> 16n).toString(16)}:${(tail & 0xffffn).toString(16)}`;
    }
    const halves = address.split("::");
    if (halves.length > 2) return undefined;
    const head = halves[0] === "" ? [] : halves[0].split(":");
    const tail = halves.length === 2 && halves[1] !== "" ? halves[1].split(":") : [];
    const missing = 8 - head.length - tail.length;
    if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
    const groups = [
        ...head,
        ...Array<string>(halves.length === 2 ? missing : 0).fill("0"),
        ...tail,
    ];
    let value = 0n;
    for (const group of groups) {
        if (!/^[0-9a-f]{1,4}$/.test(group)) return undefined;
        value = (value << 16n) | BigInt(parseInt(group, 16));
    }
    return value;
}

/** A CIDR block (or a bare address, as /32 or /128); undefined when it is not one. */
function parseCidr(cidr: string): CidrRange | undefined {
    const [address, prefixText, ...rest] = cidr.trim().split("/");
    if (rest.length > 0) return undefined;
    const family: IpFamily = address.includes(":") ? 6 : 4;
    const value = family === 4 ? parseIpv4(address) : parseIpv6(address);
    if (value === undefined) return undefined;
    const width = bits[family];
    const prefix = prefixText === undefined ? width : Number(prefixText);
    if (
        !Number.isInteger(prefix) ||
        prefix < 0 ||
        prefix > width ||
        !/^\d*$/.test(prefixText ?? "")
    )
        return undefined;
    const hostBits = BigInt(width - prefix);
    const start = (value >> hostBits) << hostBits;
    return { family, start, end: start + (1n << hostBits) - 1n };
}

/** Whether the blocks of one family, merged, leave no address of that family uncovered. */
function coversFamily(ranges: readonly CidrRange[], family: IpFamily): boolean {
    const sorted = ranges
        .filter((r) => r.family === family)
        .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const last = (1n << BigInt(bits[family])) - 1n;
    let next = 0n;
    for (const range of sorted) {
        if (range.start > next) return false;
        if (range.end >= next) next = range.end + 1n;
        if (next > last) return true;
    }
    return false;
}

/**
 * Whether `cidrs` together cover every IPv4 address or every IPv6 address: the allow-list
 * is then the whole internet, however it is written. Entries that are not CIDRs are ignored.
 */
export function coversInternet(cidrs: readonly string[]): boolean {
    const ranges = cidrs.map(parseCidr).filter((r): r is CidrRange => r !== undefined);
    return coversFamily(ranges, 4) || coversFamily(ranges, 6);
}
