import { artifactPrefix, ModelVersion, ServingProfile, versionId } from "./catalog";
import { GpuClass, gpuInstanceSpec } from "./gpu";
import { shortJsonHash } from "./hash";
import { ANNOTATION, LABEL } from "./labels";
import { policyDocument, PolicyDocument } from "./iam";
import { BYTES_PER_PARAM } from "./sizing";

/**
 * Pure pieces of vLLM serving: container arguments, the labels that carry a version's identity,
 * pod sizing, probes, the traffic split, and the least-privilege read policy. Components wire these
 * into resources; tests check them without mocks.
 */

export const VLLM_PORT = 8000;
export const TRACKS = ["stable", "canary", "shadow", "previous"] as const;
export type Track = (typeof TRACKS)[number];

/** One version serving one endpoint in one role (stable, canary, shadow, or the warm previous version). */
export interface TrackSpec {
  readonly track: Track;
  readonly version: ModelVersion;
  readonly profile: ServingProfile;
  /** Share of live traffic, 0-100 (stable and canary). */
  readonly weight?: number;
  /** Share of requests mirrored to it, 1-100; responses are discarded (shadow). */
  readonly mirrorPercent?: number;
  /** Canary and shadow: their own minimum replicas (the stable track uses the endpoint's replicas). @default 1 (previous: the endpoint's) */
  readonly minReplicas?: number;
}

export function profileHash(profile: ServingProfile): string {
  return shortJsonHash({ ...profile });
}

/** `sha256:<hex>` out of an image reference pinned by digest. */
export function imageDigest(image: string): string {
  const at = image.lastIndexOf("@");
  if (at < 0 || !/^sha256:[0-9a-f]{64}$/.test(image.slice(at + 1))) throw new Error(`image "${image}" is not pinned by digest (expected <repo>@sha256:<64 hex>)`);
  return image.slice(at + 1);
}

/** s3:// URI vLLM's Run:ai streamer loads the weights from (no trailing slash). */
export function modelUri(bucket: string, version: ModelVersion): string {
  return `s3://${bucket}/${artifactPrefix(version).replace(/\/$/, "")}`;
}

/** vLLM OpenAI server arguments: the profile's settings, the listening port and drain timeout, then its extra flags. */
export function vllmArgs(
  endpoint: string,
  version: ModelVersion,
  profile: ServingProfile,
  bucket: string,
  server: { readonly port: number; readonly shutdownTimeoutSeconds: number } = { port: VLLM_PORT, shutdownTimeoutSeconds: 0 },
): string[] {
  return [
    "--model",
    modelUri(bucket, version),
    // Streams safetensors from S3 straight to GPU memory; no HF Hub access at runtime.
    "--load-format",
    "runai_streamer",
    "--served-model-name",
    endpoint,
    "--tensor-parallel-size",
    String(profile.tensorParallelSize),
    "--max-model-len",
    String(profile.maxModelLen),
    "--gpu-memory-utilization",
    String(profile.gpuMemoryUtilization),
    "--max-num-seqs",
    String(profile.maxNumSeqs),
    "--host",
    "0.0.0.0",
    "--port",
    String(server.port),
    // On SIGTERM vLLM rejects new requests (503) and lets in-flight ones finish for up to this long;
    // 0 (its default) aborts them. Added by vllm-project/vllm#36666 (merged to main 2026-03-13, five
    // months before v0.27.1; not read at the pinned commit, which the index does not hold for that file).
    "--shutdown-timeout",
    String(server.shutdownTimeoutSeconds),
    ...profile.extraArgs,
  ];
}

/** Flags a profile sets itself, which extraArgs must not repeat. */
export const MANAGED_FLAGS = ["--model", "--load-format", "--served-model-name", "--tensor-parallel-size", "--max-model-len", "--gpu-memory-utilization", "--max-num-seqs", "--host", "--port", "--shutdown-timeout"];

