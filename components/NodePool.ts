import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GPU_AMI_TYPE, GPU_CLASS_LABEL, GPU_TAINT_KEY, GpuClass, gpuInstanceSpec, SYSTEM_AMI_TYPE } from "../lib/gpu";

export const NODE_ROLE_LABEL = "node.role";

export interface NodePoolArgs {
  readonly clusterName: pulumi.Input<string>;
  /** Role the nodes run as (GpuCluster.nodeRole). */
  readonly nodeRoleArn: pulumi.Input<string>;
  /** Private subnets only: nodes never get public addresses. */
  readonly subnetIds: pulumi.Input<string>[];
  /** Kubernetes minor version of the nodes; keep it equal to the control plane's. */
  readonly kubernetesVersion: pulumi.Input<string>;
  /** "system" runs cluster add-ons; "gpu" is tainted and labelled so only GPU workloads land on it. */
  readonly role: "system" | "gpu";
  /** Required when role is "gpu"; the instance type must belong to this class. */
  readonly gpuClass?: GpuClass;
  readonly instanceType: string;
  /** 0 allows scale to zero (the autoscaler brings nodes back from pending pods). */
  readonly minSize: number;
  readonly maxSize: number;
  /** Initial size only: the autoscaler owns it afterwards, so later diffs ignore it. */
  readonly desiredSize: number;
  /** Encrypted gp3 root volume, sized for container images and model caches. */
  readonly diskSizeGiB: number;
  /** Resources the node group must wait for, such as the node role's policy attachments. @default [] */
  readonly waitFor?: pulumi.Input<pulumi.Resource>[];
  /** @default "ON_DEMAND" */
  readonly capacityType?: "ON_DEMAND" | "SPOT" | "CAPACITY_BLOCK";
  /** @default {} */
  readonly tags?: Record<string, string>;
}

export function nodePoolProblems(args: NodePoolArgs): string[] {
  const problems: string[] = [];
  const spec = gpuInstanceSpec(args.instanceType);
  if (args.role === "gpu") {
    if (!args.gpuClass) problems.push(`gpuClass: required for a gpu pool`);
    else if (spec?.gpuClass !== args.gpuClass) problems.push(`instanceType: "${args.instanceType}" is not a ${args.gpuClass} instance type`);
  } else {
    if (args.gpuClass) problems.push(`gpuClass: only gpu pools take a class`);
    if (spec) problems.push(`instanceType: "${args.instanceType}" is a GPU instance; the system pool must not waste GPUs on add-ons`);
  }
  if (!(args.minSize >= 0 && args.minSize <= args.desiredSize && args.desiredSize <= args.maxSize && args.maxSize >= 1)) {
    problems.push(`sizes: need 0 <= minSize (${args.minSize}) <= desiredSize (${args.desiredSize}) <= maxSize (${args.maxSize}) and maxSize >= 1`);
  }
  if (!(args.diskSizeGiB >= 20 && args.diskSizeGiB <= 16384)) problems.push(`diskSizeGiB: ${args.diskSizeGiB} must be 20 to 16384`);
  return problems;
}

export interface NodeTaint {
  readonly key: string;
  readonly value: string;
  readonly effect: "NO_SCHEDULE" | "NO_EXECUTE" | "PREFER_NO_SCHEDULE";
}

/** Labels and taints a pool's nodes carry: the contract workloads schedule against. */
export function nodePoolScheduling(role: "system" | "gpu", gpuClass?: GpuClass): { labels: Record<string, string>; taints: NodeTaint[] } {
  if (role === "system") return { labels: { [NODE_ROLE_LABEL]: "system" }, taints: [] };
  return {
    labels: { [NODE_ROLE_LABEL]: "gpu", [GPU_CLASS_LABEL]: gpuClass ?? "", "nvidia.com/gpu.present": "true" },
    taints: [{ key: GPU_TAINT_KEY, value: "true", effect: "NO_SCHEDULE" }],
  };
}

const TAINT_EFFECT_K8S: Record<NodeTaint["effect"], string> = { NO_SCHEDULE: "NoSchedule", NO_EXECUTE: "NoExecute", PREFER_NO_SCHEDULE: "PreferNoSchedule" };

