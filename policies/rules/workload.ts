import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { ApprovedRuntime, Approvals } from "./approvals";
import { arr, at, digestOf, flag, obj, podSpecOf, servingPodLabels, str, strMap, TYPES, vllmContainerOf, vllmWorkload } from "./common";

/**
 * Run-time checks of the vLLM workloads: what has to hold between a pod, its image, its volumes, its
 * autoscaler and its disruption budget for it to start, stay up and stop cleanly. Each reads the
 * recorded plan (props and options), and the approvers' record for the image's facts.
 */

type Report = (message: string, urn?: string) => void;

/** Deployment annotation with the startup budget's terms in seconds (written by the program). */
const STARTUP_BUDGET_ANNOTATION = "llm-blueprint/startup-budget";
const BUDGET_TERMS = ["nodeStartSeconds", "imagePullSeconds", "weightLoadSeconds", "warmupSeconds", "readinessSeconds"] as const;

/**
 * Cache and config directories the vLLM server's libraries write, which must all be inside the cache
 * volume: names read 2026-11-25 in vllm-project/vllm docker/Dockerfile v0.27.1 (HF_HOME,
 * VLLM_CACHE_ROOT, TRITON_CACHE_DIR, "library defaults resolve to $HOME/.cache"), flashinfer
 * flashinfer/jit/env.py (FLASHINFER_WORKSPACE_BASE), DeepGEMM (DG_JIT_CACHE_DIR), PyTorch
 * (TORCHINDUCTOR_CACHE_DIR, TORCH_HOME, TORCH_EXTENSIONS_DIR), Triton (TRITON_HOME), CUDA (CUDA_CACHE_PATH).
 */
export const CACHE_ENV_VARS = [
  "HOME",
  "XDG_CACHE_HOME",
  "HF_HOME",
  "VLLM_CACHE_ROOT",
  "VLLM_CONFIG_ROOT",
  "TRITON_HOME",
  "TRITON_CACHE_DIR",
  "TORCHINDUCTOR_CACHE_DIR",
  "TORCH_HOME",
  "TORCH_EXTENSIONS_DIR",
  "FLASHINFER_WORKSPACE_BASE",
  "DG_JIT_CACHE_DIR",
  "CUDA_CACHE_PATH",
] as const;

/** Node-autoscaler annotations that keep a serving GPU pod from being evicted to consolidate (cluster-autoscaler FAQ; Karpenter v1 docs). */
export const NO_EVICTION_ANNOTATIONS: Readonly<Record<string, string>> = {
  "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
  "karpenter.sh/do-not-disrupt": "true",
};

/** KEDA fallback behaviours that never drop below the current replicas or the fallback count (ScaledObject CRD, kedacore/charts v2.19.0). */
const HOLDING_FALLBACK_BEHAVIOURS = ["static", "currentReplicas", "currentReplicasIfHigher"];

interface Env {
  name: string;
  value?: string;
}
interface Mount {
  name: string;
  mountPath: string;
  readOnly: boolean;
}
interface VllmDeployment {
  r: PolicyResource;
  id: string;
  pod: Record<string, unknown>;
  container: Record<string, unknown>;
  env: Env[];
  mounts: Mount[];
  track: string;
}

function vllmDeployments(resources: readonly PolicyResource[]): VllmDeployment[] {
  const out: VllmDeployment[] = [];
  for (const r of resources) {
    const w = vllmWorkload(r.type, r.props);
    if (!w) continue;
    const pod = podSpecOf(r.type, r.props) ?? {};
    const container = obj(vllmContainerOf(pod));
    out.push({
      r,
      id: `${w.namespace}/${w.name}`,
      pod,
      container,
      env: arr(container.env).map((e) => ({ name: str(obj(e).name) ?? "", value: str(obj(e).value) })),
      mounts: arr(container.volumeMounts).map((m) => ({ name: str(obj(m).name) ?? "", mountPath: str(obj(m).mountPath) ?? "", readOnly: obj(m).readOnly === true })),
      track: w.labels["llm-blueprint/track"] ?? "",
    });
  }
  return out;
}

const sameClusterAndNamespace = (a: PolicyResource, b: PolicyResource) => a.provider?.urn === b.provider?.urn && str(at(a.props, "metadata.namespace")) === str(at(b.props, "metadata.namespace"));

