import { describe, expect, it } from "vitest";
import { ModelVersion } from "../../lib/catalog";
import { isAllowed, policyDocument } from "../../lib/iam";
import {
  cacheEnv,
  coldStartSeconds,
  deploymentTimeouts,
  disruptionBudget,
  drainPlan,
  imageDigest,
  modelReadPolicy,
  podSizing,
  podStartSeconds,
  profileHash,
  startupBasis,
  startupBudget,
  startupProbeFailureThreshold,
  TrackSpec,
  trackReplicas,
  trafficSplit,
  vllmArgs,
} from "../../lib/serving";

const version: ModelVersion = {
  name: "llama-3.1-70b-instruct",
  revision: "a".repeat(40),
  artifactDigest: `sha256:${"b".repeat(64)}`,
  parametersBillions: 70.6,
  weightFormat: "bf16",
  kvCacheBytesPerToken: 327680,
  license: "llama3.1",
  profiles: { h100: { tensorParallelSize: 4, maxModelLen: 32768, gpuMemoryUtilization: 0.9, maxNumSeqs: 128, extraArgs: ["--enable-prefix-caching"], huggingFaceToken: false, cacheGiB: 50 } },
};
const profile = version.profiles.h100!;
const other: ModelVersion = { ...version, revision: "c".repeat(40) };
const track = (t: TrackSpec["track"], extra: Partial<TrackSpec> = {}): TrackSpec => ({ track: t, version, profile, ...extra });

describe("vLLM arguments", () => {
  it("load the version's own prefix from the registry and carry every profile setting", () => {
    const args = vllmArgs("chat", version, profile, "reg-bucket");
    const flag = (f: string) => args[args.indexOf(f) + 1];
    expect(flag("--model")).toBe(`s3://reg-bucket/models/llama-3.1-70b-instruct/${"a".repeat(40)}`);
    expect(flag("--load-format")).toBe("runai_streamer");
    expect(flag("--served-model-name")).toBe("chat");
    expect(flag("--tensor-parallel-size")).toBe("4");
    expect(flag("--max-model-len")).toBe("32768");
    expect(flag("--gpu-memory-utilization")).toBe("0.9");
    expect(flag("--max-num-seqs")).toBe("128");
    expect(args).toContain("--enable-prefix-caching");
  });

  it("listen on the runtime's port and drain for the given shutdown timeout", () => {
    const args = vllmArgs("chat", version, profile, "reg-bucket", { port: 8000, shutdownTimeoutSeconds: 300 });
    expect(args[args.indexOf("--port") + 1]).toBe("8000");
    expect(args[args.indexOf("--shutdown-timeout") + 1]).toBe("300");
  });

  it("refuse an image that is not pinned by digest", () => {
    expect(imageDigest(`vllm/vllm-openai:v1@sha256:${"d".repeat(64)}`)).toBe(`sha256:${"d".repeat(64)}`);
    expect(() => imageDigest("vllm/vllm-openai:latest")).toThrow(/not pinned by digest/);
  });

  it("hash the profile so any change to it shows on the pods", () => {
    expect(profileHash(profile)).toMatch(/^[0-9a-f]{12}$/);
    expect(profileHash({ ...profile, maxNumSeqs: 64 })).not.toBe(profileHash(profile));
  });
});

describe("pod sizing", () => {
  it("gives a replica CPU and memory in proportion to its GPUs, and NCCL shared memory for tensor parallelism", () => {
    const h100 = podSizing("p5.48xlarge", 4); // half of 192 vCPU / 2048 GiB, minus 20 %
    expect(h100).toEqual({ gpus: 4, cpu: "76", memory: "819Gi", shmSize: "16Gi" });
    expect(podSizing("g6.2xlarge", 1)).toEqual({ gpus: 1, cpu: "6", memory: "25Gi", shmSize: "4Gi" });
  });
});

