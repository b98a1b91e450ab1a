import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { EKS_SCRAPE_REACHABILITY, enabledScrapeTargets, scrapeTargetProblems } from "../../lib/observability";
import { regionOf } from "../../lib/plan/summary";
import { combinedStackConfig, entryPoint, recordWithoutStacks, input, ofType } from "../harness";
import { recordOneStack } from "../oneStack";

const NS = "llm-blueprint";
interface Slo {
  ttftP99Seconds: number;
  tpotP99Seconds: number;
  errorRatePercent: number;
}
interface ObservabilityInput {
  slos: Record<string, Slo>;
  alerts?: { latencyFor?: string };
}

function stackConfig(stack: string) {
  return combinedStackConfig(stack);
}

/** Plans a committed stack through the real entry point, optionally editing its observability block. */
async function planStack(stack: string, edit?: (o: ObservabilityInput) => void): Promise<PlanResource[]> {
  const { config, secretKeys } = stackConfig(stack);
  if (edit) {
    const o = JSON.parse(config[`${NS}:observability`]) as ObservabilityInput;
    edit(o);
    config[`${NS}:observability`] = JSON.stringify(o);
  }
  const program = await entryPoint();
  return (await recordWithoutStacks(() => program(), { project: NS, stack, config, secretKeys })).resources;
}

interface Rule {
  alert: string;
  expr: string;
  for: string;
}
const groups = (r: PlanResource) => input(r, "spec.groups") as { name: string; rules: Rule[] }[];

