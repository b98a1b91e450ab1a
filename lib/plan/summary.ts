import { unauthenticatedRoutes } from "../auth";
import { gpuInstanceSpec } from "../gpu";
import { describeSupport, utcDay, versionSupport } from "../k8sCalendar";
import { takeoverBackends } from "../rollout";
import { coldStartBudgets, renderColdStart } from "./coldStart";
import { capacityReport, renderCapacity } from "./capacity";
import type { CostEstimate } from "./cost";
import type { RecoveryTime } from "../traffic";
import type { PlanDiff } from "./diff";
import { PlanDocument, PlanResource, PolicyViolation } from "./document";
import { renderRollouts, rolloutRows } from "./rollout";
import { byRegionOrder, componentOf, GLOBAL_COMPONENT, regionOf, regionOrder } from "./placement";

// Where a resource belongs, for the summary's importers that read it from here.
export { byRegionOrder, componentOf, regionOf, regionOrder };

/** Pure views over a plan document, shared by the CLI summary, the benchmark and the tests. */

function index(resources: readonly PlanResource[]): Map<string, PlanResource> {
  return new Map(resources.map((r) => [r.urn, r]));
}


export interface ResourceCounts {
  readonly total: number;
  /** Managed custom resources: what `pulumi up` creates (reads such as a StackReference are not). */
  readonly custom: number;
  /** Resources the program reads instead of managing (a StackReference). */
  readonly reads: number;
  /** Root stack resources: one per planned project. */
  readonly stacks: number;
  readonly byRegion: Record<string, { total: number; byComponent: Record<string, number> }>;
}

/** Counts custom resources (what a cloud bill and `pulumi up` act on) by region and component. */
export function countResources(doc: PlanDocument): ResourceCounts {
  const byUrn = index(doc.resources);
  const byRegion: ResourceCounts["byRegion"] = {};
  let custom = 0;
  let reads = 0;
  // Entries are created in the stack's region order, so every listing of them follows it.
  for (const region of regionOrder(doc)) byRegion[region] = { total: 0, byComponent: {} };
  for (const r of doc.resources) {
    if (!r.custom) continue;
    if (r.read) {
      reads++;
      continue;
    }
    custom++;
    const region = regionOf(r, byUrn);
    const entry = (byRegion[region] ??= { total: 0, byComponent: {} });
    entry.total++;
    const component = componentOf(r, byUrn);
    entry.byComponent[component] = (entry.byComponent[component] ?? 0) + 1;
  }
  for (const [region, entry] of Object.entries(byRegion)) if (entry.total === 0) delete byRegion[region];
  return { total: doc.resources.length, custom, reads, stacks: doc.resources.filter((r) => r.type === "pulumi:pulumi:Stack").length, byRegion };
}

export interface PoolCapacity {
  readonly region: string;
  readonly nodeGroup: string;
  readonly gpuClass: string;
  readonly instanceType: string;
  readonly gpusPerNode: number;
  readonly minNodes: number;
  readonly maxNodes: number;
  readonly minGpus: number;
  readonly maxGpus: number;
}

/**
 * GPU capacity per Karpenter GPU NodePool, read from the declared NodePools (not from config): class
 * from the template's gpu.class label, the bounds from the pool's llm-blueprint.io/capacity annotation,
 * the most GPUs from its nvidia.com/gpu limit (what Karpenter enforces).
 */
