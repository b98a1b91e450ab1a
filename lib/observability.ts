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
} as const;
export const ALL_KNOWN_METRICS: readonly string[] = [...KNOWN_METRICS.vllm, ...KNOWN_METRICS.dcgm, ...KNOWN_METRICS.kube];

/** Pod labels carried onto vLLM series by the PodMonitor (podTargetLabels), as Prometheus names them. */
export const SERIES_LABEL = {
  endpoint: "llm_blueprint_endpoint",
  track: "llm_blueprint_track",
  model: "llm_blueprint_model",
  revision: "llm_blueprint_revision",
  /** Set on every scraped vLLM and DCGM series by relabelling, so fleets of clusters can be compared. */
  region: "region",
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

/** Alerts for one served endpoint, from its SLO. Live tracks only (stable, canary): shadows answer nobody. */
export function endpointAlerts(input: EndpointAlertsInput, s: AlertSettings): AlertRule[] {
  const e = input.endpoint;
  const live = `${SERIES_LABEL.track}=~"stable|canary"`;
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
      expr: `100 * sum(rate(http_requests_total${sel(e, `${live},status="5xx"`)}[5m])) / clamp_min(sum(rate(http_requests_total${sel(e, live)}[5m])), 1e-9) > ${input.slo.errorRatePercent}`,
      for: s.latencyFor,
      labels: { severity: "page", endpoint: e },
      annotations: { summary: `${e}: more than ${input.slo.errorRatePercent}% of requests fail`, description: "vLLM answers 5xx: engine errors, OOM or aborted requests.", runbook_url: runbook("errors") },
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

/** Serving dashboard: per endpoint, stable and canary side by side (legend by track and revision). */
export function servingDashboard() {
  const f = `{${SERIES_LABEL.endpoint}=~"$endpoint"}`;
  const by = `${SERIES_LABEL.track}, ${SERIES_LABEL.revision}`;
  const legend = `{{${SERIES_LABEL.track}}} {{${SERIES_LABEL.revision}}}`;
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
