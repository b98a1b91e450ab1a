/**
 * GPU capacity as Karpenter provisions it, resolved per region and pool from the stack config: the
 * instance types a NodePool may launch, its node and GPU bounds, the capacity types in the order
 * Karpenter tries them, the reservations it selects and the zones it is pinned to. Pure: the
 * platform's Karpenter half, the serving NodePools, the capacity/quota tables and the cost estimate
 * all read this one resolution.
 *
 * Karpenter's capacity types and their order: a NodePool requirement on `karpenter.sh/capacity-type`
 * with values "reserved", "spot", "on-demand". "If a NodePool is compatible with multiple capacity
 * types, Karpenter will prioritize `reserved` capacity, followed by `spot`, then finally `on-demand`"
 * and falls back within milliseconds (aws/karpenter-provider-aws website/content/en/v1.14/concepts/
 * nodepools.md, release commit of v1.14.1 1d927085d, read 2026-11-25); reservations are selected by the
 * EC2NodeClass's capacityReservationSelectorTerms (concepts/nodeclasses.md there; the reservedCapacity
 * feature gate is beta and on by default in charts/karpenter/values.yaml). The order is Karpenter's, not
 * the requirement's: the blueprint lists the values in that order so the plan reads as it behaves.
 * Spot is opt-in per pool and refused on h100, so on-demand is the fallback of every critical pool.
 */
import type { GpuPoolConfig, RegionConfig, ReservationConfig } from "./config/schema";
import { GpuClass, gpuInstanceSpec } from "./gpu";

/** Values of the well-known label `karpenter.sh/capacity-type`, in the order Karpenter uses them. */
export const CAPACITY_TYPES = ["reserved", "spot", "on-demand"] as const;
export type CapacityType = (typeof CAPACITY_TYPES)[number];

/** GPU classes on which spot is refused (config error and policy): a reclaimed p5 is a long cold start. */
export const SPOT_REFUSED_CLASSES: readonly GpuClass[] = ["h100"];

/** A Capacity Block ending within this many days draws a plan warning. */
export const CAPACITY_BLOCK_WARNING_DAYS = 14;

export type ReservationKind = "on-demand-reservation" | "capacity-block";

export interface ResolvedReservation {
  readonly kind: ReservationKind;
  /** `cr-...` when selected by id. */
  readonly id?: string;
  /** Tags when selected by tags. */
  readonly tags?: Readonly<Record<string, string>>;
  readonly availabilityZone: string;
  /** Instances reserved (nodes of the pool on reserved capacity). */
  readonly instanceCount: number;
  /** Capacity Blocks only: the window, ISO 8601. */
  readonly start?: string;
  readonly end?: string;
  /** Capacity Blocks only: the upfront price of the block, USD, when config gives it. */
  readonly upfrontPriceUsd?: number;
}

/** Nodes of a pool by capacity type, at the pool's minimum or maximum. */
export interface NodesByCapacityType {
  readonly reserved: number;
  readonly onDemand: number;
  readonly spot: number;
}

export interface PoolCapacity {
  readonly region: string;
  /** Pool name, unique in its region; the NodePool and EC2NodeClass are named after it. */
  readonly pool: string;
  readonly gpuClass: GpuClass;
  /** The type served models are sized for. */
  readonly instanceType: string;
  /** Types the NodePool may launch (all of the class, one GPU count). */
  readonly instanceTypes: readonly string[];
  readonly gpusPerNode: number;
  /** vCPUs of the largest allowed type: the quota a node may need. */
  readonly vcpusPerNode: number;
  readonly minNodes: number;
  readonly maxNodes: number;
  readonly minGpus: number;
  /** The NodePool's `limits["nvidia.com/gpu"]`. */
  readonly maxGpus: number;
  /** Capacity types in Karpenter's order of use; never empty. */
  readonly capacityTypes: readonly CapacityType[];
  readonly reservations: readonly ResolvedReservation[];
  /** Sum of the reservations' instance counts. */
  readonly reservedNodes: number;
  /**
   * Zones the NodePool may launch in: the reservations' zones when the pool has reservations (so
   * on-demand overflow stays beside the reserved nodes, and the subnets selected are those zones'),
   * else every zone of the region.
   */
  readonly availabilityZones: readonly string[];
  /** Root volume, GiB. */
  readonly diskSizeGiB: number;
}

function resolveReservation(r: ReservationConfig): ResolvedReservation {
  const base = {
    kind: r.type,
    ...(r.id !== undefined ? { id: r.id } : {}),
    ...(r.tags !== undefined ? { tags: { ...r.tags } } : {}),
    availabilityZone: r.availabilityZone,
    instanceCount: r.instanceCount,
  };
  if (r.type !== "capacity-block") return base;
  return { ...base, start: r.start, end: r.end, ...(r.upfrontPriceUsd !== undefined ? { upfrontPriceUsd: r.upfrontPriceUsd } : {}) };
}

