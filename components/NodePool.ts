import * as ec2 from "@pulumi/aws/ec2";
import * as eks from "@pulumi/aws/eks";
import * as pulumi from "@pulumi/pulumi";
import { gpuInstanceSpec, SYSTEM_AMI_TYPE } from "../lib/gpu";

export const NODE_ROLE_LABEL = "node.role";
/** Labels of the system nodes: the add-ons and the Karpenter controller select them. */
export const SYSTEM_NODE_LABELS: Readonly<Record<string, string>> = { [NODE_ROLE_LABEL]: "system" };

/**
 * Node auto repair of the system group: EKS replaces a node whose kubelet or node monitoring agent
 * condition stays unhealthy (EKS user guide node-health.md, read 2026-11-25: auto repair works with
 * managed node groups and Karpenter; the agent is the eks-node-monitoring-agent add-on). One node at a
 * time, and repair stops when half the group is unhealthy at once (then the cause is not the nodes).
 * eks.NodeGroup nodeRepairConfig in @pulumi/aws 7.48.0.
 */
export const SYSTEM_NODE_REPAIR = { enabled: true, maxParallelNodesRepairedCount: 1, maxUnhealthyNodeThresholdPercentage: 50 } as const;

export interface NodePoolArgs {
  readonly clusterName: pulumi.Input<string>;
  /** Role the nodes run as (GpuCluster.nodeRole). */
  readonly nodeRoleArn: pulumi.Input<string>;
  /** Private subnets only: nodes never get public addresses. */
  readonly subnetIds: pulumi.Input<string>[];
  /** Kubernetes minor version of the nodes; keep it equal to the control plane's. */
  readonly kubernetesVersion: pulumi.Input<string>;
  /** A general-purpose type: GPU capacity is Karpenter's (KarpenterGpuPools), never this group's. */
  readonly instanceType: string;
  readonly minSize: number;
  readonly maxSize: number;
  /** Initial size only; later diffs ignore it. */
  readonly desiredSize: number;
  /** Encrypted gp3 root volume. */
  readonly diskSizeGiB: number;
  /** Resources the node group must wait for, such as the node role's policy attachments. @default [] */
  readonly waitFor?: pulumi.Input<pulumi.Resource>[];
  /** @default {} */
  readonly tags?: Record<string, string>;
}

export function nodePoolProblems(args: NodePoolArgs): string[] {
  const problems: string[] = [];
  if (gpuInstanceSpec(args.instanceType)) problems.push(`instanceType: "${args.instanceType}" is a GPU instance; the system pool must not waste GPUs on add-ons (GPU nodes come from Karpenter NodePools)`);
  if (!(args.minSize >= 1 && args.minSize <= args.desiredSize && args.desiredSize <= args.maxSize)) {
    problems.push(`sizes: need 1 <= minSize (${args.minSize}) <= desiredSize (${args.desiredSize}) <= maxSize (${args.maxSize}): the add-ons and Karpenter run here`);
  }
  if (!(args.diskSizeGiB >= 20 && args.diskSizeGiB <= 16384)) problems.push(`diskSizeGiB: ${args.diskSizeGiB} must be 20 to 16384`);
  return problems;
}

/**
 * The system node group: an EKS managed node group with a hardened launch template (IMDSv2 only with
 * hop limit 1, no SSH key or remote access, encrypted gp3 root volume), labelled node.role=system,
 * with node auto repair. Cluster add-ons and the Karpenter controller run here; GPU nodes do not.
 */
export class NodePool extends pulumi.ComponentResource {
  readonly nodeGroup: eks.NodeGroup;
  readonly launchTemplate: ec2.LaunchTemplate;

  constructor(name: string, args: NodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = nodePoolProblems(args);
    if (problems.length > 0) throw new Error(`NodePool ${name}: invalid args:\n  - ${problems.join("\n  - ")}`);
    super("llm-blueprint:cluster:NodePool", name, {}, opts);

    const tags = args.tags ?? {};
    this.launchTemplate = new ec2.LaunchTemplate(
      `${name}-lt`,
      {
        description: `EKS system nodes (${args.instanceType})`,
        updateDefaultVersion: true,
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
        blockDeviceMappings: [
          {
            // Root device of the AL2023 EKS AMIs.
            deviceName: "/dev/xvda",
            ebs: { volumeSize: args.diskSizeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
          },
        ],
        monitoring: { enabled: true },
        tagSpecifications: [
          { resourceType: "instance", tags: { ...tags, Name: name } },
          { resourceType: "volume", tags: { ...tags, Name: name } },
        ],
        tags,
      },
      { parent: this },
    );

    this.nodeGroup = new eks.NodeGroup(
      `${name}-ng`,
      {
        clusterName: args.clusterName,
        nodeRoleArn: args.nodeRoleArn,
        subnetIds: args.subnetIds,
        version: args.kubernetesVersion,
        amiType: SYSTEM_AMI_TYPE,
        instanceTypes: [args.instanceType],
        capacityType: "ON_DEMAND",
        scalingConfig: { minSize: args.minSize, maxSize: args.maxSize, desiredSize: args.desiredSize },
        updateConfig: { maxUnavailable: 1 },
        nodeRepairConfig: { ...SYSTEM_NODE_REPAIR },
        launchTemplate: { id: this.launchTemplate.id, version: pulumi.interpolate`${this.launchTemplate.latestVersion}` },
        labels: { ...SYSTEM_NODE_LABELS },
        tags,
      },
      { parent: this, ignoreChanges: ["scalingConfig.desiredSize"], dependsOn: args.waitFor ?? [] },
    );

    this.registerOutputs({ nodeGroupName: this.nodeGroup.nodeGroupName, launchTemplateId: this.launchTemplate.id });
  }
}
