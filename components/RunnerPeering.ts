import * as ec2 from "@pulumi/aws/ec2";
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as pulumi from "@pulumi/pulumi";
import { cidrsOverlap, parseIpv4Cidr } from "../lib/cidr";
import { regionCode } from "../lib/naming";

/** One region's network as RunnerPeering needs it (RegionNetwork's outputs plus its aws provider). */
export interface PeeredRegion {
  readonly region: string;
  /** The region's aws provider; every resource on this region's side is created with it. */
  readonly provider: AwsProvider;
  readonly vpcId: pulumi.Input<string>;
  readonly vpcCidr: string;
  /** RegionNetwork.ciSubnetCidrs */
  readonly ciSubnetCidrs: readonly string[];
  /** RegionNetwork.privateSubnetCidrs: where the EKS control-plane ENIs are. */
  readonly privateSubnetCidrs: readonly string[];
  /** RegionNetwork.ciRouteTableIds */
  readonly ciRouteTableIds: readonly pulumi.Input<string>[];
  /** RegionNetwork.privateRouteTableIds */
  readonly privateRouteTableIds: readonly pulumi.Input<string>[];
}

export interface RunnerPeeringArgs {
  /** Two or more regions; every pair is peered once. */
  readonly regions: readonly PeeredRegion[];
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/** Validates args before any child exists; returns every problem at once. */
export function runnerPeeringProblems(args: RunnerPeeringArgs): string[] {
  const problems: string[] = [];
  const names = args.regions.map((r) => r.region);
  if (args.regions.length < 2) problems.push(`regions: ${JSON.stringify(names)} must list at least two regions to peer`);
  for (const [i, name] of names.entries()) if (names.indexOf(name) !== i) problems.push(`regions[${i}].region: "${name}" is listed twice`);
  for (const [i, r] of args.regions.entries()) {
    const cidrs: [string, string][] = [
      [`regions[${i}].vpcCidr`, r.vpcCidr],
      ...r.ciSubnetCidrs.map((c, j): [string, string] => [`regions[${i}].ciSubnetCidrs[${j}]`, c]),
      ...r.privateSubnetCidrs.map((c, j): [string, string] => [`regions[${i}].privateSubnetCidrs[${j}]`, c]),
    ];
    for (const [path, cidr] of cidrs) {
      try {
        parseIpv4Cidr(cidr);
      } catch (err) {
        problems.push(`${path}: ${(err as Error).message}`);
      }
    }
    if (r.ciSubnetCidrs.length === 0) problems.push(`regions[${i}].ciSubnetCidrs: is empty; ${r.region} has no CI subnets to route from`);
    if (r.privateSubnetCidrs.length === 0) problems.push(`regions[${i}].privateSubnetCidrs: is empty; ${r.region} has no control-plane subnets to route to`);
    if (r.ciRouteTableIds.length === 0) problems.push(`regions[${i}].ciRouteTableIds: is empty`);
    if (r.privateRouteTableIds.length === 0) problems.push(`regions[${i}].privateRouteTableIds: is empty`);
  }
  // AWS refuses to peer VPCs whose blocks overlap (EC2 API Reference, CreateVpcPeeringConnection).
  for (const [i, a] of args.regions.entries()) {
    for (const b of args.regions.slice(i + 1)) {
      try {
        if (cidrsOverlap(a.vpcCidr, b.vpcCidr)) problems.push(`regions: ${a.region} ${a.vpcCidr} and ${b.region} ${b.vpcCidr} overlap; peered VPCs need distinct blocks`);
      } catch {
        // already reported above
      }
    }
  }
  return problems;
}

/**
 * A full mesh of inter-region VPC peerings for the CI runners, and only the routes they need: each
 * region's CI route tables reach every peer's private (control-plane ENI) subnets, and each peer's
 * private route tables route the replies back to those CI subnets. Nodes, load balancers and
 * everything else stay unrouted between regions. The requester side is created in the first region
 * of a pair and the accepter (auto-accepted) in the second, each with its own region's provider:
 * cross-region requests cannot be auto-accepted by the requester (@pulumi/aws 7.48.0
 * ec2/vpcPeeringConnection.d.ts, peerRegion: "autoAccept must be false"). EKS resolves a private-only endpoint's name to its
 * private addresses for clients outside the VPC as well (AWS Compute Blog, "Enabling DNS resolution
 * for Amazon EKS cluster endpoints", December 2019 update, read 2026-11-25), so no resolver rules are needed.
 */
export class RunnerPeering extends pulumi.ComponentResource {
  /** Peering connection ids keyed `<region a>/<region b>` in the order the regions were given. */
  readonly peeringConnectionIds: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: RunnerPeeringArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = runnerPeeringProblems(args);
    if (problems.length > 0) throw new Error(`RunnerPeering ${name}: invalid args:\n  - ${problems.join("\n  - ")}`);
    super("llm-blueprint:ci:RunnerPeering", name, {}, opts);

    const tags = args.tags ?? {};
    const ids: Record<string, pulumi.Output<string>> = {};
    for (const [i, a] of args.regions.entries()) {
      for (const b of args.regions.slice(i + 1)) {
        const pair = `${name}-${regionCode(a.region)}-${regionCode(b.region)}`;
        const requester = new ec2.VpcPeeringConnection(
          pair,
          { vpcId: a.vpcId, peerVpcId: b.vpcId, peerRegion: b.region, tags: { ...tags, Name: pair } },
          { parent: this, provider: a.provider },
        );
        const accepter = new ec2.VpcPeeringConnectionAccepter(
          pair,
          { vpcPeeringConnectionId: requester.id, autoAccept: true, tags: { ...tags, Name: pair } },
          { parent: this, provider: b.provider },
        );
        // Routes only work once the peering is active, so they wait for the accepter.
        const route = (side: PeeredRegion, kind: "ci" | "private", tableIds: readonly pulumi.Input<string>[], destinations: readonly string[]) => {
          for (const [t, tableId] of tableIds.entries()) {
            for (const cidr of destinations) {
              new ec2.Route(
                `${pair}-${regionCode(side.region)}-${kind}${t}-to-${cidr.replace(/[./]/g, "-")}`,
                { routeTableId: tableId, destinationCidrBlock: cidr, vpcPeeringConnectionId: requester.id },
                { parent: this, provider: side.provider, dependsOn: [accepter] },
              );
            }
          }
        };
        route(a, "ci", a.ciRouteTableIds, b.privateSubnetCidrs);
        route(b, "private", b.privateRouteTableIds, a.ciSubnetCidrs);
        route(b, "ci", b.ciRouteTableIds, a.privateSubnetCidrs);
        route(a, "private", a.privateRouteTableIds, b.ciSubnetCidrs);
        ids[`${a.region}/${b.region}`] = accepter.id;
      }
    }
    this.peeringConnectionIds = ids;
    this.registerOutputs({ peeringConnectionIds: this.peeringConnectionIds });
  }
}
