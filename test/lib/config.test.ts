import * as path from "path";
import { describe, expect, it } from "vitest";
import { readProjectConfig } from "../../lib/config/load";
import { StackConfigInput } from "../../lib/config/schema";
import { parseStackConfig, StackConfigError } from "../../lib/config/validate";
import { readProjectFile, readStackFile } from "../../lib/plan/stackfile";

const root = path.resolve(__dirname, "../..");
const project = readProjectFile(root);
const NS = project.name;
const FILE = "stacks/Pulumi.test.yaml";

function committed(stack: string): Record<string, unknown> {
  const { config } = readStackFile(root, project, stack);
  return readProjectConfig(NS, config);
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
    const cfg = parseStackConfig(committed(stack), { namespace: NS, stackFile: `stacks/Pulumi.${stack}.yaml` });
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
    expect(h100).toMatchObject({ name: "h100", desiredSize: h100.minSize, diskSizeGiB: 1024, capacityType: "ON_DEMAND" });
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

  it("min greater than max, and desired outside the range", () => {
    const raw = valid();
    Object.assign(raw.regions[0].gpuPools[0], { minSize: 3, maxSize: 2 });
    raw.regions[1].gpuPools[0].desiredSize = 9;
    const problems = problemsOf(raw);
    expect(problems).toContainEqual({ path: `${NS}:regions[0].gpuPools[0].minSize`, message: "minSize 3 is greater than maxSize 2" });
    expect(problems).toContainEqual({ path: `${NS}:regions[1].gpuPools[0].desiredSize`, message: "desiredSize 9 must lie between minSize 1 and maxSize 3" });
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
    expect(problems).toContainEqual({ path: `${NS}:<root>`, message: 'unknown key "regionz"; allowed keys: environment, namePrefix, tags, cluster, regions, registry, serving, huggingFaceToken, alertReceiverSecret, traffic, observability' });
    const nested = problems.find((p) => p.path === `${NS}:cluster`);
    expect(nested?.message).toMatch(/^unknown key "kubernetesVerison"; allowed keys: kubernetesVersion, publicAccessCidrs/);
  });

  it("wrong types say what was expected and what was found", () => {
    const raw = valid() as unknown as { regions: { gpuPools: { maxSize: unknown }[] }[]; cluster: { kubernetesVersion: unknown } };
    raw.regions[0].gpuPools[0].maxSize = "two";
    raw.cluster.kubernetesVersion = 1.33;
    const problems = problemsOf(raw);
    expect(problems).toContainEqual({ path: `${NS}:regions[0].gpuPools[0].maxSize`, message: 'expected number, got string "two"' });
    expect(problems).toContainEqual({ path: `${NS}:cluster.kubernetesVersion`, message: '1.33 is a number; quote it in YAML. allowed: "1.33"' });
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
