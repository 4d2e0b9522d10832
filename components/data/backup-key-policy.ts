import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bucketKeyPolicy, keyPolicyContext } from "../kit/kms";

export interface BackupKeyPolicyArgs {
    /** The backup bucket's region: the key is used only through S3 there. */
    readonly region: string;
    /** The backup key (`BackupStorage.kmsKeyId`). */
    readonly keyId: pulumi.Input<string>;
    /**
     * Every role that reads the bucket's objects, by ARN: the backup jobs (a multipart upload
     * decrypts too), backup-verify, the restore, the WAL archive's roles, the replication role,
     * the operators' roles, and the other stack's roles that read this bucket.
     */
    readonly decryptRoleArns: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * The backup key's policy, set once every role that uses the key exists: the account
 * administers the key; IAM policies of the account may grant encryption through S3 (uploads,
 * replicas); only the named roles may decrypt, through S3, whatever an IAM policy grants
 * (`bucketKeyPolicy` in components/kit/kms.ts, docs/data.md "The bucket").
 */
export class BackupKeyPolicy extends pulumi.ComponentResource {
    constructor(name: string, args: BackupKeyPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:data:BackupKeyPolicy", name, {}, opts);
        const policy = pulumi
            .all([keyPolicyContext(args.region, this), pulumi.output(args.decryptRoleArns)])
            .apply(([context, decryptRoleArns]) =>
                bucketKeyPolicy(context, { region: args.region, decryptRoleArns }),
            );
        new aws.kms.KeyPolicy(`${name}-policy`, { keyId: args.keyId, policy }, { parent: this });
        this.registerOutputs({});
    }
}
