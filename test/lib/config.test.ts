import { describe, expect, it } from "vitest";
import { readProjectConfig } from "../../lib/config/load";
import { StackConfigInput } from "../../lib/config/schema";
import { foreignKeyProblems, parseStackConfig, StackConfigError } from "../../lib/config/validate";
import { BLUEPRINT_NAMESPACE } from "../../lib/config/projects";
import { combinedStackConfig, projectStackFile } from "../stackConfig";

const NS = BLUEPRINT_NAMESPACE;
const FILE = "platform/stacks/Pulumi.test.yaml";

/** A committed stack's platform and serving keys together, as the one-stack composition reads them. */
function committed(stack: string): Record<string, unknown> {
  return readProjectConfig(NS, combinedStackConfig(stack).config);
}

/** A small valid config to break one key at a time. */
function valid(): StackConfigInput {
  return {
    environment: "staging",
    cluster: { kubernetesVersion: "1.33" },
    regions: [
      { region: "us-east-1", vpcCidr: "10.0.0.0/16", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"], gpuPools: [{ class: "h100", instanceType: "p5.48xlarge", minSize: 0, maxSize: 2 }] },
      { region: "us-west-2", vpcCidr: "10.1.0.0/16", availabilityZones: ["us-west-2a", "us-west-2b", "us-west-2c"], gpuPools: [{ class: "l4", instanceType: "g6.12xlarge", minSize: 1, maxSize: 3 }] },
    ],
  };
}

function problemsOf(raw: unknown): { path: string; message: string }[] {
  try {
    parseStackConfig(raw, { namespace: NS, stackFile: FILE });
  } catch (err) {
    expect(StackConfigError.isInstance(err)).toBe(true);
    return [...(err as StackConfigError).problems];
  }
  throw new Error("expected the config to be rejected");
}

describe("committed stacks", () => {
  it.each(["dev", "staging", "prod"])("%s passes validation", (stack) => {
    const cfg = parseStackConfig(committed(stack), { namespace: NS, stackFile: `serving/stacks/Pulumi.${stack}.yaml` });
    expect(cfg.environment).toBe(stack);
  });

  it("dev is one region with L4 only, staging two regions, prod three with both classes everywhere", () => {
    const parse = (s: string) => parseStackConfig(committed(s), { namespace: NS, stackFile: s });
    const dev = parse("dev");
    expect(dev.regions).toHaveLength(1);
    expect(dev.regions[0].gpuPools.map((p) => p.class)).toEqual(["l4"]);
    expect(parse("staging").regions).toHaveLength(2);
    const prod = parse("prod");
    expect(prod.regions).toHaveLength(3);
    for (const r of prod.regions) expect(new Set(r.gpuPools.map((p) => p.class))).toEqual(new Set(["h100", "l4"]));
  });

  it("resolves defaults that depend on other keys", () => {
    const prod = parseStackConfig(committed("prod"), { namespace: NS, stackFile: "p" });
    expect(prod.regions.map((r) => r.natGateways)).toEqual(["perAz", "perAz", "perAz"]);
    expect(prod.regions.map((r) => r.primary)).toEqual([true, false, false]);
    const h100 = prod.regions[0].gpuPools.find((p) => p.class === "h100")!;
    expect(h100).toMatchObject({ name: "h100", instanceTypes: ["p5.48xlarge"], diskSizeGiB: 1024 });
    const dev = parseStackConfig(committed("dev"), { namespace: NS, stackFile: "d" });
    expect(dev.regions[0].natGateways).toBe("single");
    expect(dev.cluster.publicAccessCidrs).toEqual(["203.0.113.0/24"]);
  });
});

describe("rejections", () => {
  it("unknown GPU class names the key and the allowed classes", () => {
    const raw = valid() as unknown as { regions: { gpuPools: { class: string }[] }[] };
    raw.regions[0].gpuPools[0].class = "a100";
    expect(problemsOf(raw)).toContainEqual({ path: `${NS}:regions[0].gpuPools[0].class`, message: '"a100" is not a GPU class; allowed: h100, l4' });
  });

  it("instance type that does not match its class lists the class's instance types", () => {
    const raw = valid();
    raw.regions[1].gpuPools[0].instanceType = "p5.48xlarge";
    const [p] = problemsOf(raw);
    expect(p.path).toBe(`${NS}:regions[1].gpuPools[0].instanceType`);
    expect(p.message).toContain('"p5.48xlarge" is not a NVIDIA L4 24GB instance type');
    expect(p.message).toContain("allowed for class l4: g6.xlarge, g6.2xlarge");
  });

  it("min greater than max; a GPU pool's desiredSize is gone with the managed node groups", () => {
    const raw = valid();
    Object.assign(raw.regions[0].gpuPools[0], { minSize: 3, maxSize: 2 });
    Object.assign(raw.regions[1].gpuPools[0], { desiredSize: 2 });
    const problems = problemsOf(raw);
    expect(problems).toContainEqual({ path: `${NS}:regions[0].gpuPools[0].minSize`, message: "minSize 3 is greater than maxSize 2" });
    expect(problems).toContainEqual({ path: `${NS}:regions[1].gpuPools[0].desiredSize`, message: expect.stringContaining("was for managed node groups; Karpenter launches GPU nodes for pending pods") });
  });

  it("duplicated region", () => {
    const raw = valid();
    raw.regions[1] = { ...raw.regions[0], vpcCidr: "10.9.0.0/16" };
    expect(problemsOf(raw)).toContainEqual({ path: `${NS}:regions[1].region`, message: 'duplicates regions[0] ("us-east-1"); each region may appear once' });
  });

  it("CIDR overlap between regions", () => {
    const raw = valid();
    raw.regions[1].vpcCidr = "10.0.128.0/17";
    expect(problemsOf(raw)).toContainEqual({
      path: `${NS}:regions[1].vpcCidr`,
      message: "10.0.128.0/17 overlaps regions[0].vpcCidr 10.0.0.0/16 (us-east-1); give each region a disjoint block",
    });
  });

  it("unknown keys list the keys that are allowed, at the top level and nested", () => {
    const raw = { ...valid(), regionz: [] } as Record<string, unknown>;
    (raw.cluster as Record<string, unknown>).kubernetesVerison = "1.33";
    const problems = problemsOf(raw);
    expect(problems).toContainEqual({ path: `${NS}:<root>`, message: 'unknown key "regionz" (did you mean "regions"?); allowed keys: environment, namePrefix, tags, cluster, regions, registry, serving, huggingFaceToken, alertReceiverSecret, traffic, ci, costCeilingUsdPerMonth, quotas, observability, dataLossAllowList' });
    const nested = problems.find((p) => p.path === `${NS}:cluster`);
    expect(nested?.message).toMatch(/^unknown key "kubernetesVerison" \(did you mean "kubernetesVersion"\?\); allowed keys: kubernetesVersion, publicAccessCidrs/);
  });

  it("wrong types say what was expected and what was found", () => {
    const raw = valid() as unknown as { regions: { gpuPools: { maxSize: unknown }[] }[]; cluster: { kubernetesVersion: unknown } };
    raw.regions[0].gpuPools[0].maxSize = "two";
    raw.cluster.kubernetesVersion = 1.33;
    const problems = problemsOf(raw);
    expect(problems).toContainEqual({ path: `${NS}:regions[0].gpuPools[0].maxSize`, message: 'expected number, got string "two"' });
    expect(problems).toContainEqual({ path: `${NS}:cluster.kubernetesVersion`, message: '1.33 is a number; quote it in YAML. allowed: "1.36", "1.33"' });
  });

  it("missing required keys", () => {
    const problems = problemsOf({ cluster: { kubernetesVersion: "1.33" } });
    expect(problems).toContainEqual({ path: `${NS}:environment`, message: expect.stringContaining("expected one of") as unknown as string });
    expect(problems).toContainEqual({ path: `${NS}:regions`, message: "is required (expected array)" });
  });

  it("availability zones: too few, wrong region, and repeated", () => {
    const raw = valid();
    raw.regions[0].availabilityZones = ["us-east-1a", "us-west-2b"];
    raw.regions[1].availabilityZones = ["us-west-2a", "us-west-2a", "us-west-2b"];
    const problems = problemsOf(raw);
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining([`${NS}:regions[0].availabilityZones`, `${NS}:regions[0].availabilityZones[1]`, `${NS}:regions[1].availabilityZones`]),
    );
  });

  it("a public endpoint open to the internet is refused", () => {
    const raw = valid();
    raw.cluster.publicAccessCidrs = ["0.0.0.0/0"];
    expect(problemsOf(raw)[0].message).toContain("opens the API server to the internet");
  });

  it("reports every problem at once, in one message naming the stack file", () => {
    const raw = valid();
    raw.regions[0].gpuPools[0].instanceType = "g6.xlarge";
    raw.regions[1].vpcCidr = "10.0.0.0/24";
    let err: unknown;
    try {
      parseStackConfig(raw, { namespace: NS, stackFile: FILE });
    } catch (e) {
      err = e;
    }
    expect(StackConfigError.isInstance(err)).toBe(true);
    const msg = (err as Error).message;
    expect(msg.split("\n")[0]).toBe(`Invalid stack configuration in ${FILE} (3 problems):`);
    expect(msg).toContain(`  - ${NS}:regions[0].gpuPools[0].instanceType: `);
    expect((err as StackConfigError).exitCode).toBe(2);
  });
});

