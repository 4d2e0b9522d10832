/**
 * The kubeconfig of an EKS cluster. It holds no credential: `kubectl` (and the Pulumi
 * Kubernetes provider) run `aws eks get-token` for a short-lived token with whatever AWS
 * credentials the caller has, and EKS maps that identity through its access entries.
 */
export interface KubeconfigSource {
    readonly clusterName: string;
    readonly region: string;
    /** The API server URL, `https://...`. */
    readonly endpoint: string;
    /** Base64 PEM of the cluster CA, as EKS reports it. */
    readonly certificateAuthorityData: string;
    /** AWS CLI profile to run `aws eks get-token` with. @default the caller's credentials */
    readonly awsProfile?: string;
}

export function kubeconfig(source: KubeconfigSource): Record<string, unknown> {
    const name = source.clusterName;
    return {
        apiVersion: "v1",
        kind: "Config",
        clusters: [
            {
                name,
                cluster: {
                    server: source.endpoint,
                    "certificate-authority-data": source.certificateAuthorityData,
                },
            },
        ],
        users: [
            {
                name,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "aws",
                        args: [
                            "eks",
                            "get-token",
                            "--cluster-name",
                            name,
                            "--region",
                            source.region,
                            "--output",
                            "json",
                        ],
                        interactiveMode: "Never",
                        ...(source.awsProfile
                            ? { env: [{ name: "AWS_PROFILE", value: source.awsProfile }] }
                            : {}),
                    },
                },
            },
        ],
        contexts: [{ name, context: { cluster: name, user: name } }],
        "current-context": name,
    };
}