describe("startup budget", () => {
  const budget = startupBudget(version, "h100", 14);
  const cut = startupBudget(version, "h100", 14, { instanceType: "p5.48xlarge", imageSource: "regional-cache" });

  it("names each term: node start by GPU class, pull by image size and source, load by weights at the streamer's rate, warm-up, readiness", () => {
    const weightsGiB = (70.6e9 * 2) / 1024 ** 3;
    // run-ai benchmark: 15 GB in 8.45 s at concurrency 16, halved for a p99 allowance.
    expect(budget.weightLoadSeconds).toBe(Math.ceil(weightsGiB / ((15e9 / 1024 ** 3 / 8.45) * 0.5)));
    expect(budget.imagePullSeconds).toBe(Math.ceil(14 / 0.05));
    expect(budget.warmupSeconds).toBe(300);
    expect(budget.readinessSeconds).toBe(15);
    expect(startupBudget(version, "l4", 14).nodeStartSeconds).toBeLessThan(budget.nodeStartSeconds);
    expect(startupBudget({ ...version, weightFormat: "fp8" }, "h100", 14).weightLoadSeconds).toBeLessThan(budget.weightLoadSeconds);
    expect(coldStartSeconds(budget)).toBe(budget.nodeStartSeconds + budget.imagePullSeconds + budget.weightLoadSeconds + budget.warmupSeconds + budget.readinessSeconds);
  });

  it("pulls faster from the in-region cache onto NVMe, bounded by unpacking; EBS-only or upstream keeps the slower rate", () => {
    expect(cut.imagePullSeconds).toBe(Math.ceil(14 / 0.25));
    expect(cut.imagePullSeconds).toBeLessThan(budget.imagePullSeconds);
    // Same source, EBS root (no instance store on the type): gp3's 125 MiB/s baseline bounds it.
    expect(startupBudget(version, "h100", 14, { imageSource: "regional-cache" }).imagePullSeconds).toBe(Math.ceil(14 / (125 / 1024)));
    // NVMe does not help an upstream pull through NAT.
    expect(startupBudget(version, "h100", 14, { instanceType: "p5.48xlarge" }).imagePullSeconds).toBe(budget.imagePullSeconds);
    expect({ ...cut, imagePullSeconds: 0 }).toEqual({ ...budget, imagePullSeconds: 0 });
  });

  it("says where the pull and load figures come from", () => {
    const basis = startupBasis(version, 14, { instanceType: "g6.12xlarge", imageSource: "regional-cache" });
    expect(basis.imagePull).toBe("14 GiB from in-region ECR cache at 0.5 GiB/s, unpacked on NVMe at 0.25 GiB/s");
    expect(basis.weightLoad).toMatch(/^131\.5 GiB from S3 at 0\.827 GiB\/s$/);
    expect(startupBasis(version, 14).imagePull).toBe("14 GiB from upstream registry via NAT at 0.05 GiB/s, unpacked on EBS gp3 at 0.122 GiB/s");
  });

  it("lets the startup probe cover weight load and warm-up, at least 10 minutes", () => {
    expect(startupProbeFailureThreshold(budget) * 10).toBeGreaterThanOrEqual(budget.weightLoadSeconds + budget.warmupSeconds);
    expect(startupProbeFailureThreshold(startupBudget({ ...version, parametersBillions: 1 }, "l4", 14))).toBe(60);
  });

  it("derives await timeouts above the 10-minute provider default: create for one start, update for a rollout wave by wave", () => {
    const t = deploymentTimeouts(budget, 4, 1);
    expect(podStartSeconds(budget)).toBe(budget.nodeStartSeconds + budget.imagePullSeconds + startupProbeFailureThreshold(budget) * 10 + budget.readinessSeconds);
    expect(t.createSeconds).toBeGreaterThanOrEqual(podStartSeconds(budget));
    expect(t.createSeconds).toBeGreaterThan(600);
    expect(t.progressDeadlineSeconds).toBeGreaterThanOrEqual(podStartSeconds(budget));
    const replace = podStartSeconds(budget) - budget.nodeStartSeconds;
    expect(t.updateSeconds).toBeGreaterThanOrEqual(budget.nodeStartSeconds + 4 * replace);
    expect(deploymentTimeouts(budget, 4, 2).updateSeconds).toBeLessThan(t.updateSeconds);
  });
});

describe("availability and termination", () => {
  it("gives canary and shadow their own minimum and a maximum for their share", () => {
    expect(trackReplicas({ track: "stable" }, { min: 2, max: 8 })).toEqual({ min: 2, max: 8 });
    expect(trackReplicas({ track: "canary", weight: 10 }, { min: 2, max: 8 })).toEqual({ min: 1, max: 1 });
    expect(trackReplicas({ track: "canary", weight: 50, minReplicas: 2 }, { min: 2, max: 8 })).toEqual({ min: 2, max: 4 });
    expect(trackReplicas({ track: "shadow", mirrorPercent: 20 }, { min: 2, max: 8 })).toEqual({ min: 1, max: 2 });
    expect(trackReplicas({ track: "canary", weight: 0 }, { min: 2, max: 8 })).toEqual({ min: 1, max: 1 });
  });

  it("budgets disruptions with minAvailable below the minimum, and lets a single replica go", () => {
    expect(disruptionBudget(2)).toEqual({ minAvailable: 1 });
    expect(disruptionBudget(4)).toEqual({ minAvailable: 3 });
    expect(disruptionBudget(1)).toEqual({ maxUnavailable: 1 });
  });

  it("drains for the route timeout after the preStop sleep, inside the grace period", () => {
    const d = drainPlan(600);
    expect(d.shutdownTimeoutSeconds).toBe(600);
    expect(d.terminationGracePeriodSeconds).toBeGreaterThan(d.preStopSleepSeconds + d.shutdownTimeoutSeconds);
  });

  it("points every cache at the home directory it is given", () => {
    const env = cacheEnv("/home/vllm");
    expect(env.find((e) => e.name === "HOME")?.value).toBe("/home/vllm");
    for (const e of env) expect(e.value, e.name).toMatch(/^\/home\/vllm(\/|$)/);
    expect(env.map((e) => e.name)).toEqual(expect.arrayContaining(["HF_HOME", "VLLM_CACHE_ROOT", "TRITON_CACHE_DIR", "TORCHINDUCTOR_CACHE_DIR", "FLASHINFER_WORKSPACE_BASE", "DG_JIT_CACHE_DIR", "CUDA_CACHE_PATH", "TORCH_HOME", "XDG_CACHE_HOME"]));
  });
});