export function gpuCapacity(doc: PlanDocument): PoolCapacity[] {
  const byUrn = index(doc.resources);
  return doc.resources
    .filter((r) => r.type === "kubernetes:karpenter.sh/v1:NodePool")
    .flatMap((r) => {
      const spec = (r.inputs.spec ?? {}) as { template?: { metadata?: { labels?: Record<string, string> } }; limits?: Record<string, string | number> };
      const gpuClass = spec.template?.metadata?.labels?.["gpu.class"];
      if (!gpuClass) return [];
      let capacity: { instanceType?: string; minNodes?: number; maxNodes?: number } = {};
      try {
        capacity = JSON.parse(((r.inputs.metadata ?? {}) as { annotations?: Record<string, string> }).annotations?.["llm-blueprint.io/capacity"] ?? "{}");
      } catch {
        capacity = {};
      }
      const instanceType = capacity.instanceType ?? "?";
      const gpusPerNode = gpuInstanceSpec(instanceType)?.gpus ?? 0;
      const minNodes = capacity.minNodes ?? 0;
      const maxNodes = capacity.maxNodes ?? 0;
      const limit = Number(spec.limits?.["nvidia.com/gpu"]);
      return [{ region: regionOf(r, byUrn), nodeGroup: r.name, gpuClass, instanceType, gpusPerNode, minNodes, maxNodes, minGpus: minNodes * gpusPerNode, maxGpus: Number.isFinite(limit) ? limit : maxNodes * gpusPerNode }];
    });
}

export interface ServedTrack {
  readonly region: string;
  readonly endpoint: string;
  readonly track: string;
  readonly version: string;
  readonly gpusPerReplica: number;
  /** "90%" of live traffic, or "mirror 20%". */
  readonly traffic: string;
}

interface RouteSpec {
  rules?: { backendRefs?: { name: string; weight?: number }[]; filters?: { type: string; requestMirror?: { backendRef: { name: string }; percent?: number } }[] }[];
}

