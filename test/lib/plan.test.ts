import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { PlanDocument } from "../../lib/plan/document";
import { PlanMocks } from "../../tools/engine/mocks";
import { defaultProviderViolations } from "../../tools/engine/run";
import { readConfigFile } from "../../lib/plan/stackfile";
import { countResources, flattenOutputs, gpuCapacity } from "../../lib/plan/summary";
import { planResource } from "../planResource";
import { withEngineUrns } from "../../lib/plan/urn";
import { run } from "../spawn";

const res = planResource;

describe("stack file reading", () => {
  it("namespaces bare keys, JSON-encodes structured values and marks secure values secret", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sf-")), "Pulumi.x.yaml");
    fs.writeFileSync(file, "config:\n  environment: dev\n  proj:regions: [{region: us-east-1}]\n  proj:token:\n    secure: v1:abc\n  aws:region: us-east-1\n");
    const cfg = readConfigFile(file, "stacks/Pulumi.x.yaml", "proj");
    expect(cfg.config).toEqual({
      "proj:environment": "dev",
      "proj:regions": '[{"region":"us-east-1"}]',
      "proj:token": "offline-plan-secret",
      "aws:region": "us-east-1",
    });
    expect(cfg.secretKeys).toEqual(["proj:token"]);
    expect(cfg.file).toBe("stacks/Pulumi.x.yaml");
  });
});

describe("default providers", () => {
  const withDefault = res("urn:pulumi:s::p::aws:s3/bucket:Bucket::b", "aws:s3/bucket:Bucket", { provider: "urn:pulumi:s::p::pulumi:providers:aws::default_7_48_0" });
  const explicit = res("urn:pulumi:s::p::aws:s3/bucket:Bucket::c", "aws:s3/bucket:Bucket", { provider: "urn:pulumi:s::p::pulumi:providers:aws::aws-us-east-1" });

  it("flags resources on a default provider when the stack disables them", () => {
    const problems = defaultProviderViolations([withDefault, explicit], { "pulumi:disable-default-providers": '["*"]' });
    expect(problems).toEqual([`${withDefault.urn} uses the default aws provider, which this stack disables; pass the regional provider`]);
    expect(defaultProviderViolations([withDefault], { "pulumi:disable-default-providers": '["kubernetes"]' })).toEqual([]);
    expect(defaultProviderViolations([withDefault], {})).toEqual([]);
  });
});

describe("mocks", () => {
  it("derive ids and ARNs from type, name and the provider's region, identically every time", () => {
    const a = new PlanMocks();
    const b = new PlanMocks();
    const prov = a.newResource({ type: "pulumi:providers:aws", name: "aws-eu-west-1", inputs: { region: "eu-west-1" }, custom: true });
    b.newResource({ type: "pulumi:providers:aws", name: "aws-eu-west-1", inputs: { region: "eu-west-1" }, custom: true });
    const ref = `urn:pulumi:s::p::pulumi:providers:aws::aws-eu-west-1::${prov.id}`;
    const args = { type: "aws:eks/cluster:Cluster", name: "c", inputs: { name: "llm-dev-euw1" }, custom: true, provider: ref };
    const x = a.newResource(args);
    expect(x).toEqual(b.newResource(args));
    expect(x.id).toBe("llm-dev-euw1");
    expect(x.state.arn).toBe("arn:aws:eks:eu-west-1:123456789012:cluster/llm-dev-euw1");
    expect(x.state.endpoint).toMatch(/^https:\/\/[0-9A-F]{32}\.gr7\.eu-west-1\.eks\.amazonaws\.com$/);
    expect(a.newResource({ type: "aws:ec2/vpc:Vpc", name: "v", inputs: {}, custom: true, provider: ref }).id).toMatch(/^vpc-[0-9a-f]{17}$/);
  });

  it("refuse invokes they do not know, so a plan cannot silently depend on the cloud", () => {
    expect(() => new PlanMocks().call({ token: "aws:ec2/getAmi:getAmi", inputs: {} })).toThrow("offline plan: no mock for invoke aws:ec2/getAmi:getAmi");
  });
});

