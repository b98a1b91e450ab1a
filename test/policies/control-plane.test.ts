import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { plan } from "../harness";
import { twoRegionRunners } from "../components/ciPlan";
import { evaluate } from "./harness";

const P = "cluster-api-reachable-by-runners-only";
const T = {
  cluster: "aws:eks/cluster:Cluster",
  rule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  project: "aws:codebuild/project:Project",
  sg: "aws:ec2/securityGroup:SecurityGroup",
};

let resources: PlanResource[];
beforeAll(async () => {
  resources = await plan(twoRegionRunners);
});

const named = (rs: PlanResource[], type: string, name: string) => {
  const found = rs.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
};
/** The policy's violations as [resource name, message]. */
async function hits(mutate?: (rs: PlanResource[]) => void) {
  const vs = await evaluate(resources, { policy: P, mutate });
  for (const v of vs) expect(v.policy).toBe(P);
  return vs.map((v) => [v.urn!.split("::").pop()!, v.message]);
}

describe("cluster-api-reachable-by-runners-only", () => {
  it("passes the two-region CI path: private clusters, control-plane groups admitting runners and peer CI subnets, a runner per VPC", async () => {
    expect(await hits()).toEqual([]);
  });

  it("the runner role and groups also pass the IAM, KMS and log-encryption rules", async () => {
    for (const policy of ["iam-least-privilege", "kms-key-rotation", "logs-and-alerts-encrypted", "node-hardening"]) expect(await evaluate(resources, { policy })).toEqual([]);
  });

  it("blocks a control-plane group opened to the whole VPC", async () => {
    const rule = "us-east-1-runners-api-from-us-west-2-10-1-255-128-26";
    expect(await hits((rs) => (named(rs, T.rule, rule).inputs.cidrIpv4 = "10.0.0.0/16"))).toEqual([
      [rule, expect.stringContaining(`cluster llm-test-use1: control-plane security group us-east-1-runners-control-plane, ingress rule ${rule} admits 10.0.0.0/16, which is not a CI subnet`)],
    ]);
  });

  it("blocks a rule on port 22, even from the runners", async () => {
    const rule = "us-west-2-runners-api-from-runners";
    const vs = await hits((rs) => {
      const r = named(rs, T.rule, rule);
      r.inputs.fromPort = 22;
      r.inputs.toPort = 22;
    });
    expect(vs).toEqual([[rule, expect.stringContaining(`ingress rule ${rule} opens ports 22-22; only TCP 443 from a runner security group`)]]);
  });

  it("blocks every address, another protocol and an inline rule from a non-runner group", async () => {
    const vs = await hits((rs) => {
      named(rs, T.rule, "us-east-1-runners-api-from-us-west-2-10-1-255-192-26").inputs.cidrIpv4 = "0.0.0.0/0";
      named(rs, T.rule, "us-east-1-runners-api-from-runners").inputs.ipProtocol = "-1";
      const cp = named(rs, T.sg, "us-west-2-runners-control-plane");
      const otherGroup = named(rs, T.sg, "us-east-1-runners-control-plane");
      cp.inputs.ingress = [{ protocol: "tcp", fromPort: 443, toPort: 443, securityGroups: ["sg-other"] }];
      cp.propertyDependencies!.ingress = [otherGroup.urn];
    });
    expect(vs).toEqual([
      ["us-east-1-runners-api-from-us-west-2-10-1-255-192-26", expect.stringContaining("admits 0.0.0.0/0, which is not a CI subnet")],
      ["us-east-1-runners-api-from-runners", expect.stringContaining("allows protocol -1")],
      ["us-west-2-runners-control-plane", expect.stringContaining("inline ingress rule 0 of us-west-2-runners-control-plane admits security group us-east-1-runners-control-plane, which no runner project uses")],
    ]);
  });

  it("blocks a public endpoint and a cluster without an extra control-plane group", async () => {
    const vs = await hits((rs) => {
      const c = named(rs, T.cluster, "us-east-1-eks");
      (c.inputs.vpcConfig as Record<string, unknown>).endpointPublicAccess = true;
      (c.inputs.vpcConfig as Record<string, unknown>).securityGroupIds = [];
      c.propertyDependencies!.vpcConfig = c.propertyDependencies!.vpcConfig.filter((u) => !u.includes(T.sg));
    });
    expect(vs).toEqual([
      ["us-east-1-eks", expect.stringContaining("cluster llm-test-use1: the public API endpoint is on for every address")],
      ["us-east-1-eks", expect.stringContaining("cluster llm-test-use1: no extra security group on the control plane (vpcConfig.securityGroupIds)")],
    ]);
  });

  it("blocks an extra group that is not created in the stack, whose rules it cannot see", async () => {
    const vs = await hits((rs) => (named(rs, T.cluster, "us-west-2-eks").inputs.vpcConfig as { securityGroupIds: string[] }).securityGroupIds.push("sg-from-elsewhere"));
    expect(vs).toEqual([["us-west-2-eks", expect.stringContaining("vpcConfig.securityGroupIds names 2 group(s) but only 1 are created in this stack")]]);
  });

  it("fails closed on a region without a runner: no project in its CI subnets, and its runner group no longer counts", async () => {
    const vs = await hits((rs) => rs.splice(rs.indexOf(named(rs, T.project, "us-west-2-runners-project")), 1));
    expect(vs).toEqual([
      ["us-west-2-runners-api-from-runners", expect.stringContaining("admits security group us-west-2-runners-runner, which no runner project uses")],
      ["us-west-2-eks", expect.stringContaining("cluster llm-test-usw2: no runner project (a CodeBuild project with a WORKFLOW_JOB_QUEUED webhook) has its vpcConfig subnets in the CI subnets")],
    ]);
  });

  it("does not count a project in the private subnets, or one without a runner webhook", async () => {
    const inPrivate = await hits((rs) => {
      const project = named(rs, T.project, "us-east-1-runners-project");
      const privateSubnets = rs.filter((r) => r.name.startsWith("us-east-1-network-private-") && r.type === "aws:ec2/subnet:Subnet").map((s) => s.urn);
      project.propertyDependencies!.vpcConfig = [...project.propertyDependencies!.vpcConfig.filter((u) => !u.includes("aws:ec2/subnet:Subnet")), ...privateSubnets];
      (project.inputs.vpcConfig as { subnets: string[] }).subnets = privateSubnets;
    });
    expect(inPrivate).toEqual([["us-east-1-eks", expect.stringContaining("cluster llm-test-use1: no runner project")]]);
    const noWebhook = await hits((rs) => {
      const hook = rs.find((r) => r.type === "aws:codebuild/webhook:Webhook" && r.name.startsWith("us-east-1"))!;
      hook.inputs.filterGroups = [{ filters: [{ type: "EVENT", pattern: "PUSH" }] }];
    });
    expect(noWebhook.map(([name]) => name)).toEqual(["us-east-1-runners-api-from-runners", "us-east-1-eks"]);
  });
});
