import { describe, expect, it } from "vitest";
import { capacityBlockIssues, nodesAtMaxPerType, nodesByCapacityType, poolCapacity, stackCapacity } from "../../lib/capacity";
import { readProjectConfig } from "../../lib/config/load";
import { BLUEPRINT_NAMESPACE } from "../../lib/config/projects";
import { StackConfigInput } from "../../lib/config/schema";
import { parseStackConfig } from "../../lib/config/validate";
import { combinedStackConfig, configProblemList } from "../stackConfig";

const NS = BLUEPRINT_NAMESPACE;
const NOW = Date.parse("2026-11-25T12:00:00Z");

/** One region with an H100 pool to give capacity keys to. */
function valid(): StackConfigInput {
  return {
    environment: "prod",
    cluster: { kubernetesVersion: "1.36" },
    regions: [
      {
        region: "us-east-1",
        vpcCidr: "10.0.0.0/16",
        availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"],
        gpuPools: [
          { class: "h100", instanceType: "p5.48xlarge", minSize: 1, maxSize: 4 },
          { class: "l4", instanceType: "g6.12xlarge", minSize: 1, maxSize: 8 },
        ],
      },
    ],
  };
}
type Pool = Record<string, unknown>;
const h100 = (raw: StackConfigInput) => raw.regions[0].gpuPools[0] as Pool;
const l4 = (raw: StackConfigInput) => raw.regions[0].gpuPools[1] as Pool;
const block = (end: string) => ({ type: "capacity-block", id: "cr-0f1e2d3c4b5a69788", availabilityZone: "us-east-1a", instanceCount: 2, start: "2026-09-01T11:30:00Z", end });

const problemsOf = (raw: unknown, now = NOW) => configProblemList(raw, "platform/stacks/Pulumi.test.yaml", { namespace: NS, now });
const parse = (raw: unknown, now = NOW) => parseStackConfig(raw, { namespace: NS, stackFile: "t", now });

describe("capacity config errors (exit 2, key path named)", () => {
  it("a reservation in a zone with no node subnet of the region", () => {
    const raw = valid();
    h100(raw).capacity = { reservations: [{ type: "on-demand-reservation", id: "cr-0a1b2c3d4e5f60718", availabilityZone: "us-east-1d", instanceCount: 1 }] };
    expect(problemsOf(raw)).toEqual([
      {
        path: `${NS}:regions[0].gpuPools[0].capacity.reservations[0].availabilityZone`,
        message: expect.stringContaining('"us-east-1d" is not one of the region\'s availabilityZones (us-east-1a, us-east-1b, us-east-1c): the pool\'s nodes need a node subnet in the reservation\'s zone'),
      },
    ]);
  });

  it("a Capacity Block that has ended, against the injected clock; the same block is fine a day before", () => {
    const raw = valid();
    h100(raw).capacity = { reservations: [block("2026-11-20T11:30:00Z")] };
    expect(problemsOf(raw)).toEqual([
      {
        path: `${NS}:regions[0].gpuPools[0].capacity.reservations[0].end`,
        message: 'Capacity Block cr-0f1e2d3c4b5a69788 of pool "h100" in us-east-1 ended at 2026-11-20T11:30:00Z (plan time 2026-11-25T12:00:00.000Z); remove it or replace it with a current block',
      },
    ]);
    expect(parse(raw, Date.parse("2026-11-19T11:30:00Z")).regions[0].gpuPools[0].capacity.reservations).toHaveLength(1);
  });

  it("spot on an H100 pool", () => {
    const raw = valid();
    h100(raw).capacity = { spot: true };
    expect(problemsOf(raw)).toEqual([{ path: `${NS}:regions[0].gpuPools[0].capacity.spot`, message: expect.stringContaining("spot is refused on h100 pools") }]);
  });

  it("the old capacityType values point to the new keys", () => {
    const raw = valid();
    h100(raw).capacityType = "CAPACITY_BLOCK";
    const [p] = problemsOf(raw);
    expect(p.path).toBe(`${NS}:regions[0].gpuPools[0].capacityType`);
    expect(p.message).toContain('CAPACITY_BLOCK -> capacity.reservations[] with type "capacity-block", id or tags, availabilityZone, instanceCount, start, end');
    expect(p.message).toContain("SPOT -> capacity.spot: true (L4 only)");
  });

  it("a reservation by both id and tags, more reserved than maxSize, no capacity type at all, a block ending before it starts", () => {
    const raw = valid();
    h100(raw).capacity = {
      reservations: [
        { type: "on-demand-reservation", id: "cr-0a1b2c3d4e5f60718", tags: { team: "ml" }, availabilityZone: "us-east-1a", instanceCount: 3 },
        { ...block("2026-08-01T00:00:00Z"), instanceCount: 2 },
      ],
    };
    l4(raw).capacity = { onDemand: false };
    const problems = problemsOf(raw);
    const base = `${NS}:regions[0].gpuPools`;
    expect(problems).toContainEqual({ path: `${base}[0].capacity.reservations[0]`, message: expect.stringContaining("by id or by tags, exactly one of them") });
    expect(problems).toContainEqual({ path: `${base}[0].capacity.reservations`, message: expect.stringContaining("reserve 5 instances in all but maxSize is 4") });
    expect(problems).toContainEqual({ path: `${base}[0].capacity.reservations[1].end`, message: "2026-08-01T00:00:00Z is not after start 2026-09-01T11:30:00Z" });
    expect(problems).toContainEqual({ path: `${base}[1].capacity`, message: expect.stringContaining("allows no capacity type") });
  });

  it("instance types outside the class or with another GPU count", () => {
    const raw = valid();
    l4(raw).instanceTypes = ["g6.12xlarge", "g6.xlarge", "p5.48xlarge"];
    const problems = problemsOf(raw);
    expect(problems).toContainEqual({ path: `${NS}:regions[0].gpuPools[1].instanceTypes[1]`, message: expect.stringContaining('"g6.xlarge" has 1 GPUs per node but instanceType g6.12xlarge has 4') });
    expect(problems).toContainEqual({ path: `${NS}:regions[0].gpuPools[1].instanceTypes[2]`, message: expect.stringContaining('"p5.48xlarge" is not a NVIDIA L4 24GB instance type') });
  });
});

