import { describe, expect, it } from "vitest";
import { cidrsOverlap } from "../../lib/cidr";
import { subnetLayout } from "../../lib/network";

const zones = (n: number) => ["a", "b", "c", "d", "e", "f"].slice(0, n).map((z) => `us-east-1${z}`);

describe("subnet layout", () => {
  it("keeps the private and public blocks it always had", () => {
    const layout = subnetLayout("10.0.0.0/16", zones(3));
    expect(layout.private.map((s) => s.cidr)).toEqual(["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18"]);
    expect(layout.public.map((s) => s.cidr)).toEqual(["10.0.224.0/22", "10.0.228.0/22", "10.0.232.0/22"]);
  });

  it("puts two /26 CI subnets in the first two zones, at the end of the block", () => {
    expect(subnetLayout("10.0.0.0/16", zones(3)).ci).toEqual([
      { az: "us-east-1a", cidr: "10.0.255.128/26" },
      { az: "us-east-1b", cidr: "10.0.255.192/26" },
    ]);
    expect(subnetLayout("10.4.16.0/20", zones(3)).ci.map((s) => s.cidr)).toEqual(["10.4.31.128/26", "10.4.31.192/26"]);
  });

  it.each([
    ["10.0.0.0/16", 3],
    ["10.0.0.0/16", 6],
    ["172.16.0.0/18", 4],
    ["10.9.48.0/20", 6],
    ["10.9.48.0/20", 3],
  ])("no two subnets of %s with %i zones overlap, and all stay inside it", (block, n) => {
    const layout = subnetLayout(block, zones(n));
    const all = [...layout.private, ...layout.public, ...layout.ci].map((s) => s.cidr);
    for (const [i, a] of all.entries()) {
      expect(cidrsOverlap(a, block)).toBe(true);
      for (const b of all.slice(i + 1)) expect(cidrsOverlap(a, b), `${a} and ${b}`).toBe(false);
    }
  });

  it("refuses a block too small for CI subnets", () => {
    expect(() => subnetLayout("10.0.0.0/21", zones(3))).toThrow("needs a /20 or larger VPC block for its CI subnets, got 10.0.0.0/21");
  });
});
