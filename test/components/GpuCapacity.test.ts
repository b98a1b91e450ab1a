import * as k8s from "@pulumi/kubernetes";
import { beforeAll, describe, expect, it } from "vitest";
import { GpuCapacity, GpuCapacityArgs } from "../../components/GpuCapacity";
import { KarpenterGpuPools, karpenterGpuPoolsProblems } from "../../components/KarpenterGpuPools";
import type { GpuPoolConfig } from "../../lib/config/schema";
import { PlanResource } from "../../lib/plan/document";
import { input, ofType, one, plan, regionProvider, resourcesWithoutExplicitProvider } from "../harness";

const pools: GpuPoolConfig[] = [
  {
    name: "h100",
    class: "h100",
    instanceType: "p5.48xlarge",
    instanceTypes: ["p5.48xlarge"],
    minSize: 1,
    maxSize: 4,
    diskSizeGiB: 1024,
    capacity: { reservations: [{ type: "on-demand-reservation", id: "cr-0a1b2c3d4e5f60718", availabilityZone: "us-east-1b", instanceCount: 2 }], onDemand: true, spot: false },
  },
  { name: "l4", class: "l4", instanceType: "g6.12xlarge", instanceTypes: ["g6.12xlarge", "g6.24xlarge"], minSize: 0, maxSize: 3, diskSizeGiB: 500, capacity: { reservations: [], onDemand: true, spot: true } },
];
const args: GpuCapacityArgs = {
  clusterName: "llm-test-use1",
  clusterNameLiteral: "llm-test-use1",
  region: "us-east-1",
  availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"],
  nodeSubnetIds: ["subnet-a", "subnet-b", "subnet-c"],
  nodeSecurityGroupId: "sg-0123",
  pools,
  amiAlias: "al2023@v20260714",
  systemNodeSelector: { "node.role": "system" },
};

