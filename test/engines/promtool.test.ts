import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { regionOf } from "../../lib/plan/summary";
import { input, ofType } from "../harness";
import { recordStack } from "../policies/harness";
import { Labels, minutes, publicLabels, relabel, RelabelConfig, sanitizeLabelName, scraped, Series, seriesSelector } from "./series";
import { flaggerRouteSpec } from "../../policies/rules/common";
import { ENGINE_TOOLS, promtoolTestRules, requireTool, run, tempDir, UnitTestVerdict, writeYaml } from "./tools";

/**
 * The prod plan's alert rules in Prometheus' own rule engine (`promtool test rules`): every SLO and
 * fleet alert stays silent on healthy series and fires on its breach once its `for:` has passed,
 * with input series labelled the way the plan's PodMonitors / ServiceMonitors label them.
 */

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface Group {
  name: string;
  rules: Rule[];
}
interface Endpoint {
  port: string;
  path?: string;
  relabelings?: RelabelConfig[];
  metricRelabelings?: RelabelConfig[];
}

/**
 * Histogram bucket bounds vLLM exports (vllm-project/vllm vllm/v1/metrics/loggers.py,
 * vllm:time_to_first_token_seconds and vllm:inter_token_latency_seconds, read 2026-11-25).
 */
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];
const ITL_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0];

/** One region of the prod plan as the alerts see it. */
interface RegionView {
  region: string;
  groups: Group[];
  vllmMonitor: PlanResource;
  envoyMonitor: PlanResource;
  dcgmValues: { serviceMonitor: { honorLabels?: boolean; relabelings?: RelabelConfig[] } };
  deployments: PlanResource[];
  routes: PlanResource[];
  scaledObjects: PlanResource[];
}

const labelsOf = (r: PlanResource, p: string) => (input(r, p) ?? {}) as Record<string, string>;
const rule = (v: RegionView, alert: string, group?: string) => {
  const found = v.groups.filter((g) => !group || g.name === group).flatMap((g) => g.rules).find((r) => r.alert === alert);
  if (!found) throw new Error(`${v.region}: no rule ${alert}${group ? ` in ${group}` : ""}`);
  return found;
};

/** Target labels of a vLLM pod of `deployment` as the vLLM PodMonitor produces them. */
function vllmTarget(v: RegionView, d: PlanResource, podSuffix = "5d8f7c9b4-x2x4q"): Labels {
  const podLabels = labelsOf(d, "spec.template.metadata.labels");
  const [endpoint] = input(v.vllmMonitor, "spec.podMetricsEndpoints") as Endpoint[];
  const containers = input(d, "spec.template.spec.containers") as { name: string; ports?: { name: string; containerPort: number }[] }[];
  const container = containers.find((c) => (c.ports ?? []).some((p) => p.name === endpoint.port))!;
  const port = container.ports!.find((p) => p.name === endpoint.port)!.containerPort;
  const target: Labels = {
    namespace: String(input(d, "metadata.namespace")),
    pod: `${String(input(d, "metadata.name"))}-${podSuffix}`,
    container: container.name,
    endpoint: endpoint.port,
    job: `${String(input(v.vllmMonitor, "metadata.namespace"))}/${String(input(v.vllmMonitor, "metadata.name"))}`,
    instance: `10.0.12.34:${port}`,
    __meta_kubernetes_pod_node_name: "ip-10-0-12-34.ec2.internal",
  };
  for (const k of input(v.vllmMonitor, "spec.podTargetLabels") as string[]) if (podLabels[k]) target[sanitizeLabelName(k)] = podLabels[k];
  return publicLabels(relabel(target, endpoint.relabelings ?? [])!);
}

function vllmSeries(v: RegionView, d: PlanResource, metric: string, own: Labels, values: string, target = vllmTarget(v, d)): Series {
  return scraped(metric, { model_name: "served", engine: "0", ...own }, target, values)!;
}

