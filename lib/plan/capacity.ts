import { CAPACITY_TYPES, CapacityType, nodesByCapacityType, PoolCapacity, ResolvedReservation } from "../capacity";
import { GpuClass, gpuInstanceSpec } from "../gpu";
import { QuotaNeed, quotaNeeds, vcpusOfLargest } from "../quotas";
import { PlanDocument, PlanResource } from "./document";
import { regionOf } from "./placement";

/**
 * The GPU capacity table and the vCPU quotas it needs, read from the recorded Karpenter objects: each
 * NodePool's bounds annotation (min/max nodes, reserved nodes), its capacity-type and instance-type
 * requirements and its nvidia.com/gpu limit (what Karpenter enforces), and its EC2NodeClass's
 * reservations annotation. Not from config: the plan shows what the program declared.
 */

const NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool";
const NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass";
const CAPACITY_ANNOTATION = "llm-blueprint.io/capacity";
const RESERVATIONS_ANNOTATION = "llm-blueprint.io/capacity-reservations";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const parse = (raw: unknown): unknown => {
  try {
    return JSON.parse(typeof raw === "string" ? raw : "");
  } catch {
    return undefined;
  }
};

export interface RecordedPool extends PoolCapacity {
  /** The NodePool's `limits["nvidia.com/gpu"]`, undefined when unset (Karpenter then enforces none). */
  readonly limitGpus?: number;
  readonly urn: string;
}

export interface CapacityRow {
  readonly pool: RecordedPool;
  /** GPUs by capacity type at the pool's minimum and maximum nodes (reserved first). */
  readonly min: Readonly<Record<CapacityType, number>>;
  readonly max: Readonly<Record<CapacityType, number>>;
}

/** Problems that keep a NodePool out of the table (shown, never silently dropped). */
export interface CapacityProblem {
  readonly urn: string;
  readonly message: string;
}

/** Every GPU NodePool of the plan, resolved from its recorded annotations and spec. */
export function recordedPools(doc: PlanDocument): { pools: RecordedPool[]; problems: CapacityProblem[] } {
  const byUrn = new Map<string, PlanResource>(doc.resources.map((r) => [r.urn, r]));
  const pools: RecordedPool[] = [];
  const problems: CapacityProblem[] = [];
  for (const np of doc.resources.filter((r) => r.type === NODE_POOL)) {
    const meta = obj(np.inputs.metadata);
    const spec = obj(np.inputs.spec);
    const template = obj(obj(spec.template).spec);
    const cap = obj(parse(obj(meta.annotations)[CAPACITY_ANNOTATION]));
    const requirements = (Array.isArray(template.requirements) ? template.requirements : []).map(obj);
    const values = (key: string) => (requirements.find((q) => q.key === key)?.values as unknown[] | undefined)?.map(String) ?? [];
    const instanceTypes = values("node.kubernetes.io/instance-type");
    const capacityTypes = values("karpenter.sh/capacity-type").filter((t): t is CapacityType => (CAPACITY_TYPES as readonly string[]).includes(t));
    const minNodes = Number(cap.minNodes);
    const maxNodes = Number(cap.maxNodes);
    const instanceType = typeof cap.instanceType === "string" ? cap.instanceType : undefined;
    const spec1 = instanceType ? gpuInstanceSpec(instanceType) : undefined;
    if (!spec1 || !Number.isInteger(minNodes) || !Number.isInteger(maxNodes) || instanceTypes.length === 0 || capacityTypes.length === 0) {
      problems.push({ urn: np.urn, message: `NodePool ${np.name}: no complete ${CAPACITY_ANNOTATION} annotation (GPU instance type, min and max nodes) or no instance-type / capacity-type requirement, so its capacity is not counted` });
      continue;
    }
    const nodeClassName = obj(template.nodeClassRef).name;
    const nodeClass = doc.resources.find((c) => c.type === NODE_CLASS && c.provider === np.provider && obj(c.inputs.metadata).name === nodeClassName);
    const reservations = (Array.isArray(parse(obj(obj(nodeClass?.inputs.metadata).annotations)[RESERVATIONS_ANNOTATION])) ? (parse(obj(obj(nodeClass?.inputs.metadata).annotations)[RESERVATIONS_ANNOTATION]) as ResolvedReservation[]) : []);
    const limit = Number(obj(spec.limits)["nvidia.com/gpu"]);
    const region = regionOf(np, byUrn);
    pools.push({
      urn: np.urn,
      region,
      pool: typeof cap.pool === "string" ? cap.pool : np.name,
      gpuClass: spec1.gpuClass as GpuClass,
      instanceType: spec1.instanceType,
      instanceTypes,
      gpusPerNode: spec1.gpus,
      vcpusPerNode: vcpusOfLargest(instanceTypes),
      minNodes,
      maxNodes,
      minGpus: minNodes * spec1.gpus,
      maxGpus: maxNodes * spec1.gpus,
      capacityTypes,
      reservations,
      reservedNodes: reservations.reduce((n, r) => n + (Number(r.instanceCount) || 0), 0),
      availabilityZones: values("topology.kubernetes.io/zone"),
      diskSizeGiB: 0,
      ...(Number.isFinite(limit) && obj(spec.limits)["nvidia.com/gpu"] !== undefined ? { limitGpus: limit } : {}),
    });
  }
  return { pools, problems };
}