/** What each region serves, read from the declared Deployments and HTTPRoutes (not from config). */
export function servedTracks(doc: PlanDocument): ServedTrack[] {
  const byUrn = index(doc.resources);
  const routes = doc.resources.filter((r) => r.type === "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute");
  return doc.resources
    .filter((r) => r.type === "kubernetes:apps/v1:Deployment")
    .flatMap((d) => {
      const meta = (d.inputs.metadata ?? {}) as { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
      const endpoint = meta.labels?.["llm-blueprint/endpoint"];
      const track = meta.labels?.["llm-blueprint/track"];
      if (!endpoint || !track) return [];
      const region = regionOf(d, byUrn);
      const route = routes.find((r) => regionOf(r, byUrn) === region && (r.inputs.metadata as { namespace?: string } | undefined)?.namespace === meta.namespace);
      const rule = ((route?.inputs.spec ?? {}) as RouteSpec).rules?.[0];
      const weight = rule?.backendRefs?.find((b) => b.name === meta.name)?.weight;
      const mirror = rule?.filters?.find((f) => f.type === "RequestMirror" && f.requestMirror?.backendRef.name === meta.name);
      // A Flagger Canary's target: the route is Flagger's, all live traffic on the primary it keeps of this spec.
      const rollout = doc.resources.some((c) => c.type === "kubernetes:flagger.app/v1beta1:Canary" && regionOf(c, byUrn) === region && (c.inputs.metadata as { namespace?: string } | undefined)?.namespace === meta.namespace && (c.inputs.spec as { targetRef?: { name?: string } } | undefined)?.targetRef?.name === meta.name);
      const mirrorOf = doc.resources.find((c) => c.type === "kubernetes:flagger.app/v1beta1:Canary" && regionOf(c, byUrn) === region && JSON.stringify((c.inputs.spec as { service?: { mirror?: unknown } } | undefined)?.service?.mirror ?? []).includes(`"name":"${meta.name ?? ""}"`));
      // A route of the program's with a prefix match to this Deployment's Service takes every request
      // (the emergency warm rollback); it outranks Flagger's route, so the rollout target then gets none.
      const takenBy = routes
        .filter((r) => regionOf(r, byUrn) === region && (r.inputs.metadata as { namespace?: string } | undefined)?.namespace === meta.namespace)
        .flatMap((r) => takeoverBackends(r.inputs.spec))[0];
      const warmTrack = track === "previous";
      const traffic = takenBy === meta.name ? "all" : rollout ? (takenBy !== undefined ? "bypassed" : "primary") : warmTrack ? "warm" : mirrorOf ? "mirror" : weight !== undefined ? `${weight}%` : mirror ? `mirror ${mirror.requestMirror?.percent ?? 100}%` : "none";
      const container = ((d.inputs.spec as { template?: { spec?: { containers?: { resources?: { limits?: Record<string, string> } }[] } } })?.template?.spec?.containers ?? [])[0];
      const gpus = Number(container?.resources?.limits?.["nvidia.com/gpu"] ?? 0);
      return [{ region, endpoint, track, version: meta.annotations?.["llm-blueprint/version"] ?? "?", gpusPerReplica: gpus, traffic }];
    });
}

export interface DeclaredAlert {
  readonly region: string;
  readonly group: string;
  readonly alert: string;
  readonly severity: string;
  readonly endpoint?: string;
  /** The number the expression compares against (its last `> n` or `< n`). */
  readonly threshold?: string;
  readonly for: string;
  readonly expr: string;
}

interface RuleSpec {
  groups?: { name: string; rules: { alert: string; expr: string; for?: string; labels?: { severity?: string; endpoint?: string } }[] }[];
}

/** Alert rules as declared in the PrometheusRule resources, per region (read from the plan, not config). */
export function declaredAlerts(doc: PlanDocument): DeclaredAlert[] {
  const byUrn = index(doc.resources);
  return doc.resources
    .filter((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    .flatMap((r) =>
      (((r.inputs.spec ?? {}) as RuleSpec).groups ?? []).flatMap((g) =>
        g.rules.map((rule) => ({
          region: regionOf(r, byUrn),
          group: g.name,
          alert: rule.alert,
          severity: rule.labels?.severity ?? "",
          endpoint: rule.labels?.endpoint,
          threshold: /[<>]=?\s*([0-9.e-]+)\s*$/.exec(rule.expr)?.[1],
          for: rule.for ?? "0m",
          expr: rule.expr,
        })),
      ),
    );
}

export interface GlobalRecovery {
  readonly fqdn: string;
  readonly routing: string;
  readonly regions: readonly string[];
  readonly recoveryTime: RecoveryTime;
}

/**
 * Each global endpoint's recovery estimate. The name and its health checks are platform's
 * (GlobalEndpoint components); the estimate needs serving's replicas and cold start, so it comes from
 * serving's `globalEndpoints` output, or from the component when one program declares both.
 */
export function globalRecoveries(doc: PlanDocument): GlobalRecovery[] {
  const fromOutputs = new Map<string, RecoveryTime>();
  const scan = (outputs: unknown) => {
    const g = outputs && typeof outputs === "object" ? (outputs as Record<string, unknown>).globalEndpoints : undefined;
    if (!g || typeof g !== "object") return;
    for (const v of Object.values(g as Record<string, { url?: string; recoveryTime?: RecoveryTime }>)) {
      if (v?.url && v.recoveryTime) fromOutputs.set(v.url.replace(/^https:\/\//, "").replace(/\/v1$/, ""), v.recoveryTime);
    }
  };
  scan(doc.outputs);
  for (const v of Object.values(doc.outputs ?? {})) scan(v);
  return doc.resources
    .filter((r) => r.type === GLOBAL_COMPONENT && r.outputs)
    .map((r) => r.outputs as { fqdn: string; routing: string; regions: string[]; recoveryTime?: RecoveryTime })
    .flatMap((o) => {
      const recoveryTime = o.recoveryTime ?? fromOutputs.get(o.fqdn);
      return recoveryTime ? [{ fqdn: o.fqdn, routing: o.routing, regions: o.regions, recoveryTime }] : [];
    });
}

/** Flattens outputs to `path: value` lines. */
export function flattenOutputs(value: unknown, prefix = ""): [string, string][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => flattenOutputs(v, `${prefix}[${i}]`));
  if (value && typeof value === "object") {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => flattenOutputs(v, prefix ? `${prefix}.${k}` : k));
  }
  return [[prefix, typeof value === "string" ? value : JSON.stringify(value)]];
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => "  " + r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd());
}

/** Wraps `text` at `width` columns after separators; continuation lines start with `indent`. */
export function wrap(text: string, width: number, indent: string, separator = ", "): string[] {
  const parts = text.split(separator);
  const lines: string[] = [];
  let line = "";
  for (const [i, part] of parts.entries()) {
    const piece = part + (i < parts.length - 1 ? separator.trimEnd() : "");
    if (line && (line + " " + piece).length > width) {
      lines.push(line);
      line = indent + piece;
    } else {
      line = line ? `${line}${line.endsWith(" ") ? "" : " "}${piece}` : piece;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Widest line the summary aims for (tables are narrowed and lists wrapped to fit). */
export const SUMMARY_WIDTH = 120;

/** US dollars with cents; an amount that rounds to zero but is not zero shows as "<$0.01", never "$0.00". */
export const usd = (n: number) => (n > 0 && n < 0.005 ? "<$0.01" : `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);

/** Cost table rows: node groups one per pool, everything else summed per region, component and kind. */
export function costRows(cost: CostEstimate, order: readonly string[] = []): { region: string; component: string; item: string; min: number; max: number }[] {
  const rows = new Map<string, { region: string; component: string; item: string; min: number; max: number; count: number }>();
  for (const l of cost.lines) {
    const pool = l.kind === "nodes" || l.kind === "node volumes" || l.kind === "reserved capacity" || l.kind === "capacity block";
    const key = pool ? `${l.region}|${l.component}|${l.resource}|${l.kind}|${l.kind === "capacity block" ? l.detail : ""}` : `${l.region}|${l.component}|${l.kind}`;
    // The region and component are columns of their own: "h100", not "us-east-1-karpenter-h100-nodepool".
    const bare = l.resource.replace(/-(ng|nodepool)$/, "").replace(new RegExp(`^(${l.region}-)?karpenter-`), "$1");
    const poolName = bare.startsWith(`${l.region}-`) ? bare.slice(l.region.length + 1) : bare;
    const item = pool ? `${poolName} ${l.kind === "node volumes" ? `volumes (${l.detail})` : l.detail}` : l.kind;
    const row = rows.get(key) ?? { region: l.region, component: l.component, item, min: 0, max: 0, count: 0 };
    row.min += l.hourly.min;
    row.max += l.hourly.max;
    row.count++;
    rows.set(key, row);
  }
  const sorted = [...rows.values()]
    .map((r) => ({ region: r.region, component: r.component, item: r.count > 1 ? `${r.item} x ${r.count}` : r.item, min: r.min, max: r.max }))
    .sort((a, b) => a.component.localeCompare(b.component) || a.item.localeCompare(b.item));
  return byRegionOrder(sorted, order, (r) => r.region);
}

export function renderCost(cost: CostEstimate, order: readonly string[] = []): string[] {
  const lines = [`Estimated on-demand cost (USD; pricing/aws-on-demand.yaml, prices read ${cost.pricesRead}; ${cost.hoursPerMonth} h/month)`];
  const h = cost.hoursPerMonth;
  const rows = [["region", "component", "item", "min /h", "max /h", "min /month", "max /month"]];
  for (const r of costRows(cost, order)) rows.push([r.region, r.component, r.item, usd(r.min), usd(r.max), usd(r.min * h), usd(r.max * h)]);
  const unpricedRegions = new Set(cost.unpriced.map((u) => u.region));
  const regions = byRegionOrder([...new Set([...Object.keys(cost.byRegion), ...unpricedRegions])], order, (r) => r);
  for (const region of regions) {
    const c = cost.byRegion[region];
    // A region with unpriced items has no true total: say so instead of showing the priced part as the whole.
    const label = unpricedRegions.has(region) ? "region total: unpriced" : "region total";
    rows.push(c ? [region, "", unpricedRegions.has(region) ? `${label} (priced part)` : label, usd(c.min), usd(c.max), usd(c.min * h), usd(c.max * h)] : [region, "", label, "unpriced", "unpriced", "unpriced", "unpriced"]);
  }
  const t = cost.total;
  rows.push(["total", "", cost.unpriced.length ? "priced items only" : "", usd(t.hourly.min), usd(t.hourly.max), usd(t.monthly.min), usd(t.monthly.max)]);
  lines.push(...table(rows));
  if (cost.unpriced.length > 0) {
    lines.push(`  unpriced (not counted): ${cost.unpriced.length}`);
    for (const u of byRegionOrder(cost.unpriced, order, (x) => x.region)) lines.push(...wrap(`${u.region} ${u.component} ${u.resource}: ${u.reason}`, SUMMARY_WIDTH - 4, "  ", " ").map((l) => `    ${l}`));
  }
  lines.push(...wrap(`  not estimated: ${cost.notEstimated.join("; ")}`, SUMMARY_WIDTH, "    ", "; "));
  return lines;
}

export interface VerdictOptions {
  /** The changes against the baseline (--diff). */
  readonly diff?: PlanDiff;
  /** How the baseline is named in messages (its file). */
  readonly baseLabel?: string;
  /** --fail-on-diff: any change against the baseline exits 3, a data-at-risk change 4. */
  readonly failOnDiff?: boolean;
  /** Where --json wrote the plan document. */
  readonly jsonFile?: string;
  /** The day the Kubernetes support line is judged on (YYYY-MM-DD). @default the cost estimate's asOf, else today (UTC) */
  readonly today?: string;
}

export interface SummaryOptions extends VerdictOptions {
  /** List every stack output (--outputs); otherwise the summary only counts them. @default false */
  readonly outputs?: boolean;
}

export interface PlanVerdict {
  /**
   * What `npm run plan` exits with: 0 clean, 1 mandatory violation, 3 changes with --fail-on-diff,
   * 4 with --fail-on-diff a delete or replacement of a protected, retained or data-holding resource.
   */
  readonly exitCode: 0 | 1 | 3 | 4;
  /** Why, in a few words. */
  readonly reason: string;
  readonly mandatory: number;
  readonly advisory: number;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The plan's exit status and why; the CLI exits with `exitCode`. */
export function planVerdict(doc: PlanDocument, opts: VerdictOptions = {}): PlanVerdict {
  const mandatory = doc.policy.violations.filter((v) => v.enforcementLevel === "mandatory");
  const advisory = doc.policy.violations.filter((v) => v.enforcementLevel === "advisory").length;
  const base = opts.baseLabel ?? "the baseline";
  const changes = opts.diff?.changes.length ?? 0;
  if (mandatory.length > 0) {
    return { exitCode: 1, reason: `${plural(mandatory.length, "mandatory policy violation")} (${[...new Set(mandatory.map((v) => v.policy))].join(", ")})`, mandatory: mandatory.length, advisory };
  }
  const risks = opts.diff?.dataAtRisk.length ?? 0;
  if (opts.diff && opts.failOnDiff && risks > 0) {
    return { exitCode: 4, reason: `data at risk: ${plural(risks, "protected, retained or data-holding resource")} deleted or replaced against ${base} with --fail-on-diff`, mandatory: 0, advisory };
  }
  if (opts.diff && opts.failOnDiff && changes > 0) {
    return { exitCode: 3, reason: `${plural(changes, "change")} against ${base} with --fail-on-diff`, mandatory: 0, advisory };
  }
  if (opts.diff && changes > 0) return { exitCode: 0, reason: `no mandatory policy violation; ${plural(changes, "change")} against ${base} (no --fail-on-diff)`, mandatory: 0, advisory };
  return { exitCode: 0, reason: `planned cleanly, no mandatory policy violation${opts.diff ? `, no changes against ${base}` : ""}`, mandatory: 0, advisory };
}

function policyCounts(doc: PlanDocument, v: PlanVerdict): string {
  const other = doc.policy.violations.length - v.mandatory - v.advisory;
  return `${v.mandatory} mandatory, ${v.advisory} advisory${other > 0 ? `, ${other} other` : ""} violation${doc.policy.violations.length === 1 ? "" : "s"}`;
}

/** The one-line verdict `--quiet` still prints: exit status and why, violation counts, where the plan document went. */
export function renderVerdictLine(doc: PlanDocument, opts: VerdictOptions = {}): string {
  const v = planVerdict(doc, opts);
  return `Plan ${doc.project}/${doc.stack}: exit ${v.exitCode}: ${v.reason}; policy: ${policyCounts(doc, v)}; ${opts.jsonFile ? `plan document written to ${opts.jsonFile}` : "no plan document written (--json <file> writes one)"}`;
}

/**
 * One line per Kubernetes version the plan's EKS clusters pin: its standard-support end, or a warning
 * when that is 90 days away or past (the pack's kubernetes-version-* policies hold the same judgement).
 */
export function kubernetesSupportLines(doc: PlanDocument, today: string): string[] {
  const versions = [...new Set(doc.resources.filter((r) => r.type === "aws:eks/cluster:Cluster").map((r) => (typeof r.inputs.version === "string" ? r.inputs.version : "(unset)")))].sort();
  return versions.map((version) => {
    const s = versionSupport(version, today);
    if (!s) return `  WARNING       Kubernetes ${version} is not in the EKS version calendar (lib/k8sCalendar.ts): support phase and control-plane rate unknown`;
    return s.phase === "standard" && !s.endingSoon ? `  kubernetes    ${describeSupport(s)}` : `  WARNING       ${describeSupport(s)}`;
  });
}

/** The first lines of the summary: verdict, violations, data at risk, resource changes, cost and its delta. */
export function renderVerdict(doc: PlanDocument, opts: VerdictOptions = {}): string[] {
  const v = planVerdict(doc, opts);
  const counts = countResources(doc);
  const regions = regionOrder(doc).filter((r) => r !== "global" && counts.byRegion[r]);
  const d = opts.diff;
  const base = opts.baseLabel ?? "the baseline";
  const lines = [`Plan ${doc.project}/${doc.stack}: exit ${v.exitCode}: ${v.reason}`, `  policy        ${policyCounts(doc, v)}`];
  const open = unauthenticatedRoutes(doc.resources);
  if (open.length > 0) lines.push(`  WARNING       ${open.length} model route(s) answer without authentication (serving.auth.type none, allowed in dev only): ${open.join(", ")}`);
  lines.push(...kubernetesSupportLines(doc, opts.today ?? doc.cost?.asOf ?? utcDay()));
  if (!d) {
    lines.push("  data at risk  n/a without --diff (deletes, replacements and the prod gate data-loss-not-allowed need a baseline)");
  } else if (d.dataAtRisk.length === 0) {
    lines.push("  data at risk  none: no delete or replacement of a protected, retained or data-holding resource");
  } else {
    const lost = d.dataAtRisk.filter((r) => r.dataLost).length;
    lines.push(`  data at risk  ${d.dataAtRisk.length} protected, retained or data-holding resource(s) deleted or replaced; ${lost} lose their data`);
    for (const r of d.dataAtRisk.slice(0, 5)) {
      lines.push(`    ${r.action} ${r.region} ${r.type.split(":").pop()} ${r.name}: ${r.reasons.join(", ")}`);
      lines.push(...wrap(`${r.project ? `${r.project}: ` : ""}loses ${r.lost}`, SUMMARY_WIDTH - 6, "", " ").map((l) => `      ${l}`));
    }
    if (d.dataAtRisk.length > 5) lines.push(`    ... ${d.dataAtRisk.length - 5} more (all listed under "Data at risk" before the changes at the end)`);
  }
  const where = `${plural(regions.length, "region")} (${regions.join(", ")})`;
  if (d) {
    const c = d.counts;
    lines.push(`  changes       ${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to delete`, `  resources     ${counts.custom} after the change, in ${where} and global`);
  } else {
    const components = counts.total - counts.custom - counts.reads - counts.stacks;
    // One project: "and the stack"; both: each project's stack, and serving's StackReference read.
    const rest = counts.stacks > 1 ? `${components} components, ${counts.stacks} stacks` : `${components} components and the stack`;
    lines.push(`  resources     ${counts.custom} to create in ${where} and global; ${rest}${counts.reads > 0 ? `, ${plural(counts.reads, "read")}` : ""}`);
  }
  if (!doc.cost) {
    lines.push("  cost          not estimated (no price file)");
  } else {
    const t = doc.cost.total;
    lines.push(`  cost          ${usd(t.hourly.min)} / ${usd(t.hourly.max)} per hour at min / max (${usd(t.monthly.min)} / ${usd(t.monthly.max)} a month)`);
    if (doc.cost.unpriced.length > 0) {
      lines.push(`                priced items only: ${doc.cost.unpriced.length} unpriced in ${[...new Set(doc.cost.unpriced.map((u) => u.region))].join(", ")} (listed under the cost table)`);
    }
    lines.push(`  cost delta    ${!d ? "n/a without --diff" : d.cost ? renderCostDeltaShort(d) : `n/a: ${base} has no cost estimate`}`);
  }
  if (opts.jsonFile) lines.push(`  plan document ${opts.jsonFile}`);
  return lines;
}

/** The hourly delta at min / max, or "unpriced" when the new plan has items without a price. */
function renderCostDeltaShort(d: PlanDiff): string {
  const c = d.cost!;
  if (c.newlyUnpriced.length > 0) return `unpriced (${plural(c.newlyUnpriced.length, "new item")} without a price in ${[...new Set(c.newlyUnpriced.map((u) => u.region))].join(", ")})`;
  const signed = (a: number, b: number) => `${b - a >= 0 ? "+" : "-"}${usd(Math.abs(b - a))}`;
  return `${signed(c.before.min, c.after.min)} / ${signed(c.before.max, c.after.max)} per hour at min / max`;
}

function renderPolicy(violations: readonly PolicyViolation[]): string[] {
  if (violations.length === 0) return ["Policy: no violations"];
  const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
  const lines = [`Policy: ${violations.length} violation(s), ${mandatory} mandatory`];
  const byPolicy = new Map<string, PolicyViolation[]>();
  for (const v of violations) byPolicy.set(v.policy, [...(byPolicy.get(v.policy) ?? []), v]);
  for (const [policy, list] of byPolicy) {
    lines.push(`  ${policy} (${list[0].enforcementLevel}, ${list.length})`);
    for (const v of list) lines.push(`    - ${v.urn ? `${v.urn.split("::").pop()}: ` : ""}${v.message}`);
  }
  return lines;
}

/**
 * The plan as text: the verdict first (exit status, violations, data at risk, changes, cost), then
 * the policy details, resources, GPU capacity, served models, SLO alerts, global endpoints and the
 * cost table; the stack outputs only with `outputs`.
 */
export function renderSummary(doc: PlanDocument, opts: SummaryOptions = {}): string {
  const counts = countResources(doc);
  const order = regionOrder(doc);
  const lines: string[] = [...renderVerdict(doc, opts)];
  lines.push("", ...renderPolicy(doc.policy.violations));
  lines.push("", "Resources by region and component");
  for (const [region, entry] of Object.entries(counts.byRegion)) {
    const parts = Object.entries(entry.byComponent).sort(([a], [b]) => a.localeCompare(b)).map(([c, n]) => `${c} ${n}`);
    lines.push(...wrap(`  ${region.padEnd(16)} ${String(entry.total).padStart(4)}   ${parts.join(", ")}`, SUMMARY_WIDTH, " ".repeat(26)));
  }
  const pools = gpuCapacity(doc);
  lines.push("", "GPU capacity (nodes and GPUs at min / max)");
  if (pools.length === 0) {
    lines.push("  no GPU pools");
  } else {
    const rows = [["region", "node group", "class", "instance", "GPUs/node", "nodes", "GPUs"]];
    for (const p of pools) rows.push([p.region, p.nodeGroup, p.gpuClass, p.instanceType, String(p.gpusPerNode), `${p.minNodes} / ${p.maxNodes}`, `${p.minGpus} / ${p.maxGpus}`]);
    const byClass = new Map<string, [number, number]>();
    for (const p of pools) {
      const [lo, hi] = byClass.get(p.gpuClass) ?? [0, 0];
      byClass.set(p.gpuClass, [lo + p.minGpus, hi + p.maxGpus]);
    }
    for (const [cls, [lo, hi]] of byClass) rows.push(["total", "", cls, "", "", "", `${lo} / ${hi}`]);
    lines.push(...table(rows));
  }
  const served = servedTracks(doc);
  if (served.length > 0) {
    lines.push("", "Served models (traffic per track: Flagger's primary, a mirror, a warm previous version, all in an emergency rollback)");
    const rows = [["region", "endpoint", "track", "version", "GPUs", "traffic"]];
    for (const t of served) rows.push([t.region, t.endpoint, t.track, t.version, String(t.gpusPerReplica), t.traffic]);
    lines.push(...table(rows));
  }
  const byUrnForRollouts = index(doc.resources);
  lines.push(...renderRollouts(rolloutRows(doc, (r) => regionOf(r, byUrnForRollouts))));
  const alerts = declaredAlerts(doc);
  if (alerts.length > 0) {
    lines.push("", "SLO alerts (PrometheusRule per cluster: fires when the p99 or error rate stays above the SLO for the window)");
    const slo = (a: DeclaredAlert[], name: string, unit: string) => {
      const hit = a.find((x) => x.alert === name);
      return hit ? `> ${hit.threshold}${unit} for ${hit.for}` : "-";
    };
    const rows = [["region", "endpoint", "TTFT p99", "TPOT p99", "5xx rate"]];
    const keys = [...new Set(alerts.filter((a) => a.endpoint).map((a) => `${a.region}\u0000${a.endpoint}`))];
    for (const key of keys) {
      const [region, endpoint] = key.split("\u0000");
      const mine = alerts.filter((a) => a.region === region && a.endpoint === endpoint);
      rows.push([region, endpoint, slo(mine, "LlmTtftP99AboveSlo", " s"), slo(mine, "LlmTpotP99AboveSlo", " s"), slo(mine, "LlmErrorRateAboveSlo", "%")]);
    }
    lines.push(...table(rows));
    const fleet = [...new Map(alerts.filter((a) => !a.endpoint).map((a) => [a.alert, a])).values()];
    lines.push(...wrap(`  fleet alerts in every cluster: ${fleet.map((a) => `${a.alert} (${a.severity}, ${a.for})`).join(", ")}`, SUMMARY_WIDTH, "    "));
  }
  const coldStart = renderColdStart(coldStartBudgets(doc));
  if (coldStart.length > 0) lines.push("", "Cold start per served version (new GPU node to serving, seconds, as each Deployment budgets it)", ...coldStart);
  const capacity = renderCapacity(capacityReport(doc));
  if (capacity.length > 0) lines.push("", ...capacity);
  const globals = globalRecoveries(doc);
  if (globals.length > 0) {
    lines.push("", "Global endpoints (time for traffic to leave a failed region: typical / worst case, by term)");
    for (const o of globals) {
      const t = o.recoveryTime;
      lines.push(`  ${o.fqdn} (${o.routing}: ${o.regions.join(", ")}): ${t.typicalSeconds} s typical, ${t.worstSeconds} s worst case`);
      const rows = [["term", "typical", "worst", "from"], ...t.terms.map((x) => [x.term, `${x.typicalSeconds} s`, `${x.worstSeconds} s`, x.source])];
      // The "from" column is prose: wrap it under itself so the table stays within the summary width.
      const fromColumn = 4 + [0, 1, 2].reduce((sum, c) => sum + Math.max(...rows.map((r) => r[c].length)) + 2, 0);
      for (const l of table(rows)) {
        const [first, ...rest] = wrap(l.slice(fromColumn - 2), SUMMARY_WIDTH - fromColumn, "", " ");
        lines.push(`  ${l.slice(0, fromColumn - 2)}${first ?? ""}`.trimEnd(), ...rest.map((x) => " ".repeat(fromColumn) + x));
      }
    }
  }
  if (doc.cost) lines.push("", ...renderCost(doc.cost, order));
  // Outputs are long (every endpoint, pool and version per region) and all in the plan document.
  const outputs = flattenOutputs(doc.outputs);
  if (opts.outputs) {
    lines.push("", "Outputs");
    for (const [k, v] of outputs) lines.push(`  ${k}: ${v}`);
  } else {
    lines.push("", `Outputs: ${outputs.length} values, not listed (--outputs lists them; --json writes them to the plan document)`);
  }
  return lines.join("\n");
}
