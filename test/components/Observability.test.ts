import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { beforeAll, describe, expect, it } from "vitest";
import { ENCRYPTED_STORAGE_CLASS } from "../../components/ClusterAddons";
import { ALERTMANAGER_SERVICE_ACCOUNT, FLUENT_BIT_SERVICE_ACCOUNT, MONITORING_NAMESPACE, NODE_AGENTS_NAMESPACE, Observability, RECEIVER_SECRET } from "../../components/Observability";
import { DCGM_EXPORTER_CHART, FLUENT_BIT_CHART, KUBE_PROMETHEUS_STACK_CHART } from "../../lib/baseline";
import { DEFAULT_ALERTS } from "../../lib/config/schema";
import { isAllowed, PolicyDocument } from "../../lib/iam";
import { PlanResource } from "../../lib/plan/document";
import { input, ofType, one, plan, regionProvider, resourcesWithoutExplicitProvider } from "../harness";

const SLACK_URL = "https://hooks.slack.com/services/T000/B000/never-shown";
const base = {
  clusterName: "llm-test-use1",
  clusterNameLiteral: "llm-test-use1",
  region: "us-east-1",
  alerts: DEFAULT_ALERTS,
  endpoints: [{ endpoint: "chat", slo: { ttftP99Seconds: 2, tpotP99Seconds: 0.1, errorRatePercent: 1 }, revisions: ["m@abc"] }],
};

