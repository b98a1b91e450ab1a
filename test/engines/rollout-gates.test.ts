import { beforeAll, describe, expect, it } from "vitest";
import { SERIES_LABEL } from "../../lib/observability";
import { DEFAULT_ROLLOUT, gateMetrics, gateTemplates, rolloutAlerts, RolloutPolicy } from "../../lib/rollout";
import { ENGINE_TOOLS, promtoolTestRules, requireTool, tempDir, UnitTestVerdict, writeYaml } from "./tools";

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

/**
 * A promtool unit-test file of this module. Every one is written and run in one promtool batch before the
 * tests (one process start instead of one per file); each test reads its own files' verdicts.
 */
interface UnitTest {
  /** Writes the file (and the rules file it reads) into `dir`; returns its path. */
  readonly write: (dir: string, id: string) => string;
  verdict?: UnitTestVerdict;
}
const unitTests: UnitTest[] = [];
function unitTest(write: UnitTest["write"]): UnitTest {
  const t: UnitTest = { write };
  unitTests.push(t);
  return t;
}
function verdictOf(t: UnitTest): UnitTestVerdict {
  if (!t.verdict) throw new Error("promtool did not run this unit test (beforeAll failed)");
  return t.verdict;
}

beforeAll(async () => {
  requireTool("promtool", ENGINE_TOOLS.promtool.debianPackage);
  const dir = tempDir("rollout-gates");
  const files = unitTests.map((t, i) => t.write(dir, String(i).padStart(2, "0")));
  const verdicts = await promtoolTestRules(files, 2);
  unitTests.forEach((t, i) => (t.verdict = verdicts.get(files[i])));
}, 60_000); // every test's promtool work happens here: more than the default hook timeout on a loaded machine

/** One unit test per gate: on these series, the gate's alert must stay silent at minute 20 of the step. */
function gateTests(canary: { ttftAt: string; errorsPerMinute: number }) {
  const rules = gateRules();
  return rules.map((r) => ({
    rule: r,
    test: unitTest((dir, id) => {
      const rulesFile = writeYaml(dir, `${id}-gates.yaml`, { groups: [{ name: "gates", rules: rules.map((x) => ({ ...x, for: "0m" })) }] });
      // Expect no alert; promtool reports the alerts it got when that is wrong.
      return writeYaml(dir, `${id}-${r.labels.gate}.test.yaml`, {
        rule_files: [rulesFile],
        evaluation_interval: "1m",
        tests: [{ interval: "1m", input_series: pods(canary), alert_rule_test: [{ eval_time: "20m", alertname: r.alert, exp_alerts: [] }] }],
      });
    }),
  }));
}

/** Gates that fail at minute 20 of the step on these series, by promtool. */
function failingGates(tests: ReturnType<typeof gateTests>): string[] {
  const failing: string[] = [];
  for (const { rule: r, test } of tests) {
    const verdict = verdictOf(test);
    if (!verdict.passed) {
      expect(verdict.report).toContain(r.alert);
      failing.push(r.labels.gate);
    }
  }
  return failing;
}

describe("rollout gates in the Prometheus engine", () => {
  const likePrimary = gateTests({ ttftAt: "0.5", errorsPerMinute: 0 });
  it("a canary like its primary passes every gate (Flagger advances and promotes)", () => {
    expect(failingGates(likePrimary)).toEqual([]);
  });
  const slowTtft = gateTests({ ttftAt: "2.5", errorsPerMinute: 0 });
  it("a canary whose time to first token regresses fails the TTFT gate only", () => {
    expect(failingGates(slowTtft)).toEqual(["ttft-p99-ratio"]);
  });
  const fivePercentErrors = gateTests({ ttftAt: "0.5", errorsPerMinute: 5 });
  it("a canary answering 5% errors fails the vLLM and gateway error-rate gates", () => {
    expect(failingGates(fivePercentErrors)).toEqual(["vllm-error-rate", "gateway-error-rate"]);
  });
});

describe("rollout notifications in the Prometheus engine", () => {
  const o = { endpoint: NS, namespace: NS, target: TARGET, model: "m", revision: "r".repeat(40) };
  const rules = rolloutAlerts(o);
  const alert = (name: string) => rules.find((r) => r.alert === name)!;
  const status = (values: string) => ({ series: `flagger_canary_status{namespace="${NS}",name="${TARGET}"}`, values });
  const weight = (values: string) => ({ series: `flagger_canary_weight{namespace="${NS}",workload="${TARGET}"}`, values });

  /** A unit test of the alerts `name` fires at `at` for these series. */
  function check(name: string, at: string, series: { series: string; values: string }[], expected: { labels: Record<string, string>; annotations: Record<string, string> }[]) {
    return unitTest((dir, id) => {
      const rulesFile = writeYaml(dir, `${id}-rollout.yaml`, { groups: [{ name: "rollout", rules }] });
      return writeYaml(dir, `${id}-${name}.test.yaml`, {
        rule_files: [rulesFile],
        evaluation_interval: "1m",
        tests: [{ interval: "1m", input_series: series, alert_rule_test: [{ eval_time: at, alertname: name, exp_alerts: expected.map((e) => ({ exp_labels: e.labels, exp_annotations: e.annotations })) }] }],
      });
    });
  }
  /** promtool's verdict: "SUCCESS", or its report of expected and got alerts. */
  const verdict = (t: UnitTest) => {
    const v = verdictOf(t);
    return v.passed ? "SUCCESS" : v.report;
  };
  const seriesLabels = { namespace: NS, name: TARGET };

  const rolledBack = alert("RolloutRolledBack");
  const pagesOnFailure = check("RolloutRolledBack", "20m", [status("0x10 2x20"), weight("0 1 1 5 5 0x25")], [{ labels: { ...rolledBack.labels, ...seriesLabels }, annotations: { ...rolledBack.annotations } }]);
  const silentOnSuccess = check("RolloutRolledBack", "20m", [status("0x10 1x20"), weight("0 1 1 5 5 0x25")], []);
  it("a failed analysis pages with the version tuple", () => {
    expect(verdict(pagesOnFailure)).toBe("SUCCESS");
    expect(verdict(silentOnSuccess)).toBe("SUCCESS");
  });

  const promoted = alert("RolloutPromoted");
  const announced = check("RolloutPromoted", "15m", [status("0x10 1x20")], [{ labels: { ...promoted.labels, ...seriesLabels }, annotations: { ...promoted.annotations } }]);
  const notWhileServing = check("RolloutPromoted", "30m", [status("1x40")], []);
  it("a promotion is announced once, not while a version simply keeps serving", () => {
    expect(verdict(announced)).toBe("SUCCESS");
    expect(verdict(notWhileServing)).toBe("SUCCESS");
  });

  const step = alert("RolloutStep");
  // Labelled by the canary's weight series (its workload), with the version tuple.
  const stepAnnounced = check("RolloutStep", "12m", [status("0x30"), weight("0x10 1x10 5x10")], [{ labels: { ...step.labels, namespace: NS, workload: TARGET }, annotations: { ...step.annotations } }]);
  const noStepYet = check("RolloutStep", "9m", [status("0x30"), weight("0x10 1x10 5x10")], []);
  it("each step of the weight is announced while the analysis runs", () => {
    expect(verdict(stepAnnounced)).toBe("SUCCESS");
    expect(verdict(noStepYet)).toBe("SUCCESS");
  });
});
