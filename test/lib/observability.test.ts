import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { alertGroups } from "../../components/Observability";
import { DEFAULT_ALERTS } from "../../lib/config/schema";
import { ALL_KNOWN_METRICS, endpointAlerts, fleetAlerts, gpuFleetDashboard, KNOWN_METRICS, SERIES_LABEL, servingDashboard } from "../../lib/observability";
import { metricsOf, promqlProblems } from "../promql";

const slo = { ttftP99Seconds: 1.5, tpotP99Seconds: 0.07, errorRatePercent: 0.25 };
const input = { endpoint: "chat-small", slo, revisions: ["llama-3.1-8b-instruct@0e9e39f2", "llama-3.1-8b-instruct-fp8@7c4f8b1a"] };
const settings = { ...DEFAULT_ALERTS, latencyFor: "7m", saturationFor: "12m", idleGpuFor: "90m", queueDepthPerReplica: 6, kvCacheUsage: 0.8 };

describe("the PromQL check itself", () => {
  it("rejects broken syntax and metrics outside the known list", () => {
    expect(promqlProblems("sum(rate(vllm:num_requests_waiting[5m])", ALL_KNOWN_METRICS).some((p) => p.startsWith("syntax error"))).toBe(true);
    expect(promqlProblems("vllm:time_per_output_token_seconds_bucket > 1", ALL_KNOWN_METRICS)).toEqual(["unknown metric vllm:time_per_output_token_seconds_bucket"]);
    expect(promqlProblems("max by (pod) (vllm:kv_cache_usage_perc) > 0.9", ALL_KNOWN_METRICS)).toEqual([]);
  });
});