/** A series from the gateway's Envoy proxies, through the envoy-proxy PodMonitor's relabelings. */
function envoySeries(v: RegionView, metric: string, own: Labels, values: string): Series | undefined {
  const [endpoint] = input(v.envoyMonitor, "spec.podMetricsEndpoints") as Endpoint[];
  const namespace = (input(v.envoyMonitor, "spec.namespaceSelector.matchNames") as string[])[0];
  const target = relabel(
    {
      namespace,
      pod: "envoy-inference-gateway-inference-7c9f8d6b5-q8w2e",
      container: "envoy",
      endpoint: endpoint.port,
      job: `${String(input(v.envoyMonitor, "metadata.namespace"))}/${String(input(v.envoyMonitor, "metadata.name"))}`,
      instance: "10.0.3.4:19001",
    },
    endpoint.relabelings ?? [],
  )!;
  return scraped(metric, own, publicLabels(target), values, { metricRelabelings: endpoint.metricRelabelings });
}

/** A dcgm-exporter series for the GPU a pod uses, through the chart's ServiceMonitor settings. */
function dcgmSeries(v: RegionView, podTarget: Labels, values: string): Series {
  const sm = v.dcgmValues.serviceMonitor;
  const node = "ip-10-0-12-34.ec2.internal";
  const target = publicLabels(
    relabel(
      { namespace: "monitoring", pod: "dcgm-exporter-7xk2p", container: "exporter", endpoint: "metrics", job: "dcgm-exporter", service: "dcgm-exporter", instance: "10.0.12.40:9400", __meta_kubernetes_pod_node_name: node },
      sm.relabelings ?? [],
    )!,
  );
  const own = { gpu: "0", UUID: "GPU-5e1c0d2a-0000-4000-8000-000000000000", device: "nvidia0", modelName: "NVIDIA H100 80GB HBM3", Hostname: node, namespace: podTarget.namespace, pod: podTarget.pod, container: podTarget.container };
  return scraped("DCGM_FI_DEV_GPU_UTIL", own, target, values, { honorLabels: sm.honorLabels })!;
}

/** A kube-state-metrics series (its ServiceMonitor keeps the object's own labels: honorLabels). */
function ksmSeries(metric: string, own: Labels, values: string): Series {
  const target = { namespace: "monitoring", pod: "kube-prometheus-stack-kube-state-metrics-6b7d8-9xk2p", container: "kube-state-metrics", endpoint: "http", job: "kube-state-metrics", service: "kube-prometheus-stack-kube-state-metrics", instance: "10.0.1.9:8080" };
  return scraped(metric, own, target, values, { honorLabels: true })!;
}

/** Cumulative histogram buckets with `perMinute` observations a minute, all in the bucket ending at `upper`. */
function histogram(metric: string, buckets: number[], upper: number, perMinute: number, samples: number, make: (m: string, le: Labels, values: string) => Series): Series[] {
  return [...buckets.map(String), "+Inf"].map((le) => make(metric, { le }, le === "+Inf" || Number(le) >= upper ? `0+${perMinute}x${samples}` : `0x${samples}`));
}
const healthyBucket = (buckets: number[], slo: number) => {
  const b = buckets.filter((x) => x <= slo / 2).pop();
  if (b === undefined) throw new Error(`no vLLM bucket at or below half of ${slo}s`);
  return b;
};
const breachBucket = (buckets: number[], slo: number) => {
  const lower = buckets.find((x) => x >= 2 * slo);
  if (lower === undefined) throw new Error(`no vLLM bucket at or above twice ${slo}s`);
  return buckets[buckets.indexOf(lower) + 1] ?? Infinity;
};
const sloThreshold = (r: Rule) => Number(/> ([0-9.e+-]+)$/.exec(r.expr)![1]);

interface Case {
  region: string;
  rule: Rule;
  healthy: Series[];
  breach: Series[];
  /** Labels the firing alert carries besides the rule's own. */
  seriesLabels: Labels;
  /** Minute from which the breach condition holds. @default 1 (a rate needs two samples) */
  from?: number;
  /** What the case checks, for failure messages and the test file's name. */
  what: string;
  /** The rules file under test. @default the region's rules file */
  rulesFile?: string;
}

