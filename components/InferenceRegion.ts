import { Provider as AwsProvider } from "@pulumi/aws/provider";
import type { Region as AwsRegion } from "@pulumi/aws/types/enums";
import * as pulumi from "@pulumi/pulumi";
import { poolCapacity, PoolCapacity } from "../lib/capacity";
import type { GpuPoolConfig } from "../lib/config/schema";
import { GpuCluster } from "./GpuCluster";
import { KarpenterAws } from "./KarpenterAws";
import { NodePool } from "./NodePool";
import { CiRunners, CiRunnersArgs } from "./CiRunners";
import { RegionNetwork } from "./RegionNetwork";

export interface InferenceRegionPoolArgs {
  readonly instanceType: string;
  readonly minSize: number;
  readonly maxSize: number;
  readonly desiredSize: number;
  readonly diskSizeGiB: number;
}

export interface InferenceRegionArgs {
  readonly region: string;
  readonly clusterName: string;
  readonly vpcCidr: string;
  readonly availabilityZones: readonly string[];
  /** @default "perAz" */
  readonly natGateways?: "perAz" | "single";
  readonly kubernetesVersion: string;
  /** @default [] (public API endpoint off) */
  readonly publicAccessCidrs?: readonly string[];
  /** @default [] */
  readonly adminRoleArns?: readonly string[];
  /** The CI jobs' roles, each with its own access entry (GpuCluster). @default {} */
  readonly ciPrincipals?: { readonly deploy?: string; readonly preview?: string; readonly drift?: string };
  /** @default 90 */
  readonly logRetentionDays?: number;
  /**
   * In-VPC CI runners (CiRunners) in this region's CI subnets; the cluster's control plane then admits
   * TCP 443 from them (and the peer regions' CI subnets) and nothing else. @default none
   */
  /** Retention of the VPC flow-log group, days (CloudWatch values). @default 365 */
  readonly flowLogRetentionDays?: number;
  readonly ciRunners?: Omit<CiRunnersArgs, "region" | "vpcId" | "ciSubnetIds" | "tags">;
  readonly systemPool: InferenceRegionPoolArgs;
  /** GPU pools, provisioned by Karpenter (KarpenterAws here, KarpenterGpuPools in serving). */
  readonly gpuPools: readonly GpuPoolConfig[];
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * The platform of one region: network, EKS cluster, a system pool and isolated GPU pools, all AWS
 * resources; what runs inside the cluster belongs to the serving project (ServingStack). Pass the
 * region's AWS provider in `opts.providers` (or `opts.provider`).
 */
export class InferenceRegion extends pulumi.ComponentResource {
  readonly network: RegionNetwork;
  /** Present when `ciRunners` is given. */
  readonly ciRunners?: CiRunners;
  readonly cluster: GpuCluster;
  readonly systemPool: NodePool;
  /** The AWS half of the GPU capacity layer. */
  readonly karpenter: KarpenterAws;
  /** Each GPU pool as Karpenter provisions it (lib/capacity.ts). */
  readonly gpuCapacity: PoolCapacity[];

  constructor(name: string, args: InferenceRegionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-blueprint:region:InferenceRegion", name, {}, opts);
    const tags = args.tags ?? {};

    this.network = new RegionNetwork(
      `${name}-network`,
      {
        region: args.region,
        cidrBlock: args.vpcCidr,
        availabilityZones: args.availabilityZones,
        natGateways: args.natGateways,
        flowLogRetentionDays: args.flowLogRetentionDays,
        clusterName: args.clusterName,
        tags,
      },
      { parent: this },
    );

    this.ciRunners = args.ciRunners
      ? new CiRunners(
          `${name}-ci`,
          { ...args.ciRunners, region: args.region, vpcId: this.network.vpcId, ciSubnetIds: this.network.ciSubnetIds, tags },
          { parent: this },
        )
      : undefined;

    this.cluster = new GpuCluster(
      `${name}-cluster`,
      {
        clusterName: args.clusterName,
        region: args.region,
        kubernetesVersion: args.kubernetesVersion,
        privateSubnetIds: this.network.privateSubnetIds,
        publicAccessCidrs: args.publicAccessCidrs,
        adminRoleArns: args.adminRoleArns,
        ciPrincipals: args.ciPrincipals,
        controlPlaneSecurityGroupIds: this.ciRunners ? [this.ciRunners.controlPlaneSecurityGroupId] : [],
        logRetentionDays: args.logRetentionDays,
        tags,
      },
      { parent: this },
    );

    this.systemPool = new NodePool(
      `${name}-system`,
      {
        clusterName: this.cluster.clusterName,
        nodeRoleArn: this.cluster.nodeRole.arn,
        waitFor: this.cluster.nodeRoleAttachments,
        subnetIds: this.network.privateSubnetIds,
        kubernetesVersion: args.kubernetesVersion,
        tags,
        ...args.systemPool,
      },
      { parent: this },
    );

    // GPU nodes: Karpenter NodePools (serving); their AWS side here. No managed GPU groups, no cluster-autoscaler.
    this.karpenter = new KarpenterAws(
      `${name}-karpenter`,
      {
        clusterName: this.cluster.clusterName,
        clusterNameLiteral: args.clusterName,
        region: args.region,
        nodeSubnetIds: this.network.privateSubnetIds,
        // RegionNetwork's private subnets carry karpenter.sh/discovery already.
        tagNodeSubnets: false,
        nodeSecurityGroupId: this.cluster.clusterSecurityGroupId,
        tags,
      },
      { parent: this },
    );
    this.gpuCapacity = args.gpuPools.map((p) => poolCapacity({ region: args.region, availabilityZones: args.availabilityZones }, p));

    this.registerOutputs({
      clusterName: this.cluster.clusterName,
      clusterEndpoint: this.cluster.endpoint,
      vpcId: this.network.vpcId,
      gpuCapacity: this.gpuCapacity,
    });
  }
}

/** The explicit provider for one region; tags every AWS resource it creates. */
export function regionalAwsProvider(name: string, region: string, tags: Record<string, string>, opts?: pulumi.CustomResourceOptions): AwsProvider {
  return new AwsProvider(name, { region: region as AwsRegion, defaultTags: { tags } }, opts);
}
