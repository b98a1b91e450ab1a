import { carveSubnets, parseIpv4Cidr } from "./cidr";

export interface SubnetPlacement {
  readonly az: string;
  readonly cidr: string;
}

export interface SubnetLayout {
  readonly private: SubnetPlacement[];
  readonly public: SubnetPlacement[];
}

export const MAX_AZS = 6;

/**
 * Subnet layout for a VPC. Private (node) subnets are large, a quarter of the VPC each for up to
 * 3 AZs and an eighth beyond, because the VPC CNI gives every pod a VPC address. Public subnets
 * only hold load balancers and NAT gateways: 1/64 of the VPC each (a /22 in a /16), carved from
 * the last eighth, which private subnets never reach.
 */
export function subnetLayout(cidrBlock: string, availabilityZones: readonly string[]): SubnetLayout {
  const { prefix } = parseIpv4Cidr(cidrBlock);
  const n = availabilityZones.length;
  if (n < 1 || n > MAX_AZS) throw new Error(`subnet layout supports 1 to ${MAX_AZS} availability zones, got ${n}`);
  const privateCidrs = carveSubnets(cidrBlock, prefix + (n <= 3 ? 2 : 3), n);
  const publicCidrs = carveSubnets(cidrBlock, prefix + 6, n, 56);
  return {
    private: availabilityZones.map((az, i) => ({ az, cidr: privateCidrs[i] })),
    public: availabilityZones.map((az, i) => ({ az, cidr: publicCidrs[i] })),
  };
}
