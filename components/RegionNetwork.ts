import * as ec2 from "@pulumi/aws/ec2";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as iam from "@pulumi/aws/iam";
import * as pulumi from "@pulumi/pulumi";
import { retainedLogGroup } from "./retainedLogGroup";
import { parseIpv4Cidr } from "../lib/cidr";
import { flowLogTrust, logWritePolicy } from "../lib/iam";
import { CI_SUBNET_TIER, MAX_AZS, SUBNET_TIER_TAG, subnetLayout } from "../lib/network";

export interface RegionNetworkArgs {
  /** AWS region code, e.g. us-east-1. Must match the aws provider passed in opts. */
  readonly region: string;
  /** VPC block, /16 to /20. */
  readonly cidrBlock: string;
  /** 3 to 6 zones of `region`. */
  readonly availabilityZones: readonly string[];
  /** One NAT gateway per AZ (survives an AZ outage) or one shared (cheaper, for dev). @default "perAz" */
  readonly natGateways?: "perAz" | "single";
  /** EKS cluster that will use the subnets, for the kubernetes.io/cluster/<name> tag. */
  readonly clusterName: string;
  /** Retention of VPC flow logs in days, one of CloudWatch's values (lib/config/schema.ts CLOUDWATCH_RETENTION_DAYS). @default 365 */
  readonly flowLogRetentionDays?: number;
  /** Extra tags on every resource. @default {} */
  readonly tags?: Record<string, string>;
}

/** Validates args before any child exists; returns every problem at once. */
export function regionNetworkProblems(args: RegionNetworkArgs): string[] {
  const problems: string[] = [];
  const azs = args.availabilityZones;
  if (new Set(azs).size < 3 || azs.length > MAX_AZS) {
    problems.push(`availabilityZones: ${JSON.stringify(azs)} must list 3 to ${MAX_AZS} distinct zones`);
  }
  for (const az of azs) {
    if (!new RegExp(`^${args.region}[a-z]$`).test(az)) problems.push(`availabilityZones: "${az}" is not a zone of ${args.region}; allowed: ${args.region}a, ${args.region}b, ...`);
  }
  try {
    const { prefix } = parseIpv4Cidr(args.cidrBlock);
    if (prefix < 16 || prefix > 20) problems.push(`cidrBlock: "${args.cidrBlock}" must be a /16 to /20 block`);
  } catch (err) {
    problems.push(`cidrBlock: ${(err as Error).message}`);
  }
  return problems;
}

/**
 * A regional VPC for an EKS cluster: private node subnets in every AZ, public subnets only for
 * load balancers and NAT, NAT per AZ or shared, an S3 gateway endpoint (model weights come from S3
 * without crossing NAT), a locked-down default security group, and flow logs.
 */
