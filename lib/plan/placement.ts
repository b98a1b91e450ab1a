import { PlanDocument, PlanResource } from "./document";

/**
 * Where a recorded resource belongs: its region and the blueprint component that created it. A module of its own,
 * below the summary and the sections that need it (capacity, cold start, cost, diff), so lib/plan has no import
 * cycle: in a cycle a loader can hand an importer a module still being evaluated (vitest's vite-node 3.2.4 does so
 * for any module in a two-module cycle while another import chain evaluates it, dist/client.mjs cachedRequest), and a
 * value read at load time is then undefined.
 */

const REGION_COMPONENT = "llm-blueprint:region:InferenceRegion";
/** Serving's per-region grouping; like InferenceRegion, named after its region. */
const SERVING_REGION_COMPONENT = "llm-blueprint:serving:ServingRegion";
const REGION_COMPONENTS = [REGION_COMPONENT, SERVING_REGION_COMPONENT];
export const GLOBAL_COMPONENT = "llm-blueprint:traffic:GlobalEndpoint";
/** Components that serve every region (created in us-east-1 only because Route 53's metrics live there). */
const GLOBAL_COMPONENTS: readonly string[] = [GLOBAL_COMPONENT, "llm-blueprint:traffic:HealthCheckAlerts"];

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
  if (REGION_COMPONENTS.includes(r.type)) return r.name;
  const chain = ancestors(r, byUrn);
  const region = chain.find((a) => REGION_COMPONENTS.includes(a.type))?.name;
  if (region) return region;
  // Global DNS, health checks and their alarm topic belong to no region, whichever provider creates them.
  if (GLOBAL_COMPONENTS.includes(r.type) || chain.some((a) => GLOBAL_COMPONENTS.includes(a.type))) return "global";
  const provider = r.provider ? byUrn.get(r.provider) : undefined;
  const providerRegion = provider?.type === "pulumi:providers:aws" ? provider.inputs.region : undefined;
  return typeof providerRegion === "string" ? providerRegion : "global";
}

/** The blueprint component a resource was created by: the nearest llm-blueprint component other than the region. */
export function componentOf(r: PlanResource, byUrn: Map<string, PlanResource>): string {
  const owner = ancestors(r, byUrn).find((a) => a.type.startsWith("llm-blueprint:") && !REGION_COMPONENTS.includes(a.type));
  return owner ? owner.type.split(":").pop()! : "(stack)";
}

/**
 * The stack's regions in its config order (the order the program creates their aws providers and
 * InferenceRegions), then "global": every section lists regions in this order.
 */
export function regionOrder(doc: PlanDocument): string[] {
  const order: string[] = [];
  const add = (region: unknown) => {
    if (typeof region === "string" && region !== "global" && !order.includes(region)) order.push(region);
  };
  for (const r of doc.resources) if (r.type === "pulumi:providers:aws") add(r.inputs.region);
  for (const r of doc.resources) if (r.type === REGION_COMPONENT) add(r.name);
  return [...order, "global"];
}

/** Sorts rows by `order` (regions it does not list go last, alphabetically). */
export function byRegionOrder<T>(rows: readonly T[], order: readonly string[], regionOfRow: (row: T) => string): T[] {
  const rank = (region: string) => (order.includes(region) ? order.indexOf(region) : order.length);
  return [...rows].sort((a, b) => rank(regionOfRow(a)) - rank(regionOfRow(b)) || (rank(regionOfRow(a)) === order.length ? regionOfRow(a).localeCompare(regionOfRow(b)) : 0));
}