describe("fail closed on typos and out-of-range values", () => {
  it("a region code that is not an AWS region names the nearest one", () => {
    const raw = valid();
    raw.regions[1].region = "us-wset-2";
    expect(problemsOf(raw)).toContainEqual({ path: `${NS}:regions[1].region`, message: '"us-wset-2" is not an AWS region (did you mean "us-west-2"?); use a region code such as us-east-1 (lib/regions.ts lists them)' });
    raw.regions[1].region = "mars-north-1";
    expect(problemsOf(raw)).toContainEqual({ path: `${NS}:regions[1].region`, message: '"mars-north-1" is not an AWS region; use a region code such as us-east-1 (lib/regions.ts lists them)' });
  });

  it("availability zones must belong to their region, with the region's letters where known", () => {
    const raw = valid();
    raw.regions[0].availabilityZones = ["us-east-1a", "us-east-1b", "us-east-1g"];
    raw.regions[1].availabilityZones = ["us-west-2a", "us-west-2b", "us-west-2aa"];
    const problems = problemsOf(raw);
    expect(problems).toContainEqual({ path: `${NS}:regions[0].availabilityZones[2]`, message: '"us-east-1g" is not a zone of us-east-1, which has 6; allowed: us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f' });
    expect(problems).toContainEqual({
      path: `${NS}:regions[1].availabilityZones[2]`,
      message: '"us-west-2aa" is not a zone of us-west-2: a zone is the region code plus one letter; allowed: us-west-2a, us-west-2b, us-west-2c, us-west-2d',
    });
  });

  it("sizes have upper bounds", () => {
    const raw = valid() as unknown as { regions: { gpuPools: { maxSize: number }[]; systemPool?: Record<string, number> }[] };
    raw.regions[0].gpuPools[0].maxSize = 4000;
    raw.regions[1].systemPool = { maxSize: 1000 };
    const problems = problemsOf(raw);
    expect(problems).toContainEqual({ path: `${NS}:regions[0].gpuPools[0].maxSize`, message: "maxSize must be at most 450 (EKS nodes per managed node group)" });
    expect(problems).toContainEqual({ path: `${NS}:regions[1].systemPool.maxSize`, message: "maxSize must be at most 450 (EKS nodes per managed node group)" });
  });

  it("a cost ceiling must be a positive number of USD", () => {
    expect(problemsOf({ ...valid(), costCeilingUsdPerMonth: -5 })).toContainEqual({ path: `${NS}:costCeilingUsdPerMonth`, message: "must be a positive number of USD per month" });
    expect(problemsOf({ ...valid(), costCeilingUsdPerMonth: "50k" })).toContainEqual({ path: `${NS}:costCeilingUsdPerMonth`, message: 'expected number, got string "50k"' });
    expect(parseStackConfig({ ...valid(), costCeilingUsdPerMonth: 50000 }, { namespace: NS, stackFile: FILE }).costCeilingUsdPerMonth).toBe(50000);
  });
});

