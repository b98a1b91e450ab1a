import type { CrossCheckIssue, ServingConfig, TrafficConfig } from "./schema";

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Rules across `traffic` keys and the stack's regions. Written against raw input so they report
 * alongside type errors elsewhere in the file.
 */
export function trafficIssues(cfg: unknown): CrossCheckIssue[] {
  if (!isObj(cfg) || !isObj(cfg.traffic)) return [];
  const t = cfg.traffic;
  const issues: CrossCheckIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path: ["traffic", ...path], message });
  const stackRegions = (Array.isArray(cfg.regions) ? cfg.regions : []).map((r) => (isObj(r) ? r.region : undefined)).filter((r): r is string => typeof r === "string");
  const settings = isObj(t.regions) ? t.regions : {};
  const routing = t.routing;

  for (const [region, s] of Object.entries(settings)) {
    if (!stackRegions.includes(region)) add(["regions", region], `"${region}" is not a region of this stack; allowed: ${stackRegions.join(", ")}`);
    if (!isObj(s)) continue;
    if (s.role !== undefined && routing !== "failover") add(["regions", region, "role"], `roles apply to routing "failover" only; this stack uses "${String(routing)}"`);
    if (s.weight !== undefined && routing !== "weighted") add(["regions", region, "weight"], `weights apply to routing "weighted" only; this stack uses "${String(routing)}"`);
    if (s.drain === true && routing === "failover") add(["regions", region, "drain"], `drain applies to "weighted" and "latency"; in "failover", swap the primary and secondary roles instead`);
  }
  const served = stackRegions.map((r) => (isObj(settings[r]) ? (settings[r] as Record<string, unknown>) : {}));
  // Fail closed: a region added to the stack must say how it takes part in the global names.
  stackRegions.forEach((region, i) => {
    if (routing === "failover" && served[i].role === undefined) {
      add(["regions", region], `has no role; in a failover stack every region needs role "primary", "secondary" or "none" (none: only its regional name, never the global one)`);
    }
    if (routing === "weighted" && served[i].weight === undefined && served[i].drain !== true) {
      add(["regions", region], `has no weight; in a weighted stack every region needs a weight (0-255, relative to the others) or drain: true`);
    }
  });
  if (routing === "failover") {
    const primaries = stackRegions.filter((_, i) => served[i].role === "primary");
    const secondaries = stackRegions.filter((_, i) => served[i].role === "secondary");
    if (primaries.length !== 1 || secondaries.length !== 1) {
      add(["regions"], `failover needs exactly one primary and one secondary region; found primary: ${primaries.join(", ") || "none"}, secondary: ${secondaries.join(", ") || "none"}`);
    }
  }
  if (routing === "weighted") {
    const effective = served.map((s) => (s.drain === true ? 0 : typeof s.weight === "number" ? s.weight : 0));
    if (effective.every((w) => w === 0)) add(["regions"], "every region has weight 0 (or is drained): the global names would answer nothing; keep at least one region above 0");
  }
  if (routing === "latency" && served.length > 0 && served.every((s) => s.drain === true)) add(["regions"], "every region is drained: keep at least one serving region");
  return issues;
}

/** A failover pair must both serve every model, or the model has nowhere to fail over to. */
export function trafficServingIssues(traffic: TrafficConfig, serving: ServingConfig | undefined): CrossCheckIssue[] {
  if (traffic.routing !== "failover" || !serving) return [];
  const pair = traffic.regions.filter((r) => r.role).map((r) => r.region);
  return serving.models.flatMap((m, i) => {
    const missing = pair.filter((r) => !m.placements.some((p) => p.region === r));
    return missing.length > 0 ? [{ path: ["serving", "models", i, "regions"], message: `"${m.name}" is not served in ${missing.join(" and ")}, which failover routing needs (primary and secondary)` }] : [];
  });
}

/** SLOs must name served endpoints, or a typo silently leaves an endpoint on the default SLO. */
export function sloIssues(slos: Record<string, unknown>, serving: ServingConfig | undefined): CrossCheckIssue[] {
  const served = (serving?.models ?? []).map((m) => m.name);
  return Object.keys(slos)
    .filter((k) => !served.includes(k))
    .map((k) => ({ path: ["observability", "slos", k], message: `"${k}" is not a served endpoint; served: ${served.join(", ") || "none"}` }));
}

/**
 * The public names a stack declares (traffic.endpoints) against the regions of the stack and, when
 * models are served, against where they are served: a model may only be served in a region whose
 * name, certificate and health check exist.
 */
export function endpointIssues(traffic: TrafficConfig, regions: readonly string[], serving: ServingConfig | undefined, declared: boolean): CrossCheckIssue[] {
  const issues: CrossCheckIssue[] = [];
  for (const [name, rs] of Object.entries(traffic.endpoints)) {
    for (const r of rs) if (!regions.includes(r)) issues.push({ path: ["traffic", "endpoints", name], message: `"${r}" is not a region of this stack; allowed: ${regions.join(", ")}` });
  }
  if (!declared || !serving) return issues;
  serving.models.forEach((m, i) => {
    const listed = traffic.endpoints[m.name];
    if (!listed) {
      issues.push({ path: ["serving", "models", i, "name"], message: `"${m.name}" has no public name: traffic.endpoints (platform) lists ${Object.keys(traffic.endpoints).join(", ") || "none"}; add "${m.name}" there first` });
      return;
    }
    const missing = m.placements.map((p) => p.region).filter((r) => !listed.includes(r));
    if (missing.length > 0) issues.push({ path: ["serving", "models", i, "regions"], message: `"${m.name}" is served in ${missing.join(", ")}, where traffic.endpoints (platform) gives it no name (it lists ${listed.join(", ")}); add the region there first` });
  });
  return issues;
}
