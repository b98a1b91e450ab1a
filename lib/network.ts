import { carveSubnets, parseIpv4Cidr } from "./cidr";

export interface SubnetPlacement {
  readonly az: string;
  readonly cidr: string;
}

export interface SubnetLayout {
  readonly private: SubnetPlacement[];
  readonly public: SubnetPlacement[];
  /** CI runner subnets (CodeBuild ENIs): small, in the first CI_SUBNET_AZS zones. */
  readonly ci: SubnetPlacement[];
}

export const MAX_AZS = 6;

/** CI runner subnets: two zones keep runners up through one AZ outage; more buys nothing for a few builds at a time. */
export const CI_SUBNET_AZS = 2;
/**
 * A /26 per CI subnet: 59 usable addresses (AWS reserves 5 per subnet), one per concurrent build
 * ENI, far above the handful of deploy jobs that run at once.
 */
export const CI_SUBNET_PREFIX = 26;
/** Subnet tag naming a subnet's tier (private, public, ci). */
export const SUBNET_TIER_TAG = "network.tier";
/** Tier tag value of CI runner subnets; the control-plane policy recognises CI subnets by it. */
export const CI_SUBNET_TIER = "ci";

/**
 * Subnet layout for a VPC. Private (node) subnets are large, a quarter of the VPC each for up to
 * 3 AZs and an eighth beyond, because the VPC CNI gives every pod a VPC address. Public subnets
 * only hold load balancers and NAT gateways: 1/64 of the VPC each (a /22 in a /16), carved from
 * the last eighth, which private subnets never reach. CI runner subnets are the last /26 blocks of the
 * VPC: public subnets end at the 62nd sixty-fourth (6 zones at most), and a sixty-fourth of a /20
 * or larger block holds at least one /26, so the last two /26 never meet another tier.
 */
export function subnetLayout(cidrBlock: string, availabilityZones: readonly string[]): SubnetLayout {
  const { prefix } = parseIpv4Cidr(cidrBlock);
  const n = availabilityZones.length;
  if (n < 1 || n > MAX_AZS) throw new Error(`subnet layout supports 1 to ${MAX_AZS} availability zones, got ${n}`);
  if (prefix > 20) throw new Error(`subnet layout needs a /20 or larger VPC block for its CI subnets, got ${cidrBlock}`);
  const privateCidrs = carveSubnets(cidrBlock, prefix + (n <= 3 ? 2 : 3), n);
  const publicCidrs = carveSubnets(cidrBlock, prefix + 6, n, 56);
  const ciZones = availabilityZones.slice(0, CI_SUBNET_AZS);
  const ciBlocks = 2 ** (CI_SUBNET_PREFIX - prefix);
  const ciCidrs = carveSubnets(cidrBlock, CI_SUBNET_PREFIX, ciZones.length, ciBlocks - CI_SUBNET_AZS);
  return {
    private: availabilityZones.map((az, i) => ({ az, cidr: privateCidrs[i] })),
    public: availabilityZones.map((az, i) => ({ az, cidr: publicCidrs[i] })),
    ci: ciZones.map((az, i) => ({ az, cidr: ciCidrs[i] })),
  };
}
