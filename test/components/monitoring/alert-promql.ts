import { parser } from "@prometheus-io/lezer-promql";

/**
 * Metric names a PromQL expression reads, from Prometheus's own grammar
 * (@prometheus-io/lezer-promql): every VectorSelector's metric identifier. Throws on a
 * syntax error so a broken query never passes as "uses no unknown metric".
 */
export function metricsOf(expr: string): string[] {
    const tree = parser.parse(expr);
    const names: string[] = [];
    const cursor = tree.cursor();
    do {
        if (cursor.type.isError) {
            throw new Error(`PromQL syntax error at ${cursor.from} in: ${expr}`);
        }
        if (cursor.name === "VectorSelector") {
            const selector = cursor.node;
            const identifier = selector.getChild("Identifier");
            if (identifier) names.push(expr.slice(identifier.from, identifier.to));
        }
    } while (cursor.next());
    return [...new Set(names)];
}
