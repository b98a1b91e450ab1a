import { Catalog, findVersion, ModelVersion, versionId } from "../catalog";
import { gpuInstanceSpec } from "../gpu";
import { findRuntime, readRuntimes, RUNTIMES_FILE } from "../runtime";
import { MANAGED_FLAGS, TrackSpec, trackReplicas } from "../serving";
import { DEFAULT_ROLLOUT, RolloutPolicy, rolloutPolicyProblems, warmUntil, windowDays } from "../rollout";
import { checkSizing } from "../sizing";
import { CrossCheckIssue, ParsedServedModel, ParsedServing, Placement, RegionConfig, ServedModelConfig, ServingConfig } from "./schema";

/**
 * Resolves the `serving` block against the model catalog and the regions' GPU pools, and checks
 * everything that would otherwise fail at `pulumi up` or on the GPU: unknown versions, missing
 * profiles, sizing (memory fit and stranded GPUs), pools that cannot hold the replicas.
 */
export function resolveServing(
  serving: ParsedServing,
  regions: readonly RegionConfig[],
  catalog: Catalog,
  hasHuggingFaceToken = false,
  /** The plan's clock (ms since epoch), for `previous.since`. @default Date.now() */
  now: number = Date.now(),
): { serving?: ServingConfig; issues: CrossCheckIssue[] } {
  const issues: CrossCheckIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path: ["serving", ...path], message });
  const models: ServedModelConfig[] = [];
  const seen = new Map<string, number>();
  // GPUs that the minimum replicas of all endpoints need, per region/pool.
  const minGpus = new Map<string, number>();

  serving.models.forEach((m, i) => {
    const first = seen.get(m.name);
    if (first !== undefined) add(["models", i, "name"], `"${m.name}" is already served by models[${first}]; endpoint names must be unique`);
    seen.set(m.name, i);
    if (m.replicas.min > m.replicas.max) add(["models", i, "replicas", "min"], `min ${m.replicas.min} is greater than max ${m.replicas.max}`);

    const refs: { track: TrackSpec["track"]; ref: string; key: (string | number)[]; weight?: number; mirrorPercent?: number; minReplicas?: number }[] = [
      { track: "stable", ref: m.version, key: ["models", i, "version"] },
    ];
    if (m.shadow) refs.push({ track: "shadow", ref: m.shadow.version, key: ["models", i, "shadow", "version"], mirrorPercent: m.shadow.percent, minReplicas: m.shadow.minReplicas });
    if (m.previous) refs.push({ track: "previous", ref: m.previous.version, key: ["models", i, "previous", "version"], ...(m.previous.minReplicas !== undefined ? { minReplicas: m.previous.minReplicas } : {}) });
    for (const r of refs.slice(1)) {
      // Rolling back to the warm version: it serves (serve: true) while Flagger promotes it into the primary.
      if (r.track === "previous" && m.previous?.serve === true) continue;
      if (r.ref === m.version) {
        add(r.key, r.track === "previous" ? "is the served version itself; previous is the version `version` replaced (the same only while it serves a rollback to it: serve: true)" : `is the served version itself; a ${r.track} must be a different version`);
      }
    }
    // Flagger v1.44.0 copies only the mirror's backendRef into the route (pkg/router/gateway_api.go toV1RequestMirrorFilter).
    if (m.shadow && m.shadow.percent !== 100) add(["models", i, "shadow", "percent"], `${m.shadow.percent}: the rollout controller (Flagger 1.44.0) mirrors every request to a shadow, it cannot sample; set 100 or remove the shadow`);
    const rollout = resolveRollout(m.rollout);
    for (const problem of rolloutPolicyProblems(rollout)) add(["models", i, "rollout"], problem);
    let previous: ServedModelConfig["previous"];
    if (m.previous) {
      const keep = rollout.keepPreviousWarm;
      const today = new Date(now).toISOString().slice(0, 10);
      if (windowDays(keep) === 0) add(["models", i, "previous"], `rollout.keepPreviousWarm is ${keep}: nothing is kept warm; remove previous, or set a window such as "7d"`);
      else if (m.previous.since > today) add(["models", i, "previous", "since"], `${m.previous.since} is after today (${today} UTC); it is the day version changed`);
      else previous = { since: m.previous.since, warmUntil: warmUntil(m.previous.since, keep), serve: m.previous.serve };
    }

    // Where it runs.
    const wanted = m.regions ?? regions.map((r) => r.region);
    const placements: Placement[] = [];
    wanted.forEach((regionName, k) => {
      const region = regions.find((r) => r.region === regionName);
      if (!region) {
        add(["models", i, "regions", k], `"${regionName}" is not a region of this stack; allowed: ${regions.map((r) => r.region).join(", ")}`);
        return;
      }
      const pools = region.gpuPools.filter((p) => p.class === m.gpuClass);
      const pool = m.pool ? region.gpuPools.find((p) => p.name === m.pool) : pools[0];
      if (!pool) {
        add(["models", i, m.pool ? "pool" : "gpuClass"], m.pool ? `${regionName} has no GPU pool named "${m.pool}"; pools there: ${region.gpuPools.map((p) => p.name).join(", ")}` : `${regionName} has no ${m.gpuClass} pool; add one or list the regions that have it`);
        return;
      }
      if (pool.class !== m.gpuClass) {
        add(["models", i, "pool"], `pool "${pool.name}" in ${regionName} is ${pool.class}, not ${m.gpuClass}`);
        return;
      }
      placements.push({ region: regionName, pool: pool.name, instanceType: pool.instanceType });
    });

    // What it runs, and whether it fits there.
    const tracks: TrackSpec[] = [];
    for (const r of refs) {
      const version = findVersion(catalog, r.ref);
      if (!version) {
        const [name] = r.ref.split("@");
        const known = catalog.models.filter((v) => v.name === name).map(versionId);
        add(r.key, `"${r.ref}" is not in ${serving.catalogFile}; ${known.length > 0 ? `versions of ${name} there: ${known.join(", ")}` : `it has no model named "${name}"`}`);
        continue;
      }
      const profile = version.profiles[m.gpuClass];
      if (!profile) {
        add(r.key, `${r.ref} has no ${m.gpuClass} serving profile in ${serving.catalogFile}; it has: ${Object.keys(version.profiles).join(", ")}`);
        continue;
      }
      if (profile.huggingFaceToken && !hasHuggingFaceToken) {
        issues.push({ path: ["huggingFaceToken"], message: `is required: the ${m.gpuClass} profile of ${r.ref} needs a Hugging Face token; set it with \`pulumi config set --secret huggingFaceToken <token>\`` });
      }
      const managed = profile.extraArgs.filter((a) => MANAGED_FLAGS.includes(a.split("=")[0]));
      if (managed.length > 0) add(r.key, `the ${m.gpuClass} profile's extraArgs repeat flags the profile sets itself: ${managed.join(", ")}`);
      checkPlacements(version, profile, placements, (msg) => add(r.key, msg));
      const spec: TrackSpec = {
        track: r.track,
        version,
        profile,
        weight: r.track === "stable" ? 100 : undefined,
        mirrorPercent: r.mirrorPercent,
        ...(r.minReplicas !== undefined ? { minReplicas: r.minReplicas } : {}),
      };
      tracks.push(spec);
      // Each track has its own bounds (canary and shadow smaller than stable).
      const bounds = trackReplicas(spec, m.replicas);
      if (r.track !== "stable" && bounds.min > m.replicas.min) add([...r.key.slice(0, -1), "minReplicas"], `${r.track} minReplicas ${bounds.min} is above the stable track's replicas.min ${m.replicas.min}; a ${r.track} is the smaller track`);
      for (const p of placements) {
        const key = `${p.region}/${p.pool}`;
        minGpus.set(key, (minGpus.get(key) ?? 0) + bounds.min * profile.tensorParallelSize);
      }
      for (const p of placements) {
        const pool = regions.find((x) => x.region === p.region)!.gpuPools.find((x) => x.name === p.pool)!;
        const poolMaxGpus = pool.maxSize * (gpuInstanceSpec(pool.instanceType)?.gpus ?? 0);
        if (bounds.max * profile.tensorParallelSize > poolMaxGpus) {
          add(["models", i, "replicas", "max"], `${r.track} needs up to ${bounds.max} x tensor-parallel ${profile.tensorParallelSize} = ${bounds.max * profile.tensorParallelSize} GPUs but pool "${pool.name}" in ${p.region} has at most ${poolMaxGpus} (maxSize ${pool.maxSize} x ${pool.instanceType})`);
        }
      }
    }
    if (tracks.length === refs.length) {
      models.push({ name: m.name, gpuClass: m.gpuClass, tracks, replicas: m.replicas, targetWaitingRequests: m.targetWaitingRequests, placements, rollout, ...(previous ? { previous } : {}) });
    }
  });

  // The pods run as the user, home and port recorded for the image's digest; no record, no guess.
  const { runtimes, problems: runtimeProblems } = readRuntimes();
  for (const problem of runtimeProblems) add(["vllmImage"], problem);
  if (runtimes && !findRuntime(runtimes, serving.vllmImage)) {
    add(["vllmImage"], `${serving.vllmImage} has no record in ${RUNTIMES_FILE.replace(/^.*\/models\//, "models/")}; add its digest with the user, UID, home, entrypoint and port read from its Dockerfile at that tag (and the same facts in policies/approvals.json runtimeImages)`);
  }

  for (const [key, gpus] of minGpus) {
    const [regionName, poolName] = key.split("/");
    const pool = regions.find((r) => r.region === regionName)!.gpuPools.find((p) => p.name === poolName)!;
    const max = pool.maxSize * (gpuInstanceSpec(pool.instanceType)?.gpus ?? 0);
    if (gpus > max) add(["models"], `minimum replicas of all served models need ${gpus} GPUs in pool "${poolName}" of ${regionName}, which has at most ${max}; raise its maxSize or lower replicas.min`);
  }

  if (issues.length > 0) {
    const unique = issues.filter((x, i) => issues.findIndex((y) => y.message === x.message && y.path.join(".") === x.path.join(".")) === i);
    return { issues: unique };
  }
  return { serving: { catalogFile: serving.catalogFile, vllmImage: serving.vllmImage, prometheusUrl: serving.prometheusUrl, models, auth: serving.auth, rateLimit: serving.rateLimit }, issues };
}

