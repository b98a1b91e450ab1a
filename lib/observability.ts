/**
 * Pure pieces of the observability stack: the metric names alerts and dashboards may use (with
 * where each comes from), the alert rules derived from per-endpoint SLOs, and the Grafana
 * dashboards. Components turn these into PrometheusRule and ConfigMap resources.
 */

/**
 * Metrics the rules and dashboards read, and their source (read 2026-11-25):
 * - vLLM V1 engine metrics: docs.vllm.ai "Production Metrics" and vllm/docs/design/metrics.md
 *   (vllm:inter_token_latency_seconds replaces the deprecated vllm:time_per_output_token_seconds).
 * - http_requests_total: prometheus-fastapi-instrumentator, mounted by vLLM's OpenAI server
 *   (labels handler, method, status grouped as 2xx/4xx/5xx).
 * - DCGM_FI_DEV_*: NVIDIA dcgm-exporter default counters (etc/default-counters.csv).
 * - kube_*: kube-state-metrics docs (pod, deployment and HPA metrics).
 * - envoy_cluster_*: Envoy cluster statistics (envoyproxy.io docs, cluster_manager/cluster_stats) in
 *   Prometheus form with Envoy's default tag extraction (envoy_cluster_name, envoy_response_code_class),
 *   as Envoy Gateway's own dashboards query them (envoyproxy/gateway v1.7.4,
 *   charts/gateway-addons-helm/dashboards/envoy-clusters.json). Envoy's router charges the 503 it
 *   answers for "no healthy upstream" and the 504 of a timed-out request to the cluster's
 *   upstream_rq_5xx (envoyproxy/envoy source/common/router/router.cc: sendNoHealthyUpstreamResponse
 *   and onResponseTimeout call chargeUpstreamCode), so the gateway's 5xx include its own failures.
 *
 * vLLM names checked 2026-11-25 in vllm-project/vllm vllm/v1/metrics/loggers.py through the code
 * index (which holds no tag map, so v0.27.1 itself could not be pinned; every name above is defined
 * there in the newest stored versions, counters get prometheus_client's `_total` suffix).
 */
export const KNOWN_METRICS = {
  vllm: [
    "vllm:num_requests_running",
    "vllm:num_requests_waiting",
    "vllm:kv_cache_usage_perc",
    "vllm:time_to_first_token_seconds_bucket",
    "vllm:inter_token_latency_seconds_bucket",
    "vllm:request_success_total",
    "vllm:prompt_tokens_total",
    "vllm:generation_tokens_total",
    "http_requests_total",
  ],
  dcgm: ["DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_POWER_USAGE", "DCGM_FI_DEV_GPU_TEMP"],
  kube: [
    "kube_pod_container_status_restarts_total",
    "kube_pod_container_status_last_terminated_reason",
    "kube_deployment_status_replicas_available",
    "kube_horizontalpodautoscaler_spec_min_replicas",
    "kube_horizontalpodautoscaler_status_current_replicas",
    "kube_node_labels",
  ],
  gateway: ["envoy_cluster_upstream_rq_xx", "envoy_cluster_upstream_rq_timeout"],
} as const;
export const ALL_KNOWN_METRICS: readonly string[] = [...KNOWN_METRICS.vllm, ...KNOWN_METRICS.dcgm, ...KNOWN_METRICS.kube, ...KNOWN_METRICS.gateway];

/**
 * How Envoy Gateway v1.7.4 exposes its proxies' metrics (envoyproxy/gateway, read 2026-11-25):
 * internal/infrastructure/kubernetes/proxy/resource.go names the container port "metrics" with
 * bootstrap.EnvoyStatsPort (19001), the bootstrap serves it at /stats/prometheus
 * (internal/xds/bootstrap), and testdata/deployments/default.yaml shows the pod labels below; the
 * proxies run in the controller's namespace unless the gateway-namespace deploy mode is on.
 */
export const ENVOY_PROXY_METRICS = {
  port: "metrics",
  containerPort: 19001,
  path: "/stats/prometheus",
  podLabels: (gatewayNamespace: string, gatewayName: string) => ({
    "app.kubernetes.io/name": "envoy",
    "app.kubernetes.io/component": "proxy",
    "app.kubernetes.io/managed-by": "envoy-gateway",
    "gateway.envoyproxy.io/owning-gateway-namespace": gatewayNamespace,
    "gateway.envoyproxy.io/owning-gateway-name": gatewayName,
  }),
} as const;