/** The ScaledObject whose scaleTargetRef names this Deployment in its cluster and namespace. */
function scaledObjectOf(d: PolicyResource, resources: readonly PolicyResource[]): PolicyResource | undefined {
  const name = str(at(d.props, "metadata.name"));
  return resources.find((s) => s.type === TYPES.scaledObject && sameClusterAndNamespace(s, d) && str(at(s.props, "spec.scaleTargetRef.name")) === name);
}

/** PodDisruptionBudgets in the Deployment's cluster and namespace whose selector matches its pods. */
function budgetsOf(d: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
  const labels = servingPodLabels(d, resources);
  return resources.filter((p) => {
    if (p.type !== TYPES.pdb || !sameClusterAndNamespace(p, d)) return false;
    const sel = strMap(at(p.props, "spec.selector.matchLabels"));
    return Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);
  });
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const envValue = (d: VllmDeployment, name: string) => d.env.find((e) => e.name === name)?.value;
const within = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith("/") ? dir : `${dir}/`);

/** The mount a path lies in: the deepest mountPath containing it. */
function mountOf(d: VllmDeployment, p: string): Mount | undefined {
  return d.mounts.filter((m) => m.mountPath && within(p, m.mountPath)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
}

/** Kubernetes quantity (Ki, Mi, Gi, Ti, or plain bytes) in GiB; undefined when it does not parse. */
export function quantityGiB(q: unknown): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(String(q ?? ""));
  if (!m) return undefined;
  const scale: Record<string, number> = { "": 1 / 1024 ** 3, Ki: 1 / 1024 ** 2, Mi: 1 / 1024, Gi: 1, Ti: 1024, K: 1e3 / 1024 ** 3, M: 1e6 / 1024 ** 3, G: 1e9 / 1024 ** 3, T: 1e12 / 1024 ** 3 };
  return Number(m[1]) * scale[m[2] ?? ""];
}

/**
 * Which environment the plan deploys: the `llm-blueprint:environment` default tag of its AWS
 * providers. Undefined when no provider carries it or they disagree (the caller fails closed).
 */
export function planEnvironment(resources: readonly PolicyResource[]): { environment?: string; problem?: string } {
  const values = new Set<string>();
  for (const p of resources.filter((r) => r.type === "pulumi:providers:aws")) {
    let tags: unknown = at(p.props, "defaultTags.tags");
    const raw = p.props.defaultTags;
    if (typeof raw === "string") {
      try {
        tags = at(JSON.parse(raw), "tags");
      } catch {
        tags = undefined;
      }
    }
    const env = str(obj(tags)["llm-blueprint:environment"]);
    if (env) values.add(env);
  }
  if (values.size === 1) return { environment: [...values][0] };
  return { problem: values.size === 0 ? "no AWS provider carries the llm-blueprint:environment default tag, so the environment is unknown" : `AWS providers disagree on llm-blueprint:environment: ${[...values].join(", ")}` };
}

export function runtimeImageUser(approvals: Approvals): StackValidationPolicy {
  return {
    name: "runtime-image-user",
    description:
      "Every vLLM container runs as the non-root UID recorded for its image digest in the approvers' record, with a non-zero group, USER/LOGNAME/HOME set to the recorded user and home (so getpass.getuser() works), the image's own entrypoint, and the recorded port as containerPort and --port.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { runtimeImages: { type: "array", items: { type: "object" }, default: approvals.runtimeImages } } },
    validateStack: (args, report) => {
      const { runtimeImages } = args.getConfig<{ runtimeImages: ApprovedRuntime[] }>();
      for (const d of vllmDeployments(args.resources)) {
        checkRuntimeUser(d, runtimeImages ?? [], (m) => report(m, d.r.urn));
      }
    },
  };
}