export { ANNOTATION, LABEL } from "./labels";

/** Selector labels of one track's pods; stable across version changes so rollouts replace pods in place. */
export function selectorLabels(endpoint: string, track: Track): Record<string, string> {
  return { "app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": `${endpoint}-${track}`, [LABEL.endpoint]: endpoint, [LABEL.track]: track };
}

/** Labels and annotations that trace a pod to one immutable version tuple and one image. */
export function versionMetadata(endpoint: string, spec: TrackSpec, gpuClass: GpuClass, image: string) {
  return {
    labels: {
      ...selectorLabels(endpoint, spec.track),
      "app.kubernetes.io/component": "inference",
      "app.kubernetes.io/managed-by": "pulumi",
      [LABEL.model]: spec.version.name,
      [LABEL.revision]: spec.version.revision,
      [LABEL.profileHash]: profileHash(spec.profile),
      [LABEL.gpuClass]: gpuClass,
    },
    annotations: {
      [ANNOTATION.version]: versionId(spec.version),
      [ANNOTATION.artifactDigest]: spec.version.artifactDigest,
      [ANNOTATION.imageDigest]: imageDigest(image),
      [ANNOTATION.profile]: JSON.stringify(spec.profile),
      [ANNOTATION.license]: spec.version.license,
    },
  };
}

export interface PodSizing {
  readonly gpus: number;
  readonly cpu: string;
  readonly memory: string;
  /** Memory-backed /dev/shm for NCCL between tensor-parallel ranks. */
  readonly shmSize: string;
}

/**
 * CPU and memory in proportion to the GPUs a replica takes, leaving 20% of the node for the
 * kubelet, daemonsets and system reservations.
 */
export function podSizing(instanceType: string, tensorParallelSize: number): PodSizing {
  const spec = gpuInstanceSpec(instanceType);
  if (!spec) throw new Error(`unknown GPU instance type ${instanceType}`);
  const share = tensorParallelSize / spec.gpus;
  return {
    gpus: tensorParallelSize,
    cpu: String(Math.max(1, Math.floor(spec.vcpus * share * 0.8))),
    memory: `${Math.max(8, Math.floor(spec.memoryGiB * share * 0.8))}Gi`,
    shmSize: tensorParallelSize > 1 ? "16Gi" : "4Gi",
  };
}

/**
 * How long one replica takes from "pod created" to "serving", term by term. The startup probe covers
 * what happens after the container starts (weight load, warm-up); the Deployment's await timeout
 * and progress deadline also cover a new GPU node, the image pull and readiness.
 */
export interface StartupBudget {
  /** A new GPU node: EC2 launch, boot, join, NVIDIA device plugin ready. */
  readonly nodeStartSeconds: number;
  /** Pulling and unpacking the runtime image on that node. */
  readonly imagePullSeconds: number;
  /** Streaming the weights from the in-region registry bucket into GPU memory. */
  readonly weightLoadSeconds: number;
  /** KV-cache profiling, torch.compile and CUDA graph capture before /health answers. */
  readonly warmupSeconds: number;
  /** After /health answers: the readiness probe passes and the endpoint reaches the gateway. */
  readonly readinessSeconds: number;
}

export const BUDGET_TERMS = ["nodeStartSeconds", "imagePullSeconds", "weightLoadSeconds", "warmupSeconds", "readinessSeconds"] as const;

/** Where a node pulls the runtime image from: its upstream registry through NAT, or the in-region ECR pull-through cache. */
export type ImageSource = "upstream" | "regional-cache";
/** Where containerd unpacks image layers: the EBS root volume, or the instance's NVMe (RAID0 by the EC2NodeClass). */
export type LayerDisk = "ebs" | "nvme";