/**
 * Envoy Gateway names the xDS cluster of HTTPRoute rule i `httproute/<namespace>/<name>/rule/<i>` and a
 * request mirror's `.../rule/<i>-mirror-<n>` (internal/gatewayapi/helpers.go irRouteDestinationName,
 * filters.go, v1.7.4). This regex (anchored by Prometheus) matches live rules only, capturing the
 * route's namespace and name; an endpoint's route is named after the endpoint.
 */
export const GATEWAY_ROUTE_CLUSTER_REGEX = "httproute/([^/]+)/([^/]+)/rule/[0-9]+";
/** Metrics kept from the proxies: Envoy exports thousands of series per cluster otherwise. */
export const GATEWAY_KEPT_METRICS_REGEX = "envoy_cluster_upstream_rq_(xx|timeout|completed)|envoy_cluster_upstream_cx_none_healthy";

/** Pod labels carried onto vLLM series by the PodMonitor (podTargetLabels), as Prometheus names them. */
export const SERIES_LABEL = {
  endpoint: "llm_blueprint_endpoint",
  track: "llm_blueprint_track",
  model: "llm_blueprint_model",
  revision: "llm_blueprint_revision",
  /** Set on every scraped vLLM and DCGM series by relabelling, so fleets of clusters can be compared. */
  region: "region",
  /**
   * The workload a vLLM series comes from: `<endpoint>-stable-primary` (Flagger's primary),
   * `<endpoint>-stable` (the canary during a rollout), `<endpoint>-shadow` (pod label app.kubernetes.io/instance).
   */
  workload: "app_kubernetes_io_instance",
  /** Node a DCGM series' GPU sits in (from the scrape target's pod, not the exporter's hostname). */
  node: "node",
} as const;

/** Node labels kube-state-metrics exports on kube_node_labels, to slice GPU series by pool and class. */
export const NODE_LABELS = { pool: "label_eks_amazonaws_com_nodegroup", gpuClass: "label_gpu_class" } as const;

export interface Slo {
  /** p99 time to first token, seconds. */
  readonly ttftP99Seconds: number;
  /** p99 time per output token (inter-token latency), seconds. */
  readonly tpotP99Seconds: number;
  /** Share of requests answered 5xx, percent. */
  readonly errorRatePercent: number;
}

export interface AlertSettings {
  /** Waiting requests per replica that, sustained, page. */
  readonly queueDepthPerReplica: number;
  /** KV-cache usage (0-1) that, sustained, warns. */
  readonly kvCacheUsage: number;
  /** Sustain windows. */
  readonly latencyFor: string;
  readonly saturationFor: string;
  /** GPUs idle this long cost money for nothing. */
  readonly idleGpuFor: string;
}

export interface EndpointAlertsInput {
  readonly endpoint: string;
  readonly slo: Slo;
  /** model@revision per track currently deployed (stable, canary, shadow). */
  readonly revisions: readonly string[];
}

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { severity: "page" | "warning" | "info"; endpoint?: string };
  readonly annotations: { summary: string; description: string; runbook_url: string };
}

const RUNBOOK = "https://github.com/example/llm-inference-blueprint/blob/main/docs/runbooks.md";
const runbook = (anchor: string) => `${RUNBOOK}#${anchor}`;

function sel(endpoint?: string, extra = ""): string {
  const parts = [...(endpoint ? [`${SERIES_LABEL.endpoint}="${endpoint}"`] : []), ...(extra ? [extra] : [])];
  return parts.length ? `{${parts.join(",")}}` : "";
}

const vllmErrorRatio = (e: string, live: string) =>
  `sum(rate(http_requests_total${sel(e, `${live},status="5xx"`)}[5m])) / clamp_min(sum(rate(http_requests_total${sel(e, live)}[5m])), 1e-9)`;
const gatewayErrorRatio = (e: string) =>
  `sum(rate(envoy_cluster_upstream_rq_xx${sel(e, 'envoy_response_code_class="5"')}[5m])) / clamp_min(sum(rate(envoy_cluster_upstream_rq_xx${sel(e)}[5m])), 1e-9)`;
/** Tags a label-less ratio with its source so `or` keeps both and max() picks the worse. */
const labelled = (expr: string, source: string) => `label_replace(${expr}, "source", "${source}", "", "")`;

/**
 * Alerts for one served endpoint, from its SLO. Tracks that answer clients only: stable (Flagger's primary
 * and canary) and a warm previous version, which answers during an emergency rollback (idle, it has no
 * request series to alert on); shadows answer nobody.
 */
