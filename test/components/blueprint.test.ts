import { beforeAll, describe, expect, it } from "vitest";
import { regionCode } from "../../lib/naming";
import { PlanResource } from "../../lib/plan/document";
import { combinedStackConfig, entryPoint, recordWithoutStacks, input, ofType, resourcesWithoutExplicitProvider } from "../harness";
import { recordOneStack } from "../oneStack";

/** The prod stack as one program (InferenceBlueprint's composition of platform and serving), recorded once for the whole test run. */
async function planProd(): Promise<PlanResource[]> {
  return recordOneStack("prod");
}

/**
 * Walks parents up to the component that owns a region (InferenceRegion, named by region, or
 * ModelRegistry, named "<region>-registry") and returns the region from its name.
 */
function regionOf(r: PlanResource, byUrn: Map<string, PlanResource>): string | undefined {
  for (let cur: PlanResource | undefined = r; cur; cur = cur.parent ? byUrn.get(cur.parent) : undefined) {
    if (cur.type === "llm-blueprint:region:InferenceRegion" || cur.type === "llm-blueprint:serving:ServingRegion") return cur.name;
    if (cur.type === "llm-blueprint:registry:ModelRegistry") return cur.name.replace(/-registry$/, "");
    // Global DNS and Route 53 health-check alarms are made through the us-east-1 provider.
    if (cur.type === "llm-blueprint:traffic:GlobalEndpoint" || cur.type === "llm-blueprint:traffic:HealthCheckAlerts") return "us-east-1";
    // Entry certificates live in their region (<region>-entry-cert); their validation records, in Route 53, go through us-east-1.
    if (cur.type === "llm-blueprint:traffic:EntryCertificates") return /^([a-z]{2}-[a-z]+-\d)-entry-cert$/.exec(r.name)?.[1] ?? "us-east-1";
  }
  return undefined;
}

