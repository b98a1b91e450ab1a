import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { diffPlans } from "../../lib/plan/diff";
import { DATA_LOSS_POLICY } from "../../lib/plan/dataLoss";
import { PlanDocument } from "../../lib/plan/document";
import { planStack, recordProjects } from "../../tools/engine/run";
import { committedStackDocument } from "../planRuns";

const root = path.resolve(__dirname, "../..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "data-at-risk-"));
const platformProd = fs.readFileSync(path.join(root, "platform", "stacks", "Pulumi.prod.yaml"), "utf8");

/** The committed prod platform file with one edit, written under a name of its own. */
function platformVariant(name: string, edit: (text: string) => string): string {
  const edited = edit(platformProd);
  if (edited === platformProd) throw new Error(`${name}: the edit changed nothing`);
  const file = path.join(dir, `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, edited);
  return file;
}
const moveUsEast2 = (t: string) => t.replace("vpcCidr: 10.2.0.0/16", "vpcCidr: 10.3.0.0/16");
const renamePrefix = (t: string) => t.replace("  llm-blueprint:environment: prod\n", "  llm-blueprint:environment: prod\n  llm-blueprint:namePrefix: llmx\n");

async function recorded(configFile: string): Promise<PlanDocument> {
  const { resources, outputs } = await recordProjects({ projectDir: root, stack: "prod", project: "platform", configFile });
  return { stack: "prod", project: "llm-blueprint-platform", resources, outputs, policy: { violations: [] } };
}

describe("prod: replacements drag their dependents along, and data loss is blocked", () => {
  const label = "prod-base.json";
  let base: PlanDocument;
  let platformBase: PlanDocument;
  beforeAll(async () => {
    // The committed prod stack's plan document as `npm run plan -- --stack prod --json` writes it (planStack's,
    // as JSON, the form --diff reads a baseline in): the test run's shared plan (test/planRuns.ts).
    base = await committedStackDocument("prod");
    platformBase = { ...base, resources: base.resources.filter((r) => r.project === "llm-blueprint-platform") };
  });
  // The platform file with us-east-2 moved, planned with serving against the baseline once, for both tests that need
  // it: the replacements (its platform resources, what platform's program alone records) and the gate (its violations).
  let cidrMoved: Promise<PlanDocument> | undefined;
  const planCidrMoved = () => (cidrMoved ??= planStack({ projectDir: root, stack: "prod", configFile: platformVariant("prod-cidr-gated", moveUsEast2), baseline: { doc: base, label } }));

  const replaced = (doc: PlanDocument, type: string) =>
    diffPlans(platformBase, doc)
      .changes.filter((c) => c.action === "replace" && c.type === type)
      .map((c) => c.name)
      .sort();

  it("a VPC CIDR change replaces that region's subnets, its cluster and every node group on it, and nothing in the other regions", async () => {
    const planned = await planCidrMoved();
    const doc = { ...planned, resources: planned.resources.filter((r) => r.project === "llm-blueprint-platform") };
    const d = diffPlans(platformBase, doc);
    const replaces = (type: string) => d.changes.filter((c) => c.action === "replace" && c.type === type);
    expect(replaces("aws:ec2/vpc:Vpc").map((c) => c.name)).toEqual(["us-east-2-network-vpc"]);
    const subnets = replaces("aws:ec2/subnet:Subnet");
    expect(subnets.length).toBeGreaterThanOrEqual(3);
    for (const s of subnets) expect([s.region, s.replaceBecause]).toEqual(["us-east-2", ["cidrBlock", "vpcId"]]);
    const [cluster, ...otherClusters] = replaces("aws:eks/cluster:Cluster");
    expect(otherClusters).toEqual([]);
    expect(cluster.name).toBe("us-east-2-cluster-eks");
    expect(cluster.replacedWith?.every((u) => subnets.some((s) => s.urn === u))).toBe(true);
    const nodeGroups = doc.resources.filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup" && r.name.startsWith("us-east-2-")).map((r) => r.name).sort();
    expect(nodeGroups.length).toBeGreaterThan(0);
    expect(replaced(doc, "aws:eks/nodeGroup:NodeGroup")).toEqual(nodeGroups);
    expect(d.dataAtRisk.map((r) => [r.action, r.name, r.project])).toContainEqual(["replace", "us-east-2-cluster-eks", "llm-blueprint-platform"]);
  });

  it("a namePrefix change replaces every cluster and everything keyed on its name, but no network", async () => {
    const doc = await recorded(platformVariant("prod-prefix", renamePrefix));
    const clusters = doc.resources.filter((r) => r.type === "aws:eks/cluster:Cluster").map((r) => r.name).sort();
    expect(replaced(doc, "aws:eks/cluster:Cluster")).toEqual(clusters);
    const keyedOnCluster = doc.resources.filter((r) => ["aws:eks/nodeGroup:NodeGroup", "aws:eks/addon:Addon", "aws:eks/accessEntry:AccessEntry"].includes(r.type) && r.custom);
    expect(keyedOnCluster.length).toBeGreaterThan(0);
    for (const type of ["aws:eks/nodeGroup:NodeGroup", "aws:eks/addon:Addon", "aws:eks/accessEntry:AccessEntry"]) {
      expect(replaced(doc, type)).toEqual(keyedOnCluster.filter((r) => r.type === type).map((r) => r.name).sort());
    }
    expect(replaced(doc, "aws:ec2/vpc:Vpc")).toEqual([]);
    expect(replaced(doc, "aws:ec2/subnet:Subnet")).toEqual([]);
  });

  it("blocks the cluster replacement in prod until the platform file's allow list names it, and refuses a stale entry", async () => {
    const blocked = await planCidrMoved();
    const gate = blocked.policy.violations.filter((v) => v.policy === DATA_LOSS_POLICY);
    const cluster = gate.find((v) => v.urn?.endsWith("aws:eks/cluster:Cluster::us-east-2-cluster-eks"));
    expect(cluster?.enforcementLevel).toBe("mandatory");
    expect(cluster?.message).toMatch(/^prod change against prod-base\.json would replace Cluster us-east-2-cluster-eks \(us-east-2, llm-blueprint-platform\): data lost \(EKS cluster\)/);
    expect(gate.every((v) => v.urn?.includes("::llm-blueprint-platform::"))).toBe(true);

    const allowList = gate.map((v) => `    - urn: "${v.urn}"\n      reason: move us-east-2 to 10.3.0.0/16\n`).join("");
    const allowed = platformVariant("prod-cidr-allowed", (t) => `${moveUsEast2(t).trimEnd()}\n  llm-blueprint:dataLossAllowList:\n${allowList}`);
    const passed = await planStack({ projectDir: root, stack: "prod", configFile: allowed, baseline: { doc: base, label } });
    expect(passed.policy.violations.filter((v) => v.policy === DATA_LOSS_POLICY)).toEqual([]);

    // The same allow list against a plan that changes nothing is stale: the plan fails closed (exit 2).
    const stale = platformVariant("prod-stale-allow", (t) => `${t.trimEnd()}\n  llm-blueprint:dataLossAllowList:\n${allowList}`);
    await expect(planStack({ projectDir: root, stack: "prod", configFile: stale, baseline: { doc: base, label } })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/llm-blueprint:dataLossAllowList\[0\] allows urn:pulumi:prod::llm-blueprint-platform::\S+us-east-2-cluster-eks, which this change against prod-base\.json does not delete or replace \(nothing is at risk\)/),
    });
  });
});
