import { beforeAll, describe, expect, it } from "vitest";
import type { PlanResource } from "../../lib/plan/document";
import { evaluatePolicies } from "../../lib/plan/policy";
import { capacityBlockWindow } from "../../policies/rules/capacity";
import { PACK_NAME } from "../../policies/pack";
import { evaluate, recordStack } from "./harness";

const NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool";
const NODECLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass";

type Obj = Record<string, unknown>;
const spec = (r: PlanResource) => r.inputs.spec as Obj;
const tmplSpec = (r: PlanResource) => (spec(r).template as Obj).spec as Obj;
const requirement = (r: PlanResource, key: string) => (tmplSpec(r).requirements as Obj[]).find((x) => x.key === key)!;
/** The NodePool (or EC2NodeClass) of pool `pool` in `region`. */
const pick = (rs: PlanResource[], type: string, region: string, pool: string) => {
  const found = rs.find((r) => r.type === type && r.name === `${region}-karpenter-${pool}-${type === NODEPOOL ? "nodepool" : "nodeclass"}`);
  if (!found) throw new Error(`no ${type} for ${region}/${pool}`);
  return found;
};

describe("GPU capacity policies on the committed prod stack", () => {
  let prod: PlanResource[];
  beforeAll(async () => {
    prod = await recordStack("prod");
  }, 240_000);

  it("prod has a NodePool and EC2NodeClass per GPU pool and region, no managed GPU node group, and passes both policies", async () => {
    expect(prod.filter((r) => r.type === NODEPOOL)).toHaveLength(6);
    expect(prod.filter((r) => r.type === NODECLASS)).toHaveLength(6);
    expect(prod.filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup").every((ng) => (ng.inputs.labels as Obj)["node.role"] === "system")).toBe(true);
    // Discovery tags: the private subnets carry their own (RegionNetwork); KarpenterAws tags the cluster security group only.
    const discovery = prod.filter((r) => r.type === "aws:ec2/tag:Tag" && r.inputs.key === "karpenter.sh/discovery");
    expect(discovery.map((t) => t.name).sort()).toEqual(["us-east-1-karpenter-security-group", "us-east-2-karpenter-security-group", "us-west-2-karpenter-security-group"]);
    const privateSubnets = prod.filter((r) => r.type === "aws:ec2/subnet:Subnet" && r.name.includes("-network-private-"));
    expect(privateSubnets.length).toBe(9);
    for (const s of privateSubnets) expect((s.inputs.tags as Obj)["karpenter.sh/discovery"]).toMatch(/^llm-prod-/);
    expect(await evaluate(prod, { policy: "no-cluster-autoscaler" })).toEqual([]);
    expect(await evaluate(prod, { policy: "karpenter-gpu-nodepools" })).toEqual([]);
  });

  it("prod's us-east-1 H100 pool is reserved first and pinned to its reservations' zone", () => {
    const pool = pick(prod, NODEPOOL, "us-east-1", "h100");
    expect(requirement(pool, "karpenter.sh/capacity-type").values).toEqual(["reserved", "on-demand"]);
    expect(requirement(pool, "topology.kubernetes.io/zone").values).toEqual(["us-east-1a"]);
    expect((spec(pool).limits as Obj)["nvidia.com/gpu"]).toBe("32");
    const cls = pick(prod, NODECLASS, "us-east-1", "h100");
    expect(spec(cls).capacityReservationSelectorTerms).toEqual([{ id: "cr-0a1b2c3d4e5f60718" }, { id: "cr-0f1e2d3c4b5a69788" }]);
    expect(spec(pick(prod, NODECLASS, "us-west-2", "h100")).capacityReservationSelectorTerms).toEqual([{ tags: { "llm-blueprint/pool": "prod-us-west-2-h100" } }]);
  });

  describe("no-cluster-autoscaler fails on", () => {
    it("a cluster-autoscaler Helm release", async () => {
      const v = await evaluate(prod, {
        policy: "no-cluster-autoscaler",
        mutate: (rs) => {
          const dp = rs.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "nvidia-device-plugin")!;
          rs.push({ ...structuredClone(dp), urn: `${dp.urn}-ca`, name: "us-east-1-addons-cluster-autoscaler", inputs: { ...dp.inputs, chart: "cluster-autoscaler", version: "9.59.0" } });
        },
      });
      expect(v.map((x) => x.message)).toEqual([expect.stringContaining("installs cluster-autoscaler; GPU nodes come from Karpenter NodePools")]);
    });
    it("a managed node group of GPU instances", async () => {
      const v = await evaluate(prod, {
        policy: "no-cluster-autoscaler",
        mutate: (rs) => {
          const ng = rs.find((r) => r.type === "aws:eks/nodeGroup:NodeGroup")!;
          ng.inputs.instanceTypes = ["p5.48xlarge"];
        },
      });
      expect(v.map((x) => x.message)).toEqual([expect.stringContaining("runs GPU nodes (p5.48xlarge); GPU nodes come from Karpenter NodePools only")]);
    });
    it("an IAM grant of the autoscaler's scaling calls", async () => {
      const v = await evaluate(prod, {
        policy: "no-cluster-autoscaler",
        mutate: (rs) => {
          const p = rs.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy")!;
          p.inputs.policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["autoscaling:SetDesiredCapacity"], Resource: "*" }] });
        },
      });
      expect(v.map((x) => x.message)).toEqual([expect.stringContaining("grants autoscaling:SetDesiredCapacity")]);
    });
  });

  describe("karpenter-gpu-nodepools fails on a NodePool", () => {
    const expectViolation = async (mutate: (rs: PlanResource[]) => void, ...expected: string[]) => {
      const v = (await evaluate(prod, { policy: "karpenter-gpu-nodepools", mutate })).map((x) => x.message);
      for (const e of expected) expect(v).toContainEqual(expect.stringContaining(e));
      return v;
    };
    it("without the GPU taint", () => expectViolation((rs) => (tmplSpec(pick(rs, NODEPOOL, "us-east-1", "l4")).taints = []), "NodePool gpu-l4: no nvidia.com/gpu NoSchedule taint"));
    it("without the class or accelerator label", async () => {
      await expectViolation((rs) => delete ((spec(pick(rs, NODEPOOL, "us-east-1", "l4")).template as Obj).metadata as { labels: Obj }).labels["nvidia.com/gpu.present"], 'nvidia.com/gpu.present is undefined; must be "true"');
      await expectViolation((rs) => (((spec(pick(rs, NODEPOOL, "us-east-1", "l4")).template as Obj).metadata as { labels: Obj }).labels["gpu.class"] = "a100"), 'gpu.class is "a100"; it must name a GPU class');
    });
    it("with an instance type of another class", () => expectViolation((rs) => (requirement(pick(rs, NODEPOOL, "us-east-1", "l4"), "node.kubernetes.io/instance-type").values = ["g6.12xlarge", "p5.48xlarge"]), "instance type p5.48xlarge is not a l4 type"));
    it("without a GPU limit", () => expectViolation((rs) => delete (spec(pick(rs, NODEPOOL, "us-east-1", "l4")).limits as Obj)["nvidia.com/gpu"], "limits.nvidia.com/gpu is undefined"));
    it("consolidating underutilized nodes", () => expectViolation((rs) => ((spec(pick(rs, NODEPOOL, "us-east-1", "l4")).disruption as Obj).consolidationPolicy = "WhenEmptyOrUnderutilized"), 'consolidationPolicy is "WhenEmptyOrUnderutilized"; must be "WhenEmpty"'));
    it("with a budget that takes more than one node", () => expectViolation((rs) => ((spec(pick(rs, NODEPOOL, "us-east-1", "l4")).disruption as Obj).budgets = [{ nodes: "10%" }]), 'budget nodes "10%" may take more than one node'));
    it("with a short expiry", () => expectViolation((rs) => (tmplSpec(pick(rs, NODEPOOL, "us-east-1", "l4")).expireAfter = "24h"), "expireAfter 24h is shorter than 168h"));
    it("allowing spot on H100", () => expectViolation((rs) => (requirement(pick(rs, NODEPOOL, "us-east-1", "h100"), "karpenter.sh/capacity-type").values = ["reserved", "spot", "on-demand"]), "a h100 NodePool allows spot"));
    it("with on-demand before its reservations", () =>
      expectViolation(
        (rs) => (requirement(pick(rs, NODEPOOL, "us-east-1", "h100"), "karpenter.sh/capacity-type").values = ["on-demand", "reserved"]),
        "out of order",
        'selects 2 capacity reservation(s) but capacity types start with "on-demand"',
      ));
    it("not pinned to its reservations' zone", () => expectViolation((rs) => (requirement(pick(rs, NODEPOOL, "us-west-2", "h100"), "topology.kubernetes.io/zone").values = ["us-west-2a", "us-west-2b", "us-west-2c"]), "zones us-west-2a, us-west-2b, us-west-2c are not its reservations' zones us-west-2b"));
    it("when a GPU workload's class has no NodePool in its cluster", () =>
      expectViolation(
        (rs) => {
          const i = rs.indexOf(pick(rs, NODEPOOL, "us-east-2", "h100"));
          rs.splice(i, 1);
        },
        "runs on gpu.class=h100 but its cluster has no Karpenter NodePool of class h100",
      ));
  });

  describe("karpenter-gpu-nodepools fails on an EC2NodeClass", () => {
    const expectViolation = async (mutate: (rs: PlanResource[]) => void, expected: string) => {
      const v = (await evaluate(prod, { policy: "karpenter-gpu-nodepools", mutate })).map((x) => x.message);
      expect(v).toContainEqual(expect.stringContaining(expected));
    };
    const cls = (rs: PlanResource[]) => spec(pick(rs, NODECLASS, "us-east-1", "l4"));
    it("with a floating AMI alias", () => expectViolation((rs) => (cls(rs).amiSelectorTerms = [{ alias: "al2023@latest" }]), "AMI alias al2023@latest floats"));
    it("with IMDS hop limit 2 or IMDSv1", async () => {
      await expectViolation((rs) => ((cls(rs).metadataOptions as Obj).httpPutResponseHopLimit = 2), "httpPutResponseHopLimit is 2; must be 1");
      await expectViolation((rs) => ((cls(rs).metadataOptions as Obj).httpTokens = "optional"), 'httpTokens is "optional"; must be "required"');
    });
    it("with an unencrypted root volume or default throughput", async () => {
      await expectViolation((rs) => (((cls(rs).blockDeviceMappings as Obj[])[0].ebs as Obj).encrypted = false), "root volume encrypted is false");
      await expectViolation((rs) => delete ((cls(rs).blockDeviceMappings as Obj[])[0].ebs as Obj).throughput, "root volume throughput is undefined MiB/s; set at least 500");
    });
    it("without RAID0 on NVMe instance types", () => expectViolation((rs) => delete cls(rs).instanceStorePolicy, 'instanceStorePolicy is undefined but every type it launches (g6.12xlarge) has local NVMe; set "RAID0"'));
    it("selecting subnets by id", () => expectViolation((rs) => (cls(rs).subnetSelectorTerms = [{ id: "subnet-0123" }]), "subnetSelectorTerms must select by the karpenter.sh/discovery tag"));
    it("selecting reservations no NodePool uses as reserved", () =>
      expectViolation((rs) => (cls(rs).capacityReservationSelectorTerms = [{ id: "cr-0123456789abcdef0" }]), 'selects 1 capacity reservation(s) but capacity types start with "on-demand"'));
  });

  describe("capacity-block-window (advisory) at an injected clock", () => {
    const run = (iso: string) => evaluatePolicies(prod, [capacityBlockWindow(() => Date.parse(iso))], { packName: PACK_NAME, packEnforcementLevel: "mandatory" });
    it("is quiet while prod's Capacity Block has more than 14 days left", async () => {
      expect(await run("2026-11-25T12:00:00Z")).toEqual([]);
    });
    it("warns from 14 days before the block ends, and says when it has ended", async () => {
      const soon = await run("2027-05-02T11:30:00Z");
      expect(soon.map((v) => [v.enforcementLevel, v.message])).toEqual([["advisory", "EC2NodeClass gpu-h100: Capacity Block cr-0f1e2d3c4b5a69788 ends at 2027-05-15T11:30:00Z, in 13 day(s): buy the next block or make room on demand before then"]]);
      const ended = await run("2027-05-16T00:00:00Z");
      expect(ended.map((v) => v.message)).toEqual([expect.stringContaining("Capacity Block cr-0f1e2d3c4b5a69788 ended at 2027-05-15T11:30:00Z")]);
    });
  });

  it("kubernetes-schemas checks the NodePool and EC2NodeClass against the v1.14.1 CRDs", async () => {
    expect(await evaluate(prod, { policy: "kubernetes-schemas", mutate: (rs) => rs.splice(0, rs.length, ...rs.filter((r) => r.type === NODEPOOL || r.type === NODECLASS)) })).toEqual([]);
    const v = await evaluate(prod, {
      policy: "kubernetes-schemas",
      mutate: (rs) => {
        const keep = [pick(rs, NODEPOOL, "us-east-1", "l4"), pick(rs, NODECLASS, "us-east-1", "l4")];
        rs.splice(0, rs.length, ...keep);
        (spec(keep[0]).disruption as Obj).consolidationPolicy = "Never";
        spec(keep[1]).instanceStorePolicy = "RAID1";
        (spec(keep[1]).metadataOptions as Obj).httpTokenz = "required";
      },
    });
    const messages = v.map((x) => x.message).join("\n");
    expect(messages).toContain("consolidationPolicy");
    expect(messages).toContain("instanceStorePolicy");
    expect(messages).toContain("httpTokenz: unknown field");
  });
});