export function endpointAlerts(input: EndpointAlertsInput, s: AlertSettings): AlertRule[] {
  const e = input.endpoint;
  const live = `${SERIES_LABEL.track}=~"stable|canary|previous"`;
  const p99 = (metric: string) => `histogram_quantile(0.99, sum by (le, ${SERIES_LABEL.track}) (rate(${metric}${sel(e, live)}[5m])))`;
  const revisions = input.revisions.map((v) => v.split("@")[1]).join("|");
  return [
    {
      alert: "LlmTtftP99AboveSlo",
      expr: `${p99("vllm:time_to_first_token_seconds_bucket")} > ${input.slo.ttftP99Seconds}`,
      for: s.latencyFor,
      labels: { severity: "page", endpoint: e },
      annotations: { summary: `${e}: p99 time to first token above ${input.slo.ttftP99Seconds}s`, description: "Prefill is slow or requests queue before prefill; check queue depth and KV-cache usage.", runbook_url: runbook("ttft") },
    },
    {
      alert: "LlmTpotP99AboveSlo",
      expr: `${p99("vllm:inter_token_latency_seconds_bucket")} > ${input.slo.tpotP99Seconds}`,
      for: s.latencyFor,
      labels: { severity: "page", endpoint: e },
      annotations: { summary: `${e}: p99 time per output token above ${input.slo.tpotP99Seconds}s`, description: "Decode is slow: batches too large for the GPU, or preemption from KV-cache pressure.", runbook_url: runbook("tpot") },
    },
    {
      alert: "LlmErrorRateAboveSlo",
      // The worse of two views: vLLM's own 5xx, and the gateway's 5xx for the endpoint's route, which
      // also counts what vLLM never sees (503 no healthy upstream, 504 timeouts). Not their sum: the
      // gateway's count already includes the vLLM 5xx it passed on.
      expr: `100 * max(${labelled(gatewayErrorRatio(e), "gateway")} or ${labelled(vllmErrorRatio(e, live), "vllm")}) > ${input.slo.errorRatePercent}`,
      for: s.latencyFor,
      labels: { severity: "page", endpoint: e },
      annotations: {
        summary: `${e}: more than ${input.slo.errorRatePercent}% of requests fail`,
        description: "vLLM or the gateway answers 5xx: engine errors, OOM, aborted requests, no healthy upstream (503) or upstream timeouts (504).",
        runbook_url: runbook("errors"),
      },
    },
    {
      alert: "LlmVersionSkew",
      expr: `sum by (${SERIES_LABEL.revision}) (rate(vllm:request_success_total${sel(e, `${SERIES_LABEL.revision}!~"${revisions}"`)}[5m])) > 0`,
      for: "5m",
      labels: { severity: "page", endpoint: e },
      annotations: { summary: `${e}: a revision that is not deployed is serving traffic`, description: `Deployed revisions: ${input.revisions.join(", ")}. A pod outside them answers requests.`, runbook_url: runbook("version-skew") },
    },
  ];
}

