import { describe, expect, it } from "vitest";
import { cachedImage, cachedUpstreams, credentialArnPattern, isRegionalEcr, pullThroughPolicy, splitImage, upstreamOf } from "../../lib/imageCache";

const VLLM = "docker.io/vllm/vllm-openai:v0.27.1@sha256:0a51ea5b4ae2dc5d81890e5173f54203d2a3ae0cfffe51b8fd2afd4391bfd967";
const HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

describe("image references through the pull-through cache", () => {
  it("keeps the repository path, tag and digest under the rule's prefix", () => {
    const cached = cachedImage(VLLM, HOST);
    expect(cached).toBe(`${HOST}/docker-hub/vllm/vllm-openai:v0.27.1@sha256:0a51ea5b4ae2dc5d81890e5173f54203d2a3ae0cfffe51b8fd2afd4391bfd967`);
    expect(cached.split("@")[1]).toBe(VLLM.split("@")[1]);
    expect(isRegionalEcr(cached, "us-east-1")).toBe(true);
    expect(isRegionalEcr(cached, "us-west-2")).toBe(false);
    expect(isRegionalEcr(VLLM, "us-east-1")).toBe(false);
  });

  it("applies Docker Hub's defaults: no host is docker.io, a bare name is under library/", () => {
    expect(splitImage("vllm/vllm-openai:v1")).toEqual({ host: "docker.io", path: "vllm/vllm-openai:v1" });
    expect(splitImage("ubuntu:24.04")).toEqual({ host: "docker.io", path: "library/ubuntu:24.04" });
    expect(splitImage("quay.io/prometheus/node-exporter:v1")).toEqual({ host: "quay.io", path: "prometheus/node-exporter:v1" });
    expect(upstreamOf(VLLM)?.upstreamRegistryUrl).toBe("registry-1.docker.io");
  });

  it("refuses an image whose registry no rule can mirror, naming the ones it can", () => {
    expect(() => cachedImage("nvcr.io/nvidia/vllm:25.01@sha256:" + "a".repeat(64), HOST)).toThrow(/registry nvcr\.io has no ECR pull-through rule; supported: docker\.io, public\.ecr\.aws, quay\.io, registry\.k8s\.io/);
  });

  it("mirrors Docker Hub only with its credential", () => {
    expect(cachedUpstreams(true).map((u) => u.upstreamRegistry)).toEqual(["docker-hub"]);
    expect(cachedUpstreams(false)).toEqual([]);
  });

  it("accepts only an ecr-pullthroughcache/ secret of the rule's own region", () => {
    expect(credentialArnPattern("us-east-1").test("arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf")).toBe(true);
    expect(credentialArnPattern("us-east-1").test("arn:aws:secretsmanager:us-west-2:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf")).toBe(false);
    expect(credentialArnPattern("us-east-1").test("arn:aws:secretsmanager:us-east-1:123456789012:secret:docker-hub-AbCdEf")).toBe(false);
  });

  it("lets nodes import and create only the cached repositories of their own region", () => {
    const doc = pullThroughPolicy("123456789012", "us-east-1", ["docker-hub"]);
    expect(doc.Statement).toEqual([
      { Sid: "PullThroughCache", Effect: "Allow", Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"], Resource: ["arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/*"] },
    ]);
  });
});
