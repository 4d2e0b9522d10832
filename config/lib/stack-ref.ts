import { z } from "zod";

/**
 * Another stack of this project: its bare name (`dr`, resolved in the deploying
 * organization and project) or a fully qualified `<organization>/<project>/<stack>`.
 */
export const stackReference = z
    .string()
    .regex(/^([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/)?[A-Za-z0-9_.-]+$/, {
        message:
            "expected a stack name such as dr (same organization and project) or acme/mcp-platform/dr",
    });

/** `dr` → `<organization>/<project>/dr`; a qualified name is returned as it is. */
export function qualifiedStackName(ref: string, organization: string, project: string): string {
    return ref.includes("/") ? ref : `${organization}/${project}/${ref}`;
}
