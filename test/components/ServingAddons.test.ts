import * as k8s from "@pulumi/kubernetes";
import { beforeAll, describe, expect, it } from "vitest";
import { ServingAddons } from "../../components/ServingAddons";
import { ENVOY_GATEWAY_CHART, FLAGGER_CHART, FLAGGER_LOADTESTER_CHART, KEDA_CHART } from "../../lib/baseline";
import { PlanResource } from "../../lib/plan/document";
import { input, ofType, one, plan } from "../harness";

describe("ServingAddons", () => {
  let resources: PlanResource[];
  beforeAll(async () => {
    resources = await plan(
      () => new ServingAddons("serving", { approvedVersions: ["m@2", "m@1"], prometheusUrl: "http://prom.monitoring.svc:9090" }, { providers: [new k8s.Provider("kube", { kubeconfig: "{}" })] }),
    );
  });

  it("installs Envoy Gateway (from its OCI chart), KEDA, Flagger and its load tester at pinned versions", () => {
    const releases = ofType(resources, "kubernetes:helm.sh/v3:Release");
    expect(releases.map((r) => [input(r, "chart"), input(r, "version")]).sort()).toEqual(
      [
        [ENVOY_GATEWAY_CHART.chart, ENVOY_GATEWAY_CHART.version],
        [KEDA_CHART.chart, KEDA_CHART.version],
        [FLAGGER_CHART.chart, FLAGGER_CHART.version],
        [FLAGGER_LOADTESTER_CHART.chart, FLAGGER_LOADTESTER_CHART.version],
      ].sort(),
    );
    const envoy = releases.find((r) => input(r, "chart") === ENVOY_GATEWAY_CHART.chart)!;
    expect(input(envoy, "repositoryOpts")).toBeUndefined();
    expect(input(releases.find((r) => input(r, "chart") === KEDA_CHART.chart)!, "repositoryOpts.repo")).toBe(KEDA_CHART.repo);
  });

  it("runs Flagger on the system pool for Gateway API routes, reading the in-cluster Prometheus, with its own namespace's references only", () => {
    const flagger = ofType(resources, "kubernetes:helm.sh/v3:Release").find((r) => input(r, "chart") === FLAGGER_CHART.chart)!;
    expect(input(flagger, "namespace")).toBe("flagger-system");
    expect(input(flagger, "values")).toMatchObject({
      meshProvider: "gatewayapi:v1",
      metricsServer: "http://prom.monitoring.svc:9090",
      noCrossNamespaceRefs: true,
      selectorLabels: "app.kubernetes.io/instance",
      nodeSelector: { "node.role": "system" },
      securityContext: { enabled: true, context: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } },
    });
    const ns = ofType(resources, "kubernetes:core/v1:Namespace").find((n) => input(n, "metadata.name") === "flagger-system")!;
    expect(input(ns, "metadata.labels")).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted" });
  });

  it("gives the load tester the approved version tuples as a read-only file, one line each, sorted", () => {
    const approvals = ofType(resources, "kubernetes:core/v1:ConfigMap").find((c) => input(c, "metadata.name") === "model-approvals")!;
    expect(input(approvals, "data")).toEqual({ approved: "m@1 approved\nm@2 approved\n" });
    const loadtester = ofType(resources, "kubernetes:helm.sh/v3:Release").find((r) => input(r, "chart") === FLAGGER_LOADTESTER_CHART.chart)!;
    expect(input(loadtester, "values.volumeMounts")).toEqual([{ name: "approvals", mountPath: "/approvals", readOnly: true }]);
    expect(input(loadtester, "name")).toBe("flagger-loadtester");
  });

  it("creates the Gateway only after its class and controller, open only to serving namespaces, behind a fixed-name ClusterIP Service", () => {
    const gateway = ofType(resources, "kubernetes:gateway.networking.k8s.io/v1:Gateway")[0];
    const envoy = ofType(resources, "kubernetes:helm.sh/v3:Release").find((r) => input(r, "chart") === ENVOY_GATEWAY_CHART.chart)!;
    const gatewayClass = one(resources, "kubernetes:gateway.networking.k8s.io/v1:GatewayClass");
    expect(gateway.options.dependsOn).toEqual(expect.arrayContaining([gatewayClass.urn]));
    expect(gatewayClass.options.dependsOn).toContain(envoy.urn);
    const listeners = input(gateway, "spec.listeners") as { port: number; allowedRoutes: unknown }[];
    // The offload port is not shifted by Envoy Gateway (>= 1024), so the NLB can target it as is.
    expect(listeners.map((l) => l.port)).toEqual([80, 8443]);
    for (const l of listeners) expect(l.allowedRoutes).toEqual({ namespaces: { from: "Selector", selector: { matchLabels: { "llm-blueprint/serving": "true" } } } });
    const proxy = one(resources, "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy");
    expect(input(proxy, "spec.provider.kubernetes.envoyService")).toEqual({ name: "inference-gateway", type: "ClusterIP" });
  });
});
