/**
 * The JSON reports of the peer linters (kube-linter, kube-score) read into findings: one
 * check on one object, named `Kind namespace/name` (`Kind name` when cluster-scoped), the
 * names test/peers/exceptions.yaml lists. `mcp security audit` and test/peers read them alike.
 */
export interface PeerFinding {
    readonly check: string;
    readonly object: string;
}

export function objectName(kind: string, namespace: string | undefined, name: string): string {
    return namespace ? `${kind} ${namespace}/${name}` : `${kind} ${name}`;
}

type KubeLinterReport = {
    Reports:
        | {
              Check: string;
              Object: {
                  K8sObject: {
                      Namespace?: string;
                      Name: string;
                      GroupVersionKind: { Kind: string };
                  };
              };
          }[]
        | null;
};

/** `kube-linter lint --format json` output; throws when it is not a report. */
export function kubeLinterFindings(stdout: string): PeerFinding[] {
    const report = JSON.parse(stdout) as KubeLinterReport;
    return (report.Reports ?? []).map((r) => ({
        check: r.Check,
        object: objectName(
            r.Object.K8sObject.GroupVersionKind.Kind,
            r.Object.K8sObject.Namespace || undefined,
            r.Object.K8sObject.Name,
        ),
    }));
}

type KubeScoreObject = {
    type_meta: { kind: string };
    object_meta: { name: string; namespace?: string };
    checks: { check: { id: string }; grade: number; skipped: boolean }[];
};

/** `kube-score score --output-format json` output; throws when it is not a report. */
export function kubeScoreFindings(stdout: string): PeerFinding[] {
    const objects = JSON.parse(stdout) as KubeScoreObject[];
    // Grade 10 is OK; 5 is a warning and 1 critical, both findings.
    return objects.flatMap((o) =>
        o.checks
            .filter((c) => !c.skipped && c.grade < 10)
            .map((c) => ({
                check: c.check.id,
                object: objectName(o.type_meta.kind, o.object_meta.namespace, o.object_meta.name),
            })),
    );
}
