import { beforeAll, describe, expect, it } from "vitest";
import { NodePool, NodePoolArgs, nodePoolProblems } from "../../components/NodePool";
import { SYSTEM_AMI_TYPE } from "../../lib/gpu";
import { PlanResource } from "../../lib/plan/document";
import { input, ofType, one, plan, regionProvider, resourcesWithoutExplicitProvider } from "../harness";

const base: NodePoolArgs = {
  clusterName: "llm-test-use1",
  nodeRoleArn: "arn:aws:iam::123456789012:role/node",
  subnetIds: ["subnet-a", "subnet-b", "subnet-c"],
  kubernetesVersion: "1.33",
  instanceType: "m7i.xlarge",
  minSize: 2,
  maxSize: 4,
  desiredSize: 2,
  diskSizeGiB: 100,
};

describe("NodePool (the system node group) validation", () => {
  it("accepts a general-purpose pool", () => {
    expect(nodePoolProblems(base)).toEqual([]);
  });
  it("rejects a GPU instance type (GPU nodes are Karpenter's), an empty pool and inverted sizes", () => {
    expect(nodePoolProblems({ ...base, instanceType: "g6.12xlarge" })).toEqual([expect.stringContaining('"g6.12xlarge" is a GPU instance; the system pool must not waste GPUs')]);
    expect(nodePoolProblems({ ...base, minSize: 0, desiredSize: 0 })).toEqual([expect.stringContaining("need 1 <= minSize (0)")]);
    expect(nodePoolProblems({ ...base, minSize: 3, desiredSize: 2 })).toEqual([expect.stringContaining("minSize (3) <= desiredSize (2)")]);
  });
  it("throws before registering anything", async () => {
    const resources = await plan(() => {
      expect(() => new NodePool("bad", { ...base, maxSize: 0, desiredSize: 0 })).toThrow(/NodePool bad: invalid args/);
    });
    expect(resources.filter((r) => r.type.startsWith("llm-blueprint:") || r.custom)).toEqual([]);
  });
});

describe("NodePool resources", () => {
  let resources: PlanResource[];
  beforeAll(async () => {
    resources = await plan(() => {
      const provider = regionProvider("us-east-1");
      new NodePool("system", base, { providers: [provider] });
    });
  });

  it("system node group: standard AMI, no taints, node.role=system, on-demand, no SSH", () => {
    const ng = one(resources, "aws:eks/nodeGroup:NodeGroup", "system");
    expect(input(ng, "amiType")).toBe(SYSTEM_AMI_TYPE);
    expect(input(ng, "taints")).toBeUndefined();
    expect(input(ng, "labels")).toEqual({ "node.role": "system" });
    expect(input(ng, "capacityType")).toBe("ON_DEMAND");
    expect(input(ng, "remoteAccess")).toBeUndefined();
    expect(input(ng, "scalingConfig")).toEqual({ minSize: 2, maxSize: 4, desiredSize: 2 });
  });

  it("node auto repair on, one node at a time, stopping when half the group is unhealthy", () => {
    const ng = one(resources, "aws:eks/nodeGroup:NodeGroup", "system");
    expect(input(ng, "nodeRepairConfig")).toEqual({ enabled: true, maxParallelNodesRepairedCount: 1, maxUnhealthyNodeThresholdPercentage: 50 });
  });

  it("launch template: IMDSv2 only with hop limit 1, encrypted gp3 root volume of the configured size, no key pair", () => {
    const lt = one(resources, "aws:ec2/launchTemplate:LaunchTemplate", "system");
    expect(input(lt, "metadataOptions")).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
    expect(input(lt, "keyName")).toBeUndefined();
    const [root] = input(lt, "blockDeviceMappings") as { deviceName: string; ebs: Record<string, unknown> }[];
    expect(root.deviceName).toBe("/dev/xvda");
    expect(root.ebs).toMatchObject({ encrypted: "true", volumeType: "gp3", volumeSize: 100 });
    const ng = one(resources, "aws:eks/nodeGroup:NodeGroup", "system");
    expect(input(ng, "launchTemplate.id")).toMatch(/^lt-[0-9a-f]{17}$/);
    expect(ng.options.dependsOn).toContain(lt.urn);
  });

  it("no cluster-autoscaler node-template tags", () => {
    expect(ofType(resources, "aws:autoscaling/tag:Tag")).toEqual([]);
    const ng = one(resources, "aws:eks/nodeGroup:NodeGroup", "system");
    expect(Object.keys((input(ng, "tags") as Record<string, string> | undefined) ?? {}).filter((k) => k.startsWith("k8s.io/cluster-autoscaler"))).toEqual([]);
  });

  it("parents every child to its pool and uses the explicit provider", () => {
    const pools = ofType(resources, "llm-blueprint:cluster:NodePool").map((p) => p.urn);
    expect(pools).toHaveLength(1);
    for (const r of resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"))) expect(pools).toContain(r.parent);
    expect(resourcesWithoutExplicitProvider(resources)).toEqual([]);
  });
});