/**
 * Node start per GPU class, launch to Ready with the device plugin. Assumed, not measured (no AWS
 * access): Karpenter maintainers see ~70-80 s from launch to registration on general-purpose
 * instances (aws/karpenter-provider-aws#6128, 2024-05-17) and "GPU instance types often take much
 * longer to boot" (awslabs/amazon-eks-ami#1099, 2022-12-15); p5 adds NVSwitch fabric and 32 EFA
 * interfaces. Replace with your measured p99 launch-to-Ready (both read 2026-11-25).
 */
export const NODE_START_SECONDS: Readonly<Record<GpuClass, number>> = { h100: 900, l4: 420 };
/**
 * Image download rate by source, GiB/s. Assumed: Docker Hub through a NAT gateway is shared, rate
 * limited and crosses the internet (0.05, the figure this budget used before the cache); ECR serves a
 * cached layer from in-region S3 through the VPC endpoints (0.5).
 */
export const IMAGE_SOURCE_GIB_PER_SECOND: Readonly<Record<ImageSource, number>> = { upstream: 0.05, "regional-cache": 0.5 };
/**
 * Layer unpack rate by disk, GiB/s: gzip decompression bounds it on NVMe (assumed 0.25); the EBS gp3
 * root writes at its 125 MiB/s baseline unless the node class provisions more (AWS EBS user guide,
 * "General Purpose SSD volumes", gp3 baseline 125 MiB/s, read 2026-11-25).
 */
export const LAYER_UNPACK_GIB_PER_SECOND: Readonly<Record<LayerDisk, number>> = { ebs: 125 / 1024, nvme: 0.25 };
/**
 * Weights streamed from in-region S3 by vLLM's Run:ai streamer: measured 15 GB in 8.45 s at its
 * default concurrency 16 (1.65 GiB/s; run-ai/runai-model-streamer docs/src/benchmarks.md, Appendix C,
 * commit 1e56c33, read 2026-11-25). The budget takes half of that: a p99 allowance for a busy prefix
 * or a node sharing its bandwidth, since the budget sets timeouts that must not cut a load short.
 */
export const S3_STREAM_GIB_PER_SECOND = (15e9 / 1024 ** 3 / 8.45) * 0.5;
/** Warm-up after the weights are in GPU memory (KV-cache profiling, torch.compile, CUDA graphs). Assumed. */
export const WARMUP_SECONDS = 300;
/** Readiness probe period plus EndpointSlice propagation to the gateway (assumed 5 s). */
export const READINESS_SECONDS = 10 + 5;
/** Added to every derived timeout: scheduling, a slow first health check. */
export const STARTUP_MARGIN_SECONDS = 300;
/** Deployment annotation holding the StartupBudget (JSON, seconds, plus `basis`), which the plan's await check reads. */
export const STARTUP_BUDGET_ANNOTATION = "llm-blueprint/startup-budget";
/** Startup probe period; its failureThreshold follows from the budget. */
export const STARTUP_PROBE_PERIOD_SECONDS = 10;

/** Weights in GiB: the catalog's parameter count at its format's bytes per parameter. */
export function weightsGiB(version: Pick<ModelVersion, "parametersBillions" | "weightFormat">): number {
  return (version.parametersBillions * 1e9 * BYTES_PER_PARAM[version.weightFormat]) / 1024 ** 3;
}

/** The node a replica starts on and where its image comes from. */
export interface StartupNode {
  /** Instance type of the pool: NVMe instance store (lib/gpu.ts) means layers unpack on local disk. @default EBS root */
  readonly instanceType?: string;
  /** @default "upstream" */
  readonly imageSource?: ImageSource;
}

/** Where each term's figure comes from, for the plan's cold-start table. */
export interface StartupBasis {
  readonly imagePull: string;
  readonly weightLoad: string;
}

/** Disk the image layers land on for an instance type: NVMe when it has instance store (RAID0 by the node class). */
export function layerDisk(instanceType: string | undefined): LayerDisk {
  return instanceType !== undefined && (gpuInstanceSpec(instanceType)?.instanceStoreGiB ?? 0) > 0 ? "nvme" : "ebs";
}

