import { gpuInstanceSpec } from "../gpu";
import type { CostEstimate } from "./cost";
import { PlanDocument, PlanResource, PolicyViolation } from "./document";

/** Pure views over a plan document, shared by the CLI summary, the benchmark and the tests. */

const REGION_COMPONENT = "llm-blueprint:region:InferenceRegion";
const GLOBAL_COMPONENT = "llm-blueprint:traffic:GlobalEndpoint";

function index(resources: readonly PlanResource[]): Map<string, PlanResource> {
  return new Map(resources.map((r) => [r.urn, r]));
}

/** Ancestors of a resource, nearest first. */
function ancestors(r: PlanResource, byUrn: Map<string, PlanResource>): PlanResource[] {
  const out: PlanResource[] = [];
  for (let p = r.parent && byUrn.get(r.parent); p; p = p.parent ? byUrn.get(p.parent) : undefined) out.push(p);
  return out;
}

/**
 * The region a resource belongs to: its InferenceRegion ancestor's name, else the region of the
 * aws provider it uses, else "global" (providers and the stack itself).
 */
export function regionOf(r: PlanResource, byUrn: Map<string, PlanResource>): string {
  if (r.type === REGION_COMPONENT) return r.name;
  const chain = ancestors(r, byUrn);
  const region = chain.find((a) => a.type === REGION_COMPONENT)?.name;
  if (region) return region;
  // Global DNS and health checks belong to no region, whichever provider creates them.
  if (r.type === GLOBAL_COMPONENT || chain.some((a) => a.type === GLOBAL_COMPONENT)) return "global";
  const provider = r.provider ? byUrn.get(r.provider) : undefined;
  const providerRegion = provider?.type === "pulumi:providers:aws" ? provider.inputs.region : undefined;
  return typeof providerRegion === "string" ? providerRegion : "global";
}

/** The blueprint component a resource was created by: the nearest llm-blueprint component other than the region. */
export function componentOf(r: PlanResource, byUrn: Map<string, PlanResource>): string {
  const owner = ancestors(r, byUrn).find((a) => a.type.startsWith("llm-blueprint:") && a.type !== REGION_COMPONENT);
  return owner ? owner.type.split(":").pop()! : "(stack)";
}

export interface ResourceCounts {
  readonly total: number;
  readonly custom: number;
  readonly byRegion: Record<string, { total: number; byComponent: Record<string, number> }>;
}