const under = (resources: PlanResource[], component: string) => resources.filter((r) => r.urn.includes(`::${component}-`) || r.name.startsWith(`${component}-`));
const release = (rs: PlanResource[], chart: string) => ofType(rs, "kubernetes:helm.sh/v3:Release").find((r) => input(r, "chart") === chart)!;
const doc = (r: PlanResource, key: string) => JSON.parse(input(r, key) as string) as PolicyDocument;
const GPU_TOLERATION = { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" };

describe("Observability", () => {
  let all: PlanResource[];
  let sns: PlanResource[];
  let slack: PlanResource[];
  beforeAll(async () => {
    all = await plan(() => {
      const aws = regionProvider("us-east-1");
      const rnd = new random.Provider("random");
      new Observability(
        "obs",
        { ...base, retentionDays: 21, storageGiB: 200, logRetentionDays: 30, alertEmails: ["oncall@example.com", "lead@example.com"] },
        { providers: [aws, new k8s.Provider("kube", { kubeconfig: "{}" }), rnd] },
      );
      new Observability(
        "slk",
        { ...base, receiver: { type: "slack", channel: "#llm-oncall" }, receiverSecret: pulumi.secret(SLACK_URL), grafanaAdminPassword: pulumi.secret("given-password") },
        { providers: [aws, new k8s.Provider("kube2", { kubeconfig: "{}" })] },
      );
    });
    sns = under(all, "obs");
    slack = under(all, "slk");
  });

  it("installs the three charts at their pinned versions, with atomic upgrades", () => {
    for (const rs of [sns, slack]) {
      const releases = ofType(rs, "kubernetes:helm.sh/v3:Release");
      expect(releases.map((r) => [input(r, "chart"), input(r, "version")]).sort()).toEqual(
        [KUBE_PROMETHEUS_STACK_CHART, DCGM_EXPORTER_CHART, FLUENT_BIT_CHART].map((c) => [c.chart, c.version]).sort(),
      );
      for (const r of releases) {
        expect(input(r, "atomic")).toBe(true);
        // The node agents (host access) run apart from the restricted monitoring namespace.
        expect(input(r, "namespace")).toBe(input(r, "chart") === KUBE_PROMETHEUS_STACK_CHART.chart ? MONITORING_NAMESPACE : NODE_AGENTS_NAMESPACE);
      }
    }
  });

  it("keeps Prometheus, Alertmanager, Grafana, the operator and kube-state-metrics on the system pool, off GPU nodes", () => {
    const v = (path: string) => input(release(sns, "kube-prometheus-stack"), `values.${path}`);
    for (const path of ["prometheus.prometheusSpec", "alertmanager.alertmanagerSpec", "grafana", "prometheusOperator", "kube-state-metrics"]) {
      expect(v(`${path}.nodeSelector`), path).toEqual({ "node.role": "system" });
      expect(v(`${path}.tolerations`), path).toBeUndefined();
    }
    // Only the per-node agents tolerate the GPU taint, and dcgm-exporter only runs on GPU nodes.
    expect(v("prometheus-node-exporter.tolerations")).toContainEqual(GPU_TOLERATION);
    const dcgm = release(sns, "dcgm-exporter");
    expect(input(dcgm, "values.tolerations")).toEqual([GPU_TOLERATION]);
    expect(JSON.stringify(input(dcgm, "values.affinity"))).toContain('"key":"gpu.class","operator":"Exists"');
    expect(input(release(sns, "aws-for-fluent-bit"), "values.tolerations")).toContainEqual(GPU_TOLERATION);
  });

  it("sizes Prometheus retention and its encrypted volume from the arguments", () => {
    const spec = input(release(sns, "kube-prometheus-stack"), "values.prometheus.prometheusSpec") as Record<string, unknown>;
    expect(spec.retention).toBe("21d");
    expect(spec.retentionSize).toBe("170GB");
    expect(spec.storageSpec).toEqual({ volumeClaimTemplate: { spec: { storageClassName: ENCRYPTED_STORAGE_CLASS, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "200Gi" } } } } });
    expect(spec.externalLabels).toEqual({ region: "us-east-1", cluster: "llm-test-use1" });
    expect(spec.podMonitorSelectorNilUsesHelmValues).toBe(false);
    expect(spec.ruleSelectorNilUsesHelmValues).toBe(false);
  });

  it("scrapes every vLLM pod with its version labels and the region", () => {
    const pm = one(sns, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "obs-vllm");
    expect(input(pm, "spec.selector")).toEqual({ matchLabels: { "app.kubernetes.io/name": "vllm" } });
    expect(input(pm, "spec.namespaceSelector")).toEqual({ any: true });
    expect(input(pm, "spec.podTargetLabels")).toEqual(["llm-blueprint/endpoint", "llm-blueprint/track", "llm-blueprint/model", "llm-blueprint/revision", "app.kubernetes.io/instance"]);
    expect(input(pm, "spec.podMetricsEndpoints")).toEqual([
      { port: "http", path: "/metrics", interval: "15s", relabelings: [{ targetLabel: "region", replacement: "us-east-1", action: "replace" }] },
    ]);
    const kps = release(sns, "kube-prometheus-stack");
    expect(pm.options.dependsOn).toContain(kps.urn);
  });

  it("scrapes the inference Gateway's Envoy proxies where Envoy Gateway runs them, naming live route series after their endpoint", () => {
    const pm = one(sns, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "envoy-proxy");
    expect(input(pm, "metadata.namespace")).toBe(MONITORING_NAMESPACE);
    expect(input(pm, "spec.namespaceSelector")).toEqual({ matchNames: ["envoy-gateway-system"] });
    expect(input(pm, "spec.selector.matchLabels")).toMatchObject({
      "app.kubernetes.io/component": "proxy",
      "gateway.envoyproxy.io/owning-gateway-name": "inference",
      "gateway.envoyproxy.io/owning-gateway-namespace": "inference-gateway",
    });
    const [endpoint] = input(pm, "spec.podMetricsEndpoints") as { port: string; path: string; metricRelabelings: { sourceLabels: string[]; regex: string; targetLabel?: string; replacement?: string; action: string }[] }[];
    expect([endpoint.port, endpoint.path]).toEqual(["metrics", "/stats/prometheus"]);
    const endpointLabel = endpoint.metricRelabelings.find((r) => r.targetLabel === "llm_blueprint_endpoint")!;
    // Prometheus anchors relabel regexes: a live rule matches, a mirror's cluster does not.
    const anchored = new RegExp(`^(?:${endpointLabel.regex})$`);
    expect("httproute/chat/chat/rule/0".replace(anchored, endpointLabel.replacement!)).toBe("chat");
    expect(anchored.test("httproute/chat/chat/rule/0-mirror-0")).toBe(false);
    expect(pm.options.dependsOn).toContain(release(sns, "kube-prometheus-stack").urn);
  });

  it("turns off the control-plane, etcd and kube-proxy targets EKS does not serve, and their rule groups", () => {
    const values = input(release(sns, "kube-prometheus-stack"), "values") as Record<string, { enabled?: boolean; rules?: Record<string, boolean> }>;
    for (const key of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"]) expect(values[key], key).toEqual({ enabled: false });
    expect(values.defaultRules.rules).toEqual({ etcd: false, kubeControllerManager: false, kubeSchedulerAlerting: false, kubeSchedulerRecording: false, kubeProxy: false, windows: false });
  });

  it("routes alerts to an encrypted SNS topic that only Alertmanager's role may publish to", () => {
    const topic = one(sns, "aws:sns/topic:Topic");
    const key = one(sns, "aws:kms/key:Key");
    expect(input(topic, "kmsMasterKeyId")).toMatch(/^arn:aws:kms:us-east-1:\d{12}:key\//);
    expect(ofType(sns, "aws:sns/topicSubscription:TopicSubscription").map((s) => [input(s, "protocol"), input(s, "endpoint")])).toEqual([
      ["email", "oncall@example.com"],
      ["email", "lead@example.com"],
    ]);
    const topicArn = `arn:aws:sns:us-east-1:123456789012:topic/${topic.name}`;
    const config = input(release(sns, "kube-prometheus-stack"), "values.alertmanager.config") as { route: { receiver: string }; receivers: { name: string; sns_configs?: { topic_arn: string; sigv4: unknown }[] }[] };
    const receiver = config.receivers.find((r) => r.name === config.route.receiver)!;
    expect(receiver.sns_configs?.[0].sigv4).toEqual({ region: "us-east-1" });
    const arn = receiver.sns_configs![0].topic_arn;
    expect(arn).toMatch(/^arn:aws:sns:us-east-1:/);
    const policy = doc(one(sns, "aws:iam/rolePolicy:RolePolicy", "alertmanager"), "policy");
    expect(isAllowed(policy, { action: "sns:Publish", resource: arn })).toBe(true);
    expect(isAllowed(policy, { action: "sns:Publish", resource: `${topicArn}-other` })).toBe(false);
    expect(isAllowed(policy, { action: "sns:Subscribe", resource: arn })).toBe(false);
    expect(isAllowed(policy, { action: "kms:GenerateDataKey", resource: input(topic, "kmsMasterKeyId") as string })).toBe(true);
    const assoc = one(sns, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "alertmanager");
    expect([input(assoc, "namespace"), input(assoc, "serviceAccount")]).toEqual([MONITORING_NAMESPACE, ALERTMANAGER_SERVICE_ACCOUNT]);
    expect(input(release(sns, "kube-prometheus-stack"), "values.alertmanager.serviceAccount.name")).toBe(ALERTMANAGER_SERVICE_ACCOUNT);
    expect(key.options.retainOnDelete).toBe(true);
  });

  it("keeps a Slack webhook in a Secret mounted into Alertmanager, never in the Helm values", () => {
    expect(ofType(slack, "aws:sns/topic:Topic")).toEqual([]);
    const secret = one(slack, "kubernetes:core/v1:Secret", "receiver");
    expect(input(secret, "metadata.name")).toBe(RECEIVER_SECRET);
    expect(input(secret, "stringData")).toBe("[secret]");
    const kps = release(slack, "kube-prometheus-stack");
    expect(JSON.stringify(kps.inputs)).not.toContain("never-shown");
    expect(input(kps, "values.alertmanager.alertmanagerSpec.secrets")).toEqual([RECEIVER_SECRET]);
    const config = input(kps, "values.alertmanager.config") as { receivers: { name: string; slack_configs?: { api_url_file: string; channel: string }[] }[] };
    expect(config.receivers.find((r) => r.name === "default")!.slack_configs![0]).toMatchObject({ api_url_file: `/etc/alertmanager/secrets/${RECEIVER_SECRET}/secret`, channel: "#llm-oncall" });
    expect(kps.options.dependsOn).toContain(secret.urn);
  });

  it("gives Grafana a generated admin password through a Secret, never the chart default", () => {
    expect(ofType(sns, "random:index/randomPassword:RandomPassword")).toHaveLength(1);
    expect(ofType(slack, "random:index/randomPassword:RandomPassword")).toHaveLength(0);
    for (const rs of [sns, slack]) {
      const admin = one(rs, "kubernetes:core/v1:Secret", "grafana-admin");
      expect(input(admin, "stringData")).toBe("[secret]");
      const grafana = input(release(rs, "kube-prometheus-stack"), "values.grafana") as { adminPassword?: string; admin: { existingSecret: string } };
      expect(grafana.adminPassword).toBeUndefined();
      expect(grafana.admin.existingSecret).toBe(input(admin, "metadata.name"));
    }
  });

  it("ships container logs to a KMS-encrypted log group with the configured retention, kept on destroy", () => {
    const group = one(sns, "aws:cloudwatch/logGroup:LogGroup");
    expect(input(group, "name")).toBe("/aws/eks/llm-test-use1/containers");
    expect(input(group, "retentionInDays")).toBe(30);
    expect(input(group, "kmsKeyId")).toMatch(/^arn:aws:kms:/);
    expect(group.options.retainOnDelete).toBe(true);
    const fb = release(sns, "aws-for-fluent-bit");
    expect(input(fb, "values.cloudWatchLogs")).toMatchObject({ enabled: true, region: "us-east-1", logGroupName: "/aws/eks/llm-test-use1/containers", autoCreateGroup: false });
    const policy = doc(one(sns, "aws:iam/rolePolicy:RolePolicy", "fluent-bit"), "policy");
    const arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/eks/llm-test-use1/containers";
    expect(isAllowed(policy, { action: "logs:PutLogEvents", resource: `${arn}:log-stream:inference.pod.vllm` })).toBe(true);
    expect(isAllowed(policy, { action: "logs:PutLogEvents", resource: "arn:aws:logs:us-east-1:123456789012:log-group:/other:log-stream:x" })).toBe(false);
    expect(isAllowed(policy, { action: "logs:CreateLogGroup", resource: arn })).toBe(false);
    const assoc = one(sns, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "fluent-bit");
    expect(input(assoc, "serviceAccount")).toBe(FLUENT_BIT_SERVICE_ACCOUNT);
    expect(input(fb, "values.serviceAccount.name")).toBe(FLUENT_BIT_SERVICE_ACCOUNT);
    // The association names the namespace the chart puts the service account in.
    expect(input(assoc, "namespace")).toBe(input(fb, "namespace"));
    expect(fb.options.dependsOn).toEqual(expect.arrayContaining([assoc.urn, group.urn]));
  });

  it("provisions both dashboards as ConfigMaps the Grafana sidecar picks up", () => {
    const maps = ofType(sns, "kubernetes:core/v1:ConfigMap");
    expect(maps.map((m) => input(m, "metadata.name")).sort()).toEqual(["dashboard-gpu-fleet", "dashboard-llm-serving"]);
    const sidecar = input(release(sns, "kube-prometheus-stack"), "values.grafana.sidecar.dashboards") as { label: string; labelValue: string };
    for (const m of maps) {
      expect((input(m, "metadata.labels") as Record<string, string>)[sidecar.label]).toBe(sidecar.labelValue);
      const [json] = Object.values(input(m, "data") as Record<string, string>);
      expect((JSON.parse(json) as { panels: unknown[] }).panels.length).toBeGreaterThan(4);
    }
  });

  it("uses only explicit providers and parents every child to the component", () => {
    expect(resourcesWithoutExplicitProvider(all)).toEqual([]);
    const components = ofType(all, "llm-blueprint:observability:Observability").map((c) => c.urn);
    for (const r of all.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"))) expect(components).toContain(r.parent);
  });

  it("refuses a Slack or PagerDuty receiver without its secret, before registering anything", () => {
    expect(() => new Observability("bad", { ...base, receiver: { type: "pagerduty" } })).toThrow(/pagerduty receiver needs receiverSecret/);
  });
});