describe("every region says how it takes part in global traffic", () => {
  const three = () => {
    const raw = valid() as unknown as Record<string, unknown> & { regions: Record<string, unknown>[] };
    raw.environment = "prod";
    raw.regions.push({ region: "us-east-2", vpcCidr: "10.2.0.0/16", availabilityZones: ["us-east-2a", "us-east-2b", "us-east-2c"], gpuPools: [{ class: "l4", instanceType: "g6.12xlarge", minSize: 1, maxSize: 3 }] });
    return raw;
  };
  const zone = { id: "Z0123456789ABC", name: "inference.example.com" };

  it("a region added to a failover stack without a role is an error", () => {
    const raw = { ...three(), traffic: { zone, routing: "failover", regions: { "us-east-1": { role: "primary" }, "us-west-2": { role: "secondary" } } } };
    expect(problemsOf(raw)).toEqual([
      { path: `${NS}:traffic.regions.us-east-2`, message: 'has no role; in a failover stack every region needs role "primary", "secondary" or "none" (none: only its regional name, never the global one)' },
    ]);
  });

  it('role "none" keeps a region out of the failover pair explicitly', () => {
    const raw = { ...three(), traffic: { zone, routing: "failover", regions: { "us-east-1": { role: "primary" }, "us-west-2": { role: "secondary" }, "us-east-2": { role: "none" } } } };
    const cfg = parseStackConfig(raw, { namespace: NS, stackFile: FILE });
    expect(cfg.traffic!.regions.map((r) => [r.region, r.role])).toEqual([["us-east-1", "primary"], ["us-west-2", "secondary"], ["us-east-2", undefined]]);
  });

  it("a region added to a weighted stack without a weight is an error; drain: true is explicit enough", () => {
    const raw = { ...three(), traffic: { zone, routing: "weighted", regions: { "us-east-1": { weight: 100 }, "us-west-2": { weight: 100 } } } };
    expect(problemsOf(raw)).toEqual([{ path: `${NS}:traffic.regions.us-east-2`, message: "has no weight; in a weighted stack every region needs a weight (0-255, relative to the others) or drain: true" }]);
    const drained = { ...raw, traffic: { ...raw.traffic, regions: { ...raw.traffic.regions, "us-east-2": { drain: true } } } };
    expect(parseStackConfig(drained, { namespace: NS, stackFile: FILE }).traffic!.regions.map((r) => r.drain)).toEqual([false, false, true]);
  });
});

