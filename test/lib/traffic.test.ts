import { describe, expect, it } from "vitest";
import { globalRecords, recoveryTime, RegionRouting, regionalName } from "../../lib/traffic";

const Z = "inference.example.com";
const regions = (n: number, extra: Partial<RegionRouting>[] = []): RegionRouting[] =>
  ["us-east-1", "us-west-2", "us-east-2"].slice(0, n).map((region, i) => ({ region, ...(extra[i] ?? {}) }));

describe("global records per routing mode", () => {
  it.each([1, 2, 3])("latency: one health-checkable record per region (%i regions), each tied to its own region", (n) => {
    const recs = globalRecords("chat", Z, "latency", regions(n));
    expect(recs.map((r) => [r.setIdentifier, r.latencyRegion, r.target])).toEqual(regions(n).map((r) => [r.region, r.region, regionalName("chat", r.region, Z)]));
  });

  it.each([1, 2, 3])("weighted: every region gets a record, 100 by default (%i regions)", (n) => {
    expect(globalRecords("chat", Z, "weighted", regions(n)).map((r) => r.weight)).toEqual(Array(n).fill(100));
  });

  it.each([2, 3])("failover: exactly the primary and secondary get records (%i regions)", (n) => {
    const recs = globalRecords("chat", Z, "failover", regions(n, [{ role: "primary" }, { role: "secondary" }]));
    expect(recs.map((r) => [r.region, r.failover])).toEqual([
      ["us-east-1", "PRIMARY"],
      ["us-west-2", "SECONDARY"],
    ]);
  });

  it("drains a region: weight 0 in weighted mode, no record in latency mode", () => {
    const drained = regions(3, [{}, { drain: true }]);
    expect(globalRecords("chat", Z, "weighted", drained).map((r) => [r.region, r.weight])).toEqual([
      ["us-east-1", 100],
      ["us-west-2", 0],
      ["us-east-2", 100],
    ]);
    expect(globalRecords("chat", Z, "latency", drained).map((r) => r.region)).toEqual(["us-east-1", "us-east-2"]);
  });
});

describe("recovery time", () => {
  it("is detection (interval x threshold) + DNS TTL with a warm standby: 45 s on the defaults", () => {
    expect(recoveryTime({ intervalSeconds: 10, failureThreshold: 3, dnsTtlSeconds: 15, warmReplicas: 1, coldStartSeconds: 900 })).toEqual({
      detectionSeconds: 30,
      dnsSeconds: 15,
      scaleUpSeconds: 0,
      totalSeconds: 45,
    });
  });
  it("grows with standard checks and long TTLs, and adds the cold start when the standby is not warm", () => {
    expect(recoveryTime({ intervalSeconds: 30, failureThreshold: 3, dnsTtlSeconds: 60, warmReplicas: 2, coldStartSeconds: 900 }).totalSeconds).toBe(150);
    expect(recoveryTime({ intervalSeconds: 10, failureThreshold: 3, dnsTtlSeconds: 15, warmReplicas: 0, coldStartSeconds: 900 })).toMatchObject({ scaleUpSeconds: 900, totalSeconds: 945 });
  });
});
