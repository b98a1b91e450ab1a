import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { recordProgram } from "../../tools/engine/record";
import { recordProjects } from "../../tools/engine/run";
import { StackConfigError } from "../../lib/config/validate";
import { input, ofType, projectStackFile } from "../harness";
import { recordOneStackRun } from "../oneStack";
import { inDirectory } from "../workingDirectory";

const root = path.resolve(__dirname, "../..");
const PLATFORM = "llm-blueprint-platform";
const SERVING = "llm-blueprint-serving";

/**
 * Runs serving/index.ts for `stack` with the given platform outputs behind its StackReference and
 * returns what the program threw. The error is caught inside the program, as the SDK would otherwise
 * also surface it as an unhandled rejection.
 */
async function servingError(stack: string, platformOutputs: Record<string, unknown>): Promise<unknown> {
  const { config, secretKeys } = projectStackFile("serving", stack);
  let caught: unknown;
  await inDirectory(path.join(root, "serving"), () =>
    recordProgram(
      async () => {
        const mod = (await import("../../serving/index")) as unknown as { default?: () => Promise<unknown> } | (() => Promise<unknown>);
        try {
          return await (typeof mod === "function" ? mod : mod.default!)();
        } catch (err) {
          caught = err;
          return {};
        }
      },
      { project: SERVING, stack, config, secretKeys, stackOutputs: new Map([[`${PLATFORM}/${stack}`, platformOutputs]]) },
    ),
  );
  return caught;
}

