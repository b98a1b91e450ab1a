import * as fs from "fs";
import * as path from "path";
import { VLLM_PORT } from "./serving";

/**
 * Progressive delivery of a model version with Flagger (fluxcd/flagger v1.44.0, chart 1.44.0, read
 * 2026-11-25): the program declares the target Deployment, its KEDA ScaledObject, a Canary and its
 * MetricTemplates; Flagger generates `<target>-primary` (Deployment and ScaledObject), the Services
 * `<service>`, `<service>-primary`, `<service>-canary` and the HTTPRoute `<service>`, and moves the
 * route's weights step by step while the gate metrics hold (docs/gitbook/usage/how-it-works.md,
 * docs/gitbook/tutorials/gatewayapi-progressive-delivery.md, keda-scaledobject.md; CRD fields from
 * artifacts/flagger/crd.yaml; route generation from pkg/router/gateway_api.go). Pure: components
 * turn these into resources, the plan summary and the tests read them.
 */

/** Flagger's traffic provider for Gateway API v1 HTTPRoutes (crd.yaml spec.provider enum). */
export const FLAGGER_PROVIDER = "gatewayapi:v1";
export const FLAGGER_NAMESPACE = "flagger-system";
/** The load tester that runs the pre-rollout approval gate (charts/loadtester, Service port 80). */
export const LOADTESTER_RELEASE = "flagger-loadtester";
/** Where the loadtester mounts the approval records (ConfigMap `model-approvals`, one approved tuple a line). */
export const APPROVALS_MOUNT = "/approvals";
export const APPROVALS_CONFIGMAP = "model-approvals";
export const APPROVALS_FILE = "approved";
/**
 * Selector label Flagger keys the primary on (chart value selectorLabels, flag -selector-labels). Flagger
 * reads the first of its labels in the target's selector, selects the primary by that label alone with
 * `-primary` appended, and copies every other pod label (pkg/canary/deployment_controller.go
 * getSelectorLabel, createPrimaryDeployment; util.go makePrimaryLabels). The instance label already names
 * the workload, so the vLLM PodMonitor (app.kubernetes.io/name=vllm) keeps scraping primary pods.
 */
export const FLAGGER_SELECTOR_LABEL = "app.kubernetes.io/instance";
export const primaryOf = (workload: string) => `${workload}-primary`;
/** Name of the ScaledObject trigger Flagger maps to primaryScalerQueries (keda-scaledobject.md). */
export const QUEUE_TRIGGER = "queue-depth";
/** Webhook types the Canary CRD accepts (crd.yaml analysis.webhooks[].type). */
export const FLAGGER_WEBHOOK_TYPES = ["", "confirm-rollout", "pre-rollout", "rollout", "confirm-promotion", "post-rollout", "event", "rollback", "confirm-traffic-increase"] as const;

/** Thresholds the canary must hold at every step. Ratios compare canary with primary over the same window. */
export interface RolloutGates {
  /** Canary p99 time to first token over primary's. */
  readonly ttftP99MaxRatio: number;
  /** Canary p99 time per output token over primary's. */
  readonly tpotP99MaxRatio: number;
  /** 5xx share of the canary pods' own HTTP responses (vLLM server), percent. */
  readonly vllmErrorRateMaxPercent: number;
  /** 5xx share of the endpoint's route at the gateway (Envoy, both backends), percent. */
  readonly gatewayErrorRateMaxPercent: number;
  /** A score the model's evaluation pipeline exports to Prometheus for the canary (e.g. LLM-judge agreement). */
  readonly quality?: { readonly metric: string; readonly min: number };
}

export interface RolloutPolicy {
  /** Canary weights, percent, in order; after the last one holds, Flagger promotes. */
  readonly steps: readonly number[];
  /** One analysis run per step (Flagger `analysis.interval`), e.g. "10m". */
  readonly interval: string;
  /** Failed checks that roll back (Flagger `analysis.threshold`). */
  readonly failedChecks: number;
  readonly gates: RolloutGates;
  /** Emergency: promote the desired version now, no analysis (Flagger `skipAnalysis`). */
  readonly skipAnalysis: boolean;
  /**
   * How long the version a change replaces stays warm (its own Deployment at minimum scale) so a
   * rollback needs no cold start, e.g. "7d"; "0d" keeps nothing. Counted from the change's day.
   */
  readonly keepPreviousWarm: string;
}

