import * as pulumi from "@pulumi/pulumi";
import { type BackupReplication, parseKmsArn } from "../components/data";
import type { DrPosture } from "../contracts/dr-posture";

/** The bucket, key and region postgres archives WAL into. */
export interface WalArchiveLocation {
    readonly bucketArn: pulumi.Output<string>;
    readonly kmsKeyArn: pulumi.Output<string>;
    readonly region: pulumi.Output<string>;
}

/**
 * Where the continuous WAL archive lives: always in the dr region's bucket. The dr stack
 * holds it in its own bucket (it reads production's archive and, once promoted, writes its
 * own next to it); production archives straight into its replication destination, so the
 * RPO carries no replication delay. Production archives nothing until the dr stack exists
 * (first deploy, no replication configured): undefined then (docs/dr.md).
 */
export function walArchiveLocation(
    posture: Pick<DrPosture, "holdsWalArchive">,
    region: string,
    ownBucket: {
        readonly bucketArn: pulumi.Output<string>;
        readonly kmsKeyArn: pulumi.Output<string>;
    },
    replication: BackupReplication | undefined,
): WalArchiveLocation | undefined {
    if (posture.holdsWalArchive) {
        return {
            bucketArn: ownBucket.bucketArn,
            kmsKeyArn: ownBucket.kmsKeyArn,
            region: pulumi.output(region),
        };
    }
    if (!replication) return undefined;
    return {
        bucketArn: pulumi.output(replication.destinationBucketArn),
        kmsKeyArn: pulumi.output(replication.destinationKmsKeyArn),
        region: pulumi
            .output(replication.destinationKmsKeyArn)
            .apply((arn) => parseKmsArn(arn).region),
    };
}