/** Alerts that apply to every endpoint and GPU, labelled by the series' own endpoint. */
export function fleetAlerts(s: AlertSettings): AlertRule[] {
  const byEndpoint = `by (namespace, ${SERIES_LABEL.endpoint}, ${SERIES_LABEL.track})`;
  return [
    {
      alert: "LlmQueueDepthHigh",
      expr: `sum ${byEndpoint} (vllm:num_requests_waiting) / clamp_min(count ${byEndpoint} (vllm:num_requests_waiting), 1) > ${s.queueDepthPerReplica}`,
      for: s.saturationFor,
      labels: { severity: "page" },
      annotations: { summary: "Requests are queueing faster than replicas are added", description: "The autoscaler is at max replicas or GPU nodes are not coming up.", runbook_url: runbook("queue-depth") },
    },
    {
      alert: "LlmKvCacheNearlyFull",
      expr: `max ${byEndpoint} (vllm:kv_cache_usage_perc) > ${s.kvCacheUsage}`,
      for: s.saturationFor,
      labels: { severity: "warning" },
      annotations: { summary: `KV cache above ${Math.round(s.kvCacheUsage * 100)}%`, description: "Requests will be preempted; scale out or lower max-num-seqs.", runbook_url: runbook("kv-cache") },
    },
    {
      alert: "LlmStuckEngine",
      // dcgm-exporter labels each GPU with the pod using it (honorLabels keeps them on the series).
      expr: `(sum by (namespace, pod) (vllm:num_requests_waiting) > 0) and on (namespace, pod) (max by (namespace, pod) (DCGM_FI_DEV_GPU_UTIL) < 5)`,
      for: "5m",
      labels: { severity: "page" },
      annotations: { summary: "Requests wait while the pod's GPUs do nothing", description: "The engine is wedged (NCCL hang, dead worker); restart the pod.", runbook_url: runbook("stuck-engine") },
    },
    {
      alert: "GpuIdle",
      expr: `max by (${SERIES_LABEL.region}, ${SERIES_LABEL.node}, gpu) (DCGM_FI_DEV_GPU_UTIL) < 1`,
      for: s.idleGpuFor,
      labels: { severity: "info" },
      annotations: { summary: "A GPU has been idle", description: "Idle GPUs cost money; lower replicas.min or let the pool scale to zero.", runbook_url: runbook("idle-gpu") },
    },
    {
      alert: "LlmPodRestarting",
      expr: `increase(kube_pod_container_status_restarts_total{container="vllm"}[15m]) > 0`,
      // increase() over 15m stays positive for 15 minutes after a restart, so 5m filters scrape blips only.
      for: "5m",
      labels: { severity: "warning" },
      annotations: { summary: "A vLLM container restarted", description: "Check for OOM kills, failed probes or GPU errors.", runbook_url: runbook("restarts") },
    },
    {
      alert: "LlmOomKilled",
      // The last termination reason persists while the pod runs again: only count it with a recent restart.
      expr: `(increase(kube_pod_container_status_restarts_total{container="vllm"}[15m]) > 0) and on (namespace, pod, container) (kube_pod_container_status_last_terminated_reason{container="vllm",reason="OOMKilled"} == 1)`,
      for: "1m",
      labels: { severity: "page" },
      annotations: { summary: "A vLLM container was OOM-killed", description: "Host memory limit too low for the model load or the CPU swap space.", runbook_url: runbook("oom") },
    },
    {
      alert: "LlmReplicasBelowMinimum",
      expr: `kube_horizontalpodautoscaler_status_current_replicas{horizontalpodautoscaler=~"keda-hpa-.*"} < kube_horizontalpodautoscaler_spec_min_replicas{horizontalpodautoscaler=~"keda-hpa-.*"}`,
      for: s.saturationFor,
      labels: { severity: "page" },
      annotations: { summary: "Fewer replicas than the minimum", description: "GPU capacity is missing: check pending pods and the node autoscaler.", runbook_url: runbook("replicas") },
    },
  ];
}

interface Panel {
  id: number;
  title: string;
  type: "timeseries" | "stat";
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string; legendFormat: string; refId: string }[];
  fieldConfig: { defaults: { unit: string } };
}

function panels(defs: { title: string; unit: string; exprs: [string, string][] }[]): Panel[] {
  return defs.map((d, i) => ({
    id: i + 1,
    title: d.title,
    type: "timeseries",
    gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
    targets: d.exprs.map(([expr, legendFormat], j) => ({ expr, legendFormat, refId: String.fromCharCode(65 + j) })),
    fieldConfig: { defaults: { unit: d.unit } },
  }));
}

function dashboard(uid: string, title: string, ps: Panel[], variables: { name: string; query: string }[]) {
  return {
    uid,
    title,
    schemaVersion: 39,
    editable: false,
    time: { from: "now-6h", to: "now" },
    tags: ["llm-blueprint"],
    templating: { list: variables.map((v) => ({ name: v.name, type: "query", datasource: { type: "prometheus" }, query: v.query, includeAll: true, multi: true, refresh: 2 })) },
    panels: ps,
  };
}

/**
 * Serving dashboard: per endpoint, Flagger's primary, the canary of a rollout and the shadow side by side
 * (legend by workload and revision: the version tuple each served).
 */
