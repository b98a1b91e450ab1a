import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { errorSloCountsGateway, scrapeTargetsReachable } from "../../policies/rules/observability";
import { evaluate, recordStack } from "./harness";

const T = {
  release: "kubernetes:helm.sh/v3:Release",
  podMonitor: "kubernetes:monitoring.coreos.com/v1:PodMonitor",
  rule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
};
const values = (r: PlanResource) => r.inputs.values as Record<string, Record<string, unknown>>;
const kps = (rs: PlanResource[]) => rs.filter((r) => r.type === T.release && r.inputs.chart === "kube-prometheus-stack");
const named = (rs: PlanResource[], type: string, name: string) => rs.filter((r) => r.type === type && (r.inputs.metadata as { name: string }).name === name);

let prod: PlanResource[];
let staging: PlanResource[];
beforeAll(async () => {
  prod = await recordStack("prod");
  staging = await recordStack("staging");
}, 180_000); // recording whole stacks can outlast the default hook timeout while the full suite runs

describe("scrape-targets-reachable", () => {
  const policy = scrapeTargetsReachable.name;

  it("passes on the committed prod and staging stacks", async () => {
    expect(await evaluate(prod, { policy })).toEqual([]);
    expect(await evaluate(staging, { policy })).toEqual([]);
  });

  it("fails when the chart's control-plane, etcd and kube-proxy targets come back (defect 6)", async () => {
    const vs = await evaluate(prod, {
      policy,
      mutate: (rs) => {
        for (const r of kps(rs)) for (const k of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"]) delete values(r)[k];
      },
    });
    expect(vs.map((v) => /scrape target "([^"]+)"/.exec(v.message)![1]).sort()).toEqual(
      Array(kps(prod).length).fill(["kube-controller-manager", "kube-etcd", "kube-proxy", "kube-scheduler"]).flat().sort(),
    );
    expect(vs[0].message).toMatch(/\(chart default\).*is enabled but EKS cannot serve it/);
    for (const v of vs) expect(v.urn).toMatch(/kube-prometheus-stack$/);
  });

  it("fails on a monitor nobody recorded a reason for", async () => {
    const vs = await evaluate(prod, {
      policy,
      mutate: (rs) => {
        for (const m of named(rs, T.podMonitor, "envoy-proxy")) (m.inputs.metadata as { name: string }).name = "envoy-admin";
      },
    });
    expect(vs.length).toBe(kps(prod).length);
    for (const v of vs) expect(v.message).toMatch(/scrape target "PodMonitor\/monitoring\/envoy-admin" \(PodMonitor\) has no recorded reason why EKS can serve it/);
  });
});

describe("error-slo-counts-gateway", () => {
  const policy = errorSloCountsGateway.name;

  it("passes on the committed prod and staging stacks", async () => {
    expect(await evaluate(prod, { policy })).toEqual([]);
    expect(await evaluate(staging, { policy })).toEqual([]);
  });

  it("fails when the error-rate SLO counts only vLLM's 5xx (defect 7)", async () => {
    const vs = await evaluate(prod, {
      policy,
      mutate: (rs) => {
        for (const r of rs.filter((x) => x.type === T.rule)) {
          for (const g of (r.inputs.spec as { groups: { rules: { alert: string; expr: string }[] }[] }).groups) {
            for (const a of g.rules.filter((x) => x.alert === "LlmErrorRateAboveSlo")) a.expr = a.expr.replace(/envoy_cluster_upstream_rq_xx/g, "envoy_cluster_upstream_rq_total");
          }
        }
      },
    });
    expect(vs.length).toBeGreaterThanOrEqual(kps(prod).length);
    for (const v of vs) expect(v.message).toMatch(/LlmErrorRateAboveSlo for .* must read vLLM's 5xx \(http_requests_total\) and the gateway's/);
  });

  it("fails when no PodMonitor scrapes the gateway's proxies, or scrapes them without the endpoint label", async () => {
    const gone = await evaluate(prod, { policy, mutate: (rs) => rs.splice(0, rs.length, ...rs.filter((r) => !named([r], T.podMonitor, "envoy-proxy").length)) });
    expect(gone.length).toBe(kps(prod).length);
    for (const v of gone) expect(v.message).toMatch(/no PodMonitor in its cluster selects its Envoy proxies \(gateway\.envoyproxy\.io\/owning-gateway-name=inference/);
    const unlabelled = await evaluate(prod, {
      policy,
      mutate: (rs) => {
        for (const m of named(rs, T.podMonitor, "envoy-proxy")) for (const e of (m.inputs.spec as { podMetricsEndpoints: { metricRelabelings: unknown[] }[] }).podMetricsEndpoints) e.metricRelabelings = [];
      },
    });
    expect(unlabelled.length).toBe(kps(prod).length);
    for (const v of unlabelled) expect(v.message).toMatch(/does not label the gateway's route series with llm_blueprint_endpoint/);
  });

  it("fails when Envoy Gateway moves the proxies beside the Gateway and the PodMonitor still looks in the controller's namespace", async () => {
    const vs = await evaluate(prod, {
      policy,
      mutate: (rs) => {
        for (const r of rs.filter((x) => x.type === T.release && /gateway-helm$/.test(String(x.inputs.chart)))) {
          r.inputs.values = { ...(r.inputs.values as object), config: { envoyGateway: { provider: { type: "Kubernetes", kubernetes: { deploy: { type: "GatewayNamespace" } } } } } };
        }
      },
    });
    expect(vs.length).toBe(kps(prod).length);
    for (const v of vs) expect(v.message).toMatch(/looks for Gateway inference-gateway\/inference's proxies in \["envoy-gateway-system"\], but they run in inference-gateway/);
  });
});
