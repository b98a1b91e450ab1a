/**
 * Builds promtool input series with the labels Prometheus really attaches: a target's labels as the
 * Prometheus Operator sets them for a PodMonitor / ServiceMonitor, then the monitor's relabelings
 * and metricRelabelings as recorded in the plan, applied the way Prometheus applies them.
 */

export type Labels = Record<string, string>;

export interface RelabelConfig {
  sourceLabels?: string[];
  separator?: string;
  regex?: string;
  targetLabel?: string;
  replacement?: string;
  action?: string;
}

/** Prometheus relabelling (replace, keep, drop): regexes are fully anchored, `$n` expands groups. */
export function relabel(labels: Labels, configs: readonly RelabelConfig[]): Labels | undefined {
  let out: Labels = { ...labels };
  for (const c of configs) {
    const action = (c.action ?? "replace").toLowerCase();
    const value = (c.sourceLabels ?? []).map((l) => out[l] ?? "").join(c.separator ?? ";");
    const re = new RegExp(`^(?:${c.regex ?? "(.*)"})$`);
    const m = re.exec(value);
    if (action === "keep" && !m) return undefined;
    if (action === "drop" && m) return undefined;
    if (action === "replace" && m && c.targetLabel) {
      const v = (c.replacement ?? "$1").replace(/\$(\d+)|\$\{(\d+)\}/g, (_, a: string, b: string) => m[Number(a ?? b)] ?? "");
      out = { ...out };
      if (v === "") delete out[c.targetLabel];
      else out[c.targetLabel] = v;
    }
    if (!["replace", "keep", "drop"].includes(action)) throw new Error(`relabel action ${action} is not modelled here`);
  }
  return out;
}

/** Label names as the Prometheus Operator writes podTargetLabels (invalid characters become _). */
export const sanitizeLabelName = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, "_");

/** Drops the __meta_* and other double-underscore labels Prometheus removes after relabelling. */
export function publicLabels(labels: Labels): Labels {
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith("__")));
}

export interface Series {
  readonly metric: string;
  readonly labels: Labels;
  /** promtool expanding notation, e.g. "0+60x30". */
  readonly values: string;
}

/**
 * A scraped series: the target's labels, the metric's own labels (the target wins unless
 * honorLabels), then metricRelabelings with __name__ visible. Undefined when a keep/drop removes it.
 */
export function scraped(metric: string, own: Labels, target: Labels, values: string, opts: { metricRelabelings?: RelabelConfig[]; honorLabels?: boolean } = {}): Series | undefined {
  const merged = opts.honorLabels ? { ...target, ...own } : { ...own, ...target };
  const after = relabel({ ...merged, __name__: metric }, opts.metricRelabelings ?? []);
  if (!after) return undefined;
  const { __name__: name, ...rest } = after;
  return { metric: name, labels: publicLabels(rest), values };
}

export function seriesSelector(s: Series): string {
  const body = Object.entries(s.labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",");
  return `${s.metric}{${body}}`;
}

/** A duration like 10m, 2h, 90s in whole minutes (rounded up). */
export function minutes(duration: string): number {
  const m = /^(\d+)(s|m|h)$/.exec(duration);
  if (!m) throw new Error(`unsupported duration ${duration}`);
  const n = Number(m[1]);
  return Math.ceil(m[2] === "s" ? n / 60 : m[2] === "h" ? n * 60 : n);
}
