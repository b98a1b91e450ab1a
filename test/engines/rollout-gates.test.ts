import * as path from "path";
import { describe, expect, it } from "vitest";
import { SERIES_LABEL } from "../../lib/observability";
import { DEFAULT_ROLLOUT, gateMetrics, gateTemplates, RolloutPolicy } from "../../lib/rollout";
import { ENGINE_TOOLS, requireTool, run, tempDir, writeYaml } from "./tools";

/**
 * The Canary's gate queries in Prometheus' own engine: each MetricTemplate rendered as Flagger renders
 * it ({{ namespace }}, {{ target }}, {{ interval }}) becomes an alert "gate fails" (query outside its
 * thresholdRange); synthetic vLLM and Envoy series for the primary and canary pods decide it.
 */

const policy: RolloutPolicy = DEFAULT_ROLLOUT;
const NS = "chat-small";
const TARGET = "chat-small-stable";
const render = (q: string) => q.replaceAll("{{ namespace }}", NS).replaceAll("{{ target }}", TARGET).replaceAll("{{ interval }}", policy.interval);

function gateRules() {
  const templates = gateTemplates(NS, SERIES_LABEL.endpoint);
  return gateMetrics(policy, NS).map((m) => {
    const t = templates.find((x) => x.name === m.templateRef.name)!;
    const out = m.thresholdRange.max !== undefined ? `> ${m.thresholdRange.max}` : `< ${String(m.thresholdRange.min)}`;
    return { alert: `GateFails_${m.name.replaceAll("-", "_")}`, expr: `(${render(t.query)}) ${out}`, labels: { gate: m.name } };
  });
}

const BUCKETS = ["0.25", "0.5", "1", "2.5", "+Inf"];
/** Cumulative bucket series of a histogram whose requests (per minute) fall in bucket `at` and above. */
function histogram(metric: string, pod: string, perMinute: number, at: string) {
  const from = BUCKETS.indexOf(at);
  return BUCKETS.map((le, i) => ({ series: `${metric}{namespace="${NS}",pod="${pod}",le="${le}"}`, values: `0+${i >= from ? perMinute : 0}x30` }));
}
function pods(canary: { ttftAt: string; errorsPerMinute: number }) {
  const primary = `${TARGET}-primary-6c9d8f7b5-abcde`;
  const canaryPod = `${TARGET}-7f8c9d6b4-fghij`;
  return [
    ...histogram("vllm:time_to_first_token_seconds_bucket", primary, 100, "0.5"),
    ...histogram("vllm:time_to_first_token_seconds_bucket", canaryPod, 100, canary.ttftAt),
    ...histogram("vllm:inter_token_latency_seconds_bucket", primary, 5000, "0.25"),
    ...histogram("vllm:inter_token_latency_seconds_bucket", canaryPod, 5000, "0.25"),
    { series: `http_requests_total{namespace="${NS}",pod="${primary}",status="2xx"}`, values: "0+100x30" },
    { series: `http_requests_total{namespace="${NS}",pod="${canaryPod}",status="2xx"}`, values: `0+${100 - canary.errorsPerMinute}x30` },
    { series: `http_requests_total{namespace="${NS}",pod="${canaryPod}",status="5xx"}`, values: `0+${canary.errorsPerMinute}x30` },
    { series: `envoy_cluster_upstream_rq_xx{${SERIES_LABEL.endpoint}="${NS}",envoy_response_code_class="2"}`, values: `0+${200 - canary.errorsPerMinute}x30` },
    { series: `envoy_cluster_upstream_rq_xx{${SERIES_LABEL.endpoint}="${NS}",envoy_response_code_class="5"}`, values: `0+${canary.errorsPerMinute}x30` },
  ];
}

/** Gates that fail at minute 20 of the step on these series, by promtool. */
async function failingGates(canary: { ttftAt: string; errorsPerMinute: number }): Promise<string[]> {
  const { promtool } = ENGINE_TOOLS;
  requireTool("promtool", promtool.debianPackage);
  const rules = gateRules();
  const dir = tempDir("rollout-gates");
  writeYaml(dir, "rules.yaml", { groups: [{ name: "gates", rules: rules.map((r) => ({ ...r, for: "0m" })) }] });
  const failing: string[] = [];
  for (const r of rules) {
    // Expect no alert; promtool reports the alerts it got when that is wrong.
    const test = writeYaml(dir, `${r.labels.gate}.test.yaml`, {
      rule_files: [path.join(dir, "rules.yaml")],
      evaluation_interval: "1m",
      tests: [{ interval: "1m", input_series: pods(canary), alert_rule_test: [{ eval_time: "20m", alertname: r.alert, exp_alerts: [] }] }],
    });
    const res = await run("promtool", ["test", "rules", test]);
    if (res.status !== 0) {
      expect(res.output).toContain(r.alert);
      failing.push(r.labels.gate);
    }
  }
  return failing;
}

describe("rollout gates in the Prometheus engine", () => {
  it("a canary like its primary passes every gate (Flagger advances and promotes)", async () => {
    expect(await failingGates({ ttftAt: "0.5", errorsPerMinute: 0 })).toEqual([]);
  });
  it("a canary whose time to first token regresses fails the TTFT gate only", async () => {
    expect(await failingGates({ ttftAt: "2.5", errorsPerMinute: 0 })).toEqual(["ttft-p99-ratio"]);
  });
  it("a canary answering 5% errors fails the vLLM and gateway error-rate gates", async () => {
    expect(await failingGates({ ttftAt: "0.5", errorsPerMinute: 5 })).toEqual(["vllm-error-rate", "gateway-error-rate"]);
  });
});
