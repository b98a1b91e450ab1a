import { parse as parseYaml } from "yaml";
import type { CostRange, UnpricedItem } from "./cost";
import { PlanDocument, PlanResource, SECRET_MASK } from "./document";
import { DATA_HOLDING, lossPhrase } from "./dataLoss";
import { MOVES_WITH, replaceTriggers } from "./replaceOn";
import { componentOf, regionOf, regionOrder } from "./placement";
import { gpuCapacity, SUMMARY_WIDTH, usd, wrap } from "./summary";

/**
 * Offline plan diff: compares two plan documents the way `pulumi preview --diff` compares state
 * with the program, by URN. Resources only in the new plan are creates, only in the old one
 * deletes, unless an alias on the new resource names the old URN (then it is the same resource).
 */

export interface PropertyChange {
  readonly path: string;
  /**
   * For a string property that holds a JSON or YAML document (an IAM policy, a dashboard, Helm
   * values): the path of the change inside the document, which `format` names.
   */
  readonly within?: string;
  readonly format?: "JSON" | "YAML";
  /** Absent when the property is new. Secrets show as "[secret]". */
  readonly old?: unknown;
  /** Absent when the property is removed. */
  readonly new?: unknown;
}

export type ChangeAction = "create" | "delete" | "update" | "replace";

export interface ResourceChange {
  readonly action: ChangeAction;
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly region: string;
  readonly component: string;
  readonly changes: readonly PropertyChange[];
  /** Changed properties that force a replacement (create-before-delete unless deleteBeforeReplace). */
  readonly replaceBecause?: readonly string[];
  /** The old URN when an alias connected a renamed or moved resource. */
  readonly renamedFrom?: string;
  /**
   * Replaced resources this one moves with: an input that forces a replacement comes from them, so a
   * real preview sees it unknown and replaces this one too, even when the value reads the same.
   */
  readonly replacedWith?: readonly string[];
}

export interface GpuDelta {
  readonly gpuClass: string;
  readonly before: CostRange;
  readonly after: CostRange;
}

/** A delete or replace of a resource whose loss loses data or that its options guard. */
export interface DataAtRisk {
  readonly action: "delete" | "replace";
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly region: string;
  /** The Pulumi project that declares it (absent in plan documents written before the split). */
  readonly project?: string;
  /** "data lost (S3 bucket)", "protected: pulumi up refuses", "retained: left unmanaged with its data". */
  readonly reasons: readonly string[];
  /** What would be lost, in one phrase per type (lib/plan/dataLoss.ts). */
  readonly lost: string;
  /** The data goes with it: a data-holding resource that is not retained on delete. */
  readonly dataLost: boolean;
}

export interface CostDelta {
  readonly before: CostRange;
  readonly after: CostRange;
  readonly unpricedBefore: number;
  readonly unpricedAfter: number;
  /** Billable items the new plan cannot price that the baseline did not have: the delta misses them. */
  readonly newlyUnpriced: readonly UnpricedItem[];
}

export interface PlanDiff {
  readonly stack: string;
  readonly baseStack: string;
  readonly changes: readonly ResourceChange[];
  readonly counts: Record<ChangeAction, number>;
  /** Deletes and replaces of protected, retained or data-holding resources. */
  readonly dataAtRisk: readonly DataAtRisk[];
  /** GPUs at min / max per class, before and after. */
  readonly gpus: readonly GpuDelta[];
  /** Hourly on-demand cost at min / max, before and after (when both plans carry an estimate). */
  readonly cost?: CostDelta;
}

/** Resource types whose deletion or replacement loses stored data, by their short name (lib/plan/dataLoss.ts DATA_HOLDING). */
export const DATA_HOLDING_TYPES: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(DATA_HOLDING).map(([type, h]) => [type, h.kind]));

export { REPLACE_ON } from "./replaceOn";

