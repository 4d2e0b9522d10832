import * as ipaddr from "ipaddr.js";

/** The widest prefix a public allow-list entry may have: a /16 is 65,536 addresses. */
export const widestAllowedPrefix = 16;

/**
 * Whether IPv4 CIDR blocks together cover every address (`0.0.0.0/1` + `128.0.0.0/1`, or
 * 256 /8s): the union of the blocks, merged in address order, is one run from 0 to 2^32 - 1.
 */
export function coversInternet(cidrs: readonly string[]): boolean {
    const ranges = cidrs
        .filter((cidr) => ipaddr.IPv4.isValidCIDR(cidr))
        .map((cidr) => {
            const [address, bits] = ipaddr.IPv4.parseCIDR(cidr);
            const start = address.toByteArray().reduce((n, byte) => n * 256 + byte, 0);
            return [start, start + 2 ** (32 - bits) - 1] as const;
        })
        .sort((a, b) => a[0] - b[0]);
    let next = 0;
    for (const [start, end] of ranges) {
        if (start > next) return false;
        next = Math.max(next, end + 1);
        if (next >= 2 ** 32) return true;
    }
    return false;
}
