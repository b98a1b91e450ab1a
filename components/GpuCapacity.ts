import * as pulumi from "@pulumi/pulumi";
import { poolCapacity, PoolCapacity } from "../lib/capacity";
import type { GpuPoolConfig } from "../lib/config/schema";
import { KarpenterAws } from "./KarpenterAws";
import { KarpenterGpuPools } from "./KarpenterGpuPools";

export interface GpuCapacityArgs {
  /** The EKS cluster (an Output of the cluster resource). */
  readonly clusterName: pulumi.Input<string>;
  /** The same name as plain text (IAM conditions, queue name, discovery tag value). */
  readonly clusterNameLiteral: string;
  readonly region: string;
  /** Zones of the node subnets; a pool with reservations is pinned to theirs, which must be among these. */
  readonly availabilityZones: readonly string[];
  readonly nodeSubnetIds: pulumi.Input<string>[];
  readonly nodeSecurityGroupId: pulumi.Input<string>;
  /** GPU pools as the stack config declares them (gpuPools[] of a region, defaults resolved). */
  readonly pools: readonly GpuPoolConfig[];
  /** Pinned AMI alias, e.g. KUBERNETES_BASELINES[version].gpuNodeAmiAlias. */
  readonly amiAlias: string;
  /** Labels of the nodes the controller runs on (a node group Karpenter does not manage). */
  readonly systemNodeSelector: Record<string, string>;
  /** What the Kubernetes half waits for: the system node group. @default [] */
  readonly waitFor?: pulumi.Input<pulumi.Resource>[];
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * The whole GPU capacity layer in one program, for a team that has a cluster and wants Karpenter GPU
 * pools on it: KarpenterAws (IAM, interruption queue, access entry, discovery tags) and
 * KarpenterGpuPools (the releases, an EC2NodeClass and NodePool per pool), wired together. Pass the
 * region's aws provider and the cluster's kubernetes provider in `opts.providers`. The blueprint itself
 * splits the halves between its platform and serving projects (InferenceRegion, ServingStack).
 */
export class GpuCapacity extends pulumi.ComponentResource {
  readonly aws: KarpenterAws;
  readonly pools: KarpenterGpuPools;
  readonly capacity: readonly PoolCapacity[];

  constructor(name: string, args: GpuCapacityArgs, opts?: pulumi.ComponentResourceOptions) {
    const outside = args.pools.flatMap((p) => p.capacity.reservations.filter((r) => !args.availabilityZones.includes(r.availabilityZone)).map((r) => `pools.${p.name}: reservation zone ${r.availabilityZone}`));
    if (outside.length > 0) throw new Error(`GpuCapacity ${name}: invalid args:\n  - ${outside.map((o) => `${o} has no node subnet; zones: ${args.availabilityZones.join(", ")}`).join("\n  - ")}`);
    super("llm-blueprint:capacity:GpuCapacity", name, {}, opts);
    this.capacity = args.pools.map((p) => poolCapacity({ region: args.region, availabilityZones: args.availabilityZones }, p));
    this.aws = new KarpenterAws(
      `${name}-aws`,
      { clusterName: args.clusterName, clusterNameLiteral: args.clusterNameLiteral, region: args.region, nodeSubnetIds: args.nodeSubnetIds, nodeSecurityGroupId: args.nodeSecurityGroupId, tags: args.tags },
      { parent: this },
    );
    this.pools = new KarpenterGpuPools(
      `${name}-pools`,
      {
        clusterName: args.clusterNameLiteral,
        interruptionQueueName: this.aws.queue.name,
        nodeRoleName: this.aws.nodeRole.name,
        pools: this.capacity,
        amiAlias: args.amiAlias,
        systemNodeSelector: args.systemNodeSelector,
        waitFor: [...(args.waitFor ?? []), this.aws.nodeAccessEntry, this.aws.podIdentityAssociation],
        tags: args.tags,
      },
      { parent: this },
    );
    this.registerOutputs({ nodeRoleName: this.aws.nodeRole.name, interruptionQueueName: this.aws.queue.name, nodePools: Object.keys(this.pools.nodePools) });
  }
}
