import { CliError, exitCodes, networkReason } from "./cli";
import type { Io } from "./context";

/**
 * One Workers KV write through the Cloudflare API (`PUT /accounts/{account}/storage/kv/
 * namespaces/{namespace}/values/{key}`), with the token in `$CLOUDFLARE_API_TOKEN` (the same
 * token the stack's Cloudflare provider uses). `$CLOUDFLARE_API_BASE_URL` points it elsewhere.
 */
export const cloudflareApi = "https://api.cloudflare.com/client/v4";

export async function putKv(
    io: Io,
    target: { accountId: string; namespaceId: string; key: string },
    value: string,
): Promise<void> {
    const token = io.env.CLOUDFLARE_API_TOKEN;
    if (!token) {
        throw new CliError(
            "CLOUDFLARE_API_TOKEN is not set: the edge switch cannot be written",
            "export your own Cloudflare API token, scoped to Workers KV Storage:Edit on the edge's account (create one in the Cloudflare dashboard; never reuse the stacks' deploy token)",
            exitCodes.usage,
        );
    }
    const base = (io.env.CLOUDFLARE_API_BASE_URL ?? cloudflareApi).replace(/\/+$/, "");
    const url = `${base}/accounts/${encodeURIComponent(target.accountId)}/storage/kv/namespaces/${encodeURIComponent(target.namespaceId)}/values/${encodeURIComponent(target.key)}`;
    let response: Response;
    try {
        response = await fetch(url, {
            method: "PUT",
            headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" },
            body: value,
            signal: AbortSignal.timeout(15_000),
        });
    } catch (error) {
        throw new CliError(
            `cannot reach the Cloudflare API (${base}): ${networkReason(error)}`,
            "check the network; nothing was changed",
            exitCodes.unreachable,
        );
    }
    const text = await response.text();
    let ok = response.ok;
    let errors = "";
    try {
        const body = JSON.parse(text) as { success?: boolean; errors?: { message?: string }[] };
        ok = ok && body.success !== false;
        errors = (body.errors ?? []).map((e) => e.message).join("; ");
    } catch {
        errors = text.slice(0, 200);
    }
    if (!ok) {
        throw new CliError(
            `Cloudflare refused to write KV key ${target.key}: HTTP ${response.status}${errors ? `: ${errors}` : ""}`,
            response.status === 401 || response.status === 403
                ? "use a token with Workers KV Storage:Edit on the edge's account"
                : "check the account and namespace (stack output edgeKvNamespaceId)",
        );
    }
}