export const DEFAULT_ROLLOUT_STEPS = [1, 5, 25, 50] as const;
export const DEFAULT_ROLLOUT: RolloutPolicy = {
  steps: DEFAULT_ROLLOUT_STEPS,
  // p99 over fewer than a few hundred requests is noise; ten minutes at 1% of a busy endpoint is not.
  interval: "10m",
  failedChecks: 2,
  gates: { ttftP99MaxRatio: 1.2, tpotP99MaxRatio: 1.2, vllmErrorRateMaxPercent: 1, gatewayErrorRateMaxPercent: 1 },
  skipAnalysis: false,
  // A regression that slips through the gates (a quality drift, a rare prompt class) tends to show within days.
  keepPreviousWarm: "7d",
};

export function durationSeconds(d: string): number {
  const m = /^(\d+)(s|m|h)$/.exec(d);
  if (!m) throw new Error(`duration "${d}" is not <n>s, <n>m or <n>h`);
  return Number(m[1]) * (m[2] === "h" ? 3600 : m[2] === "m" ? 60 : 1);
}

/** Whole days of a "<n>d" window. */
export function windowDays(w: string): number {
  const m = /^(\d+)d$/.exec(w);
  if (!m) throw new Error(`window "${w}" is not <n>d`);
  return Number(m[1]);
}

/** Last day (UTC, YYYY-MM-DD) a previous version changed on `since` stays warm. */
export function warmUntil(since: string, keepPreviousWarm: string): string {
  const start = Date.parse(`${since}T00:00:00Z`);
  if (Number.isNaN(start)) throw new Error(`"${since}" is not a YYYY-MM-DD day`);
  return new Date(start + windowDays(keepPreviousWarm) * 86_400_000).toISOString().slice(0, 10);
}

export function rolloutPolicyProblems(p: Pick<RolloutPolicy, "steps" | "interval" | "failedChecks">): string[] {
  const out: string[] = [];
  if (p.steps.length === 0) out.push("steps: list at least one canary weight");
  p.steps.forEach((s, i) => {
    if (!(Number.isInteger(s) && s >= 1 && s <= 99)) out.push(`steps[${i}]: ${s} is not a whole percent 1-99 (100 is the promotion itself)`);
    if (i > 0 && s <= p.steps[i - 1]) out.push(`steps[${i}]: ${s} does not grow from ${p.steps[i - 1]}; steps only go up`);
  });
  if (!/^\d+(s|m)$/.test(p.interval)) out.push(`interval: "${p.interval}" must be <n>s or <n>m (Flagger's pattern ^[0-9]+(m|s))`);
  else if (durationSeconds(p.interval) < 60) out.push(`interval: ${p.interval} is under a minute; a p99 over less is noise`);
  if (!(Number.isInteger(p.failedChecks) && p.failedChecks >= 1)) out.push(`failedChecks: ${p.failedChecks} must be a whole number >= 1`);
  return out;
}

/** On the Canary: the endpoint's keepPreviousWarm, read by the plan and the warm-previous gate. */
export const KEEP_PREVIOUS_WARM_ANNOTATION = "llm-blueprint/keep-previous-warm";
/** On the previous version's Deployment: the last day it is meant to stay warm (YYYY-MM-DD, UTC). */
export const WARM_UNTIL_ANNOTATION = "llm-blueprint/warm-until";
/** The previous version's workload and Service: `<endpoint>-previous`. */
export const previousOf = (endpoint: string) => `${endpoint}-previous`;
/** The route that sends an endpoint's requests to its warm previous version (emergency rollback). */
export const warmRollbackRouteOf = (endpoint: string) => `${endpoint}-warm-rollback`;

