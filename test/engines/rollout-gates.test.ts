import * as path from "path";
import { describe, expect, it } from "vitest";
import { SERIES_LABEL } from "../../lib/observability";
import { DEFAULT_ROLLOUT, gateMetrics, gateTemplates, rolloutAlerts, RolloutPolicy } from "../../lib/rollout";
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

describe("rollout notifications in the Prometheus engine", () => {
  const o = { endpoint: NS, namespace: NS, target: TARGET, model: "m", revision: "r".repeat(40) };
  const rules = rolloutAlerts(o);
  const alert = (name: string) => rules.find((r) => r.alert === name)!;
  const status = (values: string) => ({ series: `flagger_canary_status{namespace="${NS}",name="${TARGET}"}`, values });
  const weight = (values: string) => ({ series: `flagger_canary_weight{namespace="${NS}",workload="${TARGET}"}`, values });

  /** promtool's verdict on `name` at `at` for these series: "SUCCESS", or its report of expected and got alerts. */
  async function check(name: string, at: string, series: { series: string; values: string }[], expected: { labels: Record<string, string>; annotations: Record<string, string> }[]) {
    requireTool("promtool", ENGINE_TOOLS.promtool.debianPackage);
    const dir = tempDir("rollout-alerts");
    writeYaml(dir, "rules.yaml", { groups: [{ name: "rollout", rules }] });
    const test = writeYaml(dir, "t.yaml", {
      rule_files: [path.join(dir, "rules.yaml")],
      evaluation_interval: "1m",
      tests: [{ interval: "1m", input_series: series, alert_rule_test: [{ eval_time: at, alertname: name, exp_alerts: expected.map((e) => ({ exp_labels: e.labels, exp_annotations: e.annotations })) }] }],
    });
    const res = await run("promtool", ["test", "rules", test]);
    // promtool's own report when the alerts differ from the expected ones.
    return res.status === 0 && res.output.includes("SUCCESS") ? "SUCCESS" : res.output;
  }
  const seriesLabels = { namespace: NS, name: TARGET };

  it("a failed analysis pages with the version tuple", async () => {
    const a = alert("RolloutRolledBack");
    expect(await check("RolloutRolledBack", "20m", [status("0x10 2x20"), weight("0 1 1 5 5 0x25")], [{ labels: { ...a.labels, ...seriesLabels }, annotations: { ...a.annotations } }])).toBe("SUCCESS");
    expect(await check("RolloutRolledBack", "20m", [status("0x10 1x20"), weight("0 1 1 5 5 0x25")], [])).toBe("SUCCESS");
  });

  it("a promotion is announced once, not while a version simply keeps serving", async () => {
    const a = alert("RolloutPromoted");
    expect(await check("RolloutPromoted", "15m", [status("0x10 1x20")], [{ labels: { ...a.labels, ...seriesLabels }, annotations: { ...a.annotations } }])).toBe("SUCCESS");
    expect(await check("RolloutPromoted", "30m", [status("1x40")], [])).toBe("SUCCESS");
  });

  it("each step of the weight is announced while the analysis runs", async () => {
    const a = alert("RolloutStep");
    // Labelled by the canary's weight series (its workload), with the version tuple.
    expect(await check("RolloutStep", "12m", [status("0x30"), weight("0x10 1x10 5x10")], [{ labels: { ...a.labels, namespace: NS, workload: TARGET }, annotations: { ...a.annotations } }])).toBe("SUCCESS");
    expect(await check("RolloutStep", "9m", [status("0x30"), weight("0x10 1x10 5x10")], [])).toBe("SUCCESS");
  });
});
