import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KUBERNETES_BASELINES, NVIDIA_DEVICE_PLUGIN_CHART, SUPPORTED_KUBERNETES_VERSIONS } from "../lib/baseline";
import { GPU_CLASS_LABEL, GPU_TAINT_KEY } from "../lib/gpu";
import { pinnedRelease } from "../lib/helm";
import { managedPolicyArn, podIdentityTrust, policyDocument, PolicyDocument } from "../lib/iam";
import { podSecurityMetadata } from "../lib/podSecurity";
import { declareNetworkPolicies } from "./networkPolicies";
import { NODE_ROLE_LABEL } from "./NodePool";

export interface ClusterAddonsArgs {
  /** EKS cluster the add-ons go into. */
  readonly clusterName: pulumi.Input<string>;
  /** Static physical name, used where an input cannot wait for the cluster (IAM conditions). */
  readonly clusterNameLiteral: string;
  readonly region: string;
  /** Selects the pinned add-on and chart versions from KUBERNETES_BASELINES. */
  readonly kubernetesVersion: string;
  /**
   * Time a node must be unneeded before cluster-autoscaler removes it. GPU nodes are slow and
   * expensive to bring back, so the default is long. @default "10m"
   */
  readonly scaleDownUnneededTime?: string;
  /**
   * Resources that must exist before anything here is installed: the system node pool, since
   * CoreDNS and the Helm releases need schedulable nodes. (A component's own `dependsOn` does not
   * hold back its children, so the wait is applied to each child.) @default []
   */
  readonly waitFor?: pulumi.Input<pulumi.Resource>[];
  /** @default {} */
  readonly tags?: Record<string, string>;
}

export const CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler";
/** Encrypted gp3 StorageClass for everything that keeps data on a volume (Prometheus, Alertmanager, Grafana). */
export const ENCRYPTED_STORAGE_CLASS = "gp3-encrypted";
export const ADDON_NAMESPACE = "kube-system";

/**
 * Least-privilege cluster-autoscaler policy (autoscaler's AWS README): reads are account-wide
 * because the Describe APIs have no resource scoping; the two mutating calls only work on ASGs
 * that EKS tagged as owned by this cluster.
 */
export function clusterAutoscalerPolicy(clusterName: string): PolicyDocument {
  return policyDocument(
    {
      Sid: "Describe",
      Effect: "Allow",
      Action: [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DescribeLaunchConfigurations",
        "autoscaling:DescribeScalingActivities",
        "autoscaling:DescribeTags",
        "ec2:DescribeImages",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:GetInstanceTypesFromInstanceRequirements",
        "eks:DescribeNodegroup",
      ],
      Resource: "*",
    },
    {
      Sid: "ScaleOwnedGroups",
      Effect: "Allow",
      Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
      Resource: "*",
      Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" } },
    },
  );
}

const GPU_TOLERATION = { key: GPU_TAINT_KEY, operator: "Exists", effect: "NoSchedule" };
const SYSTEM_NODE_SELECTOR = { [NODE_ROLE_LABEL]: "system" };
const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
};

/** Helm values for cluster-autoscaler: autodiscovery of this cluster's groups, on system nodes. */
export function clusterAutoscalerValues(clusterName: string, region: string, scaleDownUnneededTime: string): Record<string, unknown> {
  return {
    autoDiscovery: { clusterName },
    awsRegion: region,
    cloudProvider: "aws",
    rbac: { serviceAccount: { create: true, name: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT } },
    nodeSelector: SYSTEM_NODE_SELECTOR,
    replicaCount: 1,
    extraArgs: {
      "balance-similar-node-groups": true,
      expander: "least-waste",
      "scale-down-unneeded-time": scaleDownUnneededTime,
      "skip-nodes-with-local-storage": false,
    },
    securityContext: { runAsNonRoot: true, runAsUser: 65534, fsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
    containerSecurityContext: RESTRICTED_CONTAINER,
    resources: { requests: { cpu: "100m", memory: "300Mi" }, limits: { memory: "600Mi" } },
  };
}

/** Helm values for the NVIDIA device plugin: only on GPU nodes, tolerating their taint. */
export function devicePluginValues(): Record<string, unknown> {
  return {
    tolerations: [GPU_TOLERATION],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: GPU_CLASS_LABEL, operator: "Exists" }] }],
        },
      },
    },
    priorityClassName: "system-node-critical",
  };
}

/**
 * Add-ons that need schedulable nodes: managed CoreDNS, the EBS CSI driver with an encrypted gp3
 * StorageClass, cluster-autoscaler (EKS Pod Identity, tag-scoped IAM) and the NVIDIA device
 * plugin, each pinned by version. Pass the region's aws
 * provider and the cluster's kubernetes provider in `opts.providers`, and make it depend on the
 * system pool.
 */
export class ClusterAddons extends pulumi.ComponentResource {
  readonly clusterAutoscaler: k8s.helm.v3.Release;
  readonly devicePlugin: k8s.helm.v3.Release;
  readonly clusterAutoscalerRole: aws.iam.Role;
  /** The encrypted gp3 StorageClass; volume claims that use it wait for it. */
  readonly storageClass: k8s.storage.v1.StorageClass;

