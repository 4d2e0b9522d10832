import * as pulumi from "@pulumi/pulumi";
import { stackOutputNames } from "../../contracts/stack-outputs";

/**
 * The other stack of the DR pair, as the backups need it: its signing public key (a restore of
 * its backups, a failback, dr's backup-verify of production's replicated ones) and the roles
 * of its WAL archive, which read the dr bucket.
 */

export interface BackupPeerSettings {
    readonly peerStack?: string;
    readonly replication?: { readonly fromStack?: string };
}

/**
 * Which stack is the peer: `backups.peerStack`, or else the stack production replicates to
 * (`replication.fromStack`), which it reads already. None: the stack trusts only itself.
 */
export function backupPeerStack(settings: BackupPeerSettings): string | undefined {
    return settings.peerStack ?? settings.replication?.fromStack;
}

export interface BackupPeer {
    /** The peer's signing public key; undefined until the peer has exported it. */
    readonly signingPublicKeyPem: pulumi.Output<string | undefined>;
    /** The peer's WAL archive roles ([] until exported). */
    readonly walArchiveRoleArns: pulumi.Output<string[]>;
}

/** A list read from another stack's output: its strings, or none while it is not exported. */
export function stringList(value: unknown): string[] {
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** A PEM public key read from another stack's output, or undefined. */
export function publicKeyPem(value: unknown): string | undefined {
    return typeof value === "string" && /-----BEGIN PUBLIC KEY-----/.test(value)
        ? value
        : undefined;
}

/**
 * Reads the peer's outputs (`backupSigningPublicKey`, `walArchiveRoleArns`) through a
 * StackReference to `stack` (fully qualified). Missing outputs read as absent, so the first
 * deploy of a pair works in either order; a deploy without the peer's key says so.
 */
export function backupPeer(stack: string, opts?: pulumi.CustomResourceOptions): BackupPeer {
    const reference = new pulumi.StackReference(`backup-peer-${stack}`, { name: stack }, opts);
    const key = reference.getOutput(stackOutputNames.backupSigningPublicKey).apply(publicKeyPem);
    key.apply((pem) => {
        if (pem === undefined) {
            pulumi.log.warn(
                `${stack} exports no backupSigningPublicKey yet: restore and verify here trust only this stack's signing key until the next deploy after ${stack}'s (docs/dr.md, "First deploy order")`,
            );
        }
    });
    return {
        signingPublicKeyPem: key,
        walArchiveRoleArns: reference
            .getOutput(stackOutputNames.walArchiveRoleArns)
            .apply(stringList),
    };
}

/** The PEM bundle readers trust: this stack's key, then the peer's when there is one. */
export function trustedSigningKeys(
    own: pulumi.Input<string>,
    peer?: pulumi.Input<string | undefined>,
): pulumi.Output<string> {
    return pulumi
        .all([own, peer])
        .apply(([mine, theirs]) =>
            [...new Set([mine, theirs].filter((k): k is string => k !== undefined))]
                .map((pem) => `${pem.trim()}\n`)
                .join(""),
        );
}