function checkRuntimeUser(d: VllmDeployment, runtimes: readonly ApprovedRuntime[], report: (m: string) => void) {
  const image = str(d.container.image);
  const digest = digestOf(image);
  const runtime = runtimes.find((r) => r.digest === digest);
  if (!runtime) {
    report(`${d.id}: image ${image ?? "(none)"} has no approved runtime record (policies/approvals.json runtimeImages[].digest), so its user and port are unknown`);
    return;
  }
  const f = runtime.facts as ApprovedRuntime["facts"] | undefined;
  if (!f || !isInt(f.uid) || typeof f.user !== "string" || typeof f.home !== "string" || !isInt(f.port)) {
    report(`${d.id}: the approved runtime ${runtime.image} (${runtime.digest}) has no complete facts {user, uid, gid, home, entrypoint, port, verifiedFrom}; read them from its Dockerfile at the pinned tag`);
    return;
  }
  if (f.uid === 0) report(`${d.id}: the approved runtime ${runtime.image} records UID 0; pods never run as root: record the image's non-root user (or build one) and run as it`);
  const podSc = obj(d.pod.securityContext);
  const sc = obj(d.container.securityContext);
  const uid = sc.runAsUser ?? podSc.runAsUser;
  if (uid === undefined) report(`${d.id}: runAsUser is not set (container or pod securityContext), so it runs as the image's default user ${f.user === "root" ? "root" : "of the image"}; set runAsUser: ${f.uid} (${f.user} in ${runtime.image})`);
  else if (uid !== f.uid) report(`${d.id}: runs as UID ${String(uid)}, but ${runtime.image} records ${f.user} as UID ${f.uid}; a UID without a passwd entry makes getpass.getuser() fail at import`);
  const gid = sc.runAsGroup ?? podSc.runAsGroup;
  if (!isInt(gid) || gid === 0) report(`${d.id}: runAsGroup is ${gid === undefined ? "unset (the image's group applies)" : String(gid)}; set a non-zero group: group 0 owns group-writable files in the image`);
  if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) report(`${d.id}: runAsNonRoot is not true`);
  for (const [name, want] of [
    ["USER", f.user],
    ["LOGNAME", f.user],
    ["HOME", f.home],
  ] as const) {
    const got = envValue(d, name);
    if (got !== want) report(`${d.id}: env ${name} is ${got === undefined ? "unset" : `"${got}"`}; set it to "${want}" (the recorded ${name === "HOME" ? "home" : "user"} of ${runtime.image})`);
  }
  const command = d.container.command;
  if (command !== undefined && JSON.stringify(command) !== JSON.stringify(f.entrypoint)) report(`${d.id}: command ${JSON.stringify(command)} replaces the image's entrypoint ${JSON.stringify(f.entrypoint)}`);
  const ports = arr(d.container.ports).map(obj);
  const http = ports.find((p) => p.name === "http") ?? ports[0];
  if (!http || http.containerPort !== f.port) report(`${d.id}: containerPort is ${http ? String(http.containerPort) : "unset"}, but ${runtime.image} listens on ${f.port}`);
  const portArg = flag(arr(d.container.args).filter((a): a is string => typeof a === "string"), "--port");
  if (portArg !== undefined && Number(portArg) !== (http?.containerPort ?? f.port)) report(`${d.id}: --port ${portArg} differs from containerPort ${String(http?.containerPort)}`);
}

export const awaitCoversStartup: StackValidationPolicy = {
  name: "await-covers-startup",
  description:
    "Every vLLM Deployment's startup probe covers its recorded weight-load and warm-up budget, its progressDeadlineSeconds and Pulumi customTimeouts (create; update for a rollout of maxReplicas at maxSurge) cover node start + image pull + that probe window, and its ScaledObject does not depend on it.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const d of vllmDeployments(args.resources)) checkAwait(d, args.resources, (m) => report(m, d.r.urn));
  },
};