/** Writes one alert's promtool unit tests for `rulesFile`: silent when healthy, pending before `for`, firing after. */
function unitTestFile(dir: string, name: string, rulesFile: string, c: Case): string {
  const hold = minutes(c.rule.for);
  const from = c.from ?? 1;
  const firingAt = from + hold + 2;
  const sampleCount = firingAt + 2;
  const toInput = (series: Series[]) => series.map((s) => ({ series: seriesSelector(s), values: s.values.replace(/x(\d+)$/, (_, n: string) => `x${Math.max(Number(n), sampleCount)}`) }));
  const fires = [{ exp_labels: { ...c.seriesLabels, ...c.rule.labels }, exp_annotations: c.rule.annotations }];
  const tests = [
    { name: `${c.what}: healthy`, interval: "1m", input_series: toInput(c.healthy), alert_rule_test: [{ eval_time: `${firingAt}m`, alertname: c.rule.alert, exp_alerts: [] }] },
    {
      name: `${c.what}: breach`,
      interval: "1m",
      input_series: toInput(c.breach),
      alert_rule_test: [
        ...(hold >= 3 ? [{ eval_time: `${from + hold - 1}m`, alertname: c.rule.alert, exp_alerts: [] }] : []),
        { eval_time: `${firingAt}m`, alertname: c.rule.alert, exp_alerts: fires },
      ],
    },
  ];
  return writeYaml(dir, name, { rule_files: [path.relative(dir, rulesFile)], evaluation_interval: "1m", tests });
}