describe("GpuCapacity: the capacity layer alone in one program", () => {
  let resources: PlanResource[];
  beforeAll(async () => {
    resources = await plan(() => {
      const aws = regionProvider("us-east-1");
      const kube = new k8s.Provider("kube", { kubeconfig: "{}" });
      new GpuCapacity("gpu", args, { providers: [aws, kube] });
    });
  });

  it("AWS half: node role with an EC2_LINUX access entry, controller role through Pod Identity in kube-system/karpenter", () => {
    const entry = one(resources, "aws:eks/accessEntry:AccessEntry");
    expect(input(entry, "type")).toBe("EC2_LINUX");
    const assoc = one(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation");
    expect([input(assoc, "namespace"), input(assoc, "serviceAccount")]).toEqual(["kube-system", "karpenter"]);
    const role = one(resources, "aws:iam/role:Role", "controller");
    expect(JSON.parse(input(role, "assumeRolePolicy") as string).Statement[0].Principal).toEqual({ Service: "pods.eks.amazonaws.com" });
  });

  it("interruption queue with SQS-managed SSE and 300 s retention, five EventBridge rules targeting it", () => {
    const q = one(resources, "aws:sqs/queue:Queue");
    expect(input(q, "sqsManagedSseEnabled")).toBe(true);
    expect(input(q, "messageRetentionSeconds")).toBe(300);
    const rules = ofType(resources, "aws:cloudwatch/eventRule:EventRule");
    expect(rules).toHaveLength(5);
    expect(ofType(resources, "aws:cloudwatch/eventTarget:EventTarget")).toHaveLength(5);
  });

  it("discovery tags on every node subnet and the node security group", () => {
    const tags = ofType(resources, "aws:ec2/tag:Tag");
    expect(tags.map((t) => input(t, "resourceId")).sort()).toEqual(["sg-0123", "subnet-a", "subnet-b", "subnet-c"]);
    for (const t of tags) expect([input(t, "key"), input(t, "value")]).toEqual(["karpenter.sh/discovery", "llm-test-use1"]);
  });

  it("Kubernetes half: CRDs then the controller (CRDs skipped there), a node class and a pool per GPU pool", () => {
    const releases = ofType(resources, "kubernetes:helm.sh/v3:Release");
    const crd = releases.find((r) => input(r, "chart") === "oci://public.ecr.aws/karpenter/karpenter-crd")!;
    const ctl = releases.find((r) => input(r, "chart") === "oci://public.ecr.aws/karpenter/karpenter")!;
    expect([input(crd, "version"), input(ctl, "version")]).toEqual(["1.14.1", "1.14.1"]);
    expect(input(ctl, "skipCrds")).toBe(true);
    expect(ctl.options.dependsOn).toContain(crd.urn);
    expect(input(ctl, "values.settings.clusterName")).toBe("llm-test-use1");
    expect(input(ctl, "values.nodeSelector")).toEqual({ "kubernetes.io/os": "linux", "node.role": "system" });
    expect(ofType(resources, "kubernetes:karpenter.sh/v1:NodePool")).toHaveLength(2);
    expect(ofType(resources, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")).toHaveLength(2);
  });

  it("the reserved H100 pool stays in its reservation's zone; the L4 pool opts into spot across the region", () => {
    const req = (pool: string, key: string) => (input(one(resources, "kubernetes:karpenter.sh/v1:NodePool", `${pool}-nodepool`), "spec.template.spec.requirements") as { key: string; values: string[] }[]).find((r) => r.key === key)!.values;
    expect(req("h100", "topology.kubernetes.io/zone")).toEqual(["us-east-1b"]);
    expect(req("h100", "karpenter.sh/capacity-type")).toEqual(["reserved", "on-demand"]);
    expect(req("l4", "karpenter.sh/capacity-type")).toEqual(["spot", "on-demand"]);
    expect(req("l4", "node.kubernetes.io/instance-type")).toEqual(["g6.12xlarge", "g6.24xlarge"]);
    expect(input(one(resources, "kubernetes:karpenter.sh/v1:NodePool", "l4-nodepool"), "spec.limits")).toEqual({ "nvidia.com/gpu": "12" });
  });

  it("parents everything to the layer and uses the explicit providers", () => {
    expect(resourcesWithoutExplicitProvider(resources)).toEqual([]);
  });
});

describe("GpuCapacity and KarpenterGpuPools refuse bad args before creating anything", () => {
  it("a reservation zone with no node subnet", async () => {
    const resources = await plan(() => {
      expect(() => new GpuCapacity("bad", { ...args, availabilityZones: ["us-east-1a", "us-east-1c"] })).toThrow(/pools.h100: reservation zone us-east-1b has no node subnet/);
    });
    expect(resources.filter((r) => r.custom)).toEqual([]);
  });
  it("a floating AMI alias, spot on h100, an empty system node selector", () => {
    const base = { clusterName: "c", interruptionQueueName: "q", nodeRoleName: "r", systemNodeSelector: {}, amiAlias: "al2023@latest" };
    const spotH100 = { region: "us-east-1", pool: "h100", gpuClass: "h100" as const, instanceType: "p5.48xlarge", instanceTypes: ["p5.48xlarge"], gpusPerNode: 8, vcpusPerNode: 192, minNodes: 0, maxNodes: 1, minGpus: 0, maxGpus: 8, capacityTypes: ["spot" as const], reservations: [], reservedNodes: 0, availabilityZones: ["us-east-1a"], diskSizeGiB: 1024 };
    const problems = karpenterGpuPoolsProblems({ ...base, pools: [spotH100] });
    expect(problems).toEqual([expect.stringContaining('amiAlias: "al2023@latest" must be an AL2023 alias pinned'), "pools.h100: spot is refused on h100 pools", expect.stringContaining("systemNodeSelector: empty")]);
    expect(() => new KarpenterGpuPools("bad", { ...base, pools: [spotH100] })).toThrow(/KarpenterGpuPools bad: invalid args/);
  });
});