describe("capacity resolution (lib/capacity.ts)", () => {
  it("an H100 pool with reservations: reserved then on-demand, pinned to the reservations' zones, GPU bounds from the table", () => {
    const raw = valid();
    h100(raw).capacity = { reservations: [{ type: "on-demand-reservation", tags: { pool: "h100" }, availabilityZone: "us-east-1b", instanceCount: 1 }, block("2027-03-01T11:30:00Z")] };
    const cfg = parse(raw);
    const c = poolCapacity(cfg.regions[0], cfg.regions[0].gpuPools[0]);
    expect(c).toMatchObject({ pool: "h100", gpuClass: "h100", instanceTypes: ["p5.48xlarge"], gpusPerNode: 8, vcpusPerNode: 192, minGpus: 8, maxGpus: 32, reservedNodes: 3 });
    expect(c.capacityTypes).toEqual(["reserved", "on-demand"]);
    // Zones in region order, each reservation's once.
    expect(c.availabilityZones).toEqual(["us-east-1a", "us-east-1b"]);
    expect(nodesByCapacityType(c, 4)).toEqual({ reserved: 3, spot: 0, onDemand: 1 });
    expect(nodesAtMaxPerType(c)).toEqual({ reserved: 3, onDemand: 1, spot: 0 });
  });

  it("an L4 pool that opts into spot: Karpenter's order reserved, spot, on-demand; every zone of the region", () => {
    const raw = valid();
    l4(raw).capacity = { spot: true };
    const cfg = parse(raw);
    const c = stackCapacity(cfg.regions)[1];
    expect(c.capacityTypes).toEqual(["spot", "on-demand"]);
    expect(c.availabilityZones).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    expect(nodesByCapacityType(c, 3)).toEqual({ reserved: 0, spot: 3, onDemand: 0 });
    expect(nodesAtMaxPerType(c)).toEqual({ reserved: 0, onDemand: 8, spot: 8 });
  });

  it("Capacity Block windows: an error once ended, a warning from 14 days before", () => {
    const raw = valid();
    h100(raw).capacity = { reservations: [block("2026-12-05T11:30:00Z")] };
    const cfg = parse(raw);
    const at = (iso: string) => capacityBlockIssues(cfg.regions, Date.parse(iso));
    expect(at("2026-11-20T11:30:00Z")).toEqual({ errors: [], warnings: [] });
    expect(at("2026-11-21T11:30:00Z").warnings).toEqual([{ path: ["regions", 0, "gpuPools", 0, "capacity", "reservations", 0, "end"], message: expect.stringContaining("ends at 2026-12-05T11:30:00Z, in 14 days") }]);
    expect(at("2026-12-05T11:30:00Z").errors).toHaveLength(1);
  });

  it("prod's committed pools: every H100 pool reserved first, in its reservations' zones; L4 on-demand", () => {
    const cfg = parse(readProjectConfig(NS, combinedStackConfig("prod").config));
    const pools = stackCapacity(cfg.regions);
    const zones = Object.fromEntries(pools.filter((p) => p.gpuClass === "h100").map((p) => [p.region, p.availabilityZones]));
    expect(zones).toEqual({ "us-east-1": ["us-east-1a"], "us-west-2": ["us-west-2b"], "us-east-2": ["us-east-2a"] });
    for (const p of pools) expect(p.capacityTypes).toEqual(p.gpuClass === "h100" ? ["reserved", "on-demand"] : ["on-demand"]);
  });
});
