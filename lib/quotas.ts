import { CapacityType, nodesAtMaxPerType, PoolCapacity } from "./capacity";
import { gpuInstanceSpec } from "./gpu";

/**
 * EC2 vCPU quotas a stack's GPU pools need at their maximum, per region and quota. Running On-Demand
 * quotas count vCPUs of running instances by family letter; instances in On-Demand Capacity
 * Reservations and Capacity Blocks are counted there too (conservatively: a reservation cannot be
 * created beyond the On-Demand limit); spot has its own quotas. Service code "ec2".
 *
 * Quota codes, cross-checked 2026-11-25 in public code that files or reads them: CloudSnorkel/cloud-z
 * collect-aws spot table ("All G and VT Spot Instance Requests" L-3819A6DF, "All P Spot Instance
 * Requests" L-7212CCBC) and several capacity scripts pairing "Running On-Demand P instances" with
 * L-417A185B and "Running On-Demand G and VT instances" with L-DB2E81BA (AWS console URLs
 * servicequotas/home/services/ec2/quotas/<code>). Not read from the Service Quotas API (no AWS access).
 */
export type QuotaMarket = "on-demand" | "spot";
export type QuotaFamily = "P" | "G";

export interface Ec2Quota {
  readonly family: QuotaFamily;
  readonly market: QuotaMarket;
  readonly code: string;
  readonly name: string;
}

export const EC2_VCPU_QUOTAS: readonly Ec2Quota[] = [
  { family: "P", market: "on-demand", code: "L-417A185B", name: "Running On-Demand P instances" },
  { family: "G", market: "on-demand", code: "L-DB2E81BA", name: "Running On-Demand G and VT instances" },
  { family: "P", market: "spot", code: "L-7212CCBC", name: "All P Spot Instance Requests" },
  { family: "G", market: "spot", code: "L-3819A6DF", name: "All G and VT Spot Instance Requests" },
];

/** Quota family of an instance type: p* -> P, g* and vt* -> G; undefined for anything else (not a GPU pool type here). */
export function quotaFamily(instanceType: string): QuotaFamily | undefined {
  if (/^p\d/.test(instanceType)) return "P";
  if (/^(g|vt)\d/.test(instanceType)) return "G";
  return undefined;
}

export interface QuotaNeed extends Ec2Quota {
  readonly region: string;
  /** vCPUs of every node that could run at the pools' maximum, each market counted on its own. */
  readonly vcpus: number;
  /** The pools that need it, "<pool> (<nodes> x <type>)". */
  readonly pools: readonly string[];
}

/** Markets a pool's capacity types draw on: reserved and on-demand nodes from on-demand, spot from spot. */
const MARKET: Readonly<Record<CapacityType, QuotaMarket>> = { reserved: "on-demand", "on-demand": "on-demand", spot: "spot" };

/**
 * vCPUs needed per region and quota at the pools' maximum. A pool that may use both on-demand and spot
 * counts its non-reserved maximum in each (either may end up holding it). A type outside the P and G
 * families is an error: its quota is unknown, and a zero would pass silently.
 */
export function quotaNeeds(pools: readonly Pick<PoolCapacity, "region" | "pool" | "instanceTypes" | "vcpusPerNode" | "maxNodes" | "reservedNodes" | "capacityTypes">[]): QuotaNeed[] {
  const needs = new Map<string, QuotaNeed>();
  for (const p of pools) {
    const families = new Set(p.instanceTypes.map((t) => quotaFamily(t)));
    if (families.has(undefined) || families.size !== 1) throw new Error(`${p.region} pool ${p.pool}: instance types ${p.instanceTypes.join(", ")} are not all of the P or all of the G family, so their vCPU quota is unknown`);
    const family = [...families][0]!;
    const atMax = nodesAtMaxPerType(p as PoolCapacity);
    const byMarket: Record<QuotaMarket, number> = { "on-demand": 0, spot: 0 };
    for (const t of p.capacityTypes) byMarket[MARKET[t]] += t === "reserved" ? atMax.reserved : t === "on-demand" ? atMax.onDemand : atMax.spot;
    for (const market of ["on-demand", "spot"] as const) {
      const nodes = byMarket[market];
      if (nodes === 0) continue;
      const quota = EC2_VCPU_QUOTAS.find((q) => q.family === family && q.market === market)!;
      const key = `${p.region}|${quota.code}`;
      const prev = needs.get(key);
      const label = `${p.pool} (${nodes} x ${p.instanceTypes.join("|")})`;
      needs.set(key, { ...quota, region: p.region, vcpus: (prev?.vcpus ?? 0) + nodes * p.vcpusPerNode, pools: [...(prev?.pools ?? []), label] });
    }
  }
  return [...needs.values()];
}

/** vCPUs of the largest of `types` (what one node may take of the quota). */
export function vcpusOfLargest(types: readonly string[]): number {
  return Math.max(0, ...types.map((t) => gpuInstanceSpec(t)?.vcpus ?? 0));
}