describe("alert rules", () => {
  const all = [...endpointAlerts(input, settings), ...fleetAlerts(settings)];

  it("every expression parses and reads only metrics vLLM, dcgm-exporter and kube-state-metrics export", () => {
    for (const a of all) expect(promqlProblems(a.expr, ALL_KNOWN_METRICS), a.alert).toEqual([]);
  });

  it("covers what the on-call needs, each with a sustained window, a severity and a runbook", () => {
    expect(all.map((a) => a.alert).sort()).toEqual(
      ["GpuIdle", "LlmErrorRateAboveSlo", "LlmKvCacheNearlyFull", "LlmOomKilled", "LlmPodRestarting", "LlmQueueDepthHigh", "LlmReplicasBelowMinimum", "LlmStuckEngine", "LlmTpotP99AboveSlo", "LlmTtftP99AboveSlo", "LlmVersionSkew"].sort(),
    );
    for (const a of all) {
      expect(a.for, a.alert).toMatch(/^[1-9]\d*[smh]$/);
      expect(["page", "warning", "info"]).toContain(a.labels.severity);
      expect(a.annotations.runbook_url).toMatch(/^https:\/\/.+#[a-z-]+$/);
    }
  });

  it("turns each SLO into its threshold, over the live tracks of that endpoint, held for latencyFor", () => {
    const byName = new Map(endpointAlerts(input, settings).map((a) => [a.alert, a]));
    const ttft = byName.get("LlmTtftP99AboveSlo")!;
    expect(ttft.expr).toMatch(/^histogram_quantile\(0\.99, .*vllm:time_to_first_token_seconds_bucket\{llm_blueprint_endpoint="chat-small",llm_blueprint_track=~"stable\|canary\|previous"\}.* > 1\.5$/);
    expect(ttft.for).toBe("7m");
    const tpot = byName.get("LlmTpotP99AboveSlo")!;
    expect(metricsOf(tpot.expr)).toEqual(["vllm:inter_token_latency_seconds_bucket"]);
    expect(tpot.expr.endsWith("> 0.07")).toBe(true);
    const errors = byName.get("LlmErrorRateAboveSlo")!;
    expect(errors.expr).toContain('status="5xx"');
    // The gateway's 5xx of the endpoint's route count too (no healthy upstream, timeouts).
    expect(errors.expr).toContain('envoy_cluster_upstream_rq_xx{llm_blueprint_endpoint="chat-small",envoy_response_code_class="5"}');
    expect(new Set(metricsOf(errors.expr))).toEqual(new Set(["http_requests_total", "envoy_cluster_upstream_rq_xx"]));
    expect(errors.expr.endsWith("> 0.25")).toBe(true);
    for (const a of byName.values()) expect(a.labels.endpoint).toBe("chat-small");
  });

  it("flags a revision that is neither the deployed stable nor canary", () => {
    const skew = endpointAlerts(input, settings).find((a) => a.alert === "LlmVersionSkew")!;
    expect(skew.expr).toContain(`${SERIES_LABEL.revision}!~"0e9e39f2|7c4f8b1a"`);
  });

  it("uses the configured saturation thresholds and windows", () => {
    const byName = new Map(fleetAlerts(settings).map((a) => [a.alert, a]));
    expect(byName.get("LlmQueueDepthHigh")!.expr.endsWith("> 6")).toBe(true);
    expect(byName.get("LlmKvCacheNearlyFull")!.expr.endsWith("> 0.8")).toBe(true);
    expect(byName.get("LlmQueueDepthHigh")!.for).toBe("12m");
    expect(byName.get("GpuIdle")!.for).toBe("90m");
    // A stuck engine: requests wait while the same pod's GPUs are idle.
    expect(metricsOf(byName.get("LlmStuckEngine")!.expr).sort()).toEqual(["DCGM_FI_DEV_GPU_UTIL", "vllm:num_requests_waiting"]);
  });

  it("groups rules per endpoint and one fleet group", () => {
    expect(alertGroups([input, { ...input, endpoint: "chat-large" }], settings).map((g) => [g.name, g.rules.length])).toEqual([
      ["llm-slo-chat-small", 4],
      ["llm-slo-chat-large", 4],
      ["llm-fleet", 7],
    ]);
  });
});

describe("dashboards", () => {
  const targets = (d: { panels: { title: string; targets: { expr: string }[] }[] }) => d.panels.flatMap((p) => p.targets.map((t) => ({ title: p.title, expr: t.expr })));

  it("are valid JSON with unique panel ids, every query parsing against known metrics", () => {
    for (const d of [servingDashboard(), gpuFleetDashboard()]) {
      const parsed = JSON.parse(JSON.stringify(d)) as typeof d;
      expect(parsed).toEqual(d);
      expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
      for (const t of targets(d)) expect(promqlProblems(t.expr, ALL_KNOWN_METRICS), `${d.uid}: ${t.title}`).toEqual([]);
    }
  });

  it("the serving dashboard shows requests, TTFT and TPOT percentiles, tokens/s, queue, KV cache and errors, by track and revision", () => {
    const d = servingDashboard();
    expect(d.panels.map((p) => p.title)).toEqual([
      "Requests per second",
      "Time to first token p50 / p99",
      "Time per output token p50 / p99",
      "Tokens per second",
      "Queue: waiting and running requests",
      "KV-cache usage",
      "Error rate (5xx)",
      "Gateway 5xx and timeouts",
    ]);
    // Primary, canary and shadow side by side: every vLLM query keeps the workload and revision; the gateway only knows the route.
    const fromGateway = (t: { expr: string }) => metricsOf(t.expr).every((m) => m.startsWith("envoy_"));
    for (const t of targets(d).filter((x) => !fromGateway(x))) expect(t.expr, t.title).toMatch(new RegExp(`by \\((le, )?${SERIES_LABEL.workload}, ${SERIES_LABEL.revision}\\)`));
    for (const t of targets(d).filter(fromGateway)) expect(t.expr, t.title).toMatch(new RegExp(`by \\(${SERIES_LABEL.endpoint}\\)`));
    expect(new Set(targets(d).flatMap((t) => metricsOf(t.expr)))).toEqual(new Set([...KNOWN_METRICS.vllm, ...KNOWN_METRICS.gateway]));
  });

  it("the GPU fleet dashboard shows utilisation, memory, power and temperature per pool and node", () => {
    const d = gpuFleetDashboard();
    const read = new Set(targets(d).flatMap((t) => metricsOf(t.expr)));
    for (const m of ["DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_POWER_USAGE", "DCGM_FI_DEV_GPU_TEMP"]) expect(read).toContain(m);
    expect(d.templating.list.map((v) => v.name)).toEqual(["pool", "node"]);
    for (const t of targets(d)) expect(t.expr).toContain('kube_node_labels{label_eks_amazonaws_com_nodegroup=~"$pool"}');
  });
});

describe("runbooks", () => {
  it("every alert links to a section that exists in docs/runbooks.md", () => {
    const text = fs.readFileSync(path.resolve(__dirname, "../../docs/runbooks.md"), "utf8");
    const anchors = new Set([...text.matchAll(/^## ([a-z-]+)$/gm)].map((m) => m[1]));
    const all = [...endpointAlerts(input, settings), ...fleetAlerts(settings)];
    for (const a of all) {
      const [file, anchor] = a.annotations.runbook_url.split("#");
      expect(file.endsWith("/docs/runbooks.md"), a.alert).toBe(true);
      expect(anchors.has(anchor), `${a.alert} -> #${anchor}`).toBe(true);
    }
  });
});
