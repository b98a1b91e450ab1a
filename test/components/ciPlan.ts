import * as eks from "@pulumi/aws/eks";
import { CiRunners } from "../../components/CiRunners";
import { RegionNetwork } from "../../components/RegionNetwork";
import { RunnerPeering } from "../../components/RunnerPeering";
import { regionProvider } from "../harness";

export const CONNECTION_ARN = "arn:aws:codeconnections:us-east-1:123456789012:connection/0b3c8a4e-1f2d-4c5b-9a8e-7d6c5b4a3f2e";

export const REGIONS = [
  { region: "us-east-1", cidrBlock: "10.0.0.0/16", code: "use1" },
  { region: "us-west-2", cidrBlock: "10.1.0.0/16", code: "usw2" },
] as const;

/**
 * The platform's CI path in two regions, wired as the lead wires it: a RegionNetwork, CiRunners and a
 * private EKS cluster carrying the runners' control-plane group per region, and RunnerPeering between them.
 */
export function twoRegionRunners(): void {
  const nets = REGIONS.map((r) => {
    const provider = regionProvider(r.region);
    const azs = ["a", "b", "c"].map((z) => `${r.region}${z}`);
    const network = new RegionNetwork(`${r.region}-network`, { region: r.region, cidrBlock: r.cidrBlock, availabilityZones: azs, clusterName: `llm-test-${r.code}` }, { providers: [provider] });
    return { ...r, provider, network };
  });
  for (const n of nets) {
    const runners = new CiRunners(
      `${n.region}-runners`,
      {
        region: n.region,
        namePrefix: "llm",
        stack: "test",
        vpcId: n.network.vpcId,
        ciSubnetIds: n.network.ciSubnetIds,
        peerCiSubnets: nets.filter((o) => o.region !== n.region).map((o) => ({ region: o.region, ciSubnetCidrs: o.network.ciSubnetCidrs })),
        githubRepository: "acme/llm-blueprint",
        githubConnectionArn: CONNECTION_ARN,
      },
      { providers: [n.provider] },
    );
    new eks.Cluster(
      `${n.region}-eks`,
      {
        name: `llm-test-${n.code}`,
        roleArn: "arn:aws:iam::123456789012:role/llm-test-eks",
        vpcConfig: { subnetIds: n.network.privateSubnetIds, endpointPrivateAccess: true, endpointPublicAccess: false, securityGroupIds: [runners.controlPlaneSecurityGroupId] },
      },
      { provider: n.provider },
    );
  }
  new RunnerPeering("runner-peering", {
    regions: nets.map((n) => ({
      region: n.region,
      provider: n.provider,
      vpcId: n.network.vpcId,
      vpcCidr: n.cidrBlock,
      ciSubnetCidrs: n.network.ciSubnetCidrs,
      privateSubnetCidrs: n.network.privateSubnetCidrs,
      ciRouteTableIds: n.network.ciRouteTableIds,
      privateRouteTableIds: n.network.privateRouteTableIds,
    })),
  });
}