export class RegionNetwork extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly privateSubnetIds: pulumi.Output<string>[];
  readonly publicSubnetIds: pulumi.Output<string>[];
  readonly natGatewayIds: pulumi.Output<string>[];
  /** Private (node and control-plane ENI) subnet blocks, in zone order: plain values, known before deploy. */
  readonly privateSubnetCidrs: string[];
  /** One route table per private zone; RunnerPeering adds the return routes to other regions' CI subnets here. */
  readonly privateRouteTableIds: pulumi.Output<string>[];
  /** CI runner subnets (CodeBuild ENIs), in the first two zones; nothing else is placed there. */
  readonly ciSubnetIds: pulumi.Output<string>[];
  readonly ciSubnetCidrs: string[];
  /** One route table per CI subnet: NAT for GitHub and AWS APIs, plus RunnerPeering's routes to peer regions' private subnets. */
  readonly ciRouteTableIds: pulumi.Output<string>[];

  constructor(name: string, args: RegionNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = regionNetworkProblems(args);
    if (problems.length > 0) throw new Error(`RegionNetwork ${name}: invalid args:\n  - ${problems.join("\n  - ")}`);
    super("llm-blueprint:network:RegionNetwork", name, {}, opts);

    const baseTags = args.tags ?? {};
    const tagged = (resourceName: string, extra: Record<string, string> = {}) => ({ ...baseTags, Name: resourceName, ...extra });
    const clusterTag = `kubernetes.io/cluster/${args.clusterName}`;
    const layout = subnetLayout(args.cidrBlock, args.availabilityZones);

    const vpc = new ec2.Vpc(`${name}-vpc`, { cidrBlock: args.cidrBlock, enableDnsHostnames: true, enableDnsSupport: true, tags: tagged(`${name}-vpc`) }, { parent: this });

    // Adopt the default security group and strip its rules, so nothing can use it by accident.
    new ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, ingress: [], egress: [], tags: tagged(`${name}-default-sg`) }, { parent: this });

    const privateSubnets = layout.private.map(
      ({ az, cidr }) =>
        new ec2.Subnet(
          `${name}-private-${az}`,
          {
            vpcId: vpc.id,
            cidrBlock: cidr,
            availabilityZone: az,
            mapPublicIpOnLaunch: false,
            tags: tagged(`${name}-private-${az}`, {
              "kubernetes.io/role/internal-elb": "1",
              [clusterTag]: "shared",
              // The GPU EC2NodeClasses select node subnets by this tag (KarpenterAws does not tag them again).
              "karpenter.sh/discovery": args.clusterName,
              "network.tier": "private",
            }),
          },
          { parent: this },
        ),
    );
    const publicSubnets = layout.public.map(
      ({ az, cidr }) =>
        new ec2.Subnet(
          `${name}-public-${az}`,
          {
            vpcId: vpc.id,
            cidrBlock: cidr,
            availabilityZone: az,
            // Only load balancers and NAT gateways live here; nothing gets a public IP implicitly.
            mapPublicIpOnLaunch: false,
            tags: tagged(`${name}-public-${az}`, { "kubernetes.io/role/elb": "1", [clusterTag]: "shared", "network.tier": "public" }),
          },
          { parent: this },
        ),
    );

    const igw = new ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tagged(`${name}-igw`) }, { parent: this });
    const publicRoutes = new ec2.RouteTable(
      `${name}-public-rt`,
      { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tagged(`${name}-public-rt`) },
      { parent: this },
    );
    publicSubnets.forEach((subnet, i) => {
      new ec2.RouteTableAssociation(`${name}-public-${layout.public[i].az}`, { subnetId: subnet.id, routeTableId: publicRoutes.id }, { parent: this });
    });

    const natAzs = (args.natGateways ?? "perAz") === "perAz" ? layout.public.map((p) => p.az) : [layout.public[0].az];
    const nats = natAzs.map((az) => {
      const subnet = publicSubnets[layout.public.findIndex((p) => p.az === az)];
      const eip = new ec2.Eip(`${name}-nat-${az}`, { domain: "vpc", tags: tagged(`${name}-nat-${az}`) }, { parent: this, dependsOn: [igw] });
      return new ec2.NatGateway(`${name}-nat-${az}`, { allocationId: eip.id, subnetId: subnet.id, connectivityType: "public", tags: tagged(`${name}-nat-${az}`) }, { parent: this });
    });

    const privateRouteTables = privateSubnets.map((subnet, i) => {
      const az = layout.private[i].az;
      const nat = nats[natAzs.indexOf(az)] ?? nats[0];
      const table = new ec2.RouteTable(
        `${name}-private-${az}`,
        { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: tagged(`${name}-private-${az}`) },
        { parent: this },
      );
      new ec2.RouteTableAssociation(`${name}-private-${az}`, { subnetId: subnet.id, routeTableId: table.id }, { parent: this });
      return table;
    });

    // CI runner subnets: no cluster, load-balancer or Karpenter tags, so nothing but the runners lands here.
    const ciSubnets = layout.ci.map(
      ({ az, cidr }) =>
        new ec2.Subnet(
          `${name}-ci-${az}`,
          { vpcId: vpc.id, cidrBlock: cidr, availabilityZone: az, mapPublicIpOnLaunch: false, tags: tagged(`${name}-ci-${az}`, { [SUBNET_TIER_TAG]: CI_SUBNET_TIER }) },
          { parent: this },
        ),
    );
    // Runners reach GitHub and the AWS APIs through the zone's NAT, like the nodes.
    const ciRouteTables = ciSubnets.map((subnet, i) => {
      const az = layout.ci[i].az;
      const nat = nats[natAzs.indexOf(az)] ?? nats[0];
      const table = new ec2.RouteTable(
        `${name}-ci-${az}`,
        { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: tagged(`${name}-ci-${az}`) },
        { parent: this },
      );
      new ec2.RouteTableAssociation(`${name}-ci-${az}`, { subnetId: subnet.id, routeTableId: table.id }, { parent: this });
      return table;
    });

    new ec2.VpcEndpoint(
      `${name}-s3`,
      { vpcId: vpc.id, serviceName: `com.amazonaws.${args.region}.s3`, vpcEndpointType: "Gateway", routeTableIds: privateRouteTables.map((t) => t.id), tags: tagged(`${name}-s3`) },
      { parent: this },
    );

    // Flow logs are encrypted with a key of their own, kept on destroy like the logs it protects.
    const flowLogName = `/aws/vpc/${args.clusterName}/flow-logs`;
    const account = getCallerIdentityOutput({}, { parent: this }).accountId;
    const { group: flowLogGroup } = retainedLogGroup(
      {
        keyResourceName: `${name}-flow-logs`,
        groupResourceName: `${name}-flow-logs`,
        logGroupName: flowLogName,
        description: `VPC flow log encryption for ${args.clusterName}`,
        region: args.region,
        accountId: account,
        retentionInDays: args.flowLogRetentionDays ?? 365,
        tags: tagged(`${name}-flow-logs`),
      },
      this,
    );
    const flowLogRole = new iam.Role(
      `${name}-flow-logs`,
      { assumeRolePolicy: account.apply((id) => JSON.stringify(flowLogTrust(id, args.region))), tags: tagged(`${name}-flow-logs`) },
      { parent: this },
    );
    new iam.RolePolicy(`${name}-flow-logs`, { role: flowLogRole.id, policy: flowLogGroup.arn.apply((arn) => JSON.stringify(logWritePolicy(arn))) }, { parent: this });
    new ec2.FlowLog(
      `${name}-flow-logs`,
      { vpcId: vpc.id, trafficType: "ALL", logDestinationType: "cloud-watch-logs", logDestination: flowLogGroup.arn, iamRoleArn: flowLogRole.arn, tags: tagged(`${name}-flow-logs`) },
      { parent: this },
    );

    this.vpcId = vpc.id;
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.natGatewayIds = nats.map((n) => n.id);
    this.privateSubnetCidrs = layout.private.map((p) => p.cidr);
    this.privateRouteTableIds = privateRouteTables.map((t) => t.id);
    this.ciSubnetIds = ciSubnets.map((s) => s.id);
    this.ciSubnetCidrs = layout.ci.map((c) => c.cidr);
    this.ciRouteTableIds = ciRouteTables.map((t) => t.id);
    this.registerOutputs({
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      publicSubnetIds: this.publicSubnetIds,
      natGatewayIds: this.natGatewayIds,
      privateSubnetCidrs: this.privateSubnetCidrs,
      privateRouteTableIds: this.privateRouteTableIds,
      ciSubnetIds: this.ciSubnetIds,
      ciSubnetCidrs: this.ciSubnetCidrs,
      ciRouteTableIds: this.ciRouteTableIds,
    });
  }
}
