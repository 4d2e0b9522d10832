import type { RuleGroup } from "./types";

/**
 * The alerting pipeline's own alerts (kube-prometheus `general` group):
 * - Watchdog always fires; Alertmanager sends it to the dead man's switch, which pages when
 *   it stops arriving (Prometheus, Alertmanager or the route between them is broken).
 * - InfoInhibitor fires while an info alert fires in a namespace without any warning or
 *   critical alert there; an inhibit rule then holds the info alerts back, so info alerts
 *   reach email only as context of a real problem. It is routed nowhere itself.
 */
export const generalGroup: RuleGroup = {
    name: "general",
    rules: [
        {
            alert: "Watchdog",
            expr: "vector(1)",
            for: "1m",
            labels: { severity: "info" },
            annotations: {
                summary: "The alerting pipeline works (always firing).",
                description:
                    "This alert always fires so that the dead man's switch receives it; if the switch stops receiving it, Prometheus, Alertmanager or the route between them is broken.",
            },
        },
        {
            alert: "InfoInhibitor",
            // `without (alertstate)`: the inhibitor starts while the info alert is still pending
            // and does not restart when it turns firing, so it is in place before delivery.
            expr: 'max without (alertstate) (ALERTS{severity="info", alertname!~"Watchdog|InfoInhibitor"}) unless on (namespace) ALERTS{alertstate="firing", severity=~"warning|critical"}',
            for: "1m",
            labels: { severity: "info" },
            annotations: {
                summary: "Info alerts are held back: nothing more severe fires in their namespace.",
                description:
                    "{{ $labels.alertname }} (info) fires in namespace {{ $labels.namespace }} without any warning or critical alert there, so info alerts of that namespace are inhibited.",
            },
        },
    ],
};