describe("summary", () => {
  const region = res("urn:pulumi:s::p::llm-blueprint:region:InferenceRegion::us-east-1", "llm-blueprint:region:InferenceRegion");
  const pool = res("urn:pulumi:s::p::llm-blueprint:cluster:NodePool::us-east-1-gpu-h100", "llm-blueprint:cluster:NodePool", { parent: region.urn });
  const ng = res("urn:pulumi:s::p::aws:eks/nodeGroup:NodeGroup::ng", "aws:eks/nodeGroup:NodeGroup", {
    parent: pool.urn,
    inputs: { instanceTypes: ["p5.48xlarge"], labels: { "gpu.class": "h100" }, scalingConfig: { minSize: 1, maxSize: 4, desiredSize: 1 } },
  });
  const sys = res("urn:pulumi:s::p::aws:eks/nodeGroup:NodeGroup::sys", "aws:eks/nodeGroup:NodeGroup", {
    parent: pool.urn,
    inputs: { instanceTypes: ["m7i.xlarge"], labels: { "node.role": "system" }, scalingConfig: { minSize: 2, maxSize: 4 } },
  });
  const provider = res("urn:pulumi:s::p::pulumi:providers:aws::aws-us-east-1", "pulumi:providers:aws");
  const doc: PlanDocument = { stack: "s", project: "p", resources: [region, pool, ng, sys, provider], outputs: { a: { b: [1, "x"] } }, policy: { violations: [] } };
  // Karpenter GPU NodePools: the GPU capacity is theirs (node groups above are not read for it).
  const nodePool = (name: string, labels: Record<string, string>, capacity: object, limit?: string) =>
    res(`urn:pulumi:s::p::kubernetes:karpenter.sh/v1:NodePool::${name}`, "kubernetes:karpenter.sh/v1:NodePool", {
      parent: region.urn,
      inputs: {
        metadata: { name, annotations: { "llm-blueprint.io/capacity": JSON.stringify(capacity) } },
        spec: { template: { metadata: { labels } }, ...(limit ? { limits: { "nvidia.com/gpu": limit } } : {}) },
      },
    });
  const karpenterDoc: PlanDocument = {
    ...doc,
    resources: [
      ...doc.resources,
      nodePool("h100", { "gpu.class": "h100" }, { instanceType: "p5.48xlarge", minNodes: 1, maxNodes: 4 }, "24"),
      nodePool("l4", { "gpu.class": "l4" }, { instanceType: "g6.12xlarge", minNodes: 0, maxNodes: 2 }),
      nodePool("general", { "node.role": "batch" }, { instanceType: "m7i.xlarge", minNodes: 0, maxNodes: 2 }),
    ],
  };

  it("computes GPU capacity from the declared Karpenter GPU NodePools only, the most GPUs from their limit", () => {
    expect(gpuCapacity(doc)).toEqual([]);
    expect(gpuCapacity(karpenterDoc)).toEqual([
      { region: "us-east-1", nodeGroup: "h100", gpuClass: "h100", instanceType: "p5.48xlarge", gpusPerNode: 8, minNodes: 1, maxNodes: 4, minGpus: 8, maxGpus: 24 },
      { region: "us-east-1", nodeGroup: "l4", gpuClass: "l4", instanceType: "g6.12xlarge", gpusPerNode: 4, minNodes: 0, maxNodes: 2, minGpus: 0, maxGpus: 8 },
    ]);
  });

  it("counts custom resources by region and component", () => {
    expect(countResources(doc)).toEqual({
      total: 5,
      reads: 0,
      stacks: 0,
      custom: 3,
      byRegion: { "us-east-1": { total: 2, byComponent: { NodePool: 2 } }, global: { total: 1, byComponent: { "(stack)": 1 } } },
    });
  });

  it("flattens outputs to paths", () => {
    expect(flattenOutputs(doc.outputs)).toEqual([
      ["a.b[0]", "1"],
      ["a.b[1]", "x"],
    ]);
  });
});

describe("engine URNs", () => {
  const stackUrn = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s";
  const mock = [
    res(stackUrn, "pulumi:pulumi:Stack", { custom: false }),
    res("urn:pulumi:s::p::pulumi:pulumi:Stack$pulumi:providers:aws::aws", "pulumi:providers:aws", { parent: stackUrn }),
    res("urn:pulumi:s::p::pulumi:pulumi:Stack$my:mod:Region::r", "my:mod:Region", { parent: stackUrn, custom: false }),
    res("urn:pulumi:s::p::my:mod:Region$my:mod:Pool::r-pool", "my:mod:Pool", { parent: "urn:pulumi:s::p::pulumi:pulumi:Stack$my:mod:Region::r", custom: false }),
    res("urn:pulumi:s::p::my:mod:Pool$aws:eks/nodeGroup:NodeGroup::ng", "aws:eks/nodeGroup:NodeGroup", {
      parent: "urn:pulumi:s::p::my:mod:Region$my:mod:Pool::r-pool",
      provider: "urn:pulumi:s::p::pulumi:pulumi:Stack$pulumi:providers:aws::aws",
      inputs: { ref: "urn:pulumi:s::p::pulumi:pulumi:Stack$pulumi:providers:aws::aws", other: "x" },
    }),
  ];

  it("drops the root stack type and nests the parent's full qualified type, as the engine does", () => {
    const out = withEngineUrns(mock, "s", "p");
    expect(out.map((r) => r.urn)).toEqual([
      stackUrn,
      "urn:pulumi:s::p::pulumi:providers:aws::aws",
      "urn:pulumi:s::p::my:mod:Region::r",
      "urn:pulumi:s::p::my:mod:Region$my:mod:Pool::r-pool",
      "urn:pulumi:s::p::my:mod:Region$my:mod:Pool$aws:eks/nodeGroup:NodeGroup::ng",
    ]);
    expect(out[4].parent).toBe(out[3].urn);
    expect(out[4].provider).toBe(out[1].urn);
    expect(out[4].inputs).toEqual({ ref: out[1].urn, other: "x" });
  });
});