export function servingDashboard() {
  const f = `{${SERIES_LABEL.endpoint}=~"$endpoint"}`;
  const by = `${SERIES_LABEL.workload}, ${SERIES_LABEL.revision}`;
  const legend = `{{${SERIES_LABEL.workload}}} {{${SERIES_LABEL.revision}}}`;
  const q = (metric: string, p: number) => `histogram_quantile(${p}, sum by (le, ${by}) (rate(${metric}${f}[5m])))`;
  return dashboard(
    "llm-serving",
    "LLM serving",
    panels([
      { title: "Requests per second", unit: "reqps", exprs: [[`sum by (${by}) (rate(vllm:request_success_total${f}[5m]))`, legend]] },
      { title: "Time to first token p50 / p99", unit: "s", exprs: [[q("vllm:time_to_first_token_seconds_bucket", 0.5), `p50 ${legend}`], [q("vllm:time_to_first_token_seconds_bucket", 0.99), `p99 ${legend}`]] },
      { title: "Time per output token p50 / p99", unit: "s", exprs: [[q("vllm:inter_token_latency_seconds_bucket", 0.5), `p50 ${legend}`], [q("vllm:inter_token_latency_seconds_bucket", 0.99), `p99 ${legend}`]] },
      { title: "Tokens per second", unit: "short", exprs: [[`sum by (${by}) (rate(vllm:generation_tokens_total${f}[5m]))`, `generated ${legend}`], [`sum by (${by}) (rate(vllm:prompt_tokens_total${f}[5m]))`, `prompt ${legend}`]] },
      { title: "Queue: waiting and running requests", unit: "short", exprs: [[`sum by (${by}) (vllm:num_requests_waiting${f})`, `waiting ${legend}`], [`sum by (${by}) (vllm:num_requests_running${f})`, `running ${legend}`]] },
      { title: "KV-cache usage", unit: "percentunit", exprs: [[`max by (${by}) (vllm:kv_cache_usage_perc${f})`, legend]] },
      { title: "Error rate (5xx)", unit: "percentunit", exprs: [[`sum by (${by}) (rate(http_requests_total{${SERIES_LABEL.endpoint}=~"$endpoint",status="5xx"}[5m])) / clamp_min(sum by (${by}) (rate(http_requests_total${f}[5m])), 1e-9)`, legend]] },
      {
        // The gateway sees the route, not the track: one line per endpoint.
        title: "Gateway 5xx and timeouts",
        unit: "reqps",
        exprs: [
          [`sum by (${SERIES_LABEL.endpoint}) (rate(envoy_cluster_upstream_rq_xx{${SERIES_LABEL.endpoint}=~"$endpoint",envoy_response_code_class="5"}[5m]))`, `5xx {{${SERIES_LABEL.endpoint}}}`],
          [`sum by (${SERIES_LABEL.endpoint}) (rate(envoy_cluster_upstream_rq_timeout${f}[5m]))`, `timeouts {{${SERIES_LABEL.endpoint}}}`],
        ],
      },
    ]),
    [{ name: "endpoint", query: `label_values(vllm:num_requests_running, ${SERIES_LABEL.endpoint})` }],
  );
}

/** GPU fleet dashboard: utilisation, memory, power, temperature per pool (node group), node and GPU. */
export function gpuFleetDashboard() {
  const pool = NODE_LABELS.pool;
  const withPool = (metric: string) =>
    `${metric}{${SERIES_LABEL.node}=~"$node"} * on (${SERIES_LABEL.node}) group_left (${pool}, ${NODE_LABELS.gpuClass}) kube_node_labels{${pool}=~"$pool"}`;
  const legend = `{{${pool}}} {{${SERIES_LABEL.node}}} gpu {{gpu}}`;
  return dashboard(
    "gpu-fleet",
    "GPU fleet",
    panels([
      { title: "GPU utilisation by pool", unit: "percent", exprs: [[`avg by (${pool}) (${withPool("DCGM_FI_DEV_GPU_UTIL")})`, `{{${pool}}}`]] },
      { title: "GPU utilisation", unit: "percent", exprs: [[withPool("DCGM_FI_DEV_GPU_UTIL"), legend]] },
      { title: "GPU memory used", unit: "decmbytes", exprs: [[withPool("DCGM_FI_DEV_FB_USED"), legend]] },
      { title: "GPU memory free", unit: "decmbytes", exprs: [[withPool("DCGM_FI_DEV_FB_FREE"), legend]] },
      { title: "Power draw", unit: "watt", exprs: [[withPool("DCGM_FI_DEV_POWER_USAGE"), legend]] },
      { title: "Temperature", unit: "celsius", exprs: [[withPool("DCGM_FI_DEV_GPU_TEMP"), legend]] },
    ]),
    [
      { name: "pool", query: `label_values(kube_node_labels{${NODE_LABELS.gpuClass}!=""}, ${pool})` },
      { name: "node", query: `label_values(DCGM_FI_DEV_GPU_UTIL, ${SERIES_LABEL.node})` },
    ],
  );
}