/**
 * ASG tags cluster-autoscaler reads to build a node template when a group is at zero, so a
 * pending pod that tolerates the GPU taint and selects gpu.class can still trigger a scale-up.
 * https://github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/cloudprovider/aws/README.md
 */
export function scaleFromZeroTags(labels: Record<string, string>, taints: readonly NodeTaint[], gpus: number): Record<string, string> {
  const prefix = "k8s.io/cluster-autoscaler/node-template";
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) tags[`${prefix}/label/${k}`] = v;
  for (const t of taints) tags[`${prefix}/taint/${t.key}`] = `${t.value}:${TAINT_EFFECT_K8S[t.effect]}`;
  if (gpus > 0) tags[`${prefix}/resources/nvidia.com/gpu`] = String(gpus);
  return tags;
}

/**
 * An EKS managed node group with a hardened launch template: IMDSv2 only with hop limit 1 (pods
 * cannot reach the node's credentials), no SSH key or remote access, an encrypted gp3 root
 * volume. GPU pools use the NVIDIA AL2023 AMI, carry the `nvidia.com/gpu=true:NoSchedule` taint
 * and the `gpu.class` label, and are tagged for cluster-autoscaler scale-from-zero.
 */
export class NodePool extends pulumi.ComponentResource {
  readonly nodeGroup: aws.eks.NodeGroup;
  readonly launchTemplate: aws.ec2.LaunchTemplate;
  /** GPUs per node (0 for the system pool). */
  readonly gpusPerNode: number;

  constructor(name: string, args: NodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = nodePoolProblems(args);
    if (problems.length > 0) throw new Error(`NodePool ${name}: invalid args:\n  - ${problems.join("\n  - ")}`);
    super("llm-blueprint:cluster:NodePool", name, {}, opts);

    const tags = args.tags ?? {};
    this.gpusPerNode = args.role === "gpu" ? (gpuInstanceSpec(args.instanceType)?.gpus ?? 0) : 0;
    const { labels, taints } = nodePoolScheduling(args.role, args.gpuClass);

    this.launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-lt`,
      {
        description: `EKS ${args.role} nodes (${args.instanceType})`,
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

    this.nodeGroup = new aws.eks.NodeGroup(
      `${name}-ng`,
      {
        clusterName: args.clusterName,
        nodeRoleArn: args.nodeRoleArn,
        subnetIds: args.subnetIds,
        version: args.kubernetesVersion,
        amiType: args.role === "gpu" ? GPU_AMI_TYPE : SYSTEM_AMI_TYPE,
        instanceTypes: [args.instanceType],
        capacityType: args.capacityType ?? "ON_DEMAND",
        scalingConfig: { minSize: args.minSize, maxSize: args.maxSize, desiredSize: args.desiredSize },
        updateConfig: { maxUnavailable: 1 },
        launchTemplate: { id: this.launchTemplate.id, version: pulumi.interpolate`${this.launchTemplate.latestVersion}` },
        labels,
        taints,
        tags: { ...tags, ...scaleFromZeroTags(labels, taints, this.gpusPerNode) },
      },
      // The autoscaler moves desiredSize; a later `pulumi up` must not fight it.
      { parent: this, ignoreChanges: ["scalingConfig.desiredSize"], dependsOn: args.waitFor ?? [] },
    );

    // Managed node groups do not copy their tags to the ASG, which is where cluster-autoscaler looks.
    const asgName = this.nodeGroup.resources.apply((r) => r[0]?.autoscalingGroups?.[0]?.name ?? "");
    for (const [key, value] of Object.entries(scaleFromZeroTags(labels, taints, this.gpusPerNode))) {
      const suffix = key.split("/").slice(2).join("-").replace(/[^A-Za-z0-9-]/g, "-");
      new aws.autoscaling.Tag(`${name}-${suffix}`, { autoscalingGroupName: asgName, tag: { key, value, propagateAtLaunch: false } }, { parent: this });
    }

    this.registerOutputs({ nodeGroupName: this.nodeGroup.nodeGroupName, launchTemplateId: this.launchTemplate.id, gpusPerNode: this.gpusPerNode });
  }
}
