import { certificateAuthority, type Issued, issueCertificate } from "./x509";
import { postgresNames } from "../../contracts/data";

/**
 * TLS of the Postgres servers (docs/data.md, "Encryption in transit"). The CA and the servers'
 * certificate are derived from a secret seed (platform/secrets.ts generates it; x509.ts):
 * cert-manager is not among the cluster's add-ons and the TLS provider is not available to
 * every tier, while a seed is one more generated secret. The CA's key never enters the
 * cluster: the pods get the server certificate and key (Secret `postgres-tls`) and clients the
 * CA certificate (`ca.crt` of `postgres-credentials`, and of `postgres-tls`).
 */

/** Where the servers mount `postgres-tls` (tls.crt, tls.key, ca.crt). */
export const postgresTlsMountPath = "/etc/postgresql/tls";
/** The CA certificate's path in the Postgres pods (the exporter and replicas verify with it). */
export const postgresCaPath = `${postgresTlsMountPath}/ca.crt`;

/** The Secret holding the servers' certificate, key and the CA certificate. */
export const postgresTlsSecret = postgresNames.tlsSecret;

/** The CA's common name (its subject and every certificate's issuer). */
export const postgresCaName = "mcp-platform postgres CA";

/**
 * Every name a client may use for a server: the Services (short, namespaced and full forms),
 * each pod's headless name, and loopback for the pod's own sidecars. One certificate serves
 * primary and replicas alike: a replica becomes the primary at a failover.
 */
export function postgresServerNames(namespace: string, replicas: number): string[] {
    const names = ["localhost", "127.0.0.1"];
    const forms = (host: string) => [
        host,
        `${host}.${namespace}`,
        `${host}.${namespace}.svc`,
        `${host}.${namespace}.svc.cluster.local`,
    ];
    for (const [service, count] of [
        ["postgres-primary", 1],
        ["postgres-replica", replicas],
    ] as const) {
        names.push(...forms(service));
        for (let i = 0; i < count; i++) {
            names.push(...forms(`${service}-${i}.${service}-headless`));
        }
    }
    return names;
}

/** The CA certificate and the servers' certificate and key that `seed` derives. */
export function postgresTls(
    seed: string,
    namespace: string,
    replicas: number,
): { readonly caCert: string; readonly server: Issued } {
    return {
        caCert: certificateAuthority(seed, postgresCaName).cert,
        server: issueCertificate(seed, postgresCaName, {
            commonName: `postgres.${namespace}`,
            names: postgresServerNames(namespace, replicas),
        }),
    };
}

/** libpq's settings for a client that verifies the server: TLS, the CA, the host name. */
export function postgresClientTls(caPath: string = postgresCaPath): Record<string, string> {
    return { PGSSLMODE: "verify-full", PGSSLROOTCERT: caPath };
}

/** The roles an operator may use through the pod's socket (`kubectl exec ... psql -U ...`). */
export const postgresLocalRoles = [postgresNames.superuser, postgresNames.user] as const;
