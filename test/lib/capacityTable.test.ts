import { beforeAll, describe, expect, it } from "vitest";
import { capacityReport, renderCapacity } from "../../lib/plan/capacity";
import { PlanDocument, PlanResource } from "../../lib/plan/document";
import { recordStack } from "../policies/harness";

const doc = (resources: PlanResource[]): PlanDocument => ({ stack: "prod", project: "p", resources, outputs: {}, policy: { violations: [] } });
let prod: PlanResource[];
beforeAll(async () => {
  prod = await recordStack("prod");
});

describe("GPU capacity and quota tables from the recorded Karpenter objects", () => {
  it("splits each pool's GPUs into reserved and on-demand at min and max and shows the NodePool limit", () => {
    const report = capacityReport(doc(prod));
    expect(report.problems).toEqual([]);
    const east = report.rows.find((r) => r.pool.region === "us-east-1" && r.pool.pool === "h100")!;
    // us-east-1 h100: an ODCR of 1 and a Capacity Block of 2 (EC2NodeClass annotation), pool 1-4 nodes of 8 GPUs.
    expect(east.pool.reservedNodes).toBe(3);
    expect(east.min).toEqual({ reserved: 8, "on-demand": 0, spot: 0 });
    expect(east.max).toEqual({ reserved: 24, "on-demand": 8, spot: 0 });
    expect(east.pool.limitGpus).toBe(32);
    expect(report.quotas.filter((q) => q.region === "us-east-1").map((q) => [q.code, q.vcpus])).toEqual([
      ["L-417A185B", 768],
      ["L-DB2E81BA", 384],
    ]);
  });

  it("prints both tables, and no Service Quotas request unless config asks for it", () => {
    const text = renderCapacity(capacityReport(doc(prod))).join("\n");
    expect(text).toMatch(/us-east-1\s+h100\s+h100\s+p5\.48xlarge\s+8 \/ 24\s+0 \/ 8\s+-\s+32 GPUs\s+L-417A185B/);
    expect(text).toMatch(/us-east-1\s+Running On-Demand P instances\s+L-417A185B\s+768\s+h100 \(4 x p5\.48xlarge\)/);
    expect(prod.filter((r) => r.type === "aws:servicequotas/serviceQuota:ServiceQuota")).toEqual([]);
  });

  it("keeps a NodePool it cannot read visible instead of dropping it", () => {
    const broken = structuredClone(prod);
    const np = broken.find((r) => r.type === "kubernetes:karpenter.sh/v1:NodePool")!;
    delete (np.inputs.metadata as { annotations: Record<string, string> }).annotations["llm-blueprint.io/capacity"];
    const report = capacityReport(doc(broken));
    expect(report.rows).toHaveLength(5);
    expect(renderCapacity(report).join("\n")).toContain(`not counted: NodePool ${np.name}: no complete llm-blueprint.io/capacity annotation`);
  });
});