  constructor(name: string, args: ClusterAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
    const baseline = KUBERNETES_BASELINES[args.kubernetesVersion];
    if (!baseline) {
      throw new Error(`ClusterAddons ${name}: kubernetesVersion "${args.kubernetesVersion}" has no pinned baseline; allowed: ${SUPPORTED_KUBERNETES_VERSIONS.join(", ")}`);
    }
    super("llm-blueprint:cluster:ClusterAddons", name, {}, opts);
    const tags = args.tags ?? {};
    const waitFor = args.waitFor ?? [];

    new aws.eks.Addon(
      `${name}-coredns`,
      {
        clusterName: args.clusterName,
        addonName: "coredns",
        addonVersion: baseline.addons.coredns,
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
        configurationValues: JSON.stringify({ nodeSelector: SYSTEM_NODE_SELECTOR }),
        tags,
      },
      { parent: this, dependsOn: waitFor },
    );

    // EBS CSI driver (managed add-on, AWS managed policy through Pod Identity) and an encrypted gp3
    // class that keeps volumes when claims go: a deleted Prometheus release must not take its data.
    // Pod Identity roles of this cluster only (lib/iam.ts podIdentityTrust).
    const podTrust = pulumi
      .all([aws.getCallerIdentityOutput({}, { parent: this }).accountId, args.clusterName])
      .apply(([accountId, clusterName]) => JSON.stringify(podIdentityTrust({ accountId, region: args.region, clusterName })));
    const ebsRole = new aws.iam.Role(`${name}-ebs-csi`, { assumeRolePolicy: podTrust, tags }, { parent: this });
    const ebsPolicy = new aws.iam.RolePolicyAttachment(`${name}-ebs-csi`, { role: ebsRole.name, policyArn: managedPolicyArn("service-role/AmazonEBSCSIDriverPolicy") }, { parent: this });
    const ebsCsi = new aws.eks.Addon(
      `${name}-ebs-csi`,
      {
        clusterName: args.clusterName,
        addonName: "aws-ebs-csi-driver",
        addonVersion: baseline.addons["aws-ebs-csi-driver"],
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
        podIdentityAssociations: [{ roleArn: ebsRole.arn, serviceAccount: "ebs-csi-controller-sa" }],
        configurationValues: JSON.stringify({ controller: { nodeSelector: SYSTEM_NODE_SELECTOR } }),
        tags,
      },
      { parent: this, dependsOn: [ebsPolicy, ...waitFor] },
    );
    this.storageClass = new k8s.storage.v1.StorageClass(
      `${name}-gp3-encrypted`,
      {
        metadata: { name: ENCRYPTED_STORAGE_CLASS },
        provisioner: "ebs.csi.aws.com",
        parameters: { type: "gp3", encrypted: "true" },
        reclaimPolicy: "Retain",
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
      },
      { parent: this, dependsOn: [ebsCsi] },
    );

    this.clusterAutoscalerRole = new aws.iam.Role(`${name}-cluster-autoscaler`, { assumeRolePolicy: podTrust, tags }, { parent: this });
    new aws.iam.RolePolicy(
      `${name}-cluster-autoscaler`,
      { role: this.clusterAutoscalerRole.name, policy: JSON.stringify(clusterAutoscalerPolicy(args.clusterNameLiteral)) },
      { parent: this },
    );
    const association = new aws.eks.PodIdentityAssociation(
      `${name}-cluster-autoscaler`,
      { clusterName: args.clusterName, namespace: ADDON_NAMESPACE, serviceAccount: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT, roleArn: this.clusterAutoscalerRole.arn, tags },
      { parent: this },
    );
    this.clusterAutoscaler = pinnedRelease(
      `${name}-cluster-autoscaler`,
      baseline.clusterAutoscaler,
      ADDON_NAMESPACE,
      // The image minor follows the cluster minor, not the chart's appVersion (lib/baseline.ts).
      { ...clusterAutoscalerValues(args.clusterNameLiteral, args.region, args.scaleDownUnneededTime ?? "10m"), image: { tag: baseline.clusterAutoscalerImageTag } },
      { parent: this, dependsOn: [association, ...waitFor] },
    );

    const pluginNamespace = new k8s.core.v1.Namespace(
      `${name}-nvidia-device-plugin`,
      {
        metadata: podSecurityMetadata("nvidia-device-plugin", "privileged", {
          // nvidia/k8s-device-plugin v0.17.4 templates/daemonset-device-plugin.yml: hostPath volumes.
          reason: "the device plugin mounts hostPath /var/lib/kubelet/device-plugins (its kubelet socket), the MPS root and /var/run/cdi",
        }),
      },
      { parent: this, dependsOn: waitFor },
    );
    // Default deny only: the plugin speaks to the kubelet over the hostPath socket and gets no
    // service account without a config map, so it needs no network flow.
    declareNetworkPolicies(`${name}-nvidia-device-plugin`, pluginNamespace.metadata.name, [], { parent: this, dependsOn: waitFor });
    this.devicePlugin = pinnedRelease(`${name}-nvidia-device-plugin`, NVIDIA_DEVICE_PLUGIN_CHART, pluginNamespace.metadata.name, devicePluginValues(), { parent: this, dependsOn: waitFor });

    this.registerOutputs({
      clusterAutoscalerRoleArn: this.clusterAutoscalerRole.arn,
      clusterAutoscalerStatus: this.clusterAutoscaler.status,
      devicePluginStatus: this.devicePlugin.status,
    });
  }
}
