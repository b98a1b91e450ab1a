import { describe, expect, it } from "vitest";
import type { CostEstimate } from "../../lib/plan/cost";
import { diffPlans } from "../../lib/plan/diff";
import { PlanDocument, PolicyViolation } from "../../lib/plan/document";
import { countResources, planVerdict, regionOf, regionOrder, renderCost, renderSummary, renderVerdictLine, usd, wrap } from "../../lib/plan/summary";
import { planResource } from "../planResource";

const res = planResource;

/** Regions declared in the order us-west-2, us-east-1 (not alphabetical), each with a cluster. */
function twoRegions(violations: PolicyViolation[] = []): PlanDocument {
  const resources = ["us-west-2", "us-east-1"].flatMap((region) => {
    const provider = res(`urn:pulumi:s::p::pulumi:providers:aws::aws-${region}`, "pulumi:providers:aws", { inputs: { region } });
    const component = res(`urn:pulumi:s::p::llm-blueprint:region:InferenceRegion::${region}`, "llm-blueprint:region:InferenceRegion");
    const cluster = res(`urn:pulumi:s::p::llm-blueprint:region:InferenceRegion$aws:eks/cluster:Cluster::${region}-eks`, "aws:eks/cluster:Cluster", { parent: component.urn, provider: provider.urn });
    return [provider, component, cluster];
  });
  return { stack: "s", project: "p", resources, outputs: { a: 1, b: { c: "x" } }, policy: { violations } };
}

const violation = (enforcementLevel: PolicyViolation["enforcementLevel"], policy = "approved-model-versions"): PolicyViolation => ({ policy, enforcementLevel, message: "m" });

describe("region of a resource", () => {
  it("puts the global endpoints and their alarm topic under global, though a us-east-1 provider creates them", () => {
    const doc = twoRegions();
    const east = doc.resources.find((r) => r.urn.endsWith("aws-us-east-1"))!;
    const alerts = res("urn:pulumi:s::p::llm-blueprint:traffic:HealthCheckAlerts::health-alerts", "llm-blueprint:traffic:HealthCheckAlerts");
    const topic = res("urn:pulumi:s::p::llm-blueprint:traffic:HealthCheckAlerts$aws:sns/topic:Topic::health-alerts", "aws:sns/topic:Topic", { parent: alerts.urn, provider: east.urn });
    const other = res("urn:pulumi:s::p::aws:sns/topic:Topic::stray", "aws:sns/topic:Topic", { provider: east.urn });
    const byUrn = new Map([...doc.resources, alerts, topic, other].map((r) => [r.urn, r]));
    expect(regionOf(topic, byUrn)).toBe("global");
    expect(regionOf(alerts, byUrn)).toBe("global");
    // A resource of no global component stays in its provider's region.
    expect(regionOf(other, byUrn)).toBe("us-east-1");
  });
});

describe("region order", () => {
  it("follows the stack's config order (the order of its aws providers), global last, in every listing", () => {
    const doc = twoRegions();
    expect(regionOrder(doc)).toEqual(["us-west-2", "us-east-1", "global"]);
    expect(Object.keys(countResources(doc).byRegion)).toEqual(["us-west-2", "us-east-1", "global"]);
    const text = renderSummary(doc);
    const section = text.slice(text.indexOf("Resources by region"));
    expect(section.indexOf("us-west-2")).toBeLessThan(section.indexOf("us-east-1"));
  });
});

