import { GPU_CLASSES, GpuClass, gpuInstanceSpec, instanceTypesOf } from "../gpu";
import { podStartSeconds, StartupBudget, STARTUP_BUDGET_ANNOTATION } from "../serving";
import { durationSeconds, KEEP_PREVIOUS_WARM_ANNOTATION, takeoverBackends, WARM_UNTIL_ANNOTATION } from "../rollout";
import type { PlanDocument, PlanResource } from "./document";

/**
 * What a version change would run, per model and region, read from the plan's Flagger Canaries (not
 * from config): steps, gates, the expected time to full promotion when every check passes, the
 * warm-rollback window, and the GPUs (and their on-demand price, from the plan's cost lines) of primary,
 * canary and shadow at their maximum together with the warm previous version at its minimum.
 */
export interface RolloutRow {
  readonly region: string;
  readonly endpoint: string;
  readonly version: string;
  readonly steps: readonly number[];
  readonly interval: string;
  readonly failedChecks: number;
  readonly gates: readonly string[];
  readonly skipAnalysis: boolean;
  /** Seconds to full promotion: two pod starts (canary, then primary) and steps + 1 intervals; one start when analysis is skipped. */
  readonly secondsToPromotion?: number;
  readonly peakGpus: { readonly primary: number; readonly canary: number; readonly shadow: number; readonly previous: number };
  /** The Canary's keep-previous-warm window ("7d"; "0d" keeps none). */
  readonly keepPreviousWarm?: string;
  /** The warm previous version beside it, its last warm day, and whether it takes every request now. */
  readonly previous?: { readonly version: string; readonly until: string; readonly serving: boolean };
  /** USD per hour of those GPUs at on-demand prices, when the plan's cost lines price the instance. */
  readonly peakUsdPerHour?: number;
}

type Props = Record<string, unknown>;
const obj = (v: unknown): Props => (v && typeof v === "object" && !Array.isArray(v) ? (v as Props) : {});
const at = (v: unknown, path: string): unknown => path.split(".").reduce<unknown>((o, k) => obj(o)[k], v);
const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const num = (v: unknown) => (typeof v === "number" ? v : 0);
const metaOf = (r: PlanResource) => obj(r.inputs.metadata) as { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };

export function rolloutRows(doc: PlanDocument, regionOf: (r: PlanResource) => string): RolloutRow[] {
  const rs = doc.resources;
  const inNs = (type: string, r: PlanResource, name: string) => rs.find((x) => x.type === type && regionOf(x) === regionOf(r) && metaOf(x).namespace === metaOf(r).namespace && metaOf(x).name === name);
  return rs
    .filter((r) => r.type === "kubernetes:flagger.app/v1beta1:Canary")
    .map((c) => {
      const spec = obj(c.inputs.spec);
      const analysis = obj(spec.analysis);
      const target = inNs("kubernetes:apps/v1:Deployment", c, str(at(spec, "targetRef.name")) ?? "");
      const targetMeta = target ? metaOf(target) : {};
      const gpusPerReplica = Number((at(target?.inputs, "spec.template.spec.containers") as { resources?: { limits?: Record<string, string> } }[] | undefined)?.[0]?.resources?.limits?.["nvidia.com/gpu"] ?? 0);
      const scaler = inNs("kubernetes:keda.sh/v1alpha1:ScaledObject", c, str(at(spec, "autoscalerRef.name")) ?? "");
      const mirror = str(at(obj((at(spec, "service.mirror") as unknown[] | undefined)?.[0]), "backendRef.name"));
      const shadowScaler = mirror ? inNs("kubernetes:keda.sh/v1alpha1:ScaledObject", c, mirror) : undefined;
      const previous = rs.find((x) => x.type === "kubernetes:apps/v1:Deployment" && regionOf(x) === regionOf(c) && metaOf(x).namespace === metaOf(c).namespace && metaOf(x).labels?.["llm-blueprint/track"] === "previous");
      const previousScaler = previous ? inNs("kubernetes:keda.sh/v1alpha1:ScaledObject", c, metaOf(previous).name ?? "") : undefined;
      const previousService = previous ? metaOf(previous).name : undefined;
      // Serving when a route of the program's sends requests to it (the emergency route; the probe route's Exact match aside).
      const serving =
        previousService !== undefined &&
        rs.some(
          (x) =>
            x.type === "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute" &&
            regionOf(x) === regionOf(c) &&
            metaOf(x).namespace === metaOf(c).namespace &&
            takeoverBackends(x.inputs.spec).includes(previousService),
        );
      const budgetText = targetMeta.annotations?.[STARTUP_BUDGET_ANNOTATION];
      const podStart = budgetText ? podStartSeconds(JSON.parse(budgetText) as StartupBudget) : undefined;
      const steps = ((analysis.stepWeights as number[] | undefined) ?? []).map(Number);
      const interval = str(analysis.interval) ?? "?";
      const skip = spec.skipAnalysis === true;
      const secondsToPromotion = podStart === undefined ? undefined : skip ? podStart : 2 * podStart + (steps.length + 1) * durationSeconds(interval);
      const peakGpus = {
        primary: num(at(spec, "autoscalerRef.primaryScalerReplicas.maxReplicas")) * gpusPerReplica,
        canary: num(at(scaler?.inputs, "spec.maxReplicaCount")) * gpusPerReplica,
        shadow: shadowScaler ? num(at(shadowScaler.inputs, "spec.maxReplicaCount")) * gpusPerShadow(rs, shadowScaler, regionOf) : 0,
        // Warm, not routed to: it holds its minimum through the rollout.
        previous: previousScaler ? num(at(previousScaler.inputs, "spec.minReplicaCount")) * gpusPerShadow(rs, previousScaler, regionOf) : 0,
      };
      const gates = ((analysis.metrics as Props[] | undefined) ?? []).map((m) => {
        const range = obj(m.thresholdRange);
        return `${String(m.name)} ${range.max !== undefined ? `<= ${String(range.max)}` : `>= ${String(range.min)}`}`;
      });
      const gpuPrice = target ? gpuHourly(doc, regionOf(c), target) : undefined;
      const total = peakGpus.primary + peakGpus.canary + peakGpus.shadow + peakGpus.previous;
      const keep = metaOf(c).annotations?.[KEEP_PREVIOUS_WARM_ANNOTATION];
      return {
        region: regionOf(c),
        endpoint: metaOf(c).name ?? "?",
        version: targetMeta.annotations?.["llm-blueprint/version"] ?? str(at(target?.inputs, "spec.template.metadata.annotations.llm-blueprint/version")) ?? "?",
        steps,
        interval,
        failedChecks: num(analysis.threshold),
        gates,
        skipAnalysis: skip,
        ...(secondsToPromotion !== undefined ? { secondsToPromotion } : {}),
        peakGpus,
        ...(keep !== undefined ? { keepPreviousWarm: keep } : {}),
        ...(previous
          ? { previous: { version: metaOf(previous).annotations?.["llm-blueprint/version"] ?? "?", until: metaOf(previous).annotations?.[WARM_UNTIL_ANNOTATION] ?? "?", serving } }
          : {}),
        ...(gpuPrice !== undefined ? { peakUsdPerHour: Math.round(total * gpuPrice * 100) / 100 } : {}),
      };
    });
}

function gpusPerShadow(rs: readonly PlanResource[], scaler: PlanResource, regionOf: (r: PlanResource) => string): number {
  const name = str(at(scaler.inputs, "spec.scaleTargetRef.name"));
  const d = rs.find((x) => x.type === "kubernetes:apps/v1:Deployment" && regionOf(x) === regionOf(scaler) && metaOf(x).namespace === metaOf(scaler).namespace && metaOf(x).name === name);
  return Number((at(d?.inputs, "spec.template.spec.containers") as { resources?: { limits?: Record<string, string> } }[] | undefined)?.[0]?.resources?.limits?.["nvidia.com/gpu"] ?? 0);
}

/** USD per GPU-hour of the instance type serving `target`'s GPU class in `region`, from the plan's cost lines ("lo-hi x type"). */
function gpuHourly(doc: PlanDocument, region: string, target: PlanResource): number | undefined {
  const cls = metaOf(target).labels?.["llm-blueprint/gpu-class"];
  const lines = doc.cost?.lines ?? [];
  for (const l of lines) {
    if (l.region !== region || l.kind !== "nodes") continue;
    // "0-1 x p5.48xlarge on demand": the nodes beyond a pool's reservations.
    const m = /^(\d+)-(\d+) x (\S+)( on demand)?$/.exec(l.detail);
    if (!m || Number(m[2]) === 0) continue;
    const type = m[3];
    const gpus = GPUS_OF(type);
    if (gpus === 0 || !classMatches(type, cls)) continue;
    return l.hourly.max / Number(m[2]) / gpus;
  }
  return undefined;
}

