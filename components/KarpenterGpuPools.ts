import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PoolCapacity } from "../lib/capacity";
import { pinnedRelease } from "../lib/helm";
import {
  CAPACITY_ANNOTATION,
  capacityAnnotation,
  EC2NODECLASS_API,
  ec2NodeClassSpec,
  KARPENTER_CHART,
  KARPENTER_CRD_CHART,
  KARPENTER_NAMESPACE,
  karpenterObjectName,
  karpenterValues,
  NODEPOOL_API,
  nodePoolSpec,
  PINNED_ALIAS,
  RESERVATIONS_ANNOTATION,
  reservationsAnnotation,
} from "../lib/karpenter";

export interface KarpenterGpuPoolsArgs {
  /** Physical EKS cluster name (Karpenter's settings.clusterName and the discovery tag value). */
  readonly clusterName: string;
  /** The interruption queue (KarpenterAws). */
  readonly interruptionQueueName: pulumi.Input<string>;
  /** The node role (KarpenterAws); Karpenter makes its instance profile. */
  readonly nodeRoleName: pulumi.Input<string>;
  /** The GPU pools of this cluster's region (lib/capacity.ts stackCapacity). */
  readonly pools: readonly PoolCapacity[];
  /** EKS-optimized AMI alias pinned to a release, e.g. "al2023@v20260714" (lib/baseline.ts). */
  readonly amiAlias: string;
  /** Node selector of the system node group, where the controller runs. */
  readonly systemNodeSelector: Record<string, string>;
  /** Resources the releases wait for: the system node group, the controller's Pod Identity association. @default [] */
  readonly waitFor?: pulumi.Input<pulumi.Resource>[];
  /** Tags Karpenter puts on the instances, volumes and launch templates it creates. @default {} */
  readonly tags?: Record<string, string>;
}

export function karpenterGpuPoolsProblems(args: KarpenterGpuPoolsArgs): string[] {
  const problems: string[] = [];
  if (!PINNED_ALIAS.test(args.amiAlias)) problems.push(`amiAlias: "${args.amiAlias}" must be an AL2023 alias pinned to a release, "al2023@vYYYYMMDD" ("latest" drifts every node on each AMI release)`);
  if (args.pools.length === 0) problems.push("pools: empty; a region with no GPU pool needs no Karpenter");
  const names = new Set<string>();
  for (const p of args.pools) {
    if (names.has(p.pool)) problems.push(`pools: "${p.pool}" appears twice; pool names are unique per region`);
    names.add(p.pool);
    if (p.capacityTypes.length === 0) problems.push(`pools.${p.pool}: no capacity type`);
    if (p.gpuClass === "h100" && p.capacityTypes.includes("spot")) problems.push(`pools.${p.pool}: spot is refused on h100 pools`);
  }
  if (Object.keys(args.systemNodeSelector).length === 0) problems.push("systemNodeSelector: empty; the controller must run on the system node group, never on nodes it manages");
  return problems;
}

/**
 * The Kubernetes half of Karpenter (serving project, with the cluster's kubernetes provider): the
 * pinned CRD and controller releases on the system node group, and per GPU pool an EC2NodeClass and
 * a NodePool (lib/karpenter.ts): pinned AMI alias, IMDSv2 hop 1, encrypted gp3 root with throughput,
 * RAID0 instance store, selectors by discovery tag, the pool's reservations; the pool's types,
 * zones and capacity types in order, GPU taint and labels, GPU limit = pool maximum, empty-only
 * consolidation one node at a time, 720h expiry.
 */
export class KarpenterGpuPools extends pulumi.ComponentResource {
  readonly crds: k8s.helm.v3.Release;
  readonly controller: k8s.helm.v3.Release;
  /** NodePool per pool name; a model's Deployment waits for its pool's. */
  readonly nodePools: Record<string, k8s.apiextensions.CustomResource>;
  readonly nodeClasses: Record<string, k8s.apiextensions.CustomResource>;

  constructor(name: string, args: KarpenterGpuPoolsArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = karpenterGpuPoolsProblems(args);
    if (problems.length > 0) throw new Error(`KarpenterGpuPools ${name}: invalid args:\n  - ${problems.join("\n  - ")}`);
    super("llm-blueprint:capacity:KarpenterGpuPools", name, {}, opts);
    const waitFor = args.waitFor ?? [];

    this.crds = pinnedRelease(`${name}-crd`, KARPENTER_CRD_CHART, KARPENTER_NAMESPACE, {}, { parent: this, dependsOn: waitFor });
    this.controller = pinnedRelease(
      `${name}-controller`,
      KARPENTER_CHART,
      KARPENTER_NAMESPACE,
      pulumi.output(args.interruptionQueueName).apply((interruptionQueue) => karpenterValues({ clusterName: args.clusterName, interruptionQueue, systemNodeSelector: args.systemNodeSelector })),
      { parent: this, dependsOn: [this.crds, ...waitFor] },
      { skipCrds: true },
    );

    this.nodePools = {};
    this.nodeClasses = {};
    for (const pool of args.pools) {
      const objectName = karpenterObjectName(pool.pool);
      const nodeClass = new k8s.apiextensions.CustomResource(
        `${name}-${pool.pool}-nodeclass`,
        {
          ...EC2NODECLASS_API,
          metadata: { name: objectName, annotations: { [RESERVATIONS_ANNOTATION]: reservationsAnnotation(pool) } },
          spec: pulumi.output(args.nodeRoleName).apply((nodeRoleName) => ec2NodeClassSpec({ pool, clusterName: args.clusterName, nodeRoleName, amiAlias: args.amiAlias, tags: args.tags })),
        },
        { parent: this, dependsOn: [this.crds] },
      );
      this.nodeClasses[pool.pool] = nodeClass;
      this.nodePools[pool.pool] = new k8s.apiextensions.CustomResource(
        `${name}-${pool.pool}-nodepool`,
        {
          ...NODEPOOL_API,
          metadata: { name: objectName, annotations: { [CAPACITY_ANNOTATION]: capacityAnnotation(pool) } },
          spec: nodePoolSpec(pool, objectName),
        },
        // The controller must be up to act on the pool; the node class first, so the pool never points at nothing.
        { parent: this, dependsOn: [nodeClass, this.controller] },
      );
    }

    this.registerOutputs({ controllerStatus: this.controller.status, nodePools: Object.keys(this.nodePools) });
  }
}
