import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as eks from "@pulumi/aws/eks";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as iam from "@pulumi/aws/iam";
import * as kms from "@pulumi/aws/kms";
import * as sns from "@pulumi/aws/sns";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DCGM_EXPORTER_CHART, FLUENT_BIT_CHART, KUBE_PROMETHEUS_STACK_CHART } from "../lib/baseline";
import { GPU_CLASS_LABEL, GPU_TAINT_KEY } from "../lib/gpu";
import { pinnedRelease } from "../lib/helm";
import { logGroupKeyPolicy, logWritePolicy, podIdentityTrust, policyDocument, PolicyDocument } from "../lib/iam";
import {
  AlertRule,
  AlertSettings,
  EKS_UNSERVED_RULE_GROUPS,
  EndpointAlertsInput,
  endpointAlerts,
  ENVOY_PROXY_METRICS,
  fleetAlerts,
  GATEWAY_KEPT_METRICS_REGEX,
  GATEWAY_ROUTE_CLUSTER_REGEX,
  gpuFleetDashboard,
  SERIES_LABEL,
  servingDashboard,
} from "../lib/observability";
import { LABEL } from "../lib/serving";
import { ENCRYPTED_STORAGE_CLASS } from "./ClusterAddons";
import { monitoringPolicies, nodeAgentPolicies } from "../lib/networkPolicy";
import { podSecurityMetadata } from "../lib/podSecurity";
import { declareNetworkPolicies } from "./networkPolicies";
import { NODE_ROLE_LABEL } from "./NodePool";
import { ENVOY_GATEWAY_NAMESPACE, GATEWAY_NAME, GATEWAY_NAMESPACE, KEDA_NAMESPACE } from "./ServingAddons";

export const MONITORING_NAMESPACE = "monitoring";
/**
 * The per-node agents that read the host (node exporter, dcgm-exporter, Fluent Bit) run apart from
 * Prometheus and its peers, so only they get a privileged namespace and monitoring stays restricted.
 */
export const NODE_AGENTS_NAMESPACE = "monitoring-node-agents";
/** dcgm-exporter's metrics port (NVIDIA/dcgm-exporter chart 4.4.0 values.yaml service.port). */
const DCGM_EXPORTER_PORT = 9400;
export const ALERTMANAGER_SERVICE_ACCOUNT = "alertmanager";
export const FLUENT_BIT_SERVICE_ACCOUNT = "fluent-bit";
/** Secret mounted into Alertmanager at /etc/alertmanager/secrets/<name>/ (alertmanagerSpec.secrets). */
export const RECEIVER_SECRET = "alertmanager-receiver";
const RECEIVER_SECRET_FILE = `/etc/alertmanager/secrets/${RECEIVER_SECRET}/secret`;

export type AlertReceiver = { readonly type: "sns" } | { readonly type: "slack"; readonly channel: string } | { readonly type: "pagerduty" };

export interface ObservabilityArgs {
  /** EKS cluster the stack goes into. */
  readonly clusterName: pulumi.Input<string>;
  /** Static cluster name, for log group names and external labels known at preview. */
  readonly clusterNameLiteral: string;
  readonly region: string;
  /** Prometheus retention in days. @default 15 */
  readonly retentionDays?: number;
  /** Prometheus volume size (encrypted gp3). @default 100 */
  readonly storageGiB?: number;
  /** CloudWatch retention of container logs, days. @default 90 */
  readonly logRetentionDays?: number;
  /** Where Alertmanager sends alerts. @default { type: "sns" }: an encrypted SNS topic created here */
  readonly receiver?: AlertReceiver;
  /** Slack webhook URL or PagerDuty routing key; required for those receivers. Pass a Pulumi secret. */
  readonly receiverSecret?: pulumi.Input<string>;
  /** Email subscriptions of the SNS topic. @default [] */
  readonly alertEmails?: readonly string[];
  /** SLO alerts per served endpoint in this cluster. @default [] */
  readonly endpoints?: readonly EndpointAlertsInput[];
  /** Thresholds and windows of the fleet alerts. */
  readonly alerts: AlertSettings;
  /**
   * Grafana admin password. @default a generated 32-character password (needs a random provider in
   * `opts.providers`), kept in a Kubernetes Secret, never in Helm values
   */
  readonly grafanaAdminPassword?: pulumi.Input<string>;
  /** StorageClass of the Prometheus, Alertmanager and Grafana volumes. @default "gp3-encrypted" (ClusterAddons) */
  readonly storageClassName?: string;
  /** Resources to wait for: the system node pool and the StorageClass. @default [] */
  readonly waitFor?: pulumi.Input<pulumi.Resource>[];
  /** @default {} */
  readonly tags?: Record<string, string>;
}