/**
 * Scrape targets kube-prometheus-stack creates, each with the value paths that must all be true for
 * it to exist and their defaults in the chart (prometheus-community/helm-charts,
 * charts/kube-prometheus-stack/values.yaml and Chart.yaml dependency conditions at tag
 * kube-prometheus-stack-81.6.2, read 2026-11-25). Subchart monitors sit under the subchart's key.
 */
export const KUBE_PROMETHEUS_STACK_TARGETS: readonly { readonly target: string; readonly enabledBy: readonly { readonly path: readonly string[]; readonly chartDefault: boolean }[] }[] = [
  { target: "apiserver", enabledBy: [{ path: ["kubeApiServer", "enabled"], chartDefault: true }, { path: ["kubeApiServer", "serviceMonitor", "enabled"], chartDefault: true }] },
  { target: "kubelet", enabledBy: [{ path: ["kubelet", "enabled"], chartDefault: true }, { path: ["kubelet", "serviceMonitor", "enabled"], chartDefault: true }] },
  { target: "kube-controller-manager", enabledBy: [{ path: ["kubeControllerManager", "enabled"], chartDefault: true }, { path: ["kubeControllerManager", "serviceMonitor", "enabled"], chartDefault: true }] },
  { target: "kube-scheduler", enabledBy: [{ path: ["kubeScheduler", "enabled"], chartDefault: true }, { path: ["kubeScheduler", "serviceMonitor", "enabled"], chartDefault: true }] },
  { target: "kube-etcd", enabledBy: [{ path: ["kubeEtcd", "enabled"], chartDefault: true }, { path: ["kubeEtcd", "serviceMonitor", "enabled"], chartDefault: true }] },
  { target: "kube-proxy", enabledBy: [{ path: ["kubeProxy", "enabled"], chartDefault: true }, { path: ["kubeProxy", "serviceMonitor", "enabled"], chartDefault: true }] },
  { target: "coredns", enabledBy: [{ path: ["coreDns", "enabled"], chartDefault: true }, { path: ["coreDns", "serviceMonitor", "enabled"], chartDefault: true }] },
  { target: "kube-dns", enabledBy: [{ path: ["kubeDns", "enabled"], chartDefault: false }] },
  { target: "kube-state-metrics", enabledBy: [{ path: ["kubeStateMetrics", "enabled"], chartDefault: true }, { path: ["kube-state-metrics", "prometheus", "monitor", "enabled"], chartDefault: true }] },
  { target: "node-exporter", enabledBy: [{ path: ["nodeExporter", "enabled"], chartDefault: true }, { path: ["prometheus-node-exporter", "prometheus", "monitor", "enabled"], chartDefault: true }] },
  { target: "windows-exporter", enabledBy: [{ path: ["windowsMonitoring", "enabled"], chartDefault: false }] },
  { target: "prometheus-operator", enabledBy: [{ path: ["prometheusOperator", "enabled"], chartDefault: true }, { path: ["prometheusOperator", "serviceMonitor", "selfMonitor"], chartDefault: true }] },
  { target: "prometheus", enabledBy: [{ path: ["prometheus", "enabled"], chartDefault: true }, { path: ["prometheus", "serviceMonitor", "selfMonitor"], chartDefault: true }] },
  { target: "alertmanager", enabledBy: [{ path: ["alertmanager", "enabled"], chartDefault: true }, { path: ["alertmanager", "serviceMonitor", "selfMonitor"], chartDefault: true }] },
  { target: "grafana", enabledBy: [{ path: ["grafana", "enabled"], chartDefault: true }, { path: ["grafana", "serviceMonitor", "enabled"], chartDefault: true }] },
  { target: "thanos-ruler", enabledBy: [{ path: ["thanosRuler", "enabled"], chartDefault: false }, { path: ["thanosRuler", "serviceMonitor", "selfMonitor"], chartDefault: true }] },
];

/**
 * kube-prometheus-stack default rule groups (defaultRules.rules.<key>) that only watch targets EKS
 * cannot serve; their Down alerts would fire from day one (values.yaml and
 * templates/prometheus/rules-1.14/*.yaml conditions at kube-prometheus-stack-81.6.2).
 */
export const EKS_UNSERVED_RULE_GROUPS = ["etcd", "kubeControllerManager", "kubeSchedulerAlerting", "kubeSchedulerRecording", "kubeProxy", "windows"] as const;

