/** The tags every taggable AWS resource carries, applied once through the provider. */
export interface TagSource {
    readonly environment: string;
    readonly stack: string;
    readonly owner: string;
}

export function defaultTags(source: TagSource): Record<string, string> {
    return {
        environment: source.environment,
        stack: source.stack,
        owner: source.owner,
        "managed-by": "pulumi",
    };
}