function checkPlacements(version: ModelVersion, profile: NonNullable<ModelVersion["profiles"]["h100"]>, placements: readonly Placement[], report: (msg: string) => void) {
  const checked = new Set<string>();
  for (const p of placements) {
    if (checked.has(p.instanceType)) continue;
    checked.add(p.instanceType);
    const result = checkSizing({ ...version, ...profile, instanceType: p.instanceType });
    for (const problem of result.problems) report(`${versionId(version)} on ${p.instanceType} (pool "${p.pool}", ${p.region}): ${problem}`);
  }
}

/** The model's rollout policy with every default filled (lib/rollout.ts DEFAULT_ROLLOUT). */
export function resolveRollout(given: ParsedServedModel["rollout"]): RolloutPolicy {
  const g = given ?? {};
  return {
    steps: g.steps ?? DEFAULT_ROLLOUT.steps,
    interval: g.interval ?? DEFAULT_ROLLOUT.interval,
    failedChecks: g.failedChecks ?? DEFAULT_ROLLOUT.failedChecks,
    gates: {
      ttftP99MaxRatio: g.gates?.ttftP99MaxRatio ?? DEFAULT_ROLLOUT.gates.ttftP99MaxRatio,
      tpotP99MaxRatio: g.gates?.tpotP99MaxRatio ?? DEFAULT_ROLLOUT.gates.tpotP99MaxRatio,
      vllmErrorRateMaxPercent: g.gates?.vllmErrorRateMaxPercent ?? DEFAULT_ROLLOUT.gates.vllmErrorRateMaxPercent,
      gatewayErrorRateMaxPercent: g.gates?.gatewayErrorRateMaxPercent ?? DEFAULT_ROLLOUT.gates.gatewayErrorRateMaxPercent,
      ...(g.gates?.quality ? { quality: g.gates.quality } : {}),
    },
    skipAnalysis: g.skipAnalysis ?? DEFAULT_ROLLOUT.skipAnalysis,
    keepPreviousWarm: g.keepPreviousWarm ?? DEFAULT_ROLLOUT.keepPreviousWarm,
  };
}