export type Reachability = { readonly reachable: true; readonly why: string } | { readonly reachable: false; readonly why: string };

const SAME_CLUSTER = "runs in this cluster (deployed by the chart); the monitoring namespace's NetworkPolicy admits traffic between its own pods";
const NODE_PORT = "every managed node group carries the EKS cluster security group, which admits all traffic from its own members (EKS user guide, sec-group-reqs.html)";
const CONTROL_PLANE =
  "runs in the AWS-managed control plane: no pod or endpoint in the cluster for the chart's Service to select, so up{} is absent and the chart's Down alert fires forever. EKS 1.28+ serves kube-scheduler and kube-controller-manager metrics only through the API server at /apis/metrics.eks.amazonaws.com/v1/{ksh,kcm}/container/metrics (EKS user guide, view-raw-metrics.html, read 2026-11-25), which the chart's ServiceMonitor does not scrape";

/**
 * Why each scrape target the blueprint may enable is (or is not) reachable on EKS. Keyed by the
 * target names of `enabledScrapeTargets`. A target enabled without an entry, or with
 * `reachable: false`, is a plan problem: its alerts would be noise.
 */
export const EKS_SCRAPE_REACHABILITY: Readonly<Record<string, Reachability>> = {
  apiserver: { reachable: true, why: "EKS serves the API server's /metrics through the cluster endpoint behind the default `kubernetes` Service (EKS user guide, view-raw-metrics.html)" },
  kubelet: { reachable: true, why: `each node's kubelet serves /metrics, /metrics/cadvisor and /metrics/probes on 10250 with webhook authentication (EKS AMIs); ${NODE_PORT}` },
  coredns: { reachable: true, why: "the EKS CoreDNS add-on's pods (k8s-app=kube-dns in kube-system, which the chart's Service selects) serve metrics on 9153" },
  "kube-state-metrics": { reachable: true, why: SAME_CLUSTER },
  "node-exporter": { reachable: true, why: `host-network DaemonSet on port 9100 on every node; ${NODE_PORT}` },
  "prometheus-operator": { reachable: true, why: SAME_CLUSTER },
  prometheus: { reachable: true, why: SAME_CLUSTER },
  alertmanager: { reachable: true, why: SAME_CLUSTER },
  grafana: { reachable: true, why: SAME_CLUSTER },
  "dcgm-exporter": { reachable: true, why: `DaemonSet on the GPU nodes, pod port 9400, admitted from Prometheus by the node-agents namespace's dcgm-exporter NetworkPolicy; ${NODE_PORT}` },
  "PodMonitor/monitoring/vllm": { reachable: true, why: "vLLM pods' http port; each serving namespace's NetworkPolicy admits the monitoring namespace on it" },
  "flagger:podMonitor.enabled": { reachable: true, why: "Flagger's pod serves /metrics on its http port 8080 in flagger-system, whose flagger NetworkPolicy admits Prometheus on it (fluxcd/flagger v1.44.0 charts/flagger templates/podmonitor.yaml)" },
  "PodMonitor/monitoring/envoy-proxy": { reachable: true, why: "Envoy Gateway proxy pods' metrics port 19001 in envoy-gateway-system, whose envoy-proxy NetworkPolicy admits Prometheus on it" },
  "kube-controller-manager": { reachable: false, why: CONTROL_PLANE },
  "kube-scheduler": { reachable: false, why: CONTROL_PLANE },
  "kube-etcd": { reachable: false, why: "EKS does not expose etcd to the cluster at all; the API server's storage metrics arrive with the apiserver target" },
  "kube-proxy": {
    reachable: false,
    why: "kube-proxy binds its metrics to 127.0.0.1:10249 by default (metricsBindAddress) and the EKS kube-proxy add-on keeps that default (aws/containers-roadmap#657 asks to change it), so Prometheus pods cannot reach it",
  },
  "kube-dns": { reachable: false, why: "EKS runs CoreDNS, scraped as the coredns target" },
  "windows-exporter": { reachable: false, why: "the blueprint runs no Windows nodes" },
  "thanos-ruler": { reachable: false, why: "the blueprint deploys no Thanos Ruler" },
};

/** The recorded plan as the inventory reads it (a PlanResource satisfies it). */
export interface ScrapeInventoryResource {
  readonly urn: string;
  readonly type: string;
  readonly inputs: Record<string, unknown>;
}