/**
 * Every Gateway API HTTP method (kubernetes-sigs/gateway-api apis/v1/httproute_types.go, HTTPMethod
 * enum, v1.3.0 to v1.6.1, read 2026-11-25). One match per method makes a rule win over Flagger's rule on
 * the same path: Envoy Gateway v1.7.4 turns a method match into a `:method` header match
 * (internal/gatewayapi/route.go) and orders routes of equal path by more header matches first
 * (internal/gatewayapi/sort.go), as Gateway API's match precedence asks.
 */
export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"] as const;

/**
 * Backends an HTTPRoute spec hands requests to by path prefix and without weights: the shape of the
 * warm rollback route (Flagger's own route always carries weights). The plan summary, the Rollouts
 * table and the policies read "who takes over" through this one definition.
 */
export function takeoverBackends(routeSpec: unknown): string[] {
  const rec = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  return list(rec(routeSpec).rules)
    .map(rec)
    .filter((rule) => list(rule.matches).some((m) => rec(rec(m).path).type === "PathPrefix"))
    .flatMap((rule) => list(rule.backendRefs).map(rec))
    .filter((b) => b.weight === undefined && typeof b.name === "string")
    .map((b) => b.name as string);
}

export interface WarmRollbackRouteInput {
  readonly endpoint: string;
  readonly hostnames: readonly string[];
  readonly gateway: { readonly name: string; readonly namespace: string };
  readonly requestTimeoutSeconds: number;
}

/**
 * spec of the emergency route: the same hostnames (or `/<endpoint>/` prefix and rewrite) as the route
 * Flagger generates from the Canary, every method matched so it takes precedence at once, one backend:
 * the warm previous version's Service. Flagger's route stays as it is (its fields remain Flagger's);
 * removing this route hands the traffic back to it.
 */
export function warmRollbackRouteSpec(r: WarmRollbackRouteInput) {
  const byHost = r.hostnames.length > 0;
  const path = byHost ? "/" : `/${r.endpoint}/`;
  return {
    parentRefs: [{ name: r.gateway.name, namespace: r.gateway.namespace }],
    ...(byHost ? { hostnames: [...r.hostnames] } : {}),
    rules: [
      {
        matches: HTTP_METHODS.map((method) => ({ path: { type: "PathPrefix", value: path }, method })),
        ...(byHost ? {} : { filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }] }),
        backendRefs: [{ name: previousOf(r.endpoint), port: VLLM_PORT }],
        timeouts: { request: `${r.requestTimeoutSeconds}s` },
      },
    ],
  };
}

/** Pod name pattern of one Deployment's pods (ReplicaSet hash, pod suffix), anchored by Prometheus. */
const podsOf = (deployment: string) => `${deployment}-[a-z0-9]+-[a-z0-9]+`;
const canaryPods = `pod=~"${podsOf("{{ target }}")}"`;
const primaryPods = `pod=~"${podsOf("{{ target }}-primary")}"`;
const inNamespace = `namespace="{{ namespace }}"`;

/** Canary p99 of a vLLM histogram over primary's; no primary traffic reads as 1 (nothing to compare). */
function p99Ratio(histogram: string): string {
  const p99 = (pods: string) => `histogram_quantile(0.99, sum by (le) (rate(${histogram}{${inNamespace},${pods}}[{{ interval }}])))`;
  return `${p99(canaryPods)} / ${p99(primaryPods)}`;
}

/** MetricTemplate names, one per gate. */
export const GATE_TEMPLATES = {
  ttft: "ttft-p99-ratio",
  tpot: "tpot-p99-ratio",
  vllmErrors: "vllm-error-rate",
  gatewayErrors: "gateway-error-rate",
  quality: "quality",
} as const;

export interface MetricTemplateDecl {
  readonly name: string;
  /** PromQL with Flagger's template variables ({{ namespace }}, {{ target }}, {{ interval }}). */
  readonly query: string;
}

/**
 * Gate queries (metric names as lib/observability.ts lists them: vLLM histograms and the server's
 * http_requests_total, Envoy's per-route cluster counters labelled with the endpoint by the gateway
 * PodMonitor). The gateway sees one cluster per route rule, not per backend, so its error rate is the
 * route's: canary and primary together, against an absolute ceiling.
 */