export function startupBudget(version: Pick<ModelVersion, "parametersBillions" | "weightFormat">, gpuClass: GpuClass, imageCompressedGiB: number, node: StartupNode = {}): StartupBudget {
  const source = node.imageSource ?? "upstream";
  const pullRate = Math.min(IMAGE_SOURCE_GIB_PER_SECOND[source], LAYER_UNPACK_GIB_PER_SECOND[layerDisk(node.instanceType)]);
  return {
    nodeStartSeconds: NODE_START_SECONDS[gpuClass],
    imagePullSeconds: Math.ceil(imageCompressedGiB / pullRate),
    weightLoadSeconds: Math.ceil(weightsGiB(version) / S3_STREAM_GIB_PER_SECOND),
    warmupSeconds: WARMUP_SECONDS,
    readinessSeconds: READINESS_SECONDS,
  };
}

/** How the pull and load terms were derived, in words (recorded beside the budget). */
export function startupBasis(version: Pick<ModelVersion, "parametersBillions" | "weightFormat">, imageCompressedGiB: number, node: StartupNode = {}): StartupBasis {
  const source = node.imageSource ?? "upstream";
  const disk = layerDisk(node.instanceType);
  const rate = (n: number) => `${Number(n.toFixed(3))} GiB/s`;
  return {
    imagePull: `${imageCompressedGiB} GiB from ${source === "upstream" ? "upstream registry via NAT" : "in-region ECR cache"} at ${rate(IMAGE_SOURCE_GIB_PER_SECOND[source])}, unpacked on ${disk === "nvme" ? "NVMe" : "EBS gp3"} at ${rate(LAYER_UNPACK_GIB_PER_SECOND[disk])}`,
    weightLoad: `${Number(weightsGiB(version).toFixed(1))} GiB from S3 at ${rate(S3_STREAM_GIB_PER_SECOND)}`,
  };
}

/** Sum of the budget's terms: one replica from pod creation to serving on a new node, before any margin. */
export function coldStartSeconds(budget: StartupBudget): number {
  return BUDGET_TERMS.reduce((sum, t) => sum + budget[t], 0);
}

/** Startup probe failureThreshold at STARTUP_PROBE_PERIOD_SECONDS: weight load + warm-up, at least 10 minutes. */
export function startupProbeFailureThreshold(budget: StartupBudget): number {
  return Math.ceil(Math.max(600, budget.weightLoadSeconds + budget.warmupSeconds) / STARTUP_PROBE_PERIOD_SECONDS);
}

/** One replica from pod creation to ready, when it needs a new node: node + pull + the startup probe's window + readiness. */
export function podStartSeconds(budget: StartupBudget): number {
  return budget.nodeStartSeconds + budget.imagePullSeconds + startupProbeFailureThreshold(budget) * STARTUP_PROBE_PERIOD_SECONDS + budget.readinessSeconds;
}

export interface DeploymentTimeouts {
  /** progressDeadlineSeconds: the longest a rollout may go without a pod becoming ready. */
  readonly progressDeadlineSeconds: number;
  /** Pulumi customTimeouts.create: every replica starts at once, each on a new node. */
  readonly createSeconds: number;
  /** Pulumi customTimeouts.update: up to maxReplicas replaced maxSurge at a time; one new node, then freed GPUs. */
  readonly updateSeconds: number;
}

/** The await timeouts and progress deadline of a Deployment, derived from its startup budget. */
export function deploymentTimeouts(budget: StartupBudget, maxReplicas: number, maxSurge: number): DeploymentTimeouts {
  const pod = podStartSeconds(budget);
  const waves = Math.ceil(maxReplicas / maxSurge);
  const replace = budget.imagePullSeconds + startupProbeFailureThreshold(budget) * STARTUP_PROBE_PERIOD_SECONDS + budget.readinessSeconds;
  return {
    progressDeadlineSeconds: pod + STARTUP_MARGIN_SECONDS,
    createSeconds: pod + STARTUP_MARGIN_SECONDS,
    updateSeconds: budget.nodeStartSeconds + waves * replace + STARTUP_MARGIN_SECONDS,
  };
}

