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
}

export interface HelmChartPin {
  readonly chart: string;
  readonly repo: string;
  readonly version: string;
}

export interface KubernetesBaseline {
  readonly addons: AddonVersions;
  readonly clusterAutoscaler: HelmChartPin;
  /**
   * cluster-autoscaler image tag: its minor must match the cluster's Kubernetes minor
   * (kubernetes/autoscaler cluster-autoscaler/README.md "Releases"), whatever the chart's appVersion is.
   */
  readonly clusterAutoscalerImageTag: string;
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
 * - cluster-autoscaler chart 9.59.0 (kubernetes/autoscaler tag cluster-autoscaler-chart-9.59.0, 2026-07-21,
 *   the newest chart in the mirror read 2026-11-25): appVersion 1.35.0 and no kubeVersion constraint; the
 *   image is set to v1.36.1 (tag cluster-autoscaler-1.36.1, 2026-07-22) so its minor matches the cluster.
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
    },
    clusterAutoscaler: { chart: "cluster-autoscaler", repo: "https://kubernetes.github.io/autoscaler", version: "9.59.0" },
    clusterAutoscalerImageTag: "v1.36.1",
  },
  "1.33": {
    addons: {
      "vpc-cni": "v1.20.4-eksbuild.1",
      coredns: "v1.12.3-eksbuild.1",
      "kube-proxy": "v1.33.3-eksbuild.6",
      "eks-pod-identity-agent": "v1.3.8-eksbuild.2",
      // managing-ebs-csi.html; confirm with `aws eks describe-addon-versions --addon-name aws-ebs-csi-driver --kubernetes-version 1.33`.
      "aws-ebs-csi-driver": "v1.48.0-eksbuild.2",
    },
    clusterAutoscaler: { chart: "cluster-autoscaler", repo: "https://kubernetes.github.io/autoscaler", version: "9.50.1" },
    // Chart 9.50.1's appVersion (kubernetes/autoscaler tag cluster-autoscaler-chart-9.50.1).
    clusterAutoscalerImageTag: "v1.33.0",
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