function checkAwait(d: VllmDeployment, resources: readonly PolicyResource[], report: (m: string) => void) {
  let budget: Record<string, unknown> = {};
  const raw = strMap(at(d.r.props, "metadata.annotations"))[STARTUP_BUDGET_ANNOTATION];
  try {
    budget = obj(JSON.parse(raw ?? ""));
  } catch {
    budget = {};
  }
  const missing = BUDGET_TERMS.filter((t) => !isInt(budget[t]) || (budget[t] as number) < 0);
  if (missing.length > 0) {
    report(`${d.id}: annotation ${STARTUP_BUDGET_ANNOTATION} ${raw === undefined ? "is missing" : `lacks ${missing.join(", ")}`}; the startup budget (${BUDGET_TERMS.join(", ")}) cannot be checked`);
    return;
  }
  const [node, pull, load, warm, ready] = BUDGET_TERMS.map((t) => budget[t] as number);
  const probe = obj(d.container.startupProbe);
  const period = isInt(probe.periodSeconds) ? probe.periodSeconds : 10;
  const failures = isInt(probe.failureThreshold) ? probe.failureThreshold : 3;
  const delay = isInt(probe.initialDelaySeconds) ? probe.initialDelaySeconds : 0;
  const window = delay + failures * period;
  if (window < load + warm) report(`${d.id}: the startup probe allows ${window} s (initialDelay ${delay} + ${failures} x ${period} s) but weight load ${load} s + warm-up ${warm} s need ${load + warm} s; the kubelet would restart it mid-load`);
  const pod = node + pull + Math.max(window, load + warm) + ready;
  const deadline = at(d.r.props, "spec.progressDeadlineSeconds");
  if (!isInt(deadline) || deadline < pod) report(`${d.id}: progressDeadlineSeconds is ${String(deadline ?? "unset (600)")}, below one replica's start: node ${node} + pull ${pull} + probe window ${Math.max(window, load + warm)} + readiness ${ready} = ${pod} s`);
  const so = scaledObjectOf(d.r, resources);
  const maxReplicas = so ? Number(at(so.props, "spec.maxReplicaCount")) : Number(at(d.r.props, "spec.replicas") ?? 1);
  const surgeRaw = at(d.r.props, "spec.strategy.rollingUpdate.maxSurge");
  const surge = isInt(surgeRaw) ? surgeRaw : typeof surgeRaw === "string" && /^\d+%$/.test(surgeRaw) ? Math.ceil((maxReplicas * parseInt(surgeRaw, 10)) / 100) : 1;
  const waves = Math.ceil(maxReplicas / Math.max(1, surge));
  const update = node + waves * (pull + Math.max(window, load + warm) + ready);
  const t = d.r.opts.customTimeouts;
  // 0 means the provider's default: 10 minutes for a Deployment in @pulumi/kubernetes.
  const create = t.createSeconds || 600;
  const upd = t.updateSeconds || 600;
  if (create < pod) report(`${d.id}: customTimeouts.create is ${create} s${t.createSeconds ? "" : " (provider default)"}, but one replica needs node ${node} + pull ${pull} + probe window ${Math.max(window, load + warm)} + readiness ${ready} = ${pod} s; Pulumi would mark it failed while it loads`);
  if (upd < update) report(`${d.id}: customTimeouts.update is ${upd} s${t.updateSeconds ? "" : " (provider default)"}, but a rollout of ${maxReplicas} replicas, ${surge} at a time, needs node ${node} + ${waves} x (pull ${pull} + probe window ${Math.max(window, load + warm)} + readiness ${ready}) = ${update} s`);
  if (so) {
    const deps = [...so.dependencies, ...Object.values(so.propertyDependencies).flat()];
    if (deps.some((x) => x.urn === d.r.urn)) report(`${d.id}: its ScaledObject depends on the Deployment, so a Deployment that is still loading when the await ends leaves the endpoint without an autoscaler; reference it by name`);
  }
}

export function servingAvailability(): StackValidationPolicy {
  return {
    name: "serving-availability",
    description:
      "In prod every stable vLLM track keeps at least minStableReplicas per region with a PDB of minAvailable >= 1 and below that minimum (no maxUnavailable); every vLLM pod carries the node-autoscaler no-eviction annotations; every vLLM ScaledObject has a KEDA fallback that holds at least its minimum through a metrics outage, on AverageValue triggers.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { minStableReplicas: { type: "integer", minimum: 2, default: 2 }, environments: { type: "array", items: { type: "string" }, default: ["prod"] } } },
    validateStack: (args, report) => {
      const cfg = args.getConfig<{ minStableReplicas?: number; environments?: string[] }>();
      const minStable = cfg.minStableReplicas ?? 2;
      const { environment, problem } = planEnvironment(args.resources);
      const deployments = vllmDeployments(args.resources);
      if (deployments.length > 0 && problem) report(`serving availability: ${problem}; tag every AWS provider with it`);
      const strict = environment !== undefined && (cfg.environments ?? ["prod"]).includes(environment);
      for (const d of deployments) checkAvailability(d, args.resources, strict ? minStable : undefined, (m, urn) => report(m, urn ?? d.r.urn));
    },
  };
}