/**
 * Replica bounds of one track: the stable track takes the endpoint's; a canary or shadow has its own
 * minimum (default 1) and a maximum in proportion to its share of traffic.
 */
export function trackReplicas(spec: Pick<TrackSpec, "track" | "weight" | "mirrorPercent" | "minReplicas">, replicas: { min: number; max: number }): { min: number; max: number } {
  if (spec.track === "stable") return { min: replicas.min, max: replicas.max };
  // A warm rollback takes all of the endpoint's traffic: it keeps its floor and may grow to the endpoint's max.
  if (spec.track === "previous") return { min: spec.minReplicas ?? replicas.min, max: replicas.max };
  const min = spec.minReplicas ?? 1;
  const share = spec.track === "canary" ? (spec.weight ?? 0) : (spec.mirrorPercent ?? 100);
  return { min, max: Math.max(min, Math.ceil((replicas.max * share) / 100)) };
}

/**
 * PodDisruptionBudget of a track: with two or more replicas, minAvailable one fewer than the minimum,
 * so a drain or node-group update evicts one pod at a time and never the last; a single replica
 * (dev, a canary or shadow at its floor) may be evicted, or it would block every node drain.
 */
export function disruptionBudget(minReplicas: number): { minAvailable: number } | { maxUnavailable: number } {
  return minReplicas >= 2 ? { minAvailable: minReplicas - 1 } : { maxUnavailable: 1 };
}

/**
 * Pod annotations that keep node autoscalers from evicting a serving GPU pod to consolidate: cluster
 * autoscaler (kubernetes/autoscaler FAQ "What types of pods can prevent CA from removing a node?")
 * and Karpenter v1 (karpenter.sh docs, Disruption: "Pod-level controls"), read 2026-11-25.
 */
export const NO_CONSOLIDATION_ANNOTATIONS: Readonly<Record<string, string>> = {
  "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
  "karpenter.sh/do-not-disrupt": "true",
};

/** preStop sleep: the terminating pod leaves the EndpointSlice and Envoy stops picking it before SIGTERM. */
export const PRESTOP_SLEEP_SECONDS = 15;
/** After the drain: engine and worker processes exit, GPU memory is released. */
export const DRAIN_MARGIN_SECONDS = 30;

export interface DrainPlan {
  readonly preStopSleepSeconds: number;
  /** vLLM --shutdown-timeout: in-flight requests may run this long after SIGTERM. */
  readonly shutdownTimeoutSeconds: number;
  readonly terminationGracePeriodSeconds: number;
}

/**
 * Pod termination that lets every admitted request finish: a request can last as long as the route
 * allows, so vLLM drains for that long after the preStop sleep, and the grace period covers both.
 */
export function drainPlan(requestTimeoutSeconds: number): DrainPlan {
  return {
    preStopSleepSeconds: PRESTOP_SLEEP_SECONDS,
    shutdownTimeoutSeconds: requestTimeoutSeconds,
    terminationGracePeriodSeconds: PRESTOP_SLEEP_SECONDS + requestTimeoutSeconds + DRAIN_MARGIN_SECONDS,
  };
}

/**
 * Environment that puts every cache and config directory the server writes under `home` (the sized
 * cache volume), named explicitly rather than left to each library's $HOME default. Names read
 * 2026-11-25: vLLM docker/Dockerfile v0.27.1 (HF_HOME, VLLM_CACHE_ROOT, TRITON_CACHE_DIR left to
 * $HOME/.cache defaults), flashinfer-ai/flashinfer flashinfer/jit/env.py (FLASHINFER_WORKSPACE_BASE,
 * default $HOME, appends .cache/flashinfer), DeepGEMM DG_JIT_CACHE_DIR (default $HOME/.deep_gemm),
 * PyTorch TORCHINDUCTOR_CACHE_DIR / TORCH_HOME / TORCH_EXTENSIONS_DIR, Triton TRITON_HOME /
 * TRITON_CACHE_DIR, the CUDA driver's CUDA_CACHE_PATH (default ~/.nv/ComputeCache).
 */
