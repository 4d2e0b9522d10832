/**
 * What the edge Worker, the ALB ingresses and the `mcp` CLI agree on: the KV switch keys
 * and the maintenance page (docs/edge.md).
 */

/** KV keys in the switches namespace and the values the Worker understands. */
export const switchKeys = {
    /** "primary" | "dr" — owned by the dr stack (EdgeSwitch). */
    activeRegion: "active-region",
    /** "on" | "off" — owned by the production stack (Edge). */
    maintenance: "maintenance",
} as const;

/** Where the edge sends traffic. */
export type ActiveRegion = "primary" | "dr";

/** The action name a maintenance rule points at (`alb.ingress.kubernetes.io/actions.<name>`). */
export const maintenanceAction = "maintenance";

/** ELB limits a fixed-response body to 1024 characters. */
export const fixedResponseMaxLength = 1024;

function escapeHtml(text: string): string {
    return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The maintenance page the ALB serves (status 503, text/html). */
export function maintenancePage(message: string): string {
    const page =
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Maintenance</title>' +
        '<meta name="viewport" content="width=device-width,initial-scale=1"></head>' +
        '<body style="font-family:sans-serif;max-width:40em;margin:4em auto;padding:0 1em">' +
        `<h1>Down for maintenance</h1><p>${escapeHtml(message)}</p></body></html>`;
    if (page.length > fixedResponseMaxLength) {
        throw new Error(
            `maintenance page is ${page.length} characters; the ALB accepts at most ${fixedResponseMaxLength}`,
        );
    }
    return page;
}