export function gateTemplates(endpoint: string, endpointLabel: string, quality?: RolloutGates["quality"]): MetricTemplateDecl[] {
  const httpErrors = (pods: string) =>
    `100 * sum(rate(http_requests_total{${inNamespace},${pods},status="5xx"}[{{ interval }}])) / clamp_min(sum(rate(http_requests_total{${inNamespace},${pods}}[{{ interval }}])), 1e-9)`;
  const route = `${endpointLabel}="${endpoint}"`;
  return [
    { name: GATE_TEMPLATES.ttft, query: p99Ratio("vllm:time_to_first_token_seconds_bucket") },
    { name: GATE_TEMPLATES.tpot, query: p99Ratio("vllm:inter_token_latency_seconds_bucket") },
    { name: GATE_TEMPLATES.vllmErrors, query: httpErrors(canaryPods) },
    {
      name: GATE_TEMPLATES.gatewayErrors,
      query: `100 * sum(rate(envoy_cluster_upstream_rq_xx{${route},envoy_response_code_class="5"}[{{ interval }}])) / clamp_min(sum(rate(envoy_cluster_upstream_rq_xx{${route}}[{{ interval }}])), 1e-9)`,
    },
    ...(quality ? [{ name: GATE_TEMPLATES.quality, query: `min(${quality.metric}{${inNamespace},${canaryPods}})` }] : []),
  ];
}

/** A Flagger analysis metric: a template and the range it must stay in. */
export interface GateMetric {
  readonly name: string;
  readonly templateRef: { readonly name: string; readonly namespace: string };
  readonly thresholdRange: { readonly min?: number; readonly max?: number };
  readonly interval: string;
}

export function gateMetrics(policy: RolloutPolicy, namespace: string): GateMetric[] {
  const g = policy.gates;
  const m = (name: string, range: GateMetric["thresholdRange"]): GateMetric => ({ name, templateRef: { name, namespace }, thresholdRange: range, interval: policy.interval });
  return [
    m(GATE_TEMPLATES.ttft, { max: g.ttftP99MaxRatio }),
    m(GATE_TEMPLATES.tpot, { max: g.tpotP99MaxRatio }),
    m(GATE_TEMPLATES.vllmErrors, { max: g.vllmErrorRateMaxPercent }),
    m(GATE_TEMPLATES.gatewayErrors, { max: g.gatewayErrorRateMaxPercent }),
    ...(g.quality ? [m(GATE_TEMPLATES.quality, { min: g.quality.min })] : []),
  ];
}

/** The record line the pre-rollout gate looks for: the tuple, approved, with its evaluation report. */
export const approvalRecordLine = (versionId: string) => `${versionId} approved`;

/** The pre-rollout webhook: the loadtester runs it before any traffic; a non-zero exit fails the check. */
export function approvalGateWebhook(versionId: string) {
  return {
    name: "approval-gate",
    type: "pre-rollout",
    url: `http://${LOADTESTER_RELEASE}.${FLAGGER_NAMESPACE}/`,
    timeout: "30s",
    metadata: { type: "bash", cmd: `grep -qxF '${approvalRecordLine(versionId)}' ${APPROVALS_MOUNT}/${APPROVALS_FILE}` },
  };
}

export interface CanaryInput {
  readonly endpoint: string;
  readonly namespace: string;
  /** Target Deployment (and its ScaledObject) name. */
  readonly target: string;
  readonly versionId: string;
  readonly policy: RolloutPolicy;
  readonly hostnames: readonly string[];
  readonly gateway: { readonly name: string; readonly namespace: string };
  readonly requestTimeoutSeconds: number;
  readonly progressDeadlineSeconds: number;
  /** Primary's replica bounds (the endpoint's) and its queue-depth query. */
  readonly primaryReplicas: { readonly min: number; readonly max: number };
  readonly primaryQueueQuery: string;
  /** Shadow Service, mirrored every request (Flagger v1.44.0 copies only backendRef, no percent). */
  readonly mirrorService?: string;
}

