import { beforeAll, describe, expect, it } from "vitest";
import { RegionNetwork, RegionNetworkArgs, regionNetworkProblems } from "../../components/RegionNetwork";
import { cidrsOverlap } from "../../lib/cidr";
import { PlanResource } from "../../lib/plan/document";
import { input, ofType, one, plan, regionProvider, resourcesWithoutExplicitProvider } from "../harness";

const args: RegionNetworkArgs = {
  region: "us-east-1",
  cidrBlock: "10.0.0.0/16",
  availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"],
  clusterName: "llm-test-use1",
};

function natIdsOfPrivateRoutes(resources: PlanResource[]): string[] {
  return ofType(resources, "aws:ec2/routeTable:RouteTable")
    .filter((t) => t.name.includes("-private-"))
    .map((t) => (input(t, "routes") as { natGatewayId: string }[])[0].natGatewayId);
}

describe("RegionNetwork validation", () => {
  it("needs three zones of its own region and a /16-/20 block", () => {
    expect(regionNetworkProblems(args)).toEqual([]);
    expect(regionNetworkProblems({ ...args, availabilityZones: ["us-east-1a", "us-east-1b"] })).toEqual([expect.stringContaining("must list 3 to 6 distinct zones")]);
    expect(regionNetworkProblems({ ...args, availabilityZones: ["us-east-1a", "us-east-1b", "us-west-2c"] })).toEqual([
      expect.stringContaining('"us-west-2c" is not a zone of us-east-1'),
    ]);
    expect(regionNetworkProblems({ ...args, cidrBlock: "10.0.0.0/8" })).toEqual([expect.stringContaining("/16 to /20")]);
  });
});

describe("RegionNetwork with a NAT gateway per AZ", () => {
  let resources: PlanResource[];
  beforeAll(async () => {
    resources = await plan(() => new RegionNetwork("net", args, { providers: [regionProvider("us-east-1")] }));
  });

  it("puts private and public subnets in every zone and CI subnets in two, without overlap, and no public IPs by default", () => {
    const subnets = ofType(resources, "aws:ec2/subnet:Subnet");
    expect(subnets).toHaveLength(8);
    const cidrs = subnets.map((s) => input(s, "cidrBlock") as string);
    for (const [i, a] of cidrs.entries()) for (const b of cidrs.slice(i + 1)) expect(cidrsOverlap(a, b)).toBe(false);
    for (const s of subnets) {
      expect(cidrsOverlap(input(s, "cidrBlock") as string, "10.0.0.0/16")).toBe(true);
      expect(input(s, "mapPublicIpOnLaunch")).toBe(false);
    }
    expect(new Set(subnets.map((s) => input(s, "availabilityZone")))).toEqual(new Set(args.availabilityZones));
  });

  it("tags subnets for the load balancer controller and the cluster", () => {
    const subnets = ofType(resources, "aws:ec2/subnet:Subnet");
    const tagsOf = (tier: string) => subnets.filter((s) => s.name.includes(`-${tier}-`)).map((s) => input(s, "tags") as Record<string, string>);
    expect(tagsOf("private")).toHaveLength(3);
    expect(tagsOf("public")).toHaveLength(3);
    for (const tags of [...tagsOf("private"), ...tagsOf("public")]) expect(tags["kubernetes.io/cluster/llm-test-use1"]).toBe("shared");
    for (const tags of tagsOf("private")) expect(tags).toMatchObject({ "kubernetes.io/role/internal-elb": "1" });
    for (const tags of tagsOf("public")) expect(tags).toMatchObject({ "kubernetes.io/role/elb": "1" });
    for (const tags of tagsOf("private")) expect(tags["kubernetes.io/role/elb"]).toBeUndefined();
  });

  it("keeps CI subnets free of cluster, load-balancer and Karpenter tags, tags them as the ci tier and exposes them", () => {
    const ci = ofType(resources, "aws:ec2/subnet:Subnet").filter((s) => s.name.includes("-ci-"));
    expect(ci.map((s) => input(s, "availabilityZone"))).toEqual(["us-east-1a", "us-east-1b"]);
    for (const s of ci) {
      const tags = input(s, "tags") as Record<string, string>;
      expect(tags["network.tier"]).toBe("ci");
      expect(Object.keys(tags).filter((k) => k.startsWith("kubernetes.io/") || k.startsWith("karpenter.sh/"))).toEqual([]);
    }
    const net = one(resources, "llm-blueprint:network:RegionNetwork");
    expect(net.outputs?.ciSubnetCidrs).toEqual(ci.map((s) => input(s, "cidrBlock")));
    expect(net.outputs?.ciSubnetIds).toHaveLength(2);
    expect(net.outputs?.ciRouteTableIds).toHaveLength(2);
    expect(net.outputs?.privateRouteTableIds).toHaveLength(3);
    expect(net.outputs?.privateSubnetCidrs).toEqual(ofType(resources, "aws:ec2/subnet:Subnet").filter((s) => s.name.includes("-private-")).map((s) => input(s, "cidrBlock")));
  });

  it("routes CI subnets to the internet through their zone's NAT gateway and nowhere else", () => {
    const tables = ofType(resources, "aws:ec2/routeTable:RouteTable").filter((t) => t.name.includes("-ci-"));
    expect(tables).toHaveLength(2);
    const natIds = new Set(natIdsOfPrivateRoutes(resources));
    for (const t of tables) {
      const routes = input(t, "routes") as { cidrBlock: string; natGatewayId: string }[];
      expect(routes).toHaveLength(1);
      expect(routes[0].cidrBlock).toBe("0.0.0.0/0");
      expect(natIds.has(routes[0].natGatewayId)).toBe(true);
    }
  });

  it("routes each private zone through its own NAT gateway", () => {
    expect(ofType(resources, "aws:ec2/natGateway:NatGateway")).toHaveLength(3);
    expect(new Set(natIdsOfPrivateRoutes(resources)).size).toBe(3);
  });

  it("strips the default security group, logs all flows and reaches S3 from every private route table", () => {
    const sg = one(resources, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup");
    expect(input(sg, "ingress")).toEqual([]);
    expect(input(sg, "egress")).toEqual([]);
    expect(input(one(resources, "aws:ec2/flowLog:FlowLog"), "trafficType")).toBe("ALL");
    const s3 = one(resources, "aws:ec2/vpcEndpoint:VpcEndpoint");
    expect(input(s3, "serviceName")).toBe("com.amazonaws.us-east-1.s3");
    expect(input(s3, "routeTableIds")).toHaveLength(3);
  });

  it("scopes the flow-log role to its own log group", () => {
    const policy = JSON.parse(input(one(resources, "aws:iam/rolePolicy:RolePolicy"), "policy") as string) as { Statement: { Resource: string[] }[] };
    for (const st of policy.Statement) for (const r of st.Resource) expect(r).toContain("log-group:/aws/vpc/llm-test-use1/flow-logs");
  });

  it("uses the explicit provider for every resource", () => {
    expect(resourcesWithoutExplicitProvider(resources)).toEqual([]);
  });
});

describe("RegionNetwork with a single NAT gateway", () => {
  it("shares one NAT gateway across zones", async () => {
    const resources = await plan(() => new RegionNetwork("net", { ...args, natGateways: "single" }, { providers: [regionProvider("us-east-1")] }));
    expect(ofType(resources, "aws:ec2/natGateway:NatGateway")).toHaveLength(1);
    expect(new Set(natIdsOfPrivateRoutes(resources)).size).toBe(1);
  });
});
