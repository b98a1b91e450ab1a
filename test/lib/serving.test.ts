import { describe, expect, it } from "vitest";
import { ModelVersion } from "../../lib/catalog";
import { isAllowed, policyDocument } from "../../lib/iam";
import { imageDigest, modelReadPolicy, podSizing, profileHash, startupFailureThreshold, TrackSpec, trafficSplit, vllmArgs } from "../../lib/serving";

const version: ModelVersion = {
  name: "llama-3.1-70b-instruct",
  revision: "a".repeat(40),
  artifactDigest: `sha256:${"b".repeat(64)}`,
  parametersBillions: 70.6,
  weightFormat: "bf16",
  kvCacheBytesPerToken: 327680,
  license: "llama3.1",
  profiles: { h100: { tensorParallelSize: 4, maxModelLen: 32768, gpuMemoryUtilization: 0.9, maxNumSeqs: 128, extraArgs: ["--enable-prefix-caching"], huggingFaceToken: false } },
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
  it("waits longer for bigger models to load", () => {
    expect(startupFailureThreshold(version) * 10).toBeGreaterThan(((70.6e9 * 2) / 1024 ** 3) / 0.25);
    expect(startupFailureThreshold({ ...version, parametersBillions: 1 })).toBe(60);
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