/** spec of the Flagger Canary for one endpoint in one cluster. */
export function canarySpec(c: CanaryInput) {
  const byHost = c.hostnames.length > 0;
  return {
    provider: FLAGGER_PROVIDER,
    targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: c.target },
    autoscalerRef: {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      name: c.target,
      primaryScalerQueries: { [QUEUE_TRIGGER]: c.primaryQueueQuery },
      primaryScalerReplicas: { minReplicas: c.primaryReplicas.min, maxReplicas: c.primaryReplicas.max },
    },
    progressDeadlineSeconds: c.progressDeadlineSeconds,
    service: {
      name: c.endpoint,
      port: VLLM_PORT,
      targetPort: "http",
      gatewayRefs: [{ name: c.gateway.name, namespace: c.gateway.namespace }],
      ...(byHost ? { hosts: [...c.hostnames] } : { match: [{ uri: { prefix: `/${c.endpoint}/` } }], rewrite: { uri: "/", type: "ReplacePrefixMatch" } }),
      timeout: `${c.requestTimeoutSeconds}s`,
      ...(c.mirrorService ? { mirror: [{ backendRef: { name: c.mirrorService, port: VLLM_PORT } }] } : {}),
    },
    skipAnalysis: c.policy.skipAnalysis,
    analysis: {
      interval: c.policy.interval,
      threshold: c.policy.failedChecks,
      stepWeights: [...c.policy.steps],
      metrics: gateMetrics(c.policy, c.namespace),
      webhooks: [approvalGateWebhook(c.versionId)],
    },
  };
}

/** What a version change would run, for the plan. */
export interface RolloutForecast {
  readonly steps: readonly number[];
  readonly gates: readonly string[];
  /** Seconds from the change to full promotion when every check passes: start, one interval per step, promotion. */
  readonly secondsToPromotion: number;
  readonly skipAnalysis: boolean;
}

/**
 * Flagger waits for the canary's pods (startup), runs the pre-rollout gate, then one analysis per step
 * weight; after the last it copies the spec to primary, whose pods start too. So two starts and
 * `steps + 1` intervals (the last one passes at the top weight and promotes), unless analysis is skipped.
 */
export function rolloutForecast(policy: RolloutPolicy, podStartSeconds: number): RolloutForecast {
  const gates = gateMetrics(policy, "").map((g) => `${g.name} ${g.thresholdRange.max !== undefined ? `<= ${g.thresholdRange.max}` : `>= ${String(g.thresholdRange.min)}`}`);
  const seconds = policy.skipAnalysis ? podStartSeconds : 2 * podStartSeconds + (policy.steps.length + 1) * durationSeconds(policy.interval);
  return { steps: policy.steps, gates, secondsToPromotion: seconds, skipAnalysis: policy.skipAnalysis };
}

export type CheckResult = "pass" | "fail";
/**
 * Flagger's decision over a sequence of analysis results (one per interval): each pass advances one
 * step, each failure counts; at `failedChecks` failures it rolls back; past the last step it promotes.
 */
export function rolloutOutcome(policy: Pick<RolloutPolicy, "steps" | "failedChecks">, checks: readonly CheckResult[]): { outcome: "promoted" | "rolled-back" | "progressing"; weight: number } {
  let step = -1;
  let failed = 0;
  for (const c of checks) {
    if (c === "fail") {
      failed += 1;
      if (failed >= policy.failedChecks) return { outcome: "rolled-back", weight: 0 };
      continue;
    }
    step += 1;
    if (step >= policy.steps.length) return { outcome: "promoted", weight: 100 };
  }
  return { outcome: "progressing", weight: step < 0 ? 0 : policy.steps[Math.min(step, policy.steps.length - 1)] };
}

/** The approvers' record the pre-rollout gate is fed from (policies/approvals.json; read as data, its schema is the policy pack's). */
export const APPROVALS_RECORD_FILE = path.join(__dirname, "..", "policies", "approvals.json");

