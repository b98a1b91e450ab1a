/**
 * The pinned platform baseline: Kubernetes versions this blueprint supports and the EKS add-on and
 * Helm chart versions pinned for each. Changing a version is a reviewed code change here, never a
 * floating "latest"; the policy pack compares deployed resources against this same table.
 */

export interface AddonVersions {
  readonly "vpc-cni": string;
  readonly coredns: string;
  readonly "kube-proxy": string;
  readonly "eks-pod-identity-agent": string;
  /** Persistent volumes (Prometheus, Alertmanager, Grafana); EKS has no default CSI driver since 1.23. */
  readonly "aws-ebs-csi-driver": string;
  /** Node health conditions (GPU XID errors, DCGM, kernel, storage) that node auto repair acts on. */
  readonly "eks-node-monitoring-agent": string;
}

export interface HelmChartPin {
  readonly chart: string;
  readonly repo: string;
  readonly version: string;
}

export interface KubernetesBaseline {
  readonly addons: AddonVersions;
  /**
   * EKS-optimized AL2023 AMI release the GPU EC2NodeClasses pin ("al2023@v<release>"; Karpenter
   * resolves the NVIDIA variant for the cluster's minor). Never "latest": every AMI release would
   * drift and replace every GPU node.
   */
  readonly gpuNodeAmiAlias: string;
}

/**
 * One entry per Kubernetes minor a stack may pin, newest first (the policy pack matches a chart to the
 * first pin of its name). The committed stacks use DEFAULT_KUBERNETES_VERSION. Its support dates are in
 * lib/k8sCalendar.ts; the plan prices and warns by them.
 *
 * 1.36 (chosen 2026-11-25: the newest version on EKS, standard support until 2027-08-02, the longest runway):
 * - kube-proxy and CoreDNS: the EKS user guide add-on tables (managing-kube-proxy, managing-coredns; the
 *   newest copies read were the ja_jp .md pages, 2026-11-25) list v1.36.0-eksbuild.14 and v1.14.3-eksbuild.3 for 1.36.
 * - vpc-cni, eks-pod-identity-agent, aws-ebs-csi-driver: not tied to a Kubernetes minor; no table read
 *   here lists a 1.36 row, so these stay at the builds pinned for 1.33. Confirm before the first apply:
 *   `aws eks describe-addon-versions --kubernetes-version 1.36 --addon-name <name>`.
 * - GPU capacity is Karpenter (KARPENTER_CHART below, 1.14.1); its compatibility matrix
 *   (aws/karpenter-provider-aws website/content/en/v1.14/upgrading/compatibility.md at the v1.14.1 release
 *   commit, read 2026-11-25) needs >= 1.13 for Kubernetes 1.36 and >= 1.5 for 1.33. cluster-autoscaler is gone.
 * - gpuNodeAmiAlias al2023@v20260714: awslabs/amazon-eks-ami CHANGELOG.md "AMI Release v20260714" (the
 *   newest entry, read 2026-11-25) lists AL2023_x86_64_NVIDIA for Kubernetes 1.36 and for 1.33-1.35.
 * - eks-node-monitoring-agent: the agent's newest release is v1.7.0 (aws/eks-node-monitoring-agent,
 *   pkg.go.dev, published 2026-08-04); the EKS add-on build suffix is not in anything read here, so
 *   "v1.7.0-eksbuild.1" is the expected name. Confirm before the first apply:
 *   `aws eks describe-addon-versions --addon-name eks-node-monitoring-agent --kubernetes-version 1.36`.
 * - Other charts' kubeVersion constraints at their pins (read 2026-11-25) all admit 1.36: keda 2.19.0
 *   ">=v1.23.0-0", kube-prometheus-stack 81.6.2 ">=1.25.0-0", nvidia-device-plugin 0.17.4 ">= 1.10.0-0",
 *   dcgm-exporter 4.4.0 ">= 1.19.0-0"; gateway-helm v1.7.4, aws-load-balancer-controller 1.14.1 and
 *   aws-for-fluent-bit 0.2.0 declare none.
 * 1.33: kept so a stack still on it plans (EKS upgrades the control plane one minor at a time:
 * 1.33 -> 1.34 -> 1.35 -> 1.36); it left standard support on 2026-07-29, so the plan prices it at the
 * extended-support rate and blocks it in prod and staging.
 */
// 1.33 add-on builds from the EKS user guide add-on version tables, read 2026-11-25
// (docs.aws.amazon.com/eks/latest/userguide/managing-{vpc-cni,coredns,kube-proxy}.html, pod-id-agent-setup.html).
export const KUBERNETES_BASELINES: Readonly<Record<string, KubernetesBaseline>> = {
  "1.36": {
    addons: {
      "vpc-cni": "v1.20.4-eksbuild.1",
      coredns: "v1.14.3-eksbuild.3",
      "kube-proxy": "v1.36.0-eksbuild.14",
      "eks-pod-identity-agent": "v1.3.8-eksbuild.2",
      "aws-ebs-csi-driver": "v1.48.0-eksbuild.2",
      "eks-node-monitoring-agent": "v1.7.0-eksbuild.1",
    },
    gpuNodeAmiAlias: "al2023@v20260714",
  },
  "1.33": {
    addons: {
      "vpc-cni": "v1.20.4-eksbuild.1",
      coredns: "v1.12.3-eksbuild.1",
      "kube-proxy": "v1.33.3-eksbuild.6",
      "eks-pod-identity-agent": "v1.3.8-eksbuild.2",
      // managing-ebs-csi.html; confirm with `aws eks describe-addon-versions --addon-name aws-ebs-csi-driver --kubernetes-version 1.33`.
      "aws-ebs-csi-driver": "v1.48.0-eksbuild.2",
      "eks-node-monitoring-agent": "v1.7.0-eksbuild.1",
    },
    gpuNodeAmiAlias: "al2023@v20260714",
  },
};