export function capacityRows(pools: readonly RecordedPool[]): CapacityRow[] {
  const gpus = (pool: RecordedPool, nodes: number) => {
    const n = nodesByCapacityType(pool, nodes);
    return { reserved: n.reserved * pool.gpusPerNode, "on-demand": n.onDemand * pool.gpusPerNode, spot: n.spot * pool.gpusPerNode };
  };
  return pools.map((pool) => ({ pool, min: gpus(pool, pool.minNodes), max: gpus(pool, pool.maxNodes) }));
}

export interface CapacityReport {
  readonly rows: readonly CapacityRow[];
  readonly quotas: readonly QuotaNeed[];
  readonly problems: readonly CapacityProblem[];
}

export function capacityReport(doc: PlanDocument): CapacityReport {
  const { pools, problems } = recordedPools(doc);
  let quotas: QuotaNeed[] = [];
  const quotaProblems: CapacityProblem[] = [];
  try {
    quotas = quotaNeeds(pools);
  } catch (err) {
    quotaProblems.push({ urn: "", message: (err as Error).message });
  }
  return { rows: capacityRows(pools), quotas, problems: [...problems, ...quotaProblems] };
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => "  " + r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd());
}

/** The GPU capacity and quota tables of the plan summary; empty without Karpenter GPU pools. */
export function renderCapacity(report: CapacityReport): string[] {
  if (report.rows.length === 0 && report.problems.length === 0) return [];
  const lines = ["GPU capacity by capacity type (GPUs at min / max; reserved first, then on-demand, spot only where opted in)"];
  const pair = (row: CapacityRow, t: CapacityType) => (row.pool.capacityTypes.includes(t) ? `${row.min[t]} / ${row.max[t]}` : "-");
  const quotaOf = (row: CapacityRow) =>
    report.quotas
      .filter((q) => q.region === row.pool.region && q.pools.some((p) => p.startsWith(`${row.pool.pool} (`)))
      .map((q) => q.code)
      .join(", ") || "-";
  const rows = [["region", "pool", "class", "instance", "reserved", "on-demand", "spot", "Karpenter limit", "quota"]];
  for (const row of report.rows) {
    const p = row.pool;
    rows.push([p.region, p.pool, p.gpuClass, p.instanceTypes.join(","), pair(row, "reserved"), pair(row, "on-demand"), pair(row, "spot"), p.limitGpus === undefined ? "none" : `${p.limitGpus} GPUs`, quotaOf(row)]);
  }
  if (report.rows.length > 0) lines.push(...table(rows));
  for (const p of report.problems) lines.push(`  not counted: ${p.message}`);
  if (report.quotas.length > 0) {
    lines.push("", "EC2 vCPU quotas needed at max (per region; reserved instances count against On-Demand; spot on its own)");
    const q = [["region", "quota", "code", "vCPUs", "pools"]];
    for (const n of report.quotas) q.push([n.region, n.name, n.code, String(n.vcpus), n.pools.join(", ")]);
    lines.push(...table(q));
  }
  return lines;
}
