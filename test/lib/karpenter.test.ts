import { describe, expect, it } from "vitest";
import type { PoolCapacity } from "../../lib/capacity";
import { isAllowed } from "../../lib/iam";
import {
  ec2NodeClassSpec,
  INTERRUPTION_RULES,
  interruptionQueuePolicy,
  KARPENTER_UNSCOPED_ACTIONS,
  karpenterControllerPolicy,
  karpenterValues,
  nodePoolSpec,
  reservationTerm,
} from "../../lib/karpenter";
import { ec2NodeClassV1, nodePoolV1 } from "../../policies/rules/karpenterSchemas";

const policy = karpenterControllerPolicy({
  region: "us-east-1",
  accountId: "123456789012",
  clusterName: "llm-prod-use1",
  nodeRoleArn: "arn:aws:iam::123456789012:role/karpenter-node",
  queueArn: "arn:aws:sqs:us-east-1:123456789012:llm-prod-use1",
});

const h100: PoolCapacity = {
  region: "us-east-1",
  pool: "h100",
  gpuClass: "h100",
  instanceType: "p5.48xlarge",
  instanceTypes: ["p5.48xlarge"],
  gpusPerNode: 8,
  vcpusPerNode: 192,
  minNodes: 1,
  maxNodes: 4,
  minGpus: 8,
  maxGpus: 32,
  capacityTypes: ["reserved", "on-demand"],
  reservations: [
    { kind: "on-demand-reservation", id: "cr-0a1b2c3d4e5f60718", availabilityZone: "us-east-1a", instanceCount: 1 },
    { kind: "capacity-block", tags: { pool: "h100" }, availabilityZone: "us-east-1a", instanceCount: 2, start: "2026-11-16T11:30:00Z", end: "2027-05-15T11:30:00Z" },
  ],
  reservedNodes: 3,
  availabilityZones: ["us-east-1a"],
  diskSizeGiB: 1024,
};

describe("Karpenter controller policy (reference CloudFormation of v1.14.1)", () => {
  it("grants on * only the Describe, pricing and instance-profile list calls the reference leaves unscoped", () => {
    const unscoped = policy.Statement.filter((s) => s.Resource === "*").flatMap((s) => [s.Action].flat());
    expect(unscoped.sort()).toEqual([...KARPENTER_UNSCOPED_ACTIONS].sort());
    expect(policy.Statement.flatMap((s) => [s.Action].flat()).some((a) => a.endsWith(":*") || a === "*")).toBe(false);
  });
  it("launches and terminates only what carries this cluster's tags", () => {
    const tagged = { "aws:ResourceTag/kubernetes.io/cluster/llm-prod-use1": "owned", "aws:ResourceTag/karpenter.sh/nodepool": "gpu-h100" };
    expect(isAllowed(policy, { action: "ec2:TerminateInstances", resource: "arn:aws:ec2:us-east-1:123456789012:instance/i-0123", context: tagged })).toBe(true);
    expect(isAllowed(policy, { action: "ec2:TerminateInstances", resource: "arn:aws:ec2:us-east-1:123456789012:instance/i-0123", context: { ...tagged, "aws:ResourceTag/kubernetes.io/cluster/llm-prod-use1": "shared" } })).toBe(false);
    expect(isAllowed(policy, { action: "ec2:TerminateInstances", resource: "arn:aws:ec2:us-west-2:123456789012:instance/i-0123", context: tagged })).toBe(false);
  });
  it("passes only the node role, only to EC2; reads only its own queue", () => {
    expect(isAllowed(policy, { action: "iam:PassRole", resource: "arn:aws:iam::123456789012:role/karpenter-node", context: { "iam:PassedToService": "ec2.amazonaws.com" } })).toBe(true);
    expect(isAllowed(policy, { action: "iam:PassRole", resource: "arn:aws:iam::123456789012:role/admin", context: { "iam:PassedToService": "ec2.amazonaws.com" } })).toBe(false);
    expect(isAllowed(policy, { action: "sqs:ReceiveMessage", resource: "arn:aws:sqs:us-east-1:123456789012:other" })).toBe(false);
  });
  it("the queue takes EventBridge messages and refuses anything without TLS; the five reference rules", () => {
    const q = interruptionQueuePolicy("arn:aws:sqs:us-east-1:123456789012:llm-prod-use1");
    expect(q.Statement.find((s) => s.Effect === "Deny")?.Condition).toEqual({ Bool: { "aws:SecureTransport": "false" } });
    expect(INTERRUPTION_RULES.map((r) => r.detailType)).toEqual([
      "AWS Health Event",
      "EC2 Spot Instance Interruption Warning",
      "EC2 Instance Rebalance Recommendation",
      "EC2 Instance State-change Notification",
      "EC2 Capacity Reservation Instance Interruption Warning",
    ]);
  });
});

describe("NodePool and EC2NodeClass specs", () => {
  const nodeClass = ec2NodeClassSpec({ pool: h100, clusterName: "llm-prod-use1", nodeRoleName: "karpenter-node", amiAlias: "al2023@v20260714" });
  const pool = nodePoolSpec(h100, "gpu-h100");
  it("validate against the v1.14.1 CRD schemas", () => {
    expect(ec2NodeClassV1.safeParse({ apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", metadata: { name: "gpu-h100" }, spec: nodeClass }).success).toBe(true);
    expect(nodePoolV1.safeParse({ apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: "gpu-h100" }, spec: pool }).success).toBe(true);
  });
  it("reservation terms: by id alone or by tags (the CRD makes id exclusive)", () => {
    expect(nodeClass.capacityReservationSelectorTerms).toEqual([{ id: "cr-0a1b2c3d4e5f60718" }, { tags: { pool: "h100" } }]);
    expect(reservationTerm({ kind: "on-demand-reservation", id: "cr-1", tags: { a: "b" }, availabilityZone: "x", instanceCount: 1 })).toEqual({ id: "cr-1" });
  });
  it("node class: pinned alias, IMDSv2 hop 1, encrypted gp3 root with throughput, RAID0 on p5's NVMe", () => {
    expect(nodeClass).toMatchObject({
      amiSelectorTerms: [{ alias: "al2023@v20260714" }],
      metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
      blockDeviceMappings: [{ rootVolume: true, ebs: { encrypted: true, volumeType: "gp3", volumeSize: "1024Gi", throughput: 1000 } }],
      instanceStorePolicy: "RAID0",
      subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "llm-prod-use1" } }],
    });
  });
  it("node pool: GPU limit = pool max, zones, capacity types, one node at a time", () => {
    expect(pool.limits).toEqual({ "nvidia.com/gpu": "32" });
    expect(pool.disruption).toEqual({ consolidationPolicy: "WhenEmpty", consolidateAfter: "5m", budgets: [{ nodes: "1" }] });
  });
  it("controller values: on the system nodes, with the interruption queue and reserved capacity on", () => {
    const v = karpenterValues({ clusterName: "llm-prod-use1", interruptionQueue: "llm-prod-use1", systemNodeSelector: { "node.role": "system" } });
    expect(v).toMatchObject({ settings: { clusterName: "llm-prod-use1", interruptionQueue: "llm-prod-use1", featureGates: { reservedCapacity: true } }, nodeSelector: { "node.role": "system" } });
  });
});