export function cacheEnv(home: string): { name: string; value: string }[] {
  const cache = `${home}/.cache`;
  return [
    { name: "HOME", value: home },
    { name: "XDG_CACHE_HOME", value: cache },
    { name: "XDG_CONFIG_HOME", value: `${home}/.config` },
    { name: "HF_HOME", value: `${cache}/huggingface` },
    { name: "VLLM_CACHE_ROOT", value: `${cache}/vllm` },
    { name: "VLLM_CONFIG_ROOT", value: `${home}/.config/vllm` },
    { name: "TRITON_HOME", value: home },
    { name: "TRITON_CACHE_DIR", value: `${cache}/triton` },
    { name: "TORCHINDUCTOR_CACHE_DIR", value: `${cache}/torchinductor` },
    { name: "TORCH_HOME", value: `${cache}/torch` },
    { name: "TORCH_EXTENSIONS_DIR", value: `${cache}/torch_extensions` },
    { name: "FLASHINFER_WORKSPACE_BASE", value: home },
    { name: "DG_JIT_CACHE_DIR", value: `${cache}/deep_gemm` },
    { name: "CUDA_CACHE_PATH", value: `${cache}/nv/ComputeCache` },
  ];
}

export interface TrafficSplit {
  readonly backends: { track: Track; weight: number }[];
  readonly mirror?: { track: Track; percent: number };
}

/**
 * Route weights and mirror from the configured tracks: stable takes whatever the canary does not; a
 * warm previous version that serves (emergency rollback) takes everything.
 */
export function trafficSplit(tracks: readonly TrackSpec[], servePrevious = false): TrafficSplit {
  if (servePrevious && tracks.some((t) => t.track === "previous")) return { backends: [{ track: "previous", weight: 100 }] };
  const canary = tracks.find((t) => t.track === "canary");
  const shadow = tracks.find((t) => t.track === "shadow");
  const canaryWeight = canary?.weight ?? 0;
  const backends: TrafficSplit["backends"] = [{ track: "stable", weight: 100 - canaryWeight }];
  if (canary) backends.push({ track: "canary", weight: canaryWeight });
  return { backends, ...(shadow ? { mirror: { track: "shadow" as const, percent: shadow.mirrorPercent ?? 100 } } : {}) };
}

/**
 * What a serving pod may do in AWS: list and read its own version's prefix in the in-region
 * registry bucket and decrypt with the registry key through S3. Nothing else.
 */
export function modelReadPolicy(bucketArn: string, kmsKeyArn: string, region: string, version: Pick<ModelVersion, "name" | "revision">): PolicyDocument {
  const prefix = artifactPrefix(version);
  return policyDocument(
    { Sid: "ListOwnVersion", Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn, Condition: { StringLike: { "s3:prefix": `${prefix}*` } } },
    { Sid: "ReadOwnVersion", Effect: "Allow", Action: "s3:GetObject", Resource: `${bucketArn}/${prefix}*` },
    { Sid: "DecryptThroughS3", Effect: "Allow", Action: "kms:Decrypt", Resource: kmsKeyArn, Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } } },
  );
}

/** PromQL for queue depth of one Deployment's pods (vLLM's `vllm:num_requests_waiting` gauge). */
export function queueDepthQuery(namespace: string, deployment: string): string {
  return `sum(vllm:num_requests_waiting{namespace="${namespace}",pod=~"${deployment}-[a-z0-9]+-[a-z0-9]+"})`;
}