describe("a program that throws", () => {
  // In a process of its own, which counts every unhandled rejection until it has drained.
  it("makes recordProgram reject with its error once the run has drained, leaving no unhandled rejection behind", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-throws-"));
    const script = path.join(dir, "check.ts");
    fs.writeFileSync(
      script,
      `import { recordProgram } from ${JSON.stringify(path.resolve(__dirname, "../../tools/engine/record"))};
import * as pulumi from ${JSON.stringify(require.resolve("@pulumi/pulumi"))};
const unhandled: string[] = [];
process.on("unhandledRejection", (err) => unhandled.push(String(err)));
(async () => {
  const errors: string[] = [];
  for (const captureStacks of [false, true]) {
    // A resource first, so the failure comes after the program has started registering.
    const program = async () => { new pulumi.ComponentResource("my:mod:Thing", "before"); throw new Error("boom " + captureStacks); };
    await recordProgram(program, { project: "p", stack: "s", captureStacks }).then(() => errors.push("no error"), (e: Error) => errors.push(e.message));
  }
  await new Promise((r) => setTimeout(r, 200));
  process.stdout.write(JSON.stringify({ errors, unhandled }));
})();
`,
    );
    const res = await run(path.resolve(__dirname, "../../node_modules/.bin/tsx"), [script], { cwd: path.resolve(__dirname, "../.."), timeoutMs: 60_000 });
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ errors: ["boom false", "boom true"], unhandled: [] });
  });
});

describe("stack traces", () => {
  // In a process of its own, so the stack-trace limit it reads at the end is the engine's doing alone.
  it("are off while the program runs in the fast mode, yet a program error from planStack still says where", () => {
    // A repository with a platform project only, planned alone (--project platform).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-stacks-"));
    const project = path.join(dir, "platform");
    fs.mkdirSync(path.join(project, "stacks"), { recursive: true });
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: exploding\nruntime: nodejs\nstackConfigDir: stacks\nmain: index.js\n");
    fs.writeFileSync(path.join(project, "stacks", "Pulumi.x.yaml"), "config: {}\n");
    fs.writeFileSync(path.join(project, "index.js"), "module.exports = () => { function explodeHere() { throw new Error('boom'); } explodeHere(); };\n");
    const engine = path.resolve(__dirname, "../../tools/engine");
    const script = path.join(dir, "check.ts");
    fs.writeFileSync(
      script,
      `import { recordProgram } from ${JSON.stringify(path.join(engine, "record"))};
import { planStack } from ${JSON.stringify(path.join(engine, "run"))};
process.on("unhandledRejection", () => undefined);
const program = require(${JSON.stringify(path.join(project, "index.js"))});
const stackOf = (p: Promise<unknown>) => p.then(() => "no error", (e: Error) => e.stack ?? "");
(async () => {
  const fast = await stackOf(recordProgram(program, { project: "p", stack: "s", captureStacks: false }));
  const full = await stackOf(recordProgram(program, { project: "p", stack: "s" }));
  const planned = await stackOf(planStack({ projectDir: ${JSON.stringify(dir)}, stack: "x", project: "platform" }));
  process.stdout.write(JSON.stringify({ fast, full, planned, limit: Error.stackTraceLimit }));
  process.exit(0);
})();
`,
    );
    const res = spawnSync(path.resolve(__dirname, "../../node_modules/.bin/tsx"), [script], { encoding: "utf8", timeout: 60_000 });
    const out = JSON.parse(res.stdout) as { fast: string; full: string; planned: string; limit: number };
    expect(out.fast).toMatch(/^Error: boom/);
    expect(out.fast).not.toContain("explodeHere");
    expect(out.full).toContain("at explodeHere");
    expect(out.planned).toMatch(/^Error: boom\n\s+at explodeHere/);
    expect(out.limit).toBeGreaterThan(0);
  });
});