const GPUS_OF = (type: string) => gpuInstanceSpec(type)?.gpus ?? 0;
const classMatches = (type: string, cls: string | undefined) => cls !== undefined && (GPU_CLASSES as readonly string[]).includes(cls) && instanceTypesOf(cls as GpuClass).includes(type);

const hours = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min` : `${Math.round(s / 60)} min`);

export function renderRollouts(rows: readonly RolloutRow[]): string[] {
  if (rows.length === 0) return [];
  // The version each endpoint serves is in "Served models"; this table stays within 120 columns without it.
  const out = ["", "Rollouts (Flagger Canary per model and region: what a change of its version runs)"];
  const table = [["region", "endpoint", "steps %", "per step", "rollback after", "to promotion", "warm previous", "GPUs p+c+s+w", "peak $/h"]];
  for (const r of rows) {
    table.push([
      r.region,
      r.endpoint,
      r.skipAnalysis ? "EMERGENCY: skipAnalysis" : [...r.steps, 100].join("/"),
      r.skipAnalysis ? "-" : r.interval,
      r.skipAnalysis ? "-" : `${r.failedChecks} failed checks`,
      r.secondsToPromotion !== undefined ? hours(r.secondsToPromotion) : "?",
      r.previous ? (r.previous.serving ? "SERVING" : `to ${r.previous.until}`) : r.keepPreviousWarm !== undefined && r.keepPreviousWarm !== "0d" ? `none (${r.keepPreviousWarm})` : "none",
      `${r.peakGpus.primary}+${r.peakGpus.canary}+${r.peakGpus.shadow}+${r.peakGpus.previous}`,
      r.peakUsdPerHour !== undefined ? r.peakUsdPerHour.toFixed(2) : "unpriced",
    ]);
  }
  const width = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table) out.push(`  ${row.map((c, i) => c.padEnd(width[i])).join("  ")}`.trimEnd());
  const gates = [...new Set(rows.map((r) => r.gates.join(", ")))];
  for (const g of gates) out.push(`  gates: ${g}`);
  out.push("  (gate ratios are canary over primary p99; error rates are in %)");
  out.push("  (GPUs p+c+s+w: primary, canary and shadow at their maximum, the warm previous version at its minimum)");
  const short = (v: string) => v.replace(/@([0-9a-f]{8})[0-9a-f]{32}$/, "@$1");
  const warm = new Map<string, string[]>();
  for (const r of rows.filter((x) => x.previous && !x.previous.serving)) {
    const key = `${r.endpoint} keeps ${short(r.previous!.version)} warm through ${r.previous!.until}`;
    warm.set(key, [...(warm.get(key) ?? []), r.region]);
  }
  for (const [key, regions] of warm) out.push(`  ${key} in ${regions.join(", ")}`);
  if (warm.size > 0) out.push("  (`serve: true` under its models[].previous sends every request to it at once: the emergency rollback)");
  const unkept = rows.filter((x) => !x.previous && x.keepPreviousWarm !== undefined && x.keepPreviousWarm !== "0d");
  if (unkept.length > 0) out.push(`  a version change keeps the replaced version warm for ${[...new Set(unkept.map((x) => x.keepPreviousWarm))].join("/")}: name it in models[].previous with the change`);
  const emergency = rows.filter((r) => r.skipAnalysis);
  const serving = new Map<string, string[]>();
  for (const r of rows.filter((x) => x.previous?.serving)) {
    const key = `${r.endpoint}\u0000${short(r.previous!.version)}`;
    serving.set(key, [...(serving.get(key) ?? []), r.region]);
  }
  for (const [key, regions] of serving) {
    const [endpoint, version] = key.split("\u0000");
    out.push(`  WARNING: ${endpoint} (${regions.join(", ")}): emergency rollback, every request to the warm previous version`);
    out.push(`    ${version} (previous.serve: true), none to Flagger's route; put it back in \`version\` with`);
    out.push("    rollout.skipAnalysis: true, then remove serve");
  }
  for (const r of emergency) out.push(`  WARNING: ${r.region} ${r.endpoint}: emergency rollout (rollout.skipAnalysis: true): ${r.version} is promoted without analysis; remove the line once it is served`);
  return out;
}
