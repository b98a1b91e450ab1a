import { describe, expect, it } from "vitest";
import { EC2_VCPU_QUOTAS, quotaFamily, quotaNeeds } from "../../lib/quotas";

const pool = (over: Partial<Parameters<typeof quotaNeeds>[0][number]> = {}) => ({
  region: "us-east-1",
  pool: "h100",
  instanceTypes: ["p5.48xlarge"],
  vcpusPerNode: 192,
  maxNodes: 4,
  reservedNodes: 0,
  capacityTypes: ["on-demand"] as const,
  ...over,
});

describe("EC2 vCPU quotas at maximum", () => {
  it("maps p5 to the P quotas and g6 to the G and VT quotas, on-demand and spot apart", () => {
    expect(quotaFamily("p5.48xlarge")).toBe("P");
    expect(quotaFamily("g6.12xlarge")).toBe("G");
    expect(quotaFamily("m7i.xlarge")).toBeUndefined();
    expect(EC2_VCPU_QUOTAS.map((q) => `${q.family} ${q.market} ${q.code}`)).toEqual(["P on-demand L-417A185B", "G on-demand L-DB2E81BA", "P spot L-7212CCBC", "G spot L-3819A6DF"]);
  });

  it("counts reserved and on-demand nodes against the On-Demand quota: a p5 pool of 4 needs 768 vCPUs", () => {
    expect(quotaNeeds([pool({ reservedNodes: 3, capacityTypes: ["reserved", "on-demand"] })])).toEqual([
      { family: "P", market: "on-demand", code: "L-417A185B", name: "Running On-Demand P instances", region: "us-east-1", vcpus: 768, pools: ["h100 (4 x p5.48xlarge)"] },
    ]);
  });

  it("sizes spot on its own quota, and on-demand too when the pool may fall back to it", () => {
    const needs = quotaNeeds([pool({ pool: "l4", instanceTypes: ["g6.12xlarge"], vcpusPerNode: 48, maxNodes: 3, capacityTypes: ["spot", "on-demand"] })]);
    expect(needs.map((n) => [n.code, n.vcpus])).toEqual([
      ["L-DB2E81BA", 144],
      ["L-3819A6DF", 144],
    ]);
  });

  it("adds pools of one family in a region, keeps regions apart", () => {
    const needs = quotaNeeds([pool(), pool({ pool: "h100b", maxNodes: 1 }), pool({ region: "us-west-2" })]);
    expect(needs.map((n) => [n.region, n.code, n.vcpus, n.pools.length])).toEqual([
      ["us-east-1", "L-417A185B", 960, 2],
      ["us-west-2", "L-417A185B", 768, 1],
    ]);
  });

  it("refuses a pool whose types have no known quota rather than count zero", () => {
    expect(() => quotaNeeds([pool({ instanceTypes: ["m7i.xlarge"] })])).toThrow("us-east-1 pool h100: instance types m7i.xlarge are not all of the P or all of the G family, so their vCPU quota is unknown");
  });
});
