import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { estimateCost } from "../../lib/plan/cost";
import { PlanDocument, PlanResource } from "../../lib/plan/document";
import { readPriceFile } from "../../lib/pricing";
import { recordStack } from "../policies/harness";

const prices = readPriceFile(path.join(__dirname, "../../pricing/aws-on-demand.yaml"));
const doc = (resources: PlanResource[]): PlanDocument => ({ stack: "s", project: "p", resources, outputs: {}, policy: { violations: [] } });
const P5 = 55.04;
let prod: PlanResource[];
let staging: PlanResource[];
beforeAll(async () => {
  prod = await recordStack("prod");
});
beforeAll(async () => {
  staging = await recordStack("staging");
});

const linesOf = (rs: PlanResource[], region: string, pool: string) => estimateCost(doc(rs), prices, { today: "2026-11-25" }).lines.filter((l) => l.region === region && l.resource.includes(`karpenter-${pool}-nodepool`));

describe("GPU pool cost: reserved capacity apart from on-demand", () => {
  it("bills the reservation whether used or not, the Capacity Block at its upfront price over its window, and on-demand only beyond them", () => {
    const east = linesOf(prod, "us-east-1", "h100");
    const reserved = east.find((l) => l.kind === "reserved capacity")!;
    expect(reserved.hourly).toEqual({ min: P5, max: P5 });
    // us-east-1's block: 2 nodes, $271,814 from 2026-11-16T11:30Z to 2027-05-15T11:30Z (180 days).
    const block = east.find((l) => l.kind === "capacity block")!;
    expect(block.hourly.min).toBeCloseTo(271814 / (180 * 24), 4);
    expect(block.hourly.max).toBe(block.hourly.min);
    // 1-4 nodes, 3 reserved: none on demand at min, one at max.
    const onDemand = east.find((l) => l.kind === "nodes")!;
    expect(onDemand.hourly).toEqual({ min: 0, max: P5 });
    expect(onDemand.detail).toBe("0-1 x p5.48xlarge on demand");
  });

  it("keeps a Capacity Block without a price visible as unpriced, never as zero", () => {
    const rs = structuredClone(prod);
    const nodeClass = rs.find((r) => r.type === "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass" && r.name === "us-east-1-karpenter-h100-nodeclass")!;
    const annotations = (nodeClass.inputs.metadata as { annotations: Record<string, string> }).annotations;
    const reservations = JSON.parse(annotations["llm-blueprint.io/capacity-reservations"]) as Record<string, unknown>[];
    for (const r of reservations) delete r.upfrontPriceUsd;
    annotations["llm-blueprint.io/capacity-reservations"] = JSON.stringify(reservations);
    const cost = estimateCost(doc(rs), prices, { today: "2026-11-25" });
    expect(cost.lines.filter((l) => l.kind === "capacity block")).toEqual([]);
    expect(cost.unpriced.map((u) => u.reason)).toContainEqual("Capacity Block cr-0f1e2d3c4b5a69788 (2 x p5.48xlarge) has no upfrontPriceUsd and window in config");
  });

  it("lists spot nodes as unpriced (no spot prices in the price file)", () => {
    const cost = estimateCost(doc(staging), prices, { today: "2026-11-25" });
    expect(cost.unpriced.filter((u) => u.region === "us-west-2").map((u) => u.reason)).toContainEqual(expect.stringMatching(/^\d+-3 x g6\.12xlarge on spot: the price file has no spot prices$/));
    expect(linesOf(staging, "us-west-2", "l4").filter((l) => l.kind === "nodes")).toEqual([]);
  });
});