function checkAvailability(d: VllmDeployment, resources: readonly PolicyResource[], minStable: number | undefined, report: Report) {
  const annotations = strMap(at(d.r.props, "spec.template.metadata.annotations"));
  for (const [k, v] of Object.entries(NO_EVICTION_ANNOTATIONS)) {
    if (annotations[k] !== v) report(`${d.id}: pod annotation ${k} is ${annotations[k] === undefined ? "unset" : `"${annotations[k]}"`}; set "${v}" so the node autoscaler does not evict a serving GPU pod to consolidate`);
  }
  const so = scaledObjectOf(d.r, resources);
  if (!so) {
    report(`${d.id} has no ScaledObject in its namespace targeting it`);
    return;
  }
  const min = at(so.props, "spec.minReplicaCount");
  const max = at(so.props, "spec.maxReplicaCount");
  const soId = `${str(at(so.props, "metadata.namespace"))}/${str(at(so.props, "metadata.name"))}`;
  checkFallback(soId, so, min, max, (m) => report(m, so.urn));
  if (minStable === undefined || d.track !== "stable") return;
  if (!isInt(min) || min < minStable) report(`${soId}: stable track minReplicaCount is ${String(min)}; production keeps at least ${minStable} per region so a drain or node update never takes the last replica`, so.urn);
  const replicas = at(d.r.props, "spec.replicas");
  if (!isInt(replicas) || replicas < minStable) report(`${d.id}: spec.replicas is ${String(replicas)}; production starts at least ${minStable} stable replicas per region`);
  const pdbs = budgetsOf(d.r, resources);
  if (pdbs.length === 0) report(`${d.id}: no PodDisruptionBudget selects its pods`);
  for (const p of pdbs) {
    const spec = obj(p.props.spec);
    const id = `${str(at(p.props, "metadata.namespace"))}/${str(at(p.props, "metadata.name"))}`;
    if (spec.maxUnavailable !== undefined) report(`${id}: uses maxUnavailable ${String(spec.maxUnavailable)}, which lets an eviction take the last replica when the track is at its minimum; use minAvailable`, p.urn);
    const ma = spec.minAvailable;
    if (!isInt(ma) || ma < 1 || (isInt(min) && ma >= min)) report(`${id}: minAvailable is ${String(ma ?? "unset")}; it must be at least 1 and below the track's minimum ${String(min)} (or no node could ever be drained)`, p.urn);
  }
}

function checkFallback(soId: string, so: PolicyResource, min: unknown, max: unknown, report: (m: string) => void) {
  const fb = obj(at(so.props, "spec.fallback"));
  if (Object.keys(fb).length === 0) {
    report(`${soId} has no fallback: if Prometheus is down, KEDA's HPA cannot read the queue metric and capacity is left to chance; set fallback {failureThreshold, replicas}`);
    return;
  }
  if (!isInt(fb.failureThreshold) || fb.failureThreshold < 1) report(`${soId}: fallback.failureThreshold is ${String(fb.failureThreshold)}; it must be a whole number >= 1`);
  if (!isInt(fb.replicas) || !isInt(min) || fb.replicas < min || (isInt(max) && fb.replicas > max)) report(`${soId}: fallback.replicas is ${String(fb.replicas)}; it must be between minReplicaCount ${String(min)} and maxReplicaCount ${String(max)}`);
  const behaviour = fb.behavior ?? "static";
  if (!HOLDING_FALLBACK_BEHAVIOURS.includes(String(behaviour))) report(`${soId}: fallback.behavior "${String(behaviour)}" may scale in during a metrics outage; allowed: ${HOLDING_FALLBACK_BEHAVIOURS.join(", ")}`);
  for (const t of arr(at(so.props, "spec.triggers")).map(obj)) {
    // KEDA applies a fallback only to triggers whose metric target is AverageValue.
    if (t.metricType !== "AverageValue") report(`${soId}: trigger ${String(t.type)} has metricType ${String(t.metricType ?? "unset")}; KEDA's fallback applies only to AverageValue triggers`);
  }
}

