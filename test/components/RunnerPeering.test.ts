import { beforeAll, describe, expect, it } from "vitest";
import { PeeredRegion, runnerPeeringProblems } from "../../components/RunnerPeering";
import { cidrsOverlap } from "../../lib/cidr";
import { PlanResource } from "../../lib/plan/document";
import { input, ofType, plan, resourcesWithoutExplicitProvider } from "../harness";
import { twoRegionRunners } from "./ciPlan";

describe("RunnerPeering validation", () => {
  const region = (name: string, vpcCidr: string): PeeredRegion => ({
    region: name,
    provider: undefined as never,
    vpcId: "vpc-1",
    vpcCidr,
    ciSubnetCidrs: ["10.0.255.128/26"],
    privateSubnetCidrs: ["10.0.0.0/18"],
    ciRouteTableIds: ["rtb-1"],
    privateRouteTableIds: ["rtb-2"],
  });

  it("needs two distinct regions with non-overlapping VPCs and something to route", () => {
    expect(runnerPeeringProblems({ regions: [region("us-east-1", "10.0.0.0/16"), region("us-west-2", "10.1.0.0/16")] })).toEqual([]);
    expect(runnerPeeringProblems({ regions: [region("us-east-1", "10.0.0.0/16")] })).toEqual([expect.stringContaining("must list at least two regions")]);
    expect(runnerPeeringProblems({ regions: [region("us-east-1", "10.0.0.0/16"), region("us-east-1", "10.1.0.0/16")] })).toEqual(['regions[1].region: "us-east-1" is listed twice']);
    expect(runnerPeeringProblems({ regions: [region("us-east-1", "10.0.0.0/16"), region("us-west-2", "10.0.128.0/17")] })).toEqual([
      "regions: us-east-1 10.0.0.0/16 and us-west-2 10.0.128.0/17 overlap; peered VPCs need distinct blocks",
    ]);
    expect(runnerPeeringProblems({ regions: [region("us-east-1", "10.0.0.0/16"), { ...region("us-west-2", "10.1.0.0/16"), ciSubnetCidrs: [], privateRouteTableIds: [] }] })).toEqual([
      "regions[1].ciSubnetCidrs: is empty; us-west-2 has no CI subnets to route from",
      "regions[1].privateRouteTableIds: is empty",
    ]);
  });
});

describe("RunnerPeering between two regions", () => {
  let resources: PlanResource[];
  beforeAll(async () => {
    resources = await plan(twoRegionRunners);
  });
  const regionOf = (r: PlanResource) => {
    const provider = resources.find((p) => p.urn === r.provider);
    return provider ? (input(provider, "region") as string) : undefined;
  };
  const cidrsOf = (region: string, tier: string) =>
    ofType(resources, "aws:ec2/subnet:Subnet")
      .filter((s) => s.name.startsWith(`${region}-network-${tier}-`))
      .map((s) => input(s, "cidrBlock") as string);

  it("requests in one region and auto-accepts in the other, each with its own provider", () => {
    const [requester] = ofType(resources, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection");
    const [accepter] = ofType(resources, "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter");
    expect(ofType(resources, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection")).toHaveLength(1);
    expect(input(requester, "peerRegion")).toBe("us-west-2");
    expect(input(requester, "autoAccept")).toBeUndefined();
    expect(regionOf(requester)).toBe("us-east-1");
    expect(input(accepter, "autoAccept")).toBe(true);
    expect(regionOf(accepter)).toBe("us-west-2");
  });

  it("routes CI subnets to the peer's private subnets and the replies back, and nothing else", () => {
    const routes = ofType(resources, "aws:ec2/route:Route");
    const tableName = (r: PlanResource) => resources.find((t) => r.propertyDependencies?.routeTableId?.includes(t.urn))?.name ?? "";
    const seen = routes.map((r) => `${regionOf(r)} ${tableName(r).replace(/-(us-[a-z]+-[0-9])[a-z]$/, "")} -> ${input(r, "destinationCidrBlock") as string}`);
    const expected = [
      ...["us-east-1", "us-west-2"].flatMap((from) => {
        const to = from === "us-east-1" ? "us-west-2" : "us-east-1";
        const ciTables = ofType(resources, "aws:ec2/routeTable:RouteTable").filter((t) => t.name.startsWith(`${from}-network-ci-`));
        const privateTables = ofType(resources, "aws:ec2/routeTable:RouteTable").filter((t) => t.name.startsWith(`${from}-network-private-`));
        return [
          ...ciTables.flatMap(() => cidrsOf(to, "private").map((c) => `${from} ${from}-network-ci -> ${c}`)),
          ...privateTables.flatMap(() => cidrsOf(to, "ci").map((c) => `${from} ${from}-network-private -> ${c}`)),
        ];
      }),
    ];
    expect(seen.sort()).toEqual(expected.sort());
    for (const r of routes) {
      expect(r.propertyDependencies?.vpcPeeringConnectionId).toHaveLength(1);
      const destination = input(r, "destinationCidrBlock") as string;
      for (const publicCidr of [...cidrsOf("us-east-1", "public"), ...cidrsOf("us-west-2", "public")]) expect(cidrsOverlap(destination, publicCidr)).toBe(false);
    }
  });

  it("adds routes only once the peering is accepted", () => {
    const [accepter] = ofType(resources, "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter");
    for (const r of ofType(resources, "aws:ec2/route:Route")) expect(r.options.dependsOn).toContain(accepter.urn);
  });

  it("names an explicit provider on every resource", () => {
    expect(resourcesWithoutExplicitProvider(resources)).toEqual([]);
  });
});