describe("verdict", () => {
  it("exits 1 on a mandatory violation and names the policy; advisory ones are counted, not failing", () => {
    expect(planVerdict(twoRegions([violation("advisory", "x")]))).toMatchObject({ exitCode: 0, mandatory: 0, advisory: 1 });
    const v = planVerdict(twoRegions([violation("mandatory"), violation("mandatory"), violation("advisory", "x")]));
    expect(v).toEqual({ exitCode: 1, reason: "2 mandatory policy violations (approved-model-versions)", mandatory: 2, advisory: 1 });
  });

  it("exits 3 only with --fail-on-diff and changes, and says so (4 when the change deletes a cluster)", () => {
    const base = twoRegions();
    const head = { ...base, resources: base.resources.map((r) => (r.name === "us-east-1-eks" ? { ...r, inputs: { version: "1.36" } } : r)) };
    const diff = diffPlans(base, head);
    const deleted = { ...base, resources: base.resources.filter((r) => r.name !== "us-east-1-eks") };
    expect(planVerdict(deleted, { diff: diffPlans(base, deleted), baseLabel: "base.json", failOnDiff: true }).exitCode).toBe(4);
    expect(planVerdict(head, { diff, baseLabel: "base.json", failOnDiff: true })).toMatchObject({ exitCode: 3, reason: "1 change against base.json with --fail-on-diff" });
    expect(planVerdict(head, { diff, baseLabel: "base.json" })).toMatchObject({ exitCode: 0, reason: "no mandatory policy violation; 1 change against base.json (no --fail-on-diff)" });
    expect(planVerdict(base, { diff: diffPlans(base, base), baseLabel: "base.json", failOnDiff: true }).exitCode).toBe(0);
  });

  it("leads the summary: exit status, violation counts, data at risk, resources (providers and clusters), cost", () => {
    const lines = renderSummary(twoRegions([violation("advisory", "x")]), { jsonFile: "out/plan.json" }).split("\n");
    expect(lines[0]).toBe("Plan p/s: exit 0: planned cleanly, no mandatory policy violation");
    expect(lines[1]).toBe("  policy        0 mandatory, 1 advisory violation");
    // The fixture's clusters pin no version: the calendar cannot place them, which the verdict says.
    expect(lines[2]).toBe("  WARNING       Kubernetes (unset) is not in the EKS version calendar (lib/k8sCalendar.ts): support phase and control-plane rate unknown");
    expect(lines[3]).toMatch(/^ {2}data at risk {2}n\/a without --diff/);
    expect(lines[4]).toBe("  resources     4 to create in 2 regions (us-west-2, us-east-1) and global; 2 components and the stack");
    expect(lines[5]).toBe("  cost          not estimated (no price file)");
    expect(lines[6]).toBe("  plan document out/plan.json");
  });

  it("--quiet's one line carries the exit reason, the counts and where the plan document went", () => {
    expect(renderVerdictLine(twoRegions([violation("mandatory")]), { jsonFile: "p.json" })).toBe(
      "Plan p/s: exit 1: 1 mandatory policy violation (approved-model-versions); policy: 1 mandatory, 0 advisory violation; plan document written to p.json",
    );
    expect(renderVerdictLine(twoRegions())).toContain("no plan document written (--json <file> writes one)");
  });

  it("lists the outputs only with --outputs", () => {
    expect(renderSummary(twoRegions())).toContain("Outputs: 2 values, not listed (--outputs lists them");
    expect(renderSummary(twoRegions(), { outputs: true })).toContain("Outputs\n  a: 1\n  b.c: x");
  });
});

describe("money and width", () => {
  it("never prints $0.00 for an amount that costs money", () => {
    expect(usd(0.0009)).toBe("<$0.01");
    expect(usd(0.004)).toBe("<$0.01");
    expect(usd(0.005)).toBe("$0.01");
    expect(usd(0)).toBe("$0.00");
    expect(usd(143166.41)).toBe("$143,166.41");
  });

  it("wraps a list after its separators at the width", () => {
    const lines = wrap(`  fleet: ${Array.from({ length: 20 }, (_, i) => `Alert${i} (page, 15m)`).join(", ")}`, 60, "    ");
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(60);
    expect(lines.join(" ").replace(/\s+/g, " ")).toContain("Alert0 (page, 15m), Alert1 (page, 15m),");
  });

  it("prices per region in config order, names pools without the region, and marks an unpriced region", () => {
    const cost: CostEstimate = {
      currency: "USD",
      hoursPerMonth: 730,
      pricesRead: "2025-09-15",
      lines: [
        { region: "us-west-2", component: "NodePool", resource: "us-west-2-gpu-l4-ng", kind: "nodes", detail: "1-2 x g6.12xlarge", hourly: { min: 4.6, max: 9.2 } },
        { region: "us-east-1", component: "GpuCluster", resource: "us-east-1-eks", kind: "control plane", detail: "", hourly: { min: 0.1, max: 0.1 } },
        { region: "global", component: "GlobalEndpoint", resource: "a", kind: "alarm", detail: "", hourly: { min: 0.000137, max: 0.000137 } },
      ],
      unpriced: [{ region: "eu-west-1", component: "GpuCluster", resource: "eu-west-1-eks", reason: "no prices for region eu-west-1" }],
      total: { hourly: { min: 4.700137, max: 9.300137 }, monthly: { min: 3431.1, max: 6789.1 } },
      byRegion: { global: { min: 0.000137, max: 0.000137 }, "us-west-2": { min: 4.6, max: 9.2 }, "us-east-1": { min: 0.1, max: 0.1 } },
      notEstimated: ["data transfer"],
    };
    const lines = renderCost(cost, ["us-west-2", "us-east-1", "eu-west-1", "global"]);
    const regionsInOrder = lines.slice(2).map((l) => l.trim().split(/\s+/)[0]);
    expect(regionsInOrder.slice(0, 7)).toEqual(["us-west-2", "us-east-1", "global", "us-west-2", "us-east-1", "eu-west-1", "global"]);
    expect(lines.find((l) => l.includes("gpu-l4 1-2 x g6.12xlarge"))).not.toContain("us-west-2-gpu-l4");
    expect(lines.find((l) => l.includes("alarm"))).toMatch(/alarm +<\$0\.01 +<\$0\.01 +\$0\.10 +\$0\.10$/);
    expect(lines.find((l) => l.trim().startsWith("eu-west-1"))).toMatch(/region total: unpriced +unpriced +unpriced/);
    expect(lines.find((l) => l.trim().startsWith("total"))).toContain("priced items only");
  });
});
