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
export const TRACKS = ["stable", "canary", "shadow"] as const;
export type Track = (typeof TRACKS)[number];

/** One version serving one endpoint in one role (stable, canary or shadow). */
export interface TrackSpec {
  readonly track: Track;
  readonly version: ModelVersion;
  readonly profile: ServingProfile;
  /** Share of live traffic, 0-100 (stable and canary). */
  readonly weight?: number;
  /** Share of requests mirrored to it, 1-100; responses are discarded (shadow). */
  readonly mirrorPercent?: number;
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

/** vLLM OpenAI server arguments: the profile's settings, then its extra flags. */
export function vllmArgs(endpoint: string, version: ModelVersion, profile: ServingProfile, bucket: string): string[] {
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
    String(VLLM_PORT),
    ...profile.extraArgs,
  ];
}

/** Flags a profile sets itself, which extraArgs must not repeat. */
export const MANAGED_FLAGS = ["--model", "--load-format", "--served-model-name", "--tensor-parallel-size", "--max-model-len", "--gpu-memory-utilization", "--max-num-seqs", "--host", "--port"];

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
 * Startup budget: weights streamed at a conservative 0.25 GiB/s from in-region S3, plus 5 minutes
 * for CUDA graph capture and warm-up; at least 10 minutes. Returned as probe failureThreshold at a
 * 10 s period.
 */
export function startupFailureThreshold(version: ModelVersion): number {
  const weightsGiB = (version.parametersBillions * 1e9 * BYTES_PER_PARAM[version.weightFormat]) / 1024 ** 3;
  const seconds = Math.max(600, weightsGiB / 0.25 + 300);
  return Math.ceil(seconds / 10);
}

export interface TrafficSplit {
  readonly backends: { track: Track; weight: number }[];
  readonly mirror?: { track: Track; percent: number };
}

/** Route weights and mirror from the configured tracks: stable takes whatever the canary does not. */
export function trafficSplit(tracks: readonly TrackSpec[]): TrafficSplit {
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