export function writablePathsSized(): StackValidationPolicy {
  return {
    name: "writable-paths-sized",
    description:
      "Every vLLM container has a read-only root filesystem; every writable mount is an emptyDir with a sizeLimit; its workingDir and every path in its env lie on a mount; every known cache directory (HOME, XDG, Hugging Face, vLLM, Triton, inductor, FlashInfer, DeepGEMM, CUDA, torch) is set and lies in one disk-backed cache volume of at least minCacheGiB.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { minCacheGiB: { type: "number", minimum: 1, default: 10 } } },
    validateStack: (args, report) => {
      const minCache = args.getConfig<{ minCacheGiB?: number }>().minCacheGiB ?? 10;
      for (const d of vllmDeployments(args.resources)) checkWritablePaths(d, minCache, (m) => report(m, d.r.urn));
    },
  };
}

function checkWritablePaths(d: VllmDeployment, minCacheGiB: number, report: (m: string) => void) {
  if (obj(d.container.securityContext).readOnlyRootFilesystem !== true) report(`${d.id}: the root filesystem is writable; set readOnlyRootFilesystem: true so every write lands on a sized volume`);
  const volumes = new Map(arr(d.pod.volumes).map((v) => [str(obj(v).name) ?? "", obj(v)] as const));
  const sizeOf = (m: Mount): number | undefined => quantityGiB(at(volumes.get(m.name), "emptyDir.sizeLimit"));
  for (const m of d.mounts) {
    const v = volumes.get(m.name);
    if (!v) {
      report(`${d.id}: mount ${m.mountPath} names volume "${m.name}", which the pod does not have`);
      continue;
    }
    const readOnlySource = v.secret !== undefined || v.configMap !== undefined || v.projected !== undefined || v.downwardAPI !== undefined;
    if (m.readOnly || readOnlySource) continue;
    if (v.emptyDir === undefined) report(`${d.id}: writable mount ${m.mountPath} is on volume "${m.name}", which is not an emptyDir with a sizeLimit`);
    else if (sizeOf(m) === undefined) report(`${d.id}: writable mount ${m.mountPath} (emptyDir "${m.name}") has no sizeLimit; an unbounded write fills the node's disk`);
  }
  // The image's WORKDIR is on the read-only root; the server must run from a writable, sized mount.
  const workingDir = str(d.container.workingDir);
  const workMount = workingDir ? mountOf(d, workingDir) : undefined;
  if (!workingDir) report(`${d.id}: workingDir is unset, so the server runs in the image's WORKDIR on the read-only root filesystem; set it to a directory on a sized volume (HOME)`);
  else if (!workMount || workMount.readOnly || sizeOf(workMount) === undefined) report(`${d.id}: workingDir ${workingDir} is not on a writable, sized volume`);
  for (const e of d.env) {
    if (!e.value?.startsWith("/")) continue;
    if (!mountOf(d, e.value)) report(`${d.id}: env ${e.name}=${e.value} is not on any volume; with a read-only root filesystem every write there fails`);
  }
  // The cache volume: the one HOME lies in; every known cache must lie in the same one.
  const home = envValue(d, "HOME");
  const cacheMount = home ? mountOf(d, home) : undefined;
  if (!home || !cacheMount) {
    report(`${d.id}: HOME is ${home ? `${home}, on no volume` : "unset"}; point it at the sized cache volume`);
    return;
  }
  const cacheVolume = volumes.get(cacheMount.name);
  const size = sizeOf(cacheMount);
  if (at(cacheVolume, "emptyDir.medium") === "Memory") report(`${d.id}: the cache volume "${cacheMount.name}" is memory-backed; compile caches would count against the pod's memory limit`);
  if (size === undefined || size < minCacheGiB) report(`${d.id}: HOME ${home} is on volume "${cacheMount.name}" of ${size === undefined ? "no" : `${Number(size.toFixed(2))} GiB`} size limit; the caches under it need at least ${minCacheGiB} GiB, or the kubelet evicts the pod when they outgrow it`);
  for (const name of CACHE_ENV_VARS) {
    const value = envValue(d, name);
    if (value === undefined) report(`${d.id}: cache env ${name} is unset, so its library picks a default of its own; set it inside ${cacheMount.mountPath}`);
    else if (mountOf(d, value)?.name !== cacheMount.name) report(`${d.id}: cache env ${name}=${value} is outside the cache volume at ${cacheMount.mountPath}`);
  }
}