const SYSTEM_NODES = { [NODE_ROLE_LABEL]: "system" };
const GPU_TOLERATION = { key: GPU_TAINT_KEY, operator: "Exists", effect: "NoSchedule" };
const ON_GPU_NODES = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: GPU_CLASS_LABEL, operator: "Exists" }] }] } } };

/** Alertmanager may publish to its topic and use the topic's key, nothing else. */
export function alertPublishPolicy(topicArn: string, keyArn: string): PolicyDocument {
  return policyDocument(
    { Sid: "Publish", Effect: "Allow", Action: "sns:Publish", Resource: topicArn },
    { Sid: "TopicKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: keyArn },
  );
}


/** Alertmanager receiver config; secrets are read from the mounted file, never inlined. */
export function alertmanagerConfig(receiver: AlertReceiver, region: string, topicArn?: pulumi.Input<string>): Record<string, unknown> {
  const title = '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} {{ .CommonLabels.endpoint }} ({{ .CommonLabels.region }})';
  const text = "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}";
  let main: Record<string, unknown>;
  switch (receiver.type) {
    case "sns":
      main = { name: "default", sns_configs: [{ topic_arn: topicArn, sigv4: { region }, subject: title, message: text, send_resolved: true }] };
      break;
    case "slack":
      main = { name: "default", slack_configs: [{ api_url_file: RECEIVER_SECRET_FILE, channel: receiver.channel, title, text, send_resolved: true }] };
      break;
    case "pagerduty":
      main = { name: "default", pagerduty_configs: [{ routing_key_file: RECEIVER_SECRET_FILE, description: title, send_resolved: true }] };
      break;
  }
  return {
    route: {
      receiver: "default",
      group_by: ["alertname", "endpoint", "region"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
      // The chart's always-firing heartbeat and info inhibitor must not page anyone.
      routes: [{ matchers: ['alertname=~"Watchdog|InfoInhibitor"'], receiver: "null" }],
    },
    receivers: [{ name: "null" }, main],
  };
}

/** Helm values of kube-prometheus-stack: everything on system nodes, sized from config, external labels. */
export function kubePrometheusStackValues(o: {
  clusterName: string;
  region: string;
  retentionDays: number;
  storageGiB: number;
  storageClassName: string;
  alertmanager: Record<string, unknown>;
  receiverSecret: boolean;
  grafanaAdminSecret: pulumi.Input<string>;
}): Record<string, unknown> {
  const volume = (gib: number) => ({ volumeClaimTemplate: { spec: { storageClassName: o.storageClassName, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${gib}Gi` } } } } });
  return {
    crds: { enabled: true },
    // EKS runs these in its managed control plane or binds them to the node's loopback: their
    // targets never come up and the chart's Down alerts would fire forever (EKS_SCRAPE_REACHABILITY).
    kubeControllerManager: { enabled: false },
    kubeScheduler: { enabled: false },
    kubeEtcd: { enabled: false },
    kubeProxy: { enabled: false },
    defaultRules: { rules: Object.fromEntries(EKS_UNSERVED_RULE_GROUPS.map((g) => [g, false])) },
    prometheusOperator: { nodeSelector: SYSTEM_NODES, admissionWebhooks: { patch: { nodeSelector: SYSTEM_NODES } } },
    prometheus: {
      prometheusSpec: {
        nodeSelector: SYSTEM_NODES,
        retention: `${o.retentionDays}d`,
        // Leave headroom on the volume: Prometheus needs space to compact.
        retentionSize: `${Math.floor(o.storageGiB * 0.85)}GB`,
        storageSpec: volume(o.storageGiB),
        externalLabels: { region: o.region, cluster: o.clusterName },
        // Select every ServiceMonitor, PodMonitor and PrometheusRule, not only the chart's own.
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        resources: { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "6Gi" } },
      },
    },
    alertmanager: {
      serviceAccount: { create: true, name: ALERTMANAGER_SERVICE_ACCOUNT },
      config: o.alertmanager,
      alertmanagerSpec: {
        nodeSelector: SYSTEM_NODES,
        storage: volume(10),
        ...(o.receiverSecret ? { secrets: [RECEIVER_SECRET] } : {}),
      },
    },
    grafana: {
      nodeSelector: SYSTEM_NODES,
      admin: { existingSecret: o.grafanaAdminSecret, userKey: "admin-user", passwordKey: "admin-password" },
      persistence: { enabled: true, type: "pvc", storageClassName: o.storageClassName, size: "10Gi" },
      // The chart's chown init container runs as root with CHOWN (grafana-community/helm-charts
      // grafana-11.1.1 values.yaml initChownData), which restricted Pod Security refuses; the pod's
      // fsGroup 472 already gives Grafana its volume.
      initChownData: { enabled: false },
      // Dashboards come from ConfigMaps labelled grafana_dashboard=1 in any namespace.
      sidecar: { dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" } },
      "grafana.ini": { users: { allow_sign_up: false }, auth: { disable_login_form: false }, "auth.anonymous": { enabled: false } },
    },
    "kube-state-metrics": {
      nodeSelector: SYSTEM_NODES,
      // Node labels on kube_node_labels, so GPU series can be sliced by pool and class.
      metricLabelsAllowlist: [`nodes=[${GPU_CLASS_LABEL},eks.amazonaws.com/nodegroup,node.kubernetes.io/instance-type]`],
    },
    // node exporter runs everywhere, GPU nodes included.
    // Host network, host PID and the host's root filesystem: with the other node agents.
    "prometheus-node-exporter": { tolerations: [GPU_TOLERATION], namespaceOverride: NODE_AGENTS_NAMESPACE },
  };
}

/** Helm values of dcgm-exporter: only on GPU nodes, scraped with the GPU's pod labels kept. */
export function dcgmExporterValues(region: string): Record<string, unknown> {
  return {
    tolerations: [GPU_TOLERATION],
    affinity: ON_GPU_NODES,
    serviceMonitor: {
      enabled: true,
      interval: "15s",
      // dcgm-exporter labels each GPU with the pod using it (pod, namespace); keep those, not the exporter's.
      honorLabels: true,
      relabelings: [
        { sourceLabels: ["__meta_kubernetes_pod_node_name"], targetLabel: SERIES_LABEL.node, action: "replace" },
        { targetLabel: SERIES_LABEL.region, replacement: region, action: "replace" },
      ],
    },
  };
}

/** Helm values of aws-for-fluent-bit: every node's container logs into one pre-created log group. */
export function fluentBitValues(region: string, logGroupName: string): Record<string, unknown> {
  return {
    serviceAccount: { create: true, name: FLUENT_BIT_SERVICE_ACCOUNT },
    cloudWatchLogs: {
      enabled: true,
      region,
      logGroupName,
      // One group per cluster with retention and KMS set here; the plugin must not create others.
      logGroupTemplate: "",
      autoCreateGroup: false,
      logStreamPrefix: "",
      logStreamTemplate: "$kubernetes['namespace_name'].$kubernetes['pod_name'].$kubernetes['container_name']",
    },
    tolerations: [GPU_TOLERATION, { key: "CriticalAddonsOnly", operator: "Exists" }],
    priorityClassName: "system-node-critical",
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
  };
}

/** Scrapes every vLLM pod in any namespace, carrying its version labels and the region onto the series. */
export function vllmPodMonitorSpec(region: string): Record<string, unknown> {
  return {
    selector: { matchLabels: { "app.kubernetes.io/name": "vllm" } },
    namespaceSelector: { any: true },
    // The instance label tells Flagger's primary, the rollout's canary and the shadow apart (lib/rollout.ts).
    podTargetLabels: [LABEL.endpoint, LABEL.track, LABEL.model, LABEL.revision, "app.kubernetes.io/instance"],
    podMetricsEndpoints: [
      { port: "http", path: "/metrics", interval: "15s", relabelings: [{ targetLabel: SERIES_LABEL.region, replacement: region, action: "replace" }] },
    ],
  };
}

/**
 * Scrapes the inference Gateway's Envoy proxies (where Envoy Gateway puts them: its own namespace),
 * keeping only the request counters the SLO reads, and names each live route's series after its
 * endpoint: a ModelEndpoint's HTTPRoute is `<endpoint>/<endpoint>`, so the route name is the endpoint.
 */
export function envoyProxyPodMonitorSpec(region: string): Record<string, unknown> {
  return {
    selector: { matchLabels: ENVOY_PROXY_METRICS.podLabels(GATEWAY_NAMESPACE, GATEWAY_NAME) },
    namespaceSelector: { matchNames: [ENVOY_GATEWAY_NAMESPACE] },
    podMetricsEndpoints: [
      {
        port: ENVOY_PROXY_METRICS.port,
        path: ENVOY_PROXY_METRICS.path,
        interval: "15s",
        relabelings: [{ targetLabel: SERIES_LABEL.region, replacement: region, action: "replace" }],
        metricRelabelings: [
          { sourceLabels: ["__name__"], regex: GATEWAY_KEPT_METRICS_REGEX, action: "keep" },
          { sourceLabels: ["envoy_cluster_name"], regex: GATEWAY_ROUTE_CLUSTER_REGEX, targetLabel: SERIES_LABEL.endpoint, replacement: "$2", action: "replace" },
        ],
      },
    ],
  };
}

/** PrometheusRule groups: one per endpoint (from its SLO) and one for the fleet. */
export function alertGroups(endpoints: readonly EndpointAlertsInput[], settings: AlertSettings): { name: string; rules: AlertRule[] }[] {
  return [...endpoints.map((e) => ({ name: `llm-slo-${e.endpoint}`, rules: endpointAlerts(e, settings) })), { name: "llm-fleet", rules: fleetAlerts(settings) }];
}

/**
 * Metrics, dashboards, alerts and logs for one cluster: kube-prometheus-stack on the system pool,
 * dcgm-exporter on the GPU pools, a PodMonitor for every vLLM pod, SLO alert rules, Grafana
 * dashboards as ConfigMaps, Alertmanager routed to an encrypted SNS topic (or Slack / PagerDuty),
 * and container logs shipped to a KMS-encrypted CloudWatch log group. Pass the region's aws
 * provider, the cluster's kubernetes provider and (unless grafanaAdminPassword is given) a random
 * provider in `opts.providers`.
 */
export class Observability extends pulumi.ComponentResource {
  readonly prometheusStack: k8s.helm.v3.Release;
  readonly dcgmExporter: k8s.helm.v3.Release;
  readonly fluentBit: k8s.helm.v3.Release;
  readonly alertRule: k8s.apiextensions.CustomResource;
  readonly alertTopicArn?: pulumi.Output<string>;
  readonly logGroupName: string;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    const receiver = args.receiver ?? { type: "sns" };
    if (receiver.type !== "sns" && args.receiverSecret === undefined) throw new Error(`Observability ${name}: a ${receiver.type} receiver needs receiverSecret`);
    super("llm-blueprint:observability:Observability", name, {}, opts);
    const tags = args.tags ?? {};
    const waitFor = args.waitFor ?? [];
    const account = getCallerIdentityOutput({}, { parent: this }).accountId;
    // Pod Identity roles of this cluster only (lib/iam.ts podIdentityTrust).
    const podTrust = pulumi
      .all([account, args.clusterName])
      .apply(([accountId, clusterName]) => JSON.stringify(podIdentityTrust({ accountId, region: args.region, clusterName })));
    this.logGroupName = `/aws/eks/${args.clusterNameLiteral}/containers`;

    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      // node exporter, dcgm-exporter and Fluent Bit read the host (hostPath, hostPID, SYS_ADMIN).
      { metadata: podSecurityMetadata(MONITORING_NAMESPACE, "restricted") },
      { parent: this, dependsOn: waitFor },
    );
    const ns = namespace.metadata.name;
    const agentsNamespace = new k8s.core.v1.Namespace(
      `${name}-node-agents`,
      {
        metadata: podSecurityMetadata(NODE_AGENTS_NAMESPACE, "privileged", {
          // prometheus-node-exporter 4.51.1 values.yaml (hostNetwork, hostPID, hostRootFsMount); dcgm-exporter
          // chart 4.4.0 values.yaml (runAsUser 0, SYS_ADMIN, hostPath pod-resources); aws-for-fluent-bit 0.2.0 values.yaml (hostPath /var/log).
          reason: "node exporter uses the host network, host PID and root filesystem; dcgm-exporter runs as root with SYS_ADMIN and hostPath /var/lib/kubelet/pod-resources; Fluent Bit reads hostPath /var/log",
        }),
      },
      { parent: this, dependsOn: waitFor },
    );
    const agentsNs = agentsNamespace.metadata.name;
    const flows = [
      ...declareNetworkPolicies(`${name}-monitoring`, ns, monitoringPolicies({ release: "kube-prometheus-stack", kedaNamespace: KEDA_NAMESPACE }), { parent: this, dependsOn: waitFor }),
      ...declareNetworkPolicies(
        `${name}-node-agents`,
        agentsNs,
        nodeAgentPolicies({ monitoringNamespace: MONITORING_NAMESPACE, dcgmRelease: "dcgm-exporter", fluentBitRelease: "aws-for-fluent-bit", dcgmPort: DCGM_EXPORTER_PORT }),
        { parent: this, dependsOn: waitFor },
      ),
    ];

    // One key for the alert topic and the container logs; kept on destroy because logs outlive the stack.
    const key = new kms.Key(
      `${name}-key`,
      {
        description: `Alert topic and container logs of ${args.clusterNameLiteral}`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: account.apply((id) => JSON.stringify(logGroupKeyPolicy(id, args.region, this.logGroupName))),
        tags,
      },
      { parent: this, retainOnDelete: true },
    );

    // Alert delivery.
    let topicArn: pulumi.Output<string> | undefined;
    if (receiver.type === "sns") {
      const topic = new sns.Topic(`${name}-alerts`, { kmsMasterKeyId: key.arn, tags }, { parent: this });
      topicArn = topic.arn;
      for (const [i, email] of (args.alertEmails ?? []).entries()) {
        new sns.TopicSubscription(`${name}-alerts-email-${i}`, { topic: topic.arn, protocol: "email", endpoint: email }, { parent: this });
      }
      const role = new iam.Role(`${name}-alertmanager`, { assumeRolePolicy: podTrust, tags }, { parent: this });
      new iam.RolePolicy(`${name}-alertmanager`, { role: role.name, policy: pulumi.all([topic.arn, key.arn]).apply(([t, k]) => JSON.stringify(alertPublishPolicy(t, k))) }, { parent: this });
      new eks.PodIdentityAssociation(
        `${name}-alertmanager`,
        { clusterName: args.clusterName, namespace: MONITORING_NAMESPACE, serviceAccount: ALERTMANAGER_SERVICE_ACCOUNT, roleArn: role.arn, tags },
        { parent: this },
      );
    }
    this.alertTopicArn = topicArn;
    const receiverSecret =
      args.receiverSecret === undefined
        ? undefined
        : new k8s.core.v1.Secret(`${name}-receiver`, { metadata: { name: RECEIVER_SECRET, namespace: ns }, type: "Opaque", stringData: { secret: pulumi.secret(args.receiverSecret) } }, { parent: this });

    const password =
      args.grafanaAdminPassword ?? new random.RandomPassword(`${name}-grafana-admin`, { length: 32, special: false }, { parent: this }).result;
    const grafanaAdmin = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      { metadata: { name: "grafana-admin", namespace: ns }, type: "Opaque", stringData: { "admin-user": "admin", "admin-password": pulumi.secret(password) } },
      { parent: this },
    );

    this.prometheusStack = pinnedRelease(
      `${name}-kube-prometheus-stack`,
      KUBE_PROMETHEUS_STACK_CHART,
      ns,
      kubePrometheusStackValues({
        clusterName: args.clusterNameLiteral,
        region: args.region,
        retentionDays: args.retentionDays ?? 15,
        storageGiB: args.storageGiB ?? 100,
        storageClassName: args.storageClassName ?? ENCRYPTED_STORAGE_CLASS,
        alertmanager: alertmanagerConfig(receiver, args.region, topicArn),
        receiverSecret: receiverSecret !== undefined,
        grafanaAdminSecret: grafanaAdmin.metadata.name,
      }),
      { parent: this, dependsOn: [...waitFor, ...flows, agentsNamespace, grafanaAdmin, ...(receiverSecret ? [receiverSecret] : [])] },
    );
    const crdsReady = { parent: this, dependsOn: [...waitFor, this.prometheusStack] };

    this.dcgmExporter = pinnedRelease(`${name}-dcgm-exporter`, DCGM_EXPORTER_CHART, agentsNs, dcgmExporterValues(args.region), crdsReady);

    new k8s.apiextensions.CustomResource(
      `${name}-vllm`,
      { apiVersion: "monitoring.coreos.com/v1", kind: "PodMonitor", metadata: { name: "vllm", namespace: ns }, spec: vllmPodMonitorSpec(args.region) },
      crdsReady,
    );
    new k8s.apiextensions.CustomResource(
      `${name}-envoy-proxy`,
      { apiVersion: "monitoring.coreos.com/v1", kind: "PodMonitor", metadata: { name: "envoy-proxy", namespace: ns }, spec: envoyProxyPodMonitorSpec(args.region) },
      crdsReady,
    );
    this.alertRule = new k8s.apiextensions.CustomResource(
      `${name}-llm-alerts`,
      { apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { name: "llm-alerts", namespace: ns }, spec: { groups: alertGroups(args.endpoints ?? [], args.alerts) } },
      crdsReady,
    );
    for (const d of [servingDashboard(), gpuFleetDashboard()]) {
      new k8s.core.v1.ConfigMap(
        `${name}-dashboard-${d.uid}`,
        { metadata: { name: `dashboard-${d.uid}`, namespace: ns, labels: { grafana_dashboard: "1" } }, data: { [`${d.uid}.json`]: JSON.stringify(d) } },
        { parent: this },
      );
    }

    // Container logs: a pre-created, encrypted log group with retention, written by Fluent Bit.
    const logGroup = new cloudwatch.LogGroup(
      `${name}-containers`,
      { name: this.logGroupName, retentionInDays: args.logRetentionDays ?? 90, kmsKeyId: key.arn, tags },
      { parent: this, retainOnDelete: true },
    );
    const logRole = new iam.Role(`${name}-fluent-bit`, { assumeRolePolicy: podTrust, tags }, { parent: this });
    new iam.RolePolicy(`${name}-fluent-bit`, { role: logRole.name, policy: logGroup.arn.apply((arn) => JSON.stringify(logWritePolicy(arn))) }, { parent: this });
    const logAssociation = new eks.PodIdentityAssociation(
      `${name}-fluent-bit`,
      { clusterName: args.clusterName, namespace: NODE_AGENTS_NAMESPACE, serviceAccount: FLUENT_BIT_SERVICE_ACCOUNT, roleArn: logRole.arn, tags },
      { parent: this },
    );
    this.fluentBit = pinnedRelease(`${name}-fluent-bit`, FLUENT_BIT_CHART, agentsNs, fluentBitValues(args.region, this.logGroupName), {
      parent: this,
      dependsOn: [...waitFor, logAssociation, logGroup, agentsNamespace, ...flows],
    });

    this.registerOutputs({
      namespace: ns,
      alertTopicArn: topicArn,
      logGroupName: this.logGroupName,
      prometheusStackStatus: this.prometheusStack.status,
      dcgmExporterStatus: this.dcgmExporter.status,
      fluentBitStatus: this.fluentBit.status,
    });
  }
}