describe("config namespaces", () => {
  it("a key in a misspelt project namespace names the nearest valid key", () => {
    expect(foreignKeyProblems(["llm-bluepirnt:observability", "llm-blueprint:regions"], NS)).toEqual([
      { path: "llm-bluepirnt:observability", message: '"llm-bluepirnt" is not a config namespace anything reads (did you mean "llm-blueprint:observability"?); allowed namespaces: llm-blueprint, pulumi, aws, kubernetes, random' },
    ]);
    expect(foreignKeyProblems(["llm-bluepirnt:observabilty"], NS)[0].message).toContain('(did you mean "llm-blueprint:observability"?)');
    expect(foreignKeyProblems(["kuberentes:context"], NS)[0].message).toContain('(did you mean "kubernetes:context"?)');
    expect(foreignKeyProblems(["datadog:apiKey"], NS)[0].message).toBe('"datadog" is not a config namespace anything reads; allowed namespaces: llm-blueprint, pulumi, aws, kubernetes, random');
  });

  it("Pulumi's and the providers' namespaces are allowed, and the committed stacks use no other", () => {
    expect(foreignKeyProblems(["pulumi:disable-default-providers", "aws:region", "kubernetes:context", "random:x", "environment"], NS)).toEqual([]);
    for (const stack of ["dev", "staging", "prod"]) {
      for (const p of ["platform", "serving"] as const) expect(foreignKeyProblems(Object.keys(projectStackFile(p, stack).config), NS, ["platformStack"])).toEqual([]);
    }
  });
});
