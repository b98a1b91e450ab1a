import * as k8s from "@pulumi/kubernetes";
import { beforeAll, describe, expect, it } from "vitest";
import { ServingAddons } from "../../components/ServingAddons";
import { ENVOY_GATEWAY_CHART, KEDA_CHART } from "../../lib/baseline";
import { PlanResource } from "../../lib/plan/document";
import { input, ofType, one, plan } from "../harness";

describe("ServingAddons", () => {
  let resources: PlanResource[];
  beforeAll(async () => {
    resources = await plan(() => new ServingAddons("serving", {}, { providers: [new k8s.Provider("kube", { kubeconfig: "{}" })] }));
  });

  it("installs Envoy Gateway (from its OCI chart) and KEDA at pinned versions", () => {
    const releases = ofType(resources, "kubernetes:helm.sh/v3:Release");
    expect(releases.map((r) => [input(r, "chart"), input(r, "version")]).sort()).toEqual(
      [
        [ENVOY_GATEWAY_CHART.chart, ENVOY_GATEWAY_CHART.version],
        [KEDA_CHART.chart, KEDA_CHART.version],
      ].sort(),
    );
    const envoy = releases.find((r) => input(r, "chart") === ENVOY_GATEWAY_CHART.chart)!;
    expect(input(envoy, "repositoryOpts")).toBeUndefined();
    expect(input(releases.find((r) => r !== envoy)!, "repositoryOpts.repo")).toBe(KEDA_CHART.repo);
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