describe("two projects: platform, then serving through a StackReference (prod)", () => {
  let resources: PlanResource[];
  let outputs: Record<string, Record<string, unknown>>;
  beforeAll(async () => {
    const run = await recordProjects({ projectDir: root, stack: "prod" });
    resources = run.resources;
    outputs = run.outputs as Record<string, Record<string, unknown>>;
  });
  const of = (project: string) => resources.filter((r) => r.project === project);

  it("says which project declares each resource; platform has no Kubernetes provider or object, serving no cluster or network", () => {
    expect(resources.every((r) => r.project === PLATFORM || r.project === SERVING)).toBe(true);
    expect(of(PLATFORM).filter((r) => r.type.startsWith("kubernetes:") || r.type === "pulumi:providers:kubernetes").map((r) => r.urn)).toEqual([]);
    const platformOnly = ["aws:eks/cluster:Cluster", "aws:ec2/vpc:Vpc", "aws:eks/nodeGroup:NodeGroup", "aws:s3/bucket:Bucket", "aws:lb/loadBalancer:LoadBalancer", "aws:codebuild/project:Project"];
    for (const t of platformOnly) {
      expect(ofType(of(SERVING), t), t).toEqual([]);
      expect(ofType(of(PLATFORM), t).length, t).toBeGreaterThan(0);
    }
    expect(ofType(of(SERVING), "kubernetes:helm.sh/v3:Release").length).toBeGreaterThan(0);
  });

  it("serving reads the platform stack its config names, and builds each Kubernetes provider from that reference", () => {
    const refs = ofType(of(SERVING), "pulumi:pulumi:StackReference");
    expect(refs.map((r) => r.read?.id)).toEqual([projectStackFile("serving", "prod").config["llm-blueprint:platformStack"]]);
    const providers = ofType(of(SERVING), "pulumi:providers:kubernetes");
    const clusters = ofType(of(PLATFORM), "aws:eks/cluster:Cluster").map((c) => input(c, "name"));
    expect(providers.map((p) => input(p, "cluster")).sort()).toEqual([...clusters].sort());
    for (const p of providers) expect(p.propertyDependencies?.kubeconfig, p.urn).toContain(refs[0].urn);
  });

  it("platform exports what serving reads for every region, including the deploy role's access", () => {
    const regions = outputs[PLATFORM].regions as Record<string, Record<string, unknown>>;
    expect(Object.keys(regions)).toEqual(["us-east-1", "us-west-2", "us-east-2"]);
    for (const [region, o] of Object.entries(regions)) {
      for (const key of ["clusterName", "clusterEndpoint", "certificateAuthorityData", "deployAccessReady", "vpcId", "clusterSecurityGroupId"]) expect(typeof o[key] === "string" && o[key] !== "", `${region}.${key}`).toBe(true);
      expect((o.ingress as Record<string, unknown>).targetGroupArn).toMatch(/^arn:aws:elasticloadbalancing:/);
    }
    expect(outputs[PLATFORM].servingRunners).toEqual(Object.keys(regions).map((region) => ({ region, project: expect.stringMatching(/^llm-prod-runner-/) })));
  });

  it("refuses to plan serving when platform does not export an output it reads, naming both stacks and the output", async () => {
    const broken = structuredClone(outputs[PLATFORM]);
    delete (broken.regions as Record<string, Record<string, unknown>>)["us-west-2"].deployAccessReady;
    const err = await servingError("prod", broken);
    expect(StackConfigError.isInstance(err)).toBe(true);
    expect((err as StackConfigError).problems).toEqual([
      {
        path: "llm-blueprint:platformStack",
        message: "stack organization/llm-blueprint-platform/prod (llm-blueprint-platform) does not export regions.us-west-2.deployAccessReady, which serving reads for the Kubernetes provider, which must not start before the deploy role's access entry exists; deploy platform from the same commit first",
      },
    ]);
  });

  it("refuses to plan serving when platform exports no Karpenter names or misses a GPU pool", async () => {
    const broken = structuredClone(outputs[PLATFORM]);
    const east2 = (broken.regions as Record<string, Record<string, unknown>>)["us-east-2"];
    delete (east2.karpenter as Record<string, unknown>).interruptionQueueName;
    east2.gpuPools = (east2.gpuPools as { pool: string }[]).filter((p) => p.pool !== "h100");
    const err = await servingError("prod", broken);
    expect((err as StackConfigError).problems.map((p) => p.message)).toEqual([
      "stack organization/llm-blueprint-platform/prod (llm-blueprint-platform) does not export regions.us-east-2.karpenter.interruptionQueueName, which serving reads for Karpenter's interruption handling (settings.interruptionQueue); deploy platform from the same commit first",
      'stack organization/llm-blueprint-platform/prod (llm-blueprint-platform) does not export regions.us-east-2.gpuPools[pool=h100], which serving reads for the Karpenter NodePool of GPU pool "h100"; deploy platform from the same commit first',
    ]);
  });

  it("refuses a serving stack whose environment differs from its platform's", async () => {
    const other = structuredClone(outputs[PLATFORM]);
    (other.platformConfig as Record<string, unknown>).environment = "staging";
    const err = await servingError("prod", other);
    expect((err as StackConfigError).problems.map((p) => p.message)).toContain(
      'is "prod" but platform stack organization/llm-blueprint-platform/prod is "staging": a serving stack deploys into the platform of its own environment',
    );
  });
});

describe("one program (InferenceBlueprint's composition)", () => {
  it("starts each region's Kubernetes provider only after the deploy role's access policy association exists", async () => {
    // The unedited prod stack as one program: recorded once for the whole test run (recordOneStackRun).
    const run = await recordOneStackRun("prod");
    const deployAssociations = ofType(run.resources, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation").filter((a) => a.name.includes("-ci-deploy-"));
    expect(deployAssociations).toHaveLength(3);
    const providers = ofType(run.resources, "pulumi:providers:kubernetes").filter((p) => !p.urn.includes("GpuCluster"));
    expect(providers).toHaveLength(3);
    for (const p of providers) {
      const region = String(input(p, "cluster")).split("-").pop()!;
      const mine = deployAssociations.filter((a) => a.name.includes(regionToPrefix(region)));
      expect(mine, p.urn).toHaveLength(1);
      expect(p.options.dependsOn, p.urn).toContain(mine[0].urn);
    }
  });
});

/** "use1" -> the region component prefix its resources carry ("us-east-1"). */
function regionToPrefix(code: string): string {
  return { use1: "us-east-1", usw2: "us-west-2", use2: "us-east-2" }[code] ?? code;
}
