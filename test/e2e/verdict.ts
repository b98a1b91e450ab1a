/**
 * The verdict block that opens `npm run plan`'s summary: the "Plan <project>/<stack>: exit N: ..." line,
 * then one labelled line each (label in the first 16 columns), some followed by indented detail lines,
 * up to the first blank line.
 */

/** Lines the verdict always has, in this order ("changes" only with --diff). */
export const CORE_LABELS = ["policy", "data at risk", "changes", "resources", "cost", "cost delta", "plan document"] as const;
/** Lines shown only when they apply (an unauthenticated route; the clusters' Kubernetes support). */
export const OPTIONAL_LABELS = ["WARNING", "kubernetes"] as const;

export interface Verdict {
  /** The first line. */
  readonly head: string;
  /** The labels in the order they appear. */
  readonly labels: string[];
  /** The line of a label (throws when there is none, so a test cannot pass on a missing line). */
  line(label: string): string;
  /** The indented lines under a label. */
  details(label: string): string[];
}

export function verdictOf(stdout: string): Verdict {
  const lines = stdout.split("\n");
  const end = lines.indexOf("");
  const block = lines.slice(1, end < 0 ? undefined : end);
  const entries: { label: string; line: string; details: string[] }[] = [];
  for (const line of block) {
    // A labelled line: two spaces, then the label; detail lines are indented further.
    if (/^ {2}\S/.test(line)) entries.push({ label: line.slice(0, 16).trim(), line, details: [] });
    else if (entries.length > 0) entries[entries.length - 1].details.push(line);
    else throw new Error(`verdict block starts with an unlabelled line: ${line}`);
  }
  const find = (label: string) => {
    const entry = entries.find((e) => e.label === label);
    if (!entry) throw new Error(`no "${label}" line in the verdict: ${entries.map((e) => e.label).join(", ")}`);
    return entry;
  };
  return { head: lines[0], labels: entries.map((e) => e.label), line: (label) => find(label).line, details: (label) => find(label).details };
}

/** The verdict's labels without the optional lines: must be the core labels in order. */
export function coreLabels(v: Verdict): string[] {
  return v.labels.filter((l) => !(OPTIONAL_LABELS as readonly string[]).includes(l));
}