/** Counts custom resources (what a cloud bill and `pulumi up` act on) by region and component. */
export function countResources(doc: PlanDocument): ResourceCounts {
  const byUrn = index(doc.resources);
  const byRegion: ResourceCounts["byRegion"] = {};
  let custom = 0;
  for (const r of doc.resources) {
    if (!r.custom) continue;
    custom++;
    const region = regionOf(r, byUrn);
    const entry = (byRegion[region] ??= { total: 0, byComponent: {} });
    entry.total++;
    const component = componentOf(r, byUrn);
    entry.byComponent[component] = (entry.byComponent[component] ?? 0) + 1;
  }
  return { total: doc.resources.length, custom, byRegion };
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

/** GPU capacity per GPU node group, read from the declared node groups (not from config). */
export function gpuCapacity(doc: PlanDocument): PoolCapacity[] {
  const byUrn = index(doc.resources);
  return doc.resources
    .filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup")
    .flatMap((r) => {
      const labels = (r.inputs.labels ?? {}) as Record<string, string>;
      const gpuClass = labels["gpu.class"];
      if (!gpuClass) return [];
      const instanceType = ((r.inputs.instanceTypes ?? []) as string[])[0] ?? "?";
      const scaling = (r.inputs.scalingConfig ?? {}) as { minSize?: number; maxSize?: number };
      const gpusPerNode = gpuInstanceSpec(instanceType)?.gpus ?? 0;
      const minNodes = scaling.minSize ?? 0;
      const maxNodes = scaling.maxSize ?? 0;
      return [{ region: regionOf(r, byUrn), nodeGroup: r.name, gpuClass, instanceType, gpusPerNode, minNodes, maxNodes, minGpus: minNodes * gpusPerNode, maxGpus: maxNodes * gpusPerNode }];
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
      const traffic = weight !== undefined ? `${weight}%` : mirror ? `mirror ${mirror.requestMirror?.percent ?? 100}%` : "none";
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

const usd = (n: number) => `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** Cost table rows: node groups one per pool, everything else summed per region, component and kind. */
export function costRows(cost: CostEstimate): { region: string; component: string; item: string; min: number; max: number }[] {
  const rows = new Map<string, { region: string; component: string; item: string; min: number; max: number; count: number }>();
  for (const l of cost.lines) {
    const pool = l.kind === "nodes" || l.kind === "node volumes";
    const key = pool ? `${l.region}|${l.component}|${l.resource}|${l.kind}` : `${l.region}|${l.component}|${l.kind}`;
    const item = pool ? `${l.resource.replace(/-ng$/, "")} ${l.kind === "nodes" ? l.detail : `volumes (${l.detail})`}` : l.kind;
    const row = rows.get(key) ?? { region: l.region, component: l.component, item, min: 0, max: 0, count: 0 };
    row.min += l.hourly.min;
    row.max += l.hourly.max;
    row.count++;
    rows.set(key, row);
  }
  return [...rows.values()]
    .map((r) => ({ region: r.region, component: r.component, item: r.count > 1 ? `${r.item} x ${r.count}` : r.item, min: r.min, max: r.max }))
    .sort((a, b) => a.region.localeCompare(b.region) || a.component.localeCompare(b.component) || a.item.localeCompare(b.item));
}

export function renderCost(cost: CostEstimate): string[] {
  const lines = [`Estimated on-demand cost (USD; pricing/aws-on-demand.yaml, prices read ${cost.pricesRead}; ${cost.hoursPerMonth} h/month)`];
  const h = cost.hoursPerMonth;
  const rows = [["region", "component", "item", "min /h", "max /h", "min /month", "max /month"]];
  for (const r of costRows(cost)) rows.push([r.region, r.component, r.item, usd(r.min), usd(r.max), usd(r.min * h), usd(r.max * h)]);
  for (const [region, c] of Object.entries(cost.byRegion)) rows.push([region, "", "region total", usd(c.min), usd(c.max), usd(c.min * h), usd(c.max * h)]);
  const t = cost.total;
  rows.push(["total", "", cost.unpriced.length ? "priced items only" : "", usd(t.hourly.min), usd(t.hourly.max), usd(t.monthly.min), usd(t.monthly.max)]);
  lines.push(...table(rows));
  if (cost.unpriced.length > 0) {
    lines.push(`  unpriced (not counted): ${cost.unpriced.length}`);
    for (const u of cost.unpriced) lines.push(`    ${u.region} ${u.component} ${u.resource}: ${u.reason}`);
  }
  lines.push(`  not estimated: ${cost.notEstimated.join("; ")}`);
  return lines;
}

export function renderSummary(doc: PlanDocument): string {
  const counts = countResources(doc);
  const regions = Object.keys(counts.byRegion).filter((r) => r !== "global");
  const lines: string[] = [];
  lines.push(`Plan ${doc.project}/${doc.stack}: ${counts.custom} resources to create in ${regions.length} region${regions.length === 1 ? "" : "s"} (${counts.total - counts.custom} components and the stack)`);
  lines.push("", "Resources by region and component");
  for (const [region, entry] of Object.entries(counts.byRegion).sort(([a], [b]) => a.localeCompare(b))) {
    const parts = Object.entries(entry.byComponent).sort(([a], [b]) => a.localeCompare(b)).map(([c, n]) => `${c} ${n}`);
    lines.push(`  ${region.padEnd(16)} ${String(entry.total).padStart(4)}   ${parts.join(", ")}`);
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
    lines.push("", "Served models (route traffic per track)");
    const rows = [["region", "endpoint", "track", "version", "GPUs/replica", "traffic"]];
    for (const t of served) rows.push([t.region, t.endpoint, t.track, t.version, String(t.gpusPerReplica), t.traffic]);
    lines.push(...table(rows));
  }
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
    lines.push(`  fleet alerts in every cluster: ${fleet.map((a) => `${a.alert} (${a.severity}, ${a.for})`).join(", ")}`);
  }
  const globals = doc.resources.filter((r) => r.type === GLOBAL_COMPONENT && r.outputs);
  if (globals.length > 0) {
    lines.push("", "Global endpoints (worst case for traffic to leave a failed region)");
    const rows = [["name", "routing", "regions", "detection", "DNS TTL", "scale-up", "total"]];
    for (const g of globals) {
      const o = g.outputs as { fqdn: string; routing: string; regions: string[]; recoveryTime: { detectionSeconds: number; dnsSeconds: number; scaleUpSeconds: number; totalSeconds: number } };
      const t = o.recoveryTime;
      rows.push([o.fqdn, o.routing, o.regions.join(", "), `${t.detectionSeconds} s`, `${t.dnsSeconds} s`, `${t.scaleUpSeconds} s`, `${t.totalSeconds} s`]);
    }
    lines.push(...table(rows));
  }
  if (doc.cost) lines.push("", ...renderCost(doc.cost));
  lines.push("", "Outputs");
  for (const [k, v] of flattenOutputs(doc.outputs)) lines.push(`  ${k}: ${v}`);
  const violations = doc.policy.violations;
  if (violations.length === 0) {
    lines.push("", "Policy: no violations");
  } else {
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
    lines.push("", `Policy: ${violations.length} violation(s), ${mandatory} mandatory`);
    const byPolicy = new Map<string, PolicyViolation[]>();
    for (const v of violations) byPolicy.set(v.policy, [...(byPolicy.get(v.policy) ?? []), v]);
    for (const [policy, list] of byPolicy) {
      lines.push(`  ${policy} (${list[0].enforcementLevel}, ${list.length})`);
      for (const v of list) lines.push(`    - ${v.urn ? `${v.urn.split("::").pop()}: ` : ""}${v.message}`);
    }
  }
  return lines.join("\n");
}