describe("observability in the prod stack", () => {
  let prod: PlanResource[];
  let byUrn: Map<string, PlanResource>;
  beforeAll(async () => {
    // The unedited prod stack as one program: recorded once for the whole test run (recordOneStack).
    prod = await recordOneStack("prod");
    byUrn = new Map(prod.map((r) => [r.urn, r]));
  });

  it("runs the observability stack in every region", () => {
    const regions = ofType(prod, "llm-blueprint:region:InferenceRegion").map((r) => r.name);
    const components = ofType(prod, "llm-blueprint:observability:Observability");
    expect(components.map((c) => regionOf(c, byUrn)).sort()).toEqual([...regions].sort());
    for (const chart of ["kube-prometheus-stack", "dcgm-exporter", "aws-for-fluent-bit"]) {
      const releases = ofType(prod, "kubernetes:helm.sh/v3:Release").filter((r) => input(r, "chart") === chart);
      expect(releases.map((r) => regionOf(r, byUrn)).sort(), chart).toEqual([...regions].sort());
    }
  });

  it("gives every vLLM Deployment a scrape target that its namespace's network policy lets through", () => {
    const deployments = ofType(prod, "kubernetes:apps/v1:Deployment").filter((d) => (input(d, "metadata.labels") as Record<string, string>)["app.kubernetes.io/name"] === "vllm");
    expect(deployments.length).toBeGreaterThanOrEqual(6); // two endpoints in three regions (Flagger makes the primaries)
    for (const d of deployments) {
      const region = regionOf(d, byUrn);
      const monitor = ofType(prod, "kubernetes:monitoring.coreos.com/v1:PodMonitor").find((m) => regionOf(m, byUrn) === region)!;
      expect(monitor, d.urn).toBeDefined();
      const podLabels = input(d, "spec.template.metadata.labels") as Record<string, string>;
      const selector = input(monitor, "spec.selector.matchLabels") as Record<string, string>;
      for (const [k, v] of Object.entries(selector)) expect(podLabels[k], `${d.urn} ${k}`).toBe(v);
      // The carried labels exist on the pod, so every series can be sliced by endpoint, track, model and revision.
      for (const label of input(monitor, "spec.podTargetLabels") as string[]) expect(podLabels[label], `${d.urn} ${label}`).toBeTruthy();
      const endpointPort = (input(monitor, "spec.podMetricsEndpoints") as { port: string }[])[0].port;
      const containers = input(d, "spec.template.spec.containers") as { name: string; ports?: { name: string; containerPort: number }[] }[];
      const port = containers.flatMap((c) => c.ports ?? []).find((p) => p.name === endpointPort);
      expect(port, d.urn).toBeDefined();
      const namespace = input(d, "metadata.namespace");
      // Beside the namespace's default deny (no rules), some policy must admit Prometheus.
      const policies = ofType(prod, "kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((p) => regionOf(p, byUrn) === region && input(p, "metadata.namespace") === namespace);
      const ingress = policies.flatMap((p) => (input(p, "spec.ingress") ?? []) as { from: { namespaceSelector?: { matchLabels: Record<string, string> } }[]; ports: { port: number }[] }[]);
      const fromMonitoring = ingress.filter((rule) => rule.from.some((f) => f.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] === input(monitor, "metadata.namespace")));
      expect(fromMonitoring.some((rule) => rule.ports.some((p) => p.port === port!.containerPort)), d.urn).toBe(true);
    }
  });

  it("every scrape target enabled in prod is one EKS can serve, each with the reason why", () => {
    const regions = ofType(prod, "llm-blueprint:region:InferenceRegion").map((r) => r.name);
    const targets = enabledScrapeTargets(prod);
    // The inventory a reviewer reads: target, what enables it, why it is reachable on EKS.
    const table = [...new Set(targets.map((t) => t.target))].sort().map((t) => ({ target: t, why: EKS_SCRAPE_REACHABILITY[t]?.why }));
    for (const row of table) expect(row.why, row.target).toBeTruthy();
    expect(scrapeTargetProblems(prod)).toEqual([]);
    // What the blueprint itself adds is scraped in every region; what EKS cannot serve is not.
    for (const region of regions) {
      const here = new Set(targets.filter((t) => regionOf(byUrn.get(t.urn)!, byUrn) === region).map((t) => t.target));
      for (const ours of ["PodMonitor/monitoring/vllm", "PodMonitor/monitoring/envoy-proxy", "dcgm-exporter", "kubelet", "apiserver"]) expect(here.has(ours), `${region} ${ours}`).toBe(true);
      for (const unserved of ["kube-controller-manager", "kube-scheduler", "kube-etcd", "kube-proxy"]) expect(here.has(unserved), `${region} ${unserved}`).toBe(false);
    }
  });

  it("the scrape-target check fails on the defect: a chart target EKS cannot serve, or a target nobody vouched for", () => {
    const withValues = (edit: (values: Record<string, Record<string, unknown>>) => void) => {
      const copy = structuredClone(prod) as PlanResource[];
      for (const r of copy.filter((x) => x.type === "kubernetes:helm.sh/v3:Release" && input(x, "chart") === "kube-prometheus-stack")) edit(r.inputs.values as Record<string, Record<string, unknown>>);
      return copy;
    };
    // The chart's defaults come back when the blueprint stops turning them off.
    const defaults = scrapeTargetProblems(withValues((v) => delete v.kubeEtcd));
    expect(defaults).toHaveLength(3);
    expect(defaults[0]).toMatch(/scrape target "kube-etcd" \(kubeEtcd.enabled=true \(chart default\), kubeEtcd.serviceMonitor.enabled=true \(chart default\)\) is enabled but EKS cannot serve it: EKS does not expose etcd/);
    const proxy = scrapeTargetProblems(withValues((v) => (v.kubeProxy = { enabled: true })));
    expect(proxy.every((p) => /"kube-proxy".*127\.0\.0\.1:10249/.test(p))).toBe(true);
    // A new monitor, from a chart's values or as a resource, needs a recorded reason.
    const copy = structuredClone(prod) as PlanResource[];
    const keda = copy.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && input(r, "chart") === "keda")!;
    (keda.inputs.values as Record<string, unknown>).prometheus = { operator: { serviceMonitor: { enabled: true } } };
    const monitor = structuredClone(copy.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PodMonitor")!);
    (monitor.inputs.metadata as Record<string, unknown>).name = "kube-proxy-node-local";
    copy.push({ ...monitor, urn: `${monitor.urn}-copy` });
    const unvouched = scrapeTargetProblems(copy);
    expect(unvouched).toEqual([
      expect.stringMatching(/scrape target "keda:prometheus.operator.serviceMonitor.enabled" .* has no recorded reason why EKS can serve it; add one to EKS_SCRAPE_REACHABILITY/),
      expect.stringMatching(/scrape target "PodMonitor\/monitoring\/kube-proxy-node-local" \(PodMonitor\) has no recorded reason/),
    ]);
  });

  it("derives each endpoint's alerts from the SLO in the stack file, in every region that serves it", () => {
    const cfg = JSON.parse(stackConfig("prod").config[`${NS}:observability`]) as ObservabilityInput;
    const rules = ofType(prod, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").filter((r) => input(r, "metadata.name") === "llm-alerts");
    expect(rules).toHaveLength(3);
    for (const r of rules) {
      for (const [endpoint, slo] of Object.entries(cfg.slos)) {
        const group = groups(r).find((g) => g.name === `llm-slo-${endpoint}`)!;
        expect(group, `${r.urn} ${endpoint}`).toBeDefined();
        const rule = (name: string) => group.rules.find((x) => x.alert === name)!;
        expect(rule("LlmTtftP99AboveSlo").expr.endsWith(`> ${slo.ttftP99Seconds}`)).toBe(true);
        expect(rule("LlmTpotP99AboveSlo").expr.endsWith(`> ${slo.tpotP99Seconds}`)).toBe(true);
        expect(rule("LlmErrorRateAboveSlo").expr.endsWith(`> ${slo.errorRatePercent}`)).toBe(true);
        expect(rule("LlmTtftP99AboveSlo").for).toBe(cfg.alerts?.latencyFor ?? "10m");
      }
    }
  });

  it("changing one SLO in the stack file changes exactly that alert's threshold", async () => {
    const after = await planStack("prod", (o) => {
      o.slos["chat-large"].ttftP99Seconds = 2.5;
    });
    const before = new Map(prod.map((r) => [r.urn, JSON.stringify([r.inputs, r.options])]));
    const changed = after.filter((r) => before.get(r.urn) !== JSON.stringify([r.inputs, r.options]));
    expect(after.map((r) => r.urn).sort()).toEqual([...before.keys()].sort());
    expect(changed.map((r) => r.type)).toEqual(Array(3).fill("kubernetes:monitoring.coreos.com/v1:PrometheusRule"));
    for (const r of changed) {
      const old = groups(prod.find((x) => x.urn === r.urn)!).flatMap((g) => g.rules.map((rule) => ({ group: g.name, ...rule })));
      const now = groups(r).flatMap((g) => g.rules.map((rule) => ({ group: g.name, ...rule })));
      const diffs = now.filter((rule, i) => JSON.stringify(rule) !== JSON.stringify(old[i]));
      expect(diffs.map((d) => [d.group, d.alert])).toEqual([["llm-slo-chat-large", "LlmTtftP99AboveSlo"]]);
      expect(diffs[0].expr).toBe(old.find((o) => o.group === "llm-slo-chat-large" && o.alert === "LlmTtftP99AboveSlo")!.expr.replace(/> 3$/, "> 2.5"));
    }
  });
});
