import * as eks from "@pulumi/aws/eks";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as iam from "@pulumi/aws/iam";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KUBERNETES_BASELINES, NVIDIA_DEVICE_PLUGIN_CHART, SUPPORTED_KUBERNETES_VERSIONS } from "../lib/baseline";
import { GPU_CLASS_LABEL, GPU_TAINT_KEY } from "../lib/gpu";
import { pinnedRelease } from "../lib/helm";
import { managedPolicyArn, podIdentityTrust } from "../lib/iam";
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
   * Resources that must exist before anything here is installed: the system node pool, since
   * CoreDNS and the Helm releases need schedulable nodes. (A component's own `dependsOn` does not
   * hold back its children, so the wait is applied to each child.) @default []
   */
  readonly waitFor?: pulumi.Input<pulumi.Resource>[];
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/** Encrypted gp3 StorageClass for everything that keeps data on a volume (Prometheus, Alertmanager, Grafana). */
export const ENCRYPTED_STORAGE_CLASS = "gp3-encrypted";
export const ADDON_NAMESPACE = "kube-system";

const GPU_TOLERATION = { key: GPU_TAINT_KEY, operator: "Exists", effect: "NoSchedule" };
const SYSTEM_NODE_SELECTOR = { [NODE_ROLE_LABEL]: "system" };
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
 * StorageClass, the EKS node monitoring agent (node health conditions for auto repair, GPU XID and
 * DCGM errors included) and the NVIDIA device plugin, each pinned by version. GPU nodes come from
 * Karpenter (KarpenterGpuPools); there is no cluster-autoscaler. Pass the region's aws
 * provider and the cluster's kubernetes provider in `opts.providers`, and make it depend on the
 * system pool.
 */
export class ClusterAddons extends pulumi.ComponentResource {
  readonly devicePlugin: k8s.helm.v3.Release;
  readonly nodeMonitoringAgent: eks.Addon;
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

    new eks.Addon(
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
      .all([getCallerIdentityOutput({}, { parent: this }).accountId, args.clusterName])
      .apply(([accountId, clusterName]) => JSON.stringify(podIdentityTrust({ accountId, region: args.region, clusterName })));
    const ebsRole = new iam.Role(`${name}-ebs-csi`, { assumeRolePolicy: podTrust, tags }, { parent: this });
    const ebsPolicy = new iam.RolePolicyAttachment(`${name}-ebs-csi`, { role: ebsRole.name, policyArn: managedPolicyArn("service-role/AmazonEBSCSIDriverPolicy") }, { parent: this });
    const ebsCsi = new eks.Addon(
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

    // A DaemonSet on every node, GPU nodes included (the add-on tolerates all taints); its conditions
    // drive node auto repair of the system group and Karpenter's node repair of the GPU pools.
    this.nodeMonitoringAgent = new eks.Addon(
      `${name}-node-monitoring-agent`,
      {
        clusterName: args.clusterName,
        addonName: "eks-node-monitoring-agent",
        addonVersion: baseline.addons["eks-node-monitoring-agent"],
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
        tags,
      },
      { parent: this, dependsOn: waitFor },
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
      devicePluginStatus: this.devicePlugin.status,
    });
  }
}