/**
 * Version tuples whose approval is `approved` with an evaluation report. Anything that does not read
 * as such an entry approves nothing (fail closed); the pack's parseApprovals reports why.
 */
export function approvedVersions(doc: unknown): string[] {
  const models = doc && typeof doc === "object" ? (doc as { models?: unknown }).models : undefined;
  if (!Array.isArray(models)) return [];
  return models.flatMap((m: unknown) => {
    const e = (m ?? {}) as { name?: unknown; revision?: unknown; status?: unknown; evaluation?: { report?: unknown } };
    const ok = typeof e.name === "string" && typeof e.revision === "string" && e.status === "approved" && typeof e.evaluation?.report === "string" && e.evaluation.report.length > 0;
    return ok ? [`${String(e.name)}@${String(e.revision)}`] : [];
  });
}

export function readApprovedVersions(file = APPROVALS_RECORD_FILE): string[] {
  return approvedVersions(JSON.parse(fs.readFileSync(file, "utf8")));
}

/**
 * Flagger's own metrics (fluxcd/flagger v1.44.0 pkg/metrics/recorder.go, subsystem "flagger"):
 * flagger_canary_status{name=<target>,namespace} is 0 while progressing, 2 after a failed analysis
 * (rolled back), 1 otherwise (SetStatus); flagger_canary_weight{workload=<target>|<target>-primary,namespace}
 * is the route weight of each (SetWeight). Scraped through the chart's PodMonitor (podMonitor.enabled).
 */
export const FLAGGER_METRICS = { status: "flagger_canary_status", weight: "flagger_canary_weight" } as const;

export interface RolloutAlert {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Record<string, string>;
  readonly annotations: { readonly summary: string; readonly description: string };
}

/**
 * Notifications of one endpoint's rollouts, through Alertmanager to the alert topic: start, each step,
 * promotion (info) and rollback (page), each labelled with the version tuple being rolled out.
 */
export function rolloutAlerts(o: { readonly endpoint: string; readonly namespace: string; readonly target: string; readonly model: string; readonly revision: string }): RolloutAlert[] {
  const status = `${FLAGGER_METRICS.status}{namespace="${o.namespace}",name="${o.target}"}`;
  const weight = `${FLAGGER_METRICS.weight}{namespace="${o.namespace}",workload="${o.target}"}`;
  const labels = (severity: string) => ({ severity, endpoint: o.endpoint, model: o.model, revision: o.revision });
  const version = `${o.model}@${o.revision}`;
  return [
    {
      alert: "RolloutProgressing",
      expr: `${status} == 0`,
      for: "0m",
      labels: labels("info"),
      annotations: { summary: `${o.endpoint}: rolling out ${version}`, description: `Flagger is analysing ${version} as canary of ${o.namespace}/${o.target}; each step and the outcome follow.` },
    },
    {
      alert: "RolloutStep",
      expr: `(changes(${weight}[5m]) > 0) and on (namespace) (${status} == 0)`,
      for: "0m",
      labels: labels("info"),
      annotations: { summary: `${o.endpoint}: canary ${version} moved to a new weight`, description: `The canary weight of ${o.namespace}/${o.target} changed in the last 5 minutes; its gates held.` },
    },
    {
      alert: "RolloutPromoted",
      expr: `${status} == 1 and (max_over_time(${status}[15m]) == 1) and (min_over_time(${status}[15m]) == 0)`,
      for: "0m",
      labels: labels("info"),
      annotations: { summary: `${o.endpoint}: ${version} promoted`, description: `Flagger promoted ${version} to the primary of ${o.namespace}/${o.target} in the last 15 minutes.` },
    },
    {
      alert: "RolloutRolledBack",
      expr: `${status} == 2`,
      for: "0m",
      labels: labels("page"),
      annotations: { summary: `${o.endpoint}: ${version} rolled back`, description: `A gate failed its threshold; Flagger routed all traffic back to the primary of ${o.namespace}/${o.target} and scaled the canary to zero. Fix or revert \`version\` in the stack file.` },
    },
  ];
}