export interface EnabledScrapeTarget {
  readonly target: string;
  /** The resource that enables it. */
  readonly urn: string;
  /** What turns it on: value paths, or the monitor resource. */
  readonly enabledBy: string;
}

const at = (v: unknown, path: readonly string[]): unknown => path.reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), v);
const MONITOR_TYPES = ["kubernetes:monitoring.coreos.com/v1:PodMonitor", "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"];

/** Every value path at any depth that turns a chart's own ServiceMonitor / PodMonitor on. */
function monitorFlags(values: unknown, prefix: string[] = []): string[][] {
  if (!values || typeof values !== "object" || Array.isArray(values)) return [];
  return Object.entries(values as Record<string, unknown>).flatMap(([k, v]) => {
    const path = [...prefix, k];
    const parent = prefix[prefix.length - 1] ?? "";
    if (v === true && k === "enabled" && /^(serviceMonitor|podMonitor|monitor)$/.test(parent)) return [path];
    return monitorFlags(v, path);
  });
}

/**
 * Every scrape target the recorded plan enables: kube-prometheus-stack's (its values over the chart
 * defaults), its additional monitors, the monitors other charts' values turn on, and the PodMonitor
 * and ServiceMonitor resources the program creates. Reads only the plan.
 */
export function enabledScrapeTargets(resources: readonly ScrapeInventoryResource[]): EnabledScrapeTarget[] {
  const found: EnabledScrapeTarget[] = [];
  for (const r of resources) {
    if (r.type === "kubernetes:helm.sh/v3:Release") {
      const chart = String(r.inputs.chart ?? "");
      const values = r.inputs.values ?? {};
      if (chart === "kube-prometheus-stack") {
        for (const t of KUBE_PROMETHEUS_STACK_TARGETS) {
          const on = t.enabledBy.every((f) => (at(values, f.path) ?? f.chartDefault) === true);
          if (on) found.push({ target: t.target, urn: r.urn, enabledBy: t.enabledBy.map((f) => `${f.path.join(".")}=${String(at(values, f.path) ?? `${f.chartDefault} (chart default)`)}`).join(", ") });
        }
        for (const kind of ["additionalServiceMonitors", "additionalPodMonitors"]) {
          for (const m of (at(values, ["prometheus", kind]) as { name?: string }[] | undefined) ?? []) {
            found.push({ target: `${chart}:prometheus.${kind}/${m.name ?? "?"}`, urn: r.urn, enabledBy: `prometheus.${kind}` });
          }
        }
        continue;
      }
      for (const path of monitorFlags(values)) {
        // dcgm-exporter's monitor is the one this blueprint turns on; name others by chart and path.
        const target = chart === "dcgm-exporter" && path.join(".") === "serviceMonitor.enabled" ? "dcgm-exporter" : `${chart}:${path.join(".")}`;
        found.push({ target, urn: r.urn, enabledBy: `${path.join(".")}=true` });
      }
    } else if (MONITOR_TYPES.includes(r.type)) {
      const kind = r.type.split(":").pop()!;
      const target = `${kind}/${String(at(r.inputs, ["metadata", "namespace"]) ?? "?")}/${String(at(r.inputs, ["metadata", "name"]) ?? "?")}`;
      found.push({ target, urn: r.urn, enabledBy: kind });
    }
  }
  return found;
}

/** What is wrong with the plan's scrape targets on EKS: each enabled one needs a reachable reason. */
export function scrapeTargetViolations(resources: readonly ScrapeInventoryResource[], reasons: Readonly<Record<string, Reachability>> = EKS_SCRAPE_REACHABILITY): { urn: string; message: string }[] {
  return enabledScrapeTargets(resources).flatMap((t) => {
    const reason = reasons[t.target];
    if (!reason) return [{ urn: t.urn, message: `scrape target "${t.target}" (${t.enabledBy}) has no recorded reason why EKS can serve it; add one to EKS_SCRAPE_REACHABILITY (lib/observability.ts) or disable it` }];
    if (!reason.reachable) return [{ urn: t.urn, message: `scrape target "${t.target}" (${t.enabledBy}) is enabled but EKS cannot serve it: ${reason.why}. Disable it.` }];
    return [];
  });
}

/** The same, one `<urn>: <message>` line each. */
export const scrapeTargetProblems = (resources: readonly ScrapeInventoryResource[], reasons?: Readonly<Record<string, Reachability>>): string[] =>
  scrapeTargetViolations(resources, reasons).map((v) => `${v.urn}: ${v.message}`);