/** One pool of one region, resolved. The config has been validated (lib/config/schema.ts). */
export function poolCapacity(region: { readonly region: string; readonly availabilityZones: readonly string[] }, pool: GpuPoolConfig): PoolCapacity {
  const specs = pool.instanceTypes.map((t) => {
    const spec = gpuInstanceSpec(t);
    if (!spec) throw new Error(`${region.region} pool ${pool.name}: "${t}" is not in the GPU instance table (lib/gpu.ts)`);
    return spec;
  });
  const gpusPerNode = gpuInstanceSpec(pool.instanceType)?.gpus ?? 0;
  const reservations = pool.capacity.reservations.map(resolveReservation);
  const capacityTypes: CapacityType[] = [];
  if (reservations.length > 0) capacityTypes.push("reserved");
  if (pool.capacity.spot) capacityTypes.push("spot");
  if (pool.capacity.onDemand) capacityTypes.push("on-demand");
  const zones = reservations.length > 0 ? region.availabilityZones.filter((az) => reservations.some((r) => r.availabilityZone === az)) : [...region.availabilityZones];
  return {
    region: region.region,
    pool: pool.name,
    gpuClass: pool.class,
    instanceType: pool.instanceType,
    instanceTypes: [...pool.instanceTypes],
    gpusPerNode,
    vcpusPerNode: Math.max(...specs.map((s) => s.vcpus)),
    minNodes: pool.minSize,
    maxNodes: pool.maxSize,
    minGpus: pool.minSize * gpusPerNode,
    maxGpus: pool.maxSize * gpusPerNode,
    capacityTypes,
    reservations,
    reservedNodes: reservations.reduce((n, r) => n + r.instanceCount, 0),
    availabilityZones: zones,
    diskSizeGiB: pool.diskSizeGiB,
  };
}

/** Every pool of every region, in stack order. */
export function stackCapacity(regions: readonly { readonly region: string; readonly availabilityZones: readonly string[]; readonly gpuPools: readonly GpuPoolConfig[] }[]): PoolCapacity[] {
  return regions.flatMap((r) => r.gpuPools.map((p) => poolCapacity(r, p)));
}

/**
 * Nodes by capacity type when the pool runs `nodes` nodes, as Karpenter fills them: reserved first, up
 * to the reservations; the rest on spot when the pool allows it (Karpenter prefers spot to on-demand),
 * else on-demand. Spot that is not there falls back to on-demand, which nodesAtMaxPerType sizes for.
 */
export function nodesByCapacityType(c: PoolCapacity, nodes: number): NodesByCapacityType {
  const reserved = Math.min(nodes, c.reservedNodes);
  const rest = nodes - reserved;
  const spot = c.capacityTypes.includes("spot");
  return { reserved, spot: spot ? rest : 0, onDemand: spot ? 0 : c.capacityTypes.includes("on-demand") ? rest : 0 };
}

/** The most nodes of each type the pool can hold at maxNodes, each counted on its own (quota sizing). */
export function nodesAtMaxPerType(c: PoolCapacity): NodesByCapacityType {
  const rest = Math.max(0, c.maxNodes - c.reservedNodes);
  return {
    reserved: Math.min(c.maxNodes, c.reservedNodes),
    onDemand: c.capacityTypes.includes("on-demand") ? rest : 0,
    spot: c.capacityTypes.includes("spot") ? rest : 0,
  };
}

export interface CapacityIssue {
  /** Key path as in the stack file, without namespace. */
  readonly path: (string | number)[];
  readonly message: string;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Capacity Block windows against the clock: a block that has ended is an error (the pool would wait
 * for capacity that no longer exists, and its zone pin strands on-demand), one ending within
 * CAPACITY_BLOCK_WARNING_DAYS a warning. `now` is an input (ms since epoch) so plans and tests are deterministic.
 */
export function capacityBlockIssues(regions: readonly Pick<RegionConfig, "region" | "gpuPools">[], now: number = Date.now()): { errors: CapacityIssue[]; warnings: CapacityIssue[] } {
  const errors: CapacityIssue[] = [];
  const warnings: CapacityIssue[] = [];
  regions.forEach((r, i) =>
    r.gpuPools.forEach((p, j) =>
      p.capacity.reservations.forEach((res, k) => {
        if (res.type !== "capacity-block") return;
        const path = ["regions", i, "gpuPools", j, "capacity", "reservations", k, "end"];
        const end = Date.parse(res.end);
        const at = new Date(now).toISOString();
        const name = res.id ?? JSON.stringify(res.tags);
        if (end <= now) {
          errors.push({ path, message: `Capacity Block ${name} of pool "${p.name}" in ${r.region} ended at ${res.end} (plan time ${at}); remove it or replace it with a current block` });
        } else if (end - now <= CAPACITY_BLOCK_WARNING_DAYS * DAY_MS) {
          const days = Math.ceil((end - now) / DAY_MS);
          warnings.push({ path, message: `Capacity Block ${name} of pool "${p.name}" in ${r.region} ends at ${res.end}, in ${days} day${days === 1 ? "" : "s"} (plan time ${at}); its ${res.instanceCount} node${res.instanceCount === 1 ? "" : "s"} fall back to on-demand or wait` });
        }
      }),
    ),
  );
  return { errors, warnings };
}
