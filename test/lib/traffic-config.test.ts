import { describe, expect, it } from "vitest";
import { StackConfigInput } from "../../lib/config/schema";
import { parseStackConfig } from "../../lib/config/validate";
import { configProblems } from "../stackConfig";

const NS = "llm-blueprint";
const FILE = "stacks/Pulumi.test.yaml";

function config(traffic: Record<string, unknown>, regionCount = 3): StackConfigInput {
  const all = [
    { region: "us-east-1", vpcCidr: "10.0.0.0/16", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"], gpuPools: [{ class: "l4", instanceType: "g6.12xlarge", minSize: 1, maxSize: 2 }] },
    { region: "us-west-2", vpcCidr: "10.1.0.0/16", availabilityZones: ["us-west-2a", "us-west-2b", "us-west-2c"], gpuPools: [{ class: "l4", instanceType: "g6.12xlarge", minSize: 1, maxSize: 2 }] },
    { region: "us-east-2", vpcCidr: "10.2.0.0/16", availabilityZones: ["us-east-2a", "us-east-2b", "us-east-2c"], gpuPools: [{ class: "l4", instanceType: "g6.12xlarge", minSize: 1, maxSize: 2 }] },
  ];
  return { environment: "prod", cluster: { kubernetesVersion: "1.33" }, regions: all.slice(0, regionCount), traffic: { zone: { id: "Z0123456789ABC", name: "inference.example.com" }, ...traffic } } as StackConfigInput;
}

const problemsOf = (raw: unknown) => configProblems(raw, FILE, NS);

describe("traffic config", () => {
  it("resolves defaults: 10 s checks, 3 failures, 15 s TTL, deletion protection in prod", () => {
    const cfg = parseStackConfig(config({ routing: "latency" }), { namespace: NS, stackFile: FILE });
    expect(cfg.traffic).toMatchObject({ routing: "latency", healthCheck: { intervalSeconds: 10, failureThreshold: 3, path: "/v1/models" }, recordTtlSeconds: 15, deletionProtection: true });
    expect(cfg.traffic!.regions.map((r) => r.region)).toEqual(["us-east-1", "us-west-2", "us-east-2"]);
  });

  it("takes a route timeout within the NLB TLS listener's fixed 350 s idle timeout, 300 s by default", () => {
    expect(parseStackConfig(config({ routing: "latency" }), { namespace: NS, stackFile: FILE }).traffic!.requestTimeoutSeconds).toBe(300);
    expect(parseStackConfig(config({ routing: "latency", requestTimeoutSeconds: 350 }), { namespace: NS, stackFile: FILE }).traffic!.requestTimeoutSeconds).toBe(350);
    expect(problemsOf(config({ routing: "latency", requestTimeoutSeconds: 600 }))).toEqual([
      `${NS}:traffic.requestTimeoutSeconds: must be at most 350: the regional NLB's TLS listener closes connections idle for 350 s and AWS does not let it be raised`,
    ]);
  });

  it("refuses failover with three primaries, or without a secondary", () => {
    expect(problemsOf(config({ routing: "failover", regions: { "us-east-1": { role: "primary" }, "us-west-2": { role: "primary" }, "us-east-2": { role: "primary" } } }))).toEqual([
      `${NS}:traffic.regions: failover needs exactly one primary and one secondary region; found primary: us-east-1, us-west-2, us-east-2, secondary: none`,
    ]);
  });

  it("refuses weighted routing where every region is at 0 or drained", () => {
    expect(problemsOf(config({ routing: "weighted", regions: { "us-east-1": { weight: 0 }, "us-west-2": { drain: true }, "us-east-2": { weight: 0 } } }))).toEqual([
      expect.stringContaining(`${NS}:traffic.regions: every region has weight 0`),
    ]);
  });

  it("refuses health-check intervals Route 53 does not offer, and settings of another routing mode", () => {
    const problems = problemsOf(config({ routing: "latency", healthCheck: { intervalSeconds: 20 }, regions: { "us-east-1": { role: "primary", weight: 5 }, "eu-west-1": { drain: true } } }));
    expect(problems).toEqual(
      expect.arrayContaining([
        `${NS}:traffic.healthCheck.intervalSeconds: must be 10 or 30 (Route 53 health-check intervals)`,
        `${NS}:traffic.regions.us-east-1.role: roles apply to routing "failover" only; this stack uses "latency"`,
        `${NS}:traffic.regions.us-east-1.weight: weights apply to routing "weighted" only; this stack uses "latency"`,
        `${NS}:traffic.regions.eu-west-1: "eu-west-1" is not a region of this stack; allowed: us-east-1, us-west-2, us-east-2`,
      ]),
    );
  });
});