describe("alert rules in the Prometheus rule engine (promtool)", () => {
  let views: RegionView[];
  let dir: string;
  const rulesFiles = new Map<string, string>();

  /**
   * A test's promtool cases: built once the plan is read, then every case of this file runs in one promtool
   * batch (beforeAll, one process start instead of one per case) and each test reads its own cases' verdicts.
   */
  interface CaseSet {
    readonly build: () => Case[];
    results?: { case: Case; verdict: UnitTestVerdict }[] | Error;
  }
  const caseSets: CaseSet[] = [];
  const promtoolCases = (build: () => Case[]): CaseSet => {
    const set: CaseSet = { build };
    caseSets.push(set);
    return set;
  };
  const resultsOf = (set: CaseSet) => {
    if (set.results === undefined) throw new Error("promtool did not run this test's cases (beforeAll failed)");
    if (set.results instanceof Error) throw set.results;
    return set.results;
  };
  const expectPasses = (v: UnitTestVerdict, what: string) => expect(v.passed, `${what}\n${v.report}`).toBe(true);
  const expectAllPass = (set: CaseSet) => {
    for (const { case: c, verdict } of resultsOf(set)) expectPasses(verdict, c.what);
  };

  beforeAll(async () => {
    requireTool("promtool", ENGINE_TOOLS.promtool.debianPackage);
    const prod = await recordStack("prod");
    const byUrn = new Map(prod.map((r) => [r.urn, r]));
    const inRegion = (type: string, region: string) => ofType(prod, type).filter((r) => regionOf(r, byUrn) === region);
    const regions = [...new Set(ofType(prod, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").map((r) => regionOf(r, byUrn)))].sort();
    views = regions.map((region) => {
      const monitors = inRegion("kubernetes:monitoring.coreos.com/v1:PodMonitor", region);
      const monitor = (name: string) => monitors.find((m) => input(m, "metadata.name") === name)!;
      return {
        region,
        // The SLO and fleet rules (each model's rollout notifications are a PrometheusRule of its own, tested in rollout-gates.test.ts).
        groups: input(inRegion("kubernetes:monitoring.coreos.com/v1:PrometheusRule", region).find((r) => input(r, "metadata.name") === "llm-alerts")!, "spec.groups") as Group[],
        vllmMonitor: monitor("vllm"),
        envoyMonitor: monitor("envoy-proxy"),
        dcgmValues: input(inRegion("kubernetes:helm.sh/v3:Release", region).find((r) => input(r, "chart") === "dcgm-exporter")!, "values") as RegionView["dcgmValues"],
        deployments: inRegion("kubernetes:apps/v1:Deployment", region).filter((d) => labelsOf(d, "metadata.labels")["app.kubernetes.io/name"] === "vllm"),
        // The program's routes and the model routes Flagger generates from each Canary (as the pack rebuilds them).
        routes: [
          ...inRegion("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", region),
          ...inRegion("kubernetes:flagger.app/v1beta1:Canary", region).map((c) => {
            const service = input(c, "spec.service") as Record<string, unknown>;
            const name = String(service.name);
            return { ...c, type: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", inputs: { metadata: { name, namespace: input(c, "metadata.namespace") }, spec: flaggerRouteSpec(service, name, service.port) } };
          }),
        ],
        scaledObjects: inRegion("kubernetes:keda.sh/v1alpha1:ScaledObject", region),
      };
    });
    dir = tempDir("promtool");
    for (const v of views) rulesFiles.set(v.region, writeYaml(dir, `rules-${v.region}.yaml`, { groups: v.groups }));

    // One unit-test file per case, as a run of its own would read it; a set whose cases cannot be built fails its own test only.
    const files: string[] = [];
    const built = caseSets.map((set) => {
      try {
        return set.build().map((c) => {
          const file = unitTestFile(dir, `${String(files.length).padStart(3, "0")}-${c.what.replace(/[^A-Za-z0-9.]+/g, "-")}.test.yaml`, c.rulesFile ?? rulesFiles.get(c.region)!, c);
          files.push(file);
          return { c, file };
        });
      } catch (e) {
        return e instanceof Error ? e : new Error(String(e));
      }
    });
    // Two promtool runs side by side: the machine has two cores.
    const verdicts = await promtoolTestRules(files, 2);
    caseSets.forEach((set, i) => {
      const b = built[i];
      set.results = b instanceof Error ? b : b.map(({ c, file }) => ({ case: c, verdict: verdicts.get(file)! }));
    });
  }, 180_000); // recording whole stacks can outlast the default hook timeout while the full suite runs

  const endpointsOf = (v: RegionView) => v.groups.filter((g) => g.name.startsWith("llm-slo-")).map((g) => g.name.slice("llm-slo-".length));
  const stableOf = (v: RegionView, e: string) => {
    const d = v.deployments.find((x) => labelsOf(x, "metadata.labels")["llm-blueprint/endpoint"] === e && labelsOf(x, "metadata.labels")["llm-blueprint/track"] === "stable");
    if (!d) throw new Error(`${v.region}: no stable vLLM Deployment for ${e}`);
    return d;
  };

  it("the plan has SLO rules for every served endpoint in each region, and promtool accepts every rules file", async () => {
    expect(views.length).toBeGreaterThanOrEqual(2);
    // One promtool run checks every region's file; it exits non-zero if any file fails, and names each file it accepts.
    const checked = await run("promtool", ["check", "rules", ...views.map((v) => rulesFiles.get(v.region)!)]);
    expect(checked.status, `promtool check rules\n${checked.output}`).toBe(0);
    for (const v of views) {
      expect(endpointsOf(v).length, v.region).toBeGreaterThan(0);
      expect(checked.stdout, `promtool check rules ${v.region}`).toContain(`Checking ${rulesFiles.get(v.region)!}\n  SUCCESS: `);
    }
  });

  /** A p99 latency SLO alert of every endpoint in every region: silent on a healthy histogram, firing on a breach. */
  function latencySloCases(alert: string, metric: string, buckets: number[], requestsPerMinute: number, what: string): Case[] {
    return views.flatMap((v) =>
      endpointsOf(v).map((e): Case => {
        const r = rule(v, alert, `llm-slo-${e}`);
        const d = stableOf(v, e);
        const make = (m: string, own: Labels, values: string) => vllmSeries(v, d, m, own, values);
        const slo = sloThreshold(r);
        return {
          region: v.region,
          rule: r,
          healthy: histogram(metric, buckets, healthyBucket(buckets, slo), requestsPerMinute, 1, make),
          breach: histogram(metric, buckets, breachBucket(buckets, slo), requestsPerMinute, 1, make),
          seriesLabels: { llm_blueprint_track: "stable" },
          what: `${v.region} ${e} ${what}`,
        };
      }),
    );
  }

  const ttft = promtoolCases(() => latencySloCases("LlmTtftP99AboveSlo", "vllm:time_to_first_token_seconds_bucket", TTFT_BUCKETS, 60, "TTFT"));
  it("p99 time to first token: silent below the SLO, fires above it after latencyFor", () => {
    expectAllPass(ttft);
  });

  const previousTtft = promtoolCases(() =>
    views.flatMap((v) =>
      v.deployments
        .filter((x) => labelsOf(x, "metadata.labels")["llm-blueprint/track"] === "previous")
        .map((d): Case => {
          const e = labelsOf(d, "metadata.labels")["llm-blueprint/endpoint"];
          const r = rule(v, "LlmTtftP99AboveSlo", `llm-slo-${e}`);
          const make = (m: string, own: Labels, values: string) => vllmSeries(v, d, m, own, values);
          const slo = sloThreshold(r);
          return {
            region: v.region,
            rule: r,
            healthy: histogram("vllm:time_to_first_token_seconds_bucket", TTFT_BUCKETS, healthyBucket(TTFT_BUCKETS, slo), 60, 1, make),
            breach: histogram("vllm:time_to_first_token_seconds_bucket", TTFT_BUCKETS, breachBucket(TTFT_BUCKETS, slo), 60, 1, make),
            seriesLabels: { llm_blueprint_track: "previous" },
            what: `${v.region} ${e} previous TTFT`,
          };
        }),
    ),
  );
  it("a warm previous version serving an emergency rollback is held to its endpoint's TTFT SLO (the scrape labels it track previous)", () => {
    const results = resultsOf(previousTtft);
    for (const { case: c, verdict } of results) expectPasses(verdict, c.what);
    // prod keeps chat-small's replaced version warm in each of its three regions.
    expect(results.length).toBe(3);
  });

  const tpot = promtoolCases(() => latencySloCases("LlmTpotP99AboveSlo", "vllm:inter_token_latency_seconds_bucket", ITL_BUCKETS, 600, "TPOT"));
  it("p99 time per output token: silent below the SLO, fires above it after latencyFor", () => {
    expectAllPass(tpot);
  });

  describe("error rate, counting vLLM's 5xx and the gateway's", () => {
    /** Requests a minute: `total` answered, `errors` of them 5xx, seen by vLLM and/or the gateway. */
    function traffic(v: RegionView, e: string, o: { vllmErrors?: number; gatewayErrors?: number; vllm?: boolean; mirrorErrors?: number }): Series[] {
      const total = 1000;
      const d = stableOf(v, e);
      const route = v.routes.find((x) => input(x, "metadata.name") === e)!;
      const cluster = `httproute/${String(input(route, "metadata.namespace"))}/${String(input(route, "metadata.name"))}/rule/0`;
      const out: (Series | undefined)[] = [];
      if (o.vllm !== false) {
        const errors = o.vllmErrors ?? 0;
        const handler = { handler: "/v1/chat/completions", method: "POST" };
        out.push(vllmSeries(v, d, "http_requests_total", { ...handler, status: "2xx" }, `0+${total - errors}x1`));
        out.push(vllmSeries(v, d, "http_requests_total", { ...handler, status: "5xx" }, `0+${errors}x1`));
      }
      const gatewayErrors = o.gatewayErrors ?? o.vllmErrors ?? 0;
      out.push(envoySeries(v, "envoy_cluster_upstream_rq_xx", { envoy_cluster_name: cluster, envoy_response_code_class: "2" }, `0+${total - gatewayErrors}x1`));
      out.push(envoySeries(v, "envoy_cluster_upstream_rq_xx", { envoy_cluster_name: cluster, envoy_response_code_class: "5" }, `0+${gatewayErrors}x1`));
      // The shadow's mirror cluster: its failures answer nobody and must not count.
      if (o.mirrorErrors) out.push(envoySeries(v, "envoy_cluster_upstream_rq_xx", { envoy_cluster_name: `${cluster}-mirror-0`, envoy_response_code_class: "5" }, `0+${o.mirrorErrors}x1`));
      // A metric the PodMonitor drops, to show the keep list applies.
      out.push(envoySeries(v, "envoy_cluster_upstream_cx_active", { envoy_cluster_name: cluster }, "5x1"));
      return out.filter((s): s is Series => s !== undefined);
    }

    it("the gateway series carry the endpoint label, mirrors and unlisted metrics do not come through", () => {
      const v = views[0];
      const e = endpointsOf(v)[0];
      const series = traffic(v, e, { mirrorErrors: 5 });
      const envoy = series.filter((s) => s.metric.startsWith("envoy_"));
      expect(envoy.map((s) => s.labels.llm_blueprint_endpoint)).toEqual([e, e, undefined]);
      expect(envoy.map((s) => s.metric)).toEqual(["envoy_cluster_upstream_rq_xx", "envoy_cluster_upstream_rq_xx", "envoy_cluster_upstream_rq_xx"]);
      const regionRelabel = (input(v.envoyMonitor, "spec.podMetricsEndpoints") as Endpoint[])[0].relabelings!.find((x) => x.targetLabel === "region")!;
      for (const s of envoy) expect(s.labels).toMatchObject({ region: regionRelabel.replacement, namespace: "envoy-gateway-system" });
    });

    for (const scenario of ["vLLM answers 5xx", "only the gateway fails (no healthy upstream, timeouts)", "no vLLM series at all (every pod gone)"] as const) {
      const errorRate = promtoolCases(() =>
        views.flatMap((v) =>
          endpointsOf(v).map((e): Case => {
            const r = rule(v, "LlmErrorRateAboveSlo", `llm-slo-${e}`);
            const underSlo = (sloThreshold(r) / 100) * 1000 * 0.5;
            const overSlo = (sloThreshold(r) / 100) * 1000 * 4;
            const breach =
              scenario === "vLLM answers 5xx"
                ? traffic(v, e, { vllmErrors: overSlo })
                : scenario.startsWith("only the gateway")
                  ? traffic(v, e, { vllmErrors: 0, gatewayErrors: overSlo })
                  : traffic(v, e, { vllm: false, gatewayErrors: 1000 });
            return { region: v.region, rule: r, healthy: traffic(v, e, { vllmErrors: underSlo, mirrorErrors: 1000 }), breach, seriesLabels: {}, what: `${v.region} ${e} error rate: ${scenario}` };
          }),
        ),
      );
      it(`silent under the SLO, fires when ${scenario}`, () => {
        expectAllPass(errorRate);
      });
    }
  });

  const vllmOnlyRule = promtoolCases(() => {
    const v = views[0];
    const e = endpointsOf(v)[0];
    const r = rule(v, "LlmErrorRateAboveSlo", `llm-slo-${e}`);
    const vllmOnly = /label_replace\((sum\(rate\(http_requests_total.*?1e-9\)), "source", "vllm"/.exec(r.expr)![1];
    const before: Rule = { ...r, expr: `100 * ${vllmOnly} > ${sloThreshold(r)}` };
    const rulesFile = writeYaml(dir, `rules-${v.region}-vllm-only.yaml`, { groups: [{ name: `llm-slo-${e}`, rules: [before] }] });
    const d = stableOf(v, e);
    const route = v.routes.find((x) => input(x, "metadata.name") === e)!;
    const cluster = `httproute/${String(input(route, "metadata.namespace"))}/${e}/rule/0`;
    const gatewayDown = [
      envoySeries(v, "envoy_cluster_upstream_rq_xx", { envoy_cluster_name: cluster, envoy_response_code_class: "5" }, "0+1000x1")!,
      vllmSeries(v, d, "http_requests_total", { handler: "/v1/chat/completions", method: "POST", status: "2xx" }, "0x1"),
    ];
    return [{ region: v.region, rule: before, healthy: gatewayDown, breach: gatewayDown, seriesLabels: {}, what: `${v.region} ${e} error rate of before (vLLM only)`, rulesFile }];
  });
  it("the error rate rule of before (vLLM's 5xx only) misses a gateway with no healthy upstream: the test catches it", () => {
    const [{ verdict }] = resultsOf(vllmOnlyRule);
    expect(verdict.passed).toBe(false);
    expect(verdict.report).toMatch(/got:\s*\[\]/);
  });

  const versionSkew = promtoolCases(() =>
    views.flatMap((v) =>
      endpointsOf(v).map((e): Case => {
        const r = rule(v, "LlmVersionSkew", `llm-slo-${e}`);
        const d = stableOf(v, e);
        const target = vllmTarget(v, d);
        const stray = { ...target, llm_blueprint_revision: "0000000000000000000000000000000000000000" };
        return {
          region: v.region,
          rule: r,
          healthy: [vllmSeries(v, d, "vllm:request_success_total", { finished_reason: "stop" }, "0+30x1", target)],
          breach: [vllmSeries(v, d, "vllm:request_success_total", { finished_reason: "stop" }, "0+30x1", stray)],
          seriesLabels: { llm_blueprint_revision: stray.llm_blueprint_revision },
          what: `${v.region} ${e} version skew`,
        };
      }),
    ),
  );
  it("version skew: silent while deployed revisions serve, fires when another revision answers", () => {
    expectAllPass(versionSkew);
  });

  describe("fleet alerts", () => {
    const fleet = (v: RegionView, alert: string) => rule(v, alert, "llm-fleet");
    const firstPod = (v: RegionView) => stableOf(v, endpointsOf(v)[0]);
    const threshold = (r: Rule) => sloThreshold(r);
    /** One case per region. */
    const perRegion = (build: (v: RegionView) => Case) => promtoolCases(() => views.map(build));

    const queueDepth = perRegion((v) => {
      const r = fleet(v, "LlmQueueDepthHigh");
      const d = firstPod(v);
      const t = vllmTarget(v, d);
      const q = (n: number) => [vllmSeries(v, d, "vllm:num_requests_waiting", {}, `${n}x1`)];
      return { region: v.region, rule: r, healthy: q(threshold(r) / 2), breach: q(threshold(r) * 2 + 1), seriesLabels: { namespace: t.namespace, llm_blueprint_endpoint: t.llm_blueprint_endpoint, llm_blueprint_track: t.llm_blueprint_track }, from: 0, what: `${v.region} queue depth` };
    });
    it("queue depth: silent with a short queue, fires when requests queue per replica above the threshold", () => {
      expectAllPass(queueDepth);
    });

    const kvCache = perRegion((v) => {
      const r = fleet(v, "LlmKvCacheNearlyFull");
      const d = firstPod(v);
      const t = vllmTarget(v, d);
      const kv = (x: number) => [vllmSeries(v, d, "vllm:kv_cache_usage_perc", {}, `${x}x1`)];
      return { region: v.region, rule: r, healthy: kv(threshold(r) / 2), breach: kv((1 + threshold(r)) / 2), seriesLabels: { namespace: t.namespace, llm_blueprint_endpoint: t.llm_blueprint_endpoint, llm_blueprint_track: t.llm_blueprint_track }, from: 0, what: `${v.region} kv cache` };
    });
    it("KV cache: silent at half use, fires above the threshold", () => {
      expectAllPass(kvCache);
    });

    const stuckEngine = perRegion((v) => {
      const r = fleet(v, "LlmStuckEngine");
      const d = firstPod(v);
      const t = vllmTarget(v, d);
      const waiting = vllmSeries(v, d, "vllm:num_requests_waiting", {}, "3x1");
      return { region: v.region, rule: r, healthy: [waiting, dcgmSeries(v, t, "85x1")], breach: [waiting, dcgmSeries(v, t, "0x1")], seriesLabels: { namespace: t.namespace, pod: t.pod }, from: 0, what: `${v.region} stuck engine` };
    });
    it("stuck engine: silent while the pod's GPU works, fires when requests wait on an idle GPU", () => {
      expectAllPass(stuckEngine);
    });

    const idleGpu = perRegion((v) => {
      const r = fleet(v, "GpuIdle");
      const t = vllmTarget(v, firstPod(v));
      const busy = dcgmSeries(v, t, "40x1");
      const idle = dcgmSeries(v, t, "0x1");
      return { region: v.region, rule: r, healthy: [busy], breach: [idle], seriesLabels: { region: idle.labels.region, node: idle.labels.node, gpu: idle.labels.gpu }, from: 0, what: `${v.region} idle GPU` };
    });
    it("idle GPU: silent while busy, fires after idleGpuFor at zero", () => {
      for (const { case: c, verdict } of resultsOf(idleGpu)) {
        expect(c.breach[0].labels.region, "dcgm-exporter relabelling sets the region").toBeTruthy();
        expectPasses(verdict, c.what);
      }
    });

    const restarts = (t: Labels, values: string) => ksmSeries("kube_pod_container_status_restarts_total", { namespace: t.namespace, pod: t.pod, container: "vllm", uid: "6f1c2d3e-0000-4000-8000-000000000001" }, values);
    const lastReason = (t: Labels, reason: string) => ksmSeries("kube_pod_container_status_last_terminated_reason", { namespace: t.namespace, pod: t.pod, container: "vllm", uid: "6f1c2d3e-0000-4000-8000-000000000001", reason }, "1x1");
    const restartLabels = (s: Series) => s.labels;

    const podRestarting = perRegion((v) => {
      const r = fleet(v, "LlmPodRestarting");
      const t = vllmTarget(v, firstPod(v));
      const restarted = restarts(t, "0x4 1x30");
      return { region: v.region, rule: r, healthy: [restarts(t, "0x1")], breach: [restarted], seriesLabels: restartLabels(restarted), from: 5, what: `${v.region} pod restarting` };
    });
    it("pod restarting: silent without restarts, fires after a restart", () => {
      expectAllPass(podRestarting);
    });

    const oomKilled = perRegion((v) => {
      const r = fleet(v, "LlmOomKilled");
      const t = vllmTarget(v, firstPod(v));
      const restarted = restarts(t, "0x4 1x30");
      return { region: v.region, rule: r, healthy: [restarted, lastReason(t, "Error")], breach: [restarted, lastReason(t, "OOMKilled")], seriesLabels: restartLabels(restarted), from: 5, what: `${v.region} OOM kill` };
    });
    it("OOM kill: silent when a restart had another cause, fires when the container was OOM-killed", () => {
      expectAllPass(oomKilled);
    });

    const replicasBelowMinimum = perRegion((v) => {
      const r = fleet(v, "LlmReplicasBelowMinimum");
      const so = v.scaledObjects.find((s) => Number(input(s, "spec.minReplicaCount")) >= 1)!;
      const min = Number(input(so, "spec.minReplicaCount"));
      // KEDA names the HPA it creates keda-hpa-<ScaledObject name>.
      const hpa = { namespace: String(input(so, "metadata.namespace")), horizontalpodautoscaler: `keda-hpa-${String(input(so, "metadata.name"))}` };
      const pair = (current: number) => [ksmSeries("kube_horizontalpodautoscaler_status_current_replicas", hpa, `${current}x1`), ksmSeries("kube_horizontalpodautoscaler_spec_min_replicas", hpa, `${min}x1`)];
      const [current] = pair(min - 1);
      return { region: v.region, rule: r, healthy: pair(min), breach: pair(min - 1), seriesLabels: current.labels, from: 0, what: `${v.region} replicas below minimum` };
    });
    it("replicas below minimum: silent at the ScaledObject's minimum, fires below it", () => {
      expectAllPass(replicasBelowMinimum);
    });
  });

  const hollow = promtoolCases(() => {
    const v = views[0];
    const e = endpointsOf(v)[0];
    const r = rule(v, "LlmTtftP99AboveSlo", `llm-slo-${e}`);
    const d = stableOf(v, e);
    const make = (m: string, own: Labels, values: string) => vllmSeries(v, d, m, own, values);
    const healthy = histogram("vllm:time_to_first_token_seconds_bucket", TTFT_BUCKETS, healthyBucket(TTFT_BUCKETS, sloThreshold(r)), 60, 1, make);
    // Healthy series offered as the breach: promtool must report the missing alert.
    return [{ region: v.region, rule: r, healthy, breach: healthy, seriesLabels: { llm_blueprint_track: "stable" }, what: `${v.region} ${e} TTFT with healthy series as the breach` }];
  });
  it("promtool itself fails these tests when an alert misses its breach (the harness is not hollow)", () => {
    // In the same batch as every other case: the batch's verdicts tell this file's failure from the others' success.
    const [{ verdict }] = resultsOf(hollow);
    expect(verdict.passed).toBe(false);
    expect(verdict.report).toMatch(/LlmTtftP99AboveSlo/);
  });
});

describe("a missing engine fails the tests with how to install it", () => {
  it("names the Debian package, locally and in CI", async () => {
    expect(() => requireTool("promtool-not-installed", "prometheus", {})).toThrow(/promtool-not-installed is not installed .*npm run setup:engines.*sudo apt-get update && apt-get install -y prometheus/);
    expect(() => requireTool("amtool-not-installed", "prometheus-alertmanager", { CI: "true" })).toThrow(/CI is set: \.ci\/run installs it \(npm run setup:engines\) before npm test/);
  });
});