/** The version the committed stacks pin (platform/stacks/Pulumi.<stack>.yaml cluster.kubernetesVersion). */
export const DEFAULT_KUBERNETES_VERSION = "1.36";

export const SUPPORTED_KUBERNETES_VERSIONS = Object.keys(KUBERNETES_BASELINES);

/** NVIDIA device plugin: advertises nvidia.com/gpu on GPU nodes. https://github.com/NVIDIA/k8s-device-plugin */
export const NVIDIA_DEVICE_PLUGIN_CHART: HelmChartPin = {
  chart: "nvidia-device-plugin",
  repo: "https://nvidia.github.io/k8s-device-plugin",
  version: "0.17.4",
};

/**
 * Karpenter, the GPU node provisioner, and its CRDs as their own release (Helm never upgrades a chart's
 * crds/ directory). aws/karpenter-provider-aws charts/karpenter{,-crd}/Chart.yaml at the v1.14.1 release
 * commit 1d927085d (2026-08-21), read 2026-11-25; published at oci://public.ecr.aws/karpenter.
 */
export const KARPENTER_CHART: HelmChartPin = { chart: "oci://public.ecr.aws/karpenter/karpenter", repo: "", version: "1.14.1" };
export const KARPENTER_CRD_CHART: HelmChartPin = { chart: "oci://public.ecr.aws/karpenter/karpenter-crd", repo: "", version: "1.14.1" };

/** Control-plane log types; all of them are always enabled. */
export const EKS_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

/** Retention values CloudWatch Logs accepts (PutRetentionPolicy API reference, read 2026-11-25). */
export const CLOUDWATCH_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * Envoy Gateway: the Gateway API implementation that carries canary weights and request mirroring.
 * Its chart installs the Gateway API CRDs. Chart versions from the envoyproxy Docker Hub OCI
 * listings, read 2026-11-25.
 */
export const ENVOY_GATEWAY_CHART: HelmChartPin = {
  chart: "oci://docker.io/envoyproxy/gateway-helm",
  repo: "",
  version: "v1.7.4",
};

/**
 * Flagger: progressive delivery of model versions (canary steps on the HTTPRoute, gate metrics from
 * Prometheus, rollback). fluxcd/flagger v1.44.0 (commit 15bd6ad5), charts/flagger/Chart.yaml version
 * 1.44.0 (appVersion 1.44.0; its crds/ directory installs the Canary, MetricTemplate and AlertProvider
 * CRDs) and charts/loadtester 0.38.0 (runs the pre-rollout approval gate), read 2026-11-25.
 */
export const FLAGGER_CHART: HelmChartPin = { chart: "flagger", repo: "https://flagger.app", version: "1.44.0" };
export const FLAGGER_LOADTESTER_CHART: HelmChartPin = { chart: "loadtester", repo: "https://flagger.app", version: "0.38.0" };

/** KEDA: scales vLLM Deployments on Prometheus queries. https://github.com/kedacore/charts, read 2026-11-25. */
export const KEDA_CHART: HelmChartPin = {
  chart: "keda",
  repo: "https://kedacore.github.io/charts",
  version: "2.19.0",
};

/**
 * AWS Load Balancer Controller: registers the gateway's pods in the regional NLB's target group
 * (TargetGroupBinding). https://github.com/aws/eks-charts, read 2026-11-25.
 */
export const AWS_LOAD_BALANCER_CONTROLLER_CHART: HelmChartPin = {
  chart: "aws-load-balancer-controller",
  repo: "https://aws.github.io/eks-charts",
  version: "1.14.1",
};

/** TLS policy of the regional listeners: TLS 1.3 and 1.2 only (ELB security policies, read 2026-11-25). */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/**
 * Observability charts (each chart repo's Chart.yaml / index, read 2026-11-25). The plan cannot reach
 * the repositories; `helm search repo <chart> --versions` confirms a pin before an upgrade.
 * - kube-prometheus-stack: Prometheus Operator, Prometheus, Alertmanager, Grafana, node exporter, kube-state-metrics.
 * - dcgm-exporter: NVIDIA GPU telemetry (github.com/NVIDIA/dcgm-exporter, deployment/).
 * - aws-for-fluent-bit: container logs to CloudWatch Logs (github.com/aws/eks-charts).
 */
export const KUBE_PROMETHEUS_STACK_CHART: HelmChartPin = {
  chart: "kube-prometheus-stack",
  repo: "https://prometheus-community.github.io/helm-charts",
  version: "81.6.2",
};
export const DCGM_EXPORTER_CHART: HelmChartPin = {
  chart: "dcgm-exporter",
  repo: "https://nvidia.github.io/dcgm-exporter/helm-charts",
  version: "4.4.0",
};
// 0.2.0, not 0.2.1: no 0.2.1 exists upstream. aws/eks-charts stable/aws-for-fluent-bit/Chart.yaml history and
// the gh-pages index.yaml (read 2026-11-25, snapshot of 2026-08-03) list 0.2.0 (AWS for Fluent Bit 3.2.1,
// commit 2942cdc) as the newest release.
export const FLUENT_BIT_CHART: HelmChartPin = {
  chart: "aws-for-fluent-bit",
  repo: "https://aws.github.io/eks-charts",
  version: "0.2.0",
};