describe("the prod stack in one program", () => {
  let resources: PlanResource[];
  let byUrn: Map<string, PlanResource>;
  beforeAll(async () => {
    resources = await planProd();
    byUrn = new Map(resources.map((r) => [r.urn, r]));
  });

  it("declares one region component per configured region", () => {
    expect(ofType(resources, "llm-blueprint:region:InferenceRegion").map((r) => r.name)).toEqual(["us-east-1", "us-west-2", "us-east-2"]);
  });

  it("never uses a default provider, and every resource in a region uses that region's providers", () => {
    expect(resourcesWithoutExplicitProvider(resources)).toEqual([]);
    // random only generates the Grafana password: one explicit stack-level provider, no region.
    const randomOnes = resources.filter((x) => x.type.startsWith("random:"));
    expect(randomOnes.length).toBe(3);
    for (const r of randomOnes) expect(byUrn.get(r.provider!)?.type).toBe("pulumi:providers:random");
    // Runner peering joins two regions: each of its resources is made by the provider of one side of its pair.
    const peering = resources.filter((x) => x.urn.includes("llm-blueprint:ci:RunnerPeering$"));
    expect(peering.length).toBeGreaterThan(0);
    for (const r of peering) {
      const [a, b] = r.name.match(/-([a-z]+\d)-([a-z]+\d)(?:-|$)/)!.slice(1);
      const side = regionCode(String(input(byUrn.get(r.provider!)!, "region")));
      expect([a, b], r.urn).toContain(side);
    }
    const custom = resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:") && !x.type.startsWith("random:") && !peering.includes(x));
    const placement = (r: PlanResource) => {
      const provider = byUrn.get(r.provider!)!;
      // An aws provider names its region; a kubernetes provider belongs to the region whose cluster owns it.
      const providerRegion = provider.type === "pulumi:providers:aws" ? input(provider, "region") : regionOf(provider, byUrn);
      return { urn: r.urn, package: r.type.split(":")[0], provider: provider.type, region: regionOf(r, byUrn), providerRegion };
    };
    const expected = (r: PlanResource) => {
      const region = regionOf(r, byUrn);
      const pkg = r.type.split(":")[0];
      return { urn: r.urn, package: pkg, provider: `pulumi:providers:${pkg}`, region: expect.stringMatching(/^[a-z]{2}-[a-z]+-\d$/), providerRegion: region };
    };
    expect(custom.map(placement)).toEqual(custom.map(expected));
    expect(new Set(custom.map((r) => r.type.split(":")[0]))).toEqual(new Set(["aws", "kubernetes"]));
  });

  it("isolates GPU pools: every GPU NodePool is tainted and labelled by class; the managed node groups are the untainted system pools", () => {
    const pools = ofType(resources, "kubernetes:karpenter.sh/v1:NodePool");
    expect(pools).toHaveLength(6);
    for (const p of pools) {
      expect(input(p, "spec.template.spec.taints")).toContainEqual({ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" });
      const cls = (input(p, "spec.template.metadata.labels") as Record<string, string>)["gpu.class"];
      const types = (input(p, "spec.template.spec.requirements") as { key: string; values: string[] }[]).find((r) => r.key === "node.kubernetes.io/instance-type")!.values;
      for (const t of types) expect(t).toMatch(cls === "h100" ? /^p5\./ : /^g6\./);
    }
    for (const g of ofType(resources, "aws:eks/nodeGroup:NodeGroup")) {
      expect(input(g, "amiType")).toBe("AL2023_x86_64_STANDARD");
      expect(input(g, "taints")).toBeUndefined();
    }
  });

  it("boots nodes only after the node role has its policies", () => {
    for (const g of ofType(resources, "aws:eks/nodeGroup:NodeGroup")) {
      const attachments = ofType(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.name.includes("-cluster-node-") && regionOf(a, byUrn) === regionOf(g, byUrn));
      expect(attachments).toHaveLength(3);
      for (const a of attachments) expect(g.options.dependsOn, g.urn).toContain(a.urn);
    }
  });

  it("keeps the KMS keys that guard data when the stack is destroyed", () => {
    const keys = ofType(resources, "aws:kms/key:Key");
    expect(keys.length).toBeGreaterThanOrEqual(6);
    for (const k of keys) expect(k.options.retainOnDelete || k.options.protect).toBe(true);
  });

  it("installs CoreDNS and every Helm release only after the same region's system node group exists", () => {
    const waiting = [...ofType(resources, "kubernetes:helm.sh/v3:Release"), ...ofType(resources, "aws:eks/addon:Addon").filter((a) => input(a, "addonName") === "coredns")];
    // Per region: Karpenter's CRDs and controller, device plugin, Envoy Gateway, KEDA, Flagger and its
    // load tester, load balancer controller, kube-prometheus-stack, dcgm-exporter, Fluent Bit, and CoreDNS.
    expect(waiting).toHaveLength(36);
    for (const r of waiting) {
      const systemGroup = ofType(resources, "aws:eks/nodeGroup:NodeGroup").find((g) => g.name.endsWith("-system-ng") && regionOf(g, byUrn) === regionOf(r, byUrn))!;
      expect(r.options.dependsOn, r.urn).toContain(systemGroup.urn);
    }
  });
});

describe("flow-log retention from config", () => {
  it("keeps each region's flow logs for its regions[].flowLogRetentionDays, 365 days by default", async () => {
    const { config, secretKeys } = combinedStackConfig("prod");
    const regions = JSON.parse(config["llm-blueprint:regions"]) as Record<string, unknown>[];
    regions[1].flowLogRetentionDays = 90;
    const run = await recordWithoutStacks(async () => (await entryPoint())(), {
      project: "llm-blueprint",
      stack: "prod",
      config: { ...config, "llm-blueprint:regions": JSON.stringify(regions) },
      secretKeys,
    });
    const flowLogGroups = ofType(run.resources, "aws:cloudwatch/logGroup:LogGroup").filter((g) => String(input(g, "name")).includes("flow-logs"));
    expect(flowLogGroups.map((g) => [String(input(g, "name")).includes("usw2") || g.name.startsWith("us-west-2"), input(g, "retentionInDays")])).toEqual([
      [false, 365],
      [true, 90],
      [false, 365],
    ]);
    for (const g of flowLogGroups) expect(g.options.retainOnDelete, g.urn).toBe(true);
  });
});