function riskReasons(r: PlanResource): string[] {
  const kind = DATA_HOLDING_TYPES[r.type];
  return [
    ...(kind && !r.options.retainOnDelete ? [`data lost (${kind})`] : []),
    ...(r.options.protect ? ["protected: pulumi up refuses"] : []),
    ...(r.options.retainOnDelete ? [`retained: left unmanaged${kind ? " with its data" : ""}`] : []),
  ];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Leaf-level differences between two input trees; secrets are compared and shown masked. */
export function propertyChanges(before: unknown, after: unknown, prefix = ""): PropertyChange[] {
  if (before === SECRET_MASK || after === SECRET_MASK) {
    // A masked value cannot be compared; only a change between secret and plain is visible.
    return before === after ? [] : [{ path: prefix, ...(before === undefined ? {} : { old: before }), ...(after === undefined ? {} : { new: after }) }];
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => propertyChanges(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const n = Math.max(before.length, after.length);
    return Array.from({ length: n }, (_, i) => propertyChanges(before[i], after[i], `${prefix}[${i}]`)).flat();
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (typeof before === "string" && typeof after === "string") {
    const [a, b] = [parseDocument(before), parseDocument(after)];
    if (a && b && a.format === b.format) {
      // Compare the documents by path, so a reviewer sees the statement that changed, not two long strings.
      const inner = propertyChanges(a.value, b.value);
      if (inner.length > 0) {
        return inner.map(({ path, within, format, ...values }) => ({
          path: prefix,
          within: (path || "(document)") + (within !== undefined ? ` (${format}) ${within}` : ""),
          format: a.format,
          ...values,
        }));
      }
    }
  }
  return [{ path: prefix, ...(before === undefined ? {} : { old: before }), ...(after === undefined ? {} : { new: after }) }];
}

/**
 * A string holding a JSON object or array, or a multi-line YAML mapping or sequence; undefined for
 * anything else (plain text, PromQL, a scalar).
 */
export function parseDocument(text: string): { format: "JSON" | "YAML"; value: unknown } | undefined {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      const value: unknown = JSON.parse(text);
      return typeof value === "object" && value !== null ? { format: "JSON", value } : undefined;
    } catch {
      return undefined;
    }
  }
  if (!text.includes("\n")) return undefined;
  try {
    const value: unknown = parseYaml(text);
    return typeof value === "object" && value !== null ? { format: "YAML", value } : undefined;
  } catch {
    return undefined;
  }
}

/** The old URN an alias stands for: a full URN, or a spec renaming the last name and/or type. */
function aliasUrns(r: PlanResource): string[] {
  return (r.options.aliases as unknown[]).flatMap((a) => {
    if (typeof a === "string") return [a];
    if (!isObject(a)) return [];
    if (typeof a.urn === "string" && a.urn) return [a.urn];
    const spec = isObject(a.spec) ? a.spec : a;
    const name = typeof spec.name === "string" && spec.name ? spec.name : undefined;
    const type = typeof spec.type === "string" && spec.type ? spec.type : undefined;
    if (!name && !type) return [];
    // urn:pulumi:<stack>::<project>::<parent types $ type>::<name>
    const [prefix, project, qualified] = r.urn.split("::");
    const types = qualified.split("$");
    if (type) types[types.length - 1] = type;
    return [`${prefix}::${project}::${types.join("$")}::${name ?? r.name}`];
  });
}

const OPTION_KEYS = ["protect", "retainOnDelete", "ignoreChanges", "deleteBeforeReplace"] as const;

function resourceDiff(before: PlanResource, after: PlanResource): { changes: PropertyChange[]; replaceBecause: string[] } {
  const changes = [
    ...propertyChanges(before.inputs, after.inputs),
    ...OPTION_KEYS.flatMap((k) => propertyChanges(before.options[k], after.options[k], `(options).${k}`)),
    ...(before.provider !== after.provider ? [{ path: "(provider)", old: before.provider, new: after.provider }] : []),
  ];
  const triggers = replaceTriggers(after.type);
  const replaceBecause = [...new Set(changes.map((c) => triggers.find((t) => c.path === t || c.path.startsWith(`${t}.`) || c.path.startsWith(`${t}[`))).filter((t): t is string => t !== undefined))];
  return { changes, replaceBecause };
}

function gpuTotals(doc: PlanDocument): Map<string, CostRange> {
  const totals = new Map<string, CostRange>();
  for (const p of gpuCapacity(doc)) {
    const t = totals.get(p.gpuClass) ?? { min: 0, max: 0 };
    totals.set(p.gpuClass, { min: t.min + p.minGpus, max: t.max + p.maxGpus });
  }
  return totals;
}

export function diffPlans(base: PlanDocument, head: PlanDocument): PlanDiff {
  const baseByUrn = new Map(base.resources.map((r) => [r.urn, r]));
  const headByUrn = new Map(head.resources.map((r) => [r.urn, r]));
  const where = (r: PlanResource, doc: Map<string, PlanResource>) => ({ region: regionOf(r, doc), component: componentOf(r, doc) });
  const changes: ResourceChange[] = [];
  const matchedBase = new Set<string>();

  // Only custom resources are changed by `pulumi up`; components just group them.
  const matched: { old: PlanResource; head: PlanResource; renamedFrom?: string; props: PropertyChange[]; replaceBecause: string[]; replacedWith: string[] }[] = [];
  for (const r of head.resources.filter((x) => x.custom)) {
    let old = baseByUrn.get(r.urn);
    let renamedFrom: string | undefined;
    if (!old) {
      const aliased = aliasUrns(r).find((u) => baseByUrn.has(u) && !headByUrn.has(u));
      if (aliased) {
        old = baseByUrn.get(aliased);
        renamedFrom = aliased;
      }
    }
    if (!old) {
      changes.push({ action: "create", urn: r.urn, type: r.type, name: r.name, ...where(r, headByUrn), changes: propertyChanges(undefined, r.inputs) });
      continue;
    }
    matchedBase.add(old.urn);
    const { changes: props, replaceBecause } = resourceDiff(old, r);
    matched.push({ old, head: r, renamedFrom, props, replaceBecause, replacedWith: [] });
  }
  // A replacement drags along what takes a replace-forcing input from it: a real preview sees that
  // input unknown and replaces the dependent too (a node group keyed on a replaced cluster's name).
  const replaced = new Map(matched.filter((m) => m.replaceBecause.length > 0).map((m) => [m.head.urn, m]));
  for (let grew = true; grew; ) {
    grew = false;
    for (const m of matched.filter((x) => !replaced.has(x.head.urn))) {
      const deps = m.head.propertyDependencies ?? {};
      const direct = replaceTriggers(m.head.type)
        .filter((t) => !t.includes("."))
        .flatMap((t) => (deps[t] ?? []).filter((u) => replaced.has(u)));
      const moved = Object.entries(MOVES_WITH[m.head.type] ?? {}).flatMap(([input, src]) =>
        (deps[input] ?? []).filter((u) => {
          const source = replaced.get(u);
          return source?.head.type === src.type && source.replaceBecause.includes(src.because);
        }),
      );
      const via = [...new Set([...direct, ...moved])];
      if (via.length > 0) {
        m.replacedWith = via;
        replaced.set(m.head.urn, m);
        grew = true;
      }
    }
  }
  for (const m of matched) {
    const r = m.head;
    if (m.props.length === 0 && !m.renamedFrom && m.replacedWith.length === 0) continue;
    const isReplace = m.replaceBecause.length > 0 || m.replacedWith.length > 0;
    changes.push({
      action: isReplace ? "replace" : "update",
      urn: r.urn,
      type: r.type,
      name: r.name,
      ...where(r, headByUrn),
      changes: m.props,
      ...(m.replaceBecause.length ? { replaceBecause: m.replaceBecause } : {}),
      ...(m.replacedWith.length ? { replacedWith: m.replacedWith } : {}),
      ...(m.renamedFrom ? { renamedFrom: m.renamedFrom } : {}),
    });
  }
  for (const r of base.resources.filter((x) => x.custom && !matchedBase.has(x.urn) && !headByUrn.has(x.urn))) {
    changes.push({ action: "delete", urn: r.urn, type: r.type, name: r.name, ...where(r, baseByUrn), changes: propertyChanges(r.inputs, undefined) });
  }
  // The stack's own region order (the new plan's, then regions only the baseline has), global last.
  const order = [...new Set([...regionOrder(head), ...regionOrder(base)])].sort((a, b) => Number(a === "global") - Number(b === "global"));
  const rank = (region: string) => (order.includes(region) ? order.indexOf(region) : order.length);
  changes.sort((a, b) => rank(a.region) - rank(b.region) || a.component.localeCompare(b.component) || a.urn.localeCompare(b.urn));

  const dataAtRisk: DataAtRisk[] = changes
    .filter((c): c is ResourceChange & { action: "delete" | "replace" } => c.action === "delete" || c.action === "replace")
    .flatMap((c) => {
      const old = baseByUrn.get(c.renamedFrom ?? c.urn);
      const reasons = old ? riskReasons(old) : [];
      if (!old || reasons.length === 0) return [];
      return [{ action: c.action, urn: c.urn, type: c.type, name: c.name, region: c.region, ...(old.project ? { project: old.project } : {}), reasons, lost: lossPhrase(old.type, old.options), dataLost: reasons[0].startsWith("data lost") }];
    })
    // Data that goes for good first, then what the engine refuses, then what is left behind.
    .sort((a, b) => Number(b.dataLost) - Number(a.dataLost) || Number(b.reasons.some((r) => r.startsWith("protected"))) - Number(a.reasons.some((r) => r.startsWith("protected"))));

  const counts: Record<ChangeAction, number> = { create: 0, delete: 0, update: 0, replace: 0 };
  for (const c of changes) counts[c.action]++;
  const [gBefore, gAfter] = [gpuTotals(base), gpuTotals(head)];
  const gpus = [...new Set([...gBefore.keys(), ...gAfter.keys()])]
    .sort()
    .map((gpuClass) => ({ gpuClass, before: gBefore.get(gpuClass) ?? { min: 0, max: 0 }, after: gAfter.get(gpuClass) ?? { min: 0, max: 0 } }));
  return {
    stack: head.stack,
    baseStack: base.stack,
    changes,
    counts,
    dataAtRisk,
    gpus,
    ...(base.cost && head.cost ? { cost: costDelta(base.cost.total.hourly, head.cost.total.hourly, base.cost.unpriced, head.cost.unpriced) } : {}),
  };
}

function costDelta(before: CostRange, after: CostRange, unpricedBefore: readonly UnpricedItem[], unpricedAfter: readonly UnpricedItem[]): CostDelta {
  const key = (u: UnpricedItem) => `${u.region}|${u.resource}|${u.reason}`;
  const known = new Set(unpricedBefore.map(key));
  return { before, after, unpricedBefore: unpricedBefore.length, unpricedAfter: unpricedAfter.length, newlyUnpriced: unpricedAfter.filter((u) => !known.has(key(u))) };
}

export function hasChanges(diff: PlanDiff): boolean {
  return diff.changes.length > 0;
}

const SYMBOL: Record<ChangeAction, string> = { create: "+", delete: "-", update: "~", replace: "+-" };

/** Longest value shown whole; longer strings show the words around the change. */
const VALUE_WIDTH = 60;
/** Diff lines longer than this put old and new on lines of their own. */
const LINE_WIDTH = SUMMARY_WIDTH;

function show(v: unknown, width = VALUE_WIDTH): string {
  const s = JSON.stringify(v) ?? "undefined";
  return s.length > width ? `${s.slice(0, width - 3)}...` : s;
}

const BOUNDARY = /[\s,;(){}[\]]/;

/**
 * The part of two different strings that differs, with the words around it: "…rate(x[5m])) > 1"
 * and "…rate(x[5m])) > 2". Both excerpts contain their own differing part, so they are never equal.
 */
export function excerptPair(a: string, b: string, context = 24, maxMiddle = VALUE_WIDTH): [string, string] {
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  // Start the leading context at a word boundary when that still leaves some context.
  let start = Math.max(0, p - context);
  if (start > 0) {
    const cut = a.slice(start, p).search(BOUNDARY);
    if (cut >= 0 && p - (start + cut + 1) >= context / 3) start += cut + 1;
  }
  // The trailing context is common to both; end it at a word boundary when one is near.
  const tail = a.slice(a.length - s, a.length - s + context);
  const tailCut = tail.length < s ? Math.max(...[...tail].map((ch, i) => (BOUNDARY.test(ch) ? i : -1))) : -1;
  const trailing = tail.length < s && tailCut > 0 ? tail.slice(0, tailCut) : tail;
  const more = trailing.length < s;
  const excerpt = (x: string) => {
    const middle = x.slice(p, x.length - s);
    const shown = middle.length > maxMiddle ? `${middle.slice(0, maxMiddle)}…` : middle;
    return `${start > 0 ? "…" : ""}${x.slice(start, p)}${shown}${trailing}${more ? "…" : ""}`;
  };
  return [excerpt(a), excerpt(b)];
}

/** One changed property: `path: old => new`, on three lines when that would be too wide. */
function renderChange(p: PropertyChange, indent: string): string[] {
  const where = p.within !== undefined ? `${p.path} (${p.format}) ${p.within}` : p.path;
  const has = { old: "old" in p, new: "new" in p };
  let [o, n] = [has.old ? show(p.old) : "(unset)", has.new ? show(p.new) : "(unset)"];
  if (typeof p.old === "string" && typeof p.new === "string" && (JSON.stringify(p.old).length > VALUE_WIDTH || JSON.stringify(p.new).length > VALUE_WIDTH)) {
    [o, n] = excerptPair(p.old, p.new).map((x) => JSON.stringify(x));
  }
  const line = `${indent}${where}: ${o} => ${n}`;
  return line.length <= LINE_WIDTH ? [line] : [`${indent}${where}:`, `${indent}  - ${o}`, `${indent}  + ${n}`];
}

const delta = (a: number, b: number) => `${b - a >= 0 ? "+" : "-"}${usd(Math.abs(b - a))}`;

/** "$196.12 / $778.22 => $196.13 / $778.23 (+$0.01 / +$0.01)", or the delta marked unpriced. */
export function renderCostDelta(d: CostDelta): string {
  const range = (r: CostRange) => `${usd(r.min)} / ${usd(r.max)}`;
  if (d.newlyUnpriced.length > 0) {
    const regions = [...new Set(d.newlyUnpriced.map((u) => u.region))];
    return (
      `${range(d.before)} => ${range(d.after)} for priced items; delta unpriced: ${d.newlyUnpriced.length} new item(s) without a price ` +
      `in ${regions.join(", ")} (${[...new Set(d.newlyUnpriced.map((u) => u.reason))].join("; ")})`
    );
  }
  return `${range(d.before)} => ${range(d.after)} (${delta(d.before.min, d.after.min)} / ${delta(d.before.max, d.after.max)})` + (d.unpricedBefore !== d.unpricedAfter ? `; unpriced items ${d.unpricedBefore} => ${d.unpricedAfter}` : "");
}

/**
 * The "data at risk" section the diff starts with: every delete or replacement of a protected,
 * retained or data-holding resource, what it loses, its region and project; data that goes first.
 */
export function renderDataAtRisk(diff: PlanDiff, baseLabel: string): string[] {
  const risks = diff.dataAtRisk;
  if (risks.length === 0) return [`Data at risk against ${baseLabel}: none (no delete or replacement of a protected, retained or data-holding resource)`];
  const lost = risks.filter((r) => r.dataLost).length;
  const lines = [`Data at risk against ${baseLabel}: ${risks.length} protected, retained or data-holding resource(s) deleted or replaced; ${lost} lose their data`];
  for (const r of risks) {
    lines.push(`  ${r.action.padEnd(7)} ${r.type} ${r.name} (${r.region}${r.project ? `, ${r.project}` : ""})`);
    lines.push(...wrap(`${r.reasons.join(", ")}; loses ${r.lost}`, LINE_WIDTH - 12, "", " ").map((l) => `            ${l}`));
  }
  return lines;
}

/** Text rendering: data at risk first, then the changes grouped by region and component, like `pulumi preview --diff` but offline. */
export function renderDiff(diff: PlanDiff, baseLabel: string, opts: { maxPaths?: number } = {}): string {
  const max = opts.maxPaths ?? 20;
  const c = diff.counts;
  const lines = [...renderDataAtRisk(diff, baseLabel), "", `Changes against ${baseLabel}: ${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to delete`];
  if (diff.changes.length === 0) lines.push("  no changes");
  const nameOf = new Map(diff.changes.map((ch) => [ch.urn, ch.name]));
  let group = "";
  for (const ch of diff.changes) {
    const g = `${ch.region} / ${ch.component}`;
    if (g !== group) {
      lines.push(`  ${g}`);
      group = g;
    }
    const extra = [
      ch.renamedFrom ? `renamed from ${ch.renamedFrom.split("::").pop()}` : "",
      ch.replaceBecause ? `replace because ${ch.replaceBecause.join(", ")} changed` : "",
      ch.replacedWith ? `replaced with ${ch.replacedWith.map((u) => nameOf.get(u) ?? u.split("::").pop()).join(", ")}` : "",
    ]
      .filter(Boolean)
      .join("; ");
    lines.push(`    ${SYMBOL[ch.action].padEnd(2)} ${ch.type} ${ch.name}${extra ? ` (${extra})` : ""}`);
    if (ch.action === "update" || ch.action === "replace") {
      for (const p of ch.changes.slice(0, max)) lines.push(...renderChange(p, "         "));
      if (ch.changes.length > max) lines.push(`         ... ${ch.changes.length - max} more`);
    }
  }
  const gpuChanges = diff.gpus.filter((g) => g.before.min !== g.after.min || g.before.max !== g.after.max);
  lines.push(
    gpuChanges.length === 0
      ? "  GPU capacity: unchanged"
      : `  GPU capacity (min / max): ${gpuChanges.map((g) => `${g.gpuClass} ${g.before.min} / ${g.before.max} => ${g.after.min} / ${g.after.max}`).join(", ")}`,
  );
  if (diff.cost) lines.push(...wrap(`  Cost per hour (min / max): ${renderCostDelta(diff.cost)}`, SUMMARY_WIDTH, "    ", "; "));
  return lines.join("\n");
}