describe("traffic split", () => {
  it("gives the canary its weight and stable the rest, and mirrors to the shadow", () => {
    expect(trafficSplit([track("stable"), track("canary", { weight: 10 }), track("shadow", { mirrorPercent: 20 })])).toEqual({
      backends: [
        { track: "stable", weight: 90 },
        { track: "canary", weight: 10 },
      ],
      mirror: { track: "shadow", percent: 20 },
    });
  });
  it("sends everything to stable after a rollback, whether the canary is removed or set to 0", () => {
    expect(trafficSplit([track("stable")])).toEqual({ backends: [{ track: "stable", weight: 100 }] });
    expect(trafficSplit([track("stable"), track("canary", { weight: 0 })]).backends).toEqual([
      { track: "stable", weight: 100 },
      { track: "canary", weight: 0 },
    ]);
  });
  it("runs blue-green as a canary at 100 with stable kept warm", () => {
    expect(trafficSplit([track("stable"), track("canary", { weight: 100 })]).backends).toEqual([
      { track: "stable", weight: 0 },
      { track: "canary", weight: 100 },
    ]);
  });
});

describe("model read policy (evaluated, not string-matched)", () => {
  const bucket = "arn:aws:s3:::registry-use1";
  const key = "arn:aws:kms:us-east-1:123456789012:key/1111";
  const doc = modelReadPolicy(bucket, key, "us-east-1", version);
  const own = `models/llama-3.1-70b-instruct/${"a".repeat(40)}/`;
  const otherPrefix = `models/llama-3.1-70b-instruct/${"c".repeat(40)}/`;

  it("reads and lists its own version's prefix", () => {
    expect(isAllowed(doc, { action: "s3:GetObject", resource: `${bucket}/${own}model-00001-of-00030.safetensors` })).toBe(true);
    expect(isAllowed(doc, { action: "s3:ListBucket", resource: bucket, context: { "s3:prefix": own } })).toBe(true);
    expect(isAllowed(doc, { action: "kms:Decrypt", resource: key, context: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } })).toBe(true);
  });

  it("reads nothing else: other versions, other buckets, the whole bucket listing, writes, direct KMS use", () => {
    expect(isAllowed(doc, { action: "s3:GetObject", resource: `${bucket}/${otherPrefix}model.safetensors` })).toBe(false);
    expect(isAllowed(doc, { action: "s3:GetObject", resource: `arn:aws:s3:::registry-usw2/${own}x` })).toBe(false);
    expect(isAllowed(doc, { action: "s3:ListBucket", resource: bucket, context: { "s3:prefix": otherPrefix } })).toBe(false);
    expect(isAllowed(doc, { action: "s3:ListBucket", resource: bucket })).toBe(false);
    expect(isAllowed(doc, { action: "s3:PutObject", resource: `${bucket}/${own}x` })).toBe(false);
    expect(isAllowed(doc, { action: "s3:DeleteObject", resource: `${bucket}/${own}x` })).toBe(false);
    expect(isAllowed(doc, { action: "kms:Decrypt", resource: key })).toBe(false);
    expect(isAllowed(doc, { action: "kms:Encrypt", resource: key, context: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } })).toBe(false);
    expect(isAllowed(modelReadPolicy(bucket, key, "us-east-1", other), { action: "s3:GetObject", resource: `${bucket}/${own}x` })).toBe(false);
  });

  it("uses an evaluator where an explicit deny wins and unknown operators grant nothing", () => {
    const allowAll = { Effect: "Allow" as const, Action: "s3:*", Resource: "*" };
    expect(isAllowed(policyDocument(allowAll), { action: "s3:GetObject", resource: "arn:aws:s3:::b/k" })).toBe(true);
    expect(isAllowed(policyDocument(allowAll, { Effect: "Deny", Action: "s3:GetObject", Resource: "*" }), { action: "s3:GetObject", resource: "arn:aws:s3:::b/k" })).toBe(false);
    expect(isAllowed(policyDocument({ ...allowAll, Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } }), { action: "s3:GetObject", resource: "x", context: { "aws:SourceIp": "10.0.0.1" } })).toBe(false);
  });
});
