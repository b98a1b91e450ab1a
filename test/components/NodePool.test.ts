import { beforeAll, describe, expect, it } from "vitest";
import { NodePool, NodePoolArgs, nodePoolProblems, nodePoolScheduling, scaleFromZeroTags } from "../../components/NodePool";
import { GPU_AMI_TYPE, SYSTEM_AMI_TYPE } from "../../lib/gpu";
import { PlanResource } from "../../lib/plan/document";
import { input, ofType, one, plan, regionProvider, resourcesWithoutExplicitProvider } from "../harness";

const base: NodePoolArgs = {
  clusterName: "llm-test-use1",
  nodeRoleArn: "arn:aws:iam::123456789012:role/node",
  subnetIds: ["subnet-a", "subnet-b", "subnet-c"],
  kubernetesVersion: "1.33",
  role: "gpu",
  gpuClass: "h100",
  instanceType: "p5.48xlarge",
  minSize: 0,
  maxSize: 4,
  desiredSize: 0,
  diskSizeGiB: 1024,
};

describe("NodePool validation", () => {
  it("accepts a scale-to-zero H100 pool", () => {
    expect(nodePoolProblems(base)).toEqual([]);
  });
  it("rejects an instance type of another class, a GPU system pool and inverted sizes", () => {
    expect(nodePoolProblems({ ...base, instanceType: "g6.12xlarge" })).toEqual([expect.stringContaining('"g6.12xlarge" is not a h100 instance type')]);
    expect(nodePoolProblems({ ...base, role: "system", gpuClass: undefined })).toEqual([expect.stringContaining("system pool must not waste GPUs")]);
    expect(nodePoolProblems({ ...base, minSize: 3, desiredSize: 2 })).toEqual([expect.stringContaining("minSize (3) <= desiredSize (2)")]);
    expect(nodePoolProblems({ ...base, gpuClass: undefined })).toEqual([expect.stringContaining("gpuClass: required")]);
  });
  it("throws before registering anything", async () => {
    const resources = await plan(() => {
      expect(() => new NodePool("bad", { ...base, maxSize: 0, desiredSize: 0 })).toThrow(/NodePool bad: invalid args/);
    });
    expect(resources.filter((r) => r.type.startsWith("llm-blueprint:") || r.custom)).toEqual([]);
  });
});

describe("NodePool scheduling contract", () => {
  it("taints and labels GPU pools by class, leaves the system pool untainted", () => {
    const gpu = nodePoolScheduling("gpu", "l4");
    expect(gpu.labels["gpu.class"]).toBe("l4");
    expect(gpu.taints).toEqual([{ key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" }]);
    expect(nodePoolScheduling("system").taints).toEqual([]);
  });
  it("builds cluster-autoscaler node-template tags for scale from zero", () => {
    const s = nodePoolScheduling("gpu", "h100");
    const tags = scaleFromZeroTags(s.labels, s.taints, 8);
    expect(tags["k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"]).toBe("true:NoSchedule");
    expect(tags["k8s.io/cluster-autoscaler/node-template/label/gpu.class"]).toBe("h100");
    expect(tags["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"]).toBe("8");
  });
});

describe("NodePool resources", () => {
  let resources: PlanResource[];
  beforeAll(async () => {
    resources = await plan(() => {
      const provider = regionProvider("us-east-1");
      new NodePool("h100", base, { providers: [provider] });
      new NodePool("system", { ...base, role: "system", gpuClass: undefined, instanceType: "m7i.xlarge", minSize: 2, desiredSize: 2, diskSizeGiB: 100 }, { providers: [provider] });
    });
  });

  it("GPU node group: NVIDIA AMI, taint, class label, no SSH, autoscaler owns desiredSize", () => {
    const ng = one(resources, "aws:eks/nodeGroup:NodeGroup", "h100");
    expect(input(ng, "amiType")).toBe(GPU_AMI_TYPE);
    expect(input(ng, "taints")).toEqual([{ key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" }]);
    expect((input(ng, "labels") as Record<string, string>)["gpu.class"]).toBe("h100");
    expect(input(ng, "scalingConfig")).toEqual({ minSize: 0, maxSize: 4, desiredSize: 0 });
    expect(input(ng, "remoteAccess")).toBeUndefined();
    expect(ng.options.ignoreChanges).toContain("scalingConfig.desiredSize");
    expect(input(ng, "instanceTypes")).toEqual(["p5.48xlarge"]);
  });

  it("launch template: IMDSv2 only with hop limit 1, encrypted gp3 root volume of the configured size, no key pair", () => {
    const lt = one(resources, "aws:ec2/launchTemplate:LaunchTemplate", "h100");
    expect(input(lt, "metadataOptions")).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
    expect(input(lt, "keyName")).toBeUndefined();
    const [root] = input(lt, "blockDeviceMappings") as { deviceName: string; ebs: Record<string, unknown> }[];
    expect(root.deviceName).toBe("/dev/xvda");
    expect(root.ebs).toMatchObject({ encrypted: "true", volumeType: "gp3", volumeSize: 1024 });
    const ng = one(resources, "aws:eks/nodeGroup:NodeGroup", "h100");
    expect(input(ng, "launchTemplate.id")).toMatch(/^lt-[0-9a-f]{17}$/);
    expect(ng.options.dependsOn).toContain(lt.urn);
  });

  it("system node group: standard AMI, no taints, node.role=system", () => {
    const ng = one(resources, "aws:eks/nodeGroup:NodeGroup", "system");
    expect(input(ng, "amiType")).toBe(SYSTEM_AMI_TYPE);
    expect(input(ng, "taints")).toEqual([]);
    expect(input(ng, "labels")).toEqual({ "node.role": "system" });
  });

  it("tags the node group's own ASG for scale from zero", () => {
    const ng = one(resources, "aws:eks/nodeGroup:NodeGroup", "h100");
    const tags = ofType(resources, "aws:autoscaling/tag:Tag").filter((t) => t.parent === ng.parent);
    expect(tags.map((t) => (input(t, "tag") as { key: string }).key)).toContain("k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu");
    for (const t of tags) {
      expect(input(t, "autoscalingGroupName")).toMatch(/^eks-h100-ng-/);
      expect(t.options.dependsOn).toContain(ng.urn);
    }
  });

  it("parents every child to its pool and uses the explicit provider", () => {
    const pools = ofType(resources, "llm-blueprint:cluster:NodePool").map((p) => p.urn);
    expect(pools).toHaveLength(2);
    for (const r of resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"))) expect(pools).toContain(r.parent);
    expect(resourcesWithoutExplicitProvider(resources)).toEqual([]);
  });
});
