import { parser } from "@prometheus-io/lezer-promql";

/**
 * Checks a PromQL expression with Prometheus' own Lezer grammar (the one its web UI uses): syntax
 * errors, and metric names outside `known`. Returns what is wrong; empty means fine.
 */
export function promqlProblems(expr: string, known: readonly string[]): string[] {
  const problems: string[] = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) problems.push(`syntax error at ${node.from}: ${JSON.stringify(expr.slice(Math.max(0, node.from - 20), node.to + 20))}`);
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") {
        const metric = expr.slice(node.from, node.to);
        if (!known.includes(metric)) problems.push(`unknown metric ${metric}`);
      }
    },
  });
  return problems;
}

/** Metric names an expression reads. */
export function metricsOf(expr: string): string[] {
  const names: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") names.push(expr.slice(node.from, node.to));
    },
  });
  return names;
}
