import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { kubernetesKindOf, modelModuleOf, validateKubernetesObject } from "../../policies/rules/schemas";
import { at, evaluate, find, recordStack } from "./harness";

const P = "kubernetes-schemas";
const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  scaledObject: "kubernetes:keda.sh/v1alpha1:ScaledObject",
  route: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
  envoyProxy: "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy",
  binding: "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding",
  podMonitor: "kubernetes:monitoring.coreos.com/v1:PodMonitor",
};

const stacks: Record<string, PlanResource[]> = {};
// Three recordings of the real program: under a loaded CI machine they take longer than the default hook timeout.
beforeAll(async () => {
  for (const s of ["prod", "staging", "dev"]) stacks[s] = await recordStack(s);
}, 300_000);

/** The violation messages of this policy only, on a mutated copy of prod. */
async function messages(mutate: (rs: PlanResource[]) => void): Promise<string[]> {
  const vs = await evaluate(stacks.prod, { policy: P, mutate });
  for (const v of vs) expect(v.policy).toBe(P);
  return vs.map((v) => v.message);
}

describe("kubernetes-schemas", () => {
  it("prod has objects of every schema source (built-in, each CRD package, hand-written)", () => {
    const kinds = new Set(stacks.prod.map((r) => r.type));
    for (const t of Object.values(T)) expect(kinds).toContain(t);
  });

  it.each(["prod", "staging", "dev"])("passes on the committed %s stack", async (stack) => {
    expect(stacks[stack].filter((r) => kubernetesKindOf(r.type)).length).toBeGreaterThan(10);
    expect(await evaluate(stacks[stack], { policy: P })).toEqual([]);
  });

  it("reads the kind from the resource type, including custom resources, and skips Helm releases", () => {
    expect(kubernetesKindOf("kubernetes:core/v1:Service")).toEqual({ group: "core", version: "v1", kind: "Service", apiVersion: "v1" });
    expect(kubernetesKindOf("kubernetes:keda.sh/v1alpha1:ScaledObject")?.apiVersion).toBe("keda.sh/v1alpha1");
    expect(kubernetesKindOf("kubernetes:helm.sh/v3:Release")).toBeUndefined();
    expect(kubernetesKindOf("pulumi:providers:kubernetes")).toBeUndefined();
    expect(modelModuleOf(kubernetesKindOf("kubernetes:apps/v1:Deployment")!)).toBe("kubernetes-models/apps/v1/Deployment");
    expect(modelModuleOf(kubernetesKindOf("kubernetes:core/v1:Service")!)).toBe("kubernetes-models/v1/Service");
  });

  it("fails a Deployment whose containerPort is a string, naming the path and the value", async () => {
    const ms = await messages((rs) => {
      at<{ containers: { ports: { containerPort: unknown }[] }[] }>(find(rs, T.deployment, "us-east-1-chat-large-stable-deployment"), "spec.template.spec").containers[0].ports[0].containerPort = "8000";
    });
    expect(ms).toEqual([
      'us-east-1-chat-large-stable-deployment (apps/v1 Deployment) spec.template.spec.containers[0].ports[0].containerPort: must be integer; is "8000"',
    ]);
  });

  it("fails a misspelt Deployment field, which the API server would drop, and suggests the real one", async () => {
    const ms = await messages((rs) => {
      const c = at<{ containers: Record<string, unknown>[] }>(find(rs, T.deployment, "us-east-1-chat-large-stable-deployment"), "spec.template.spec").containers[0];
      c.readinesProbe = c.readinessProbe;
      delete c.readinessProbe;
    });
    expect(ms).toHaveLength(1);
    expect(ms[0]).toContain("spec.template.spec.containers[0].readinesProbe: unknown field");
    expect(ms[0]).toContain("did you mean spec.template.spec.containers[0].readinessProbe?");
  });

  it("fails a ScaledObject with an unknown field and one with a wrong type", async () => {
    const ms = await messages((rs) => {
      const spec = at(find(rs, T.scaledObject, "us-east-1-chat-large-stable-autoscaler"), "spec");
      spec.minReplicas = 2;
      spec.cooldownPeriod = "300";
    });
    expect(ms).toHaveLength(2);
    expect(ms).toContain('us-east-1-chat-large-stable-autoscaler (keda.sh/v1alpha1 ScaledObject) spec.cooldownPeriod: must be integer; is "300"');
    expect(ms.some((m) => m.includes("spec.minReplicas: unknown field"))).toBe(true);
  });

  it("fails an HTTPRoute backendRef whose weight is a string", async () => {
    const ms = await messages((rs) => {
      at<{ rules: { backendRefs: { weight: unknown }[] }[] }>(find(rs, T.route, "us-east-1-chat-large-probe-route"), "spec").rules[0].backendRefs[0].weight = "100";
    });
    expect(ms).toEqual(['us-east-1-chat-large-probe-route (gateway.networking.k8s.io/v1 HTTPRoute) spec.rules[0].backendRefs[0].weight: must be integer; is "100"']);
  });

  it("fails a Flagger Canary with a misspelt analysis key or an unknown webhook type, from the CRD at the pinned chart", async () => {
    const ms = await messages((rs) => {
      const analysis = at<Record<string, unknown>>(find(rs, "kubernetes:flagger.app/v1beta1:Canary", "us-east-1-chat-small-canary"), "spec.analysis");
      analysis.stepWeigths = analysis.stepWeights;
      delete analysis.stepWeights;
      at<{ type: string }[]>(find(rs, "kubernetes:flagger.app/v1beta1:Canary", "us-west-2-chat-small-canary"), "spec.analysis.webhooks")[0].type = "pre-rollout-check";
    });
    const src = "(schema: fluxcd/flagger charts/flagger/crds/crd.yaml @ v1.44.0)";
    expect(ms).toEqual([
      `us-east-1-chat-small-canary (flagger.app/v1beta1 Canary) spec.analysis.stepWeigths: unknown field ${src}`,
      expect.stringMatching(/^us-east-1-chat-small-canary \(flagger\.app\/v1beta1 Canary\) spec\.analysis: analysis needs iterations, stepWeight or stepWeights \(the CRD's oneOf\)/),
      expect.stringMatching(/^us-west-2-chat-small-canary \(flagger\.app\/v1beta1 Canary\) spec\.analysis\.webhooks\[0\]\.type: Invalid option: .*"pre-rollout".*; is "pre-rollout-check"/),
    ]);
  });

  it("fails an EnvoyProxy and a PodMonitor field misspelt, from their packages", async () => {
    const ms = await messages((rs) => {
      const dep = at(find(rs, T.envoyProxy, "us-east-1-serving-proxy"), "spec.provider.kubernetes.envoyDeployment");
      dep.replica = dep.replicas;
      delete dep.replicas;
      const ep = at<{ podMetricsEndpoints: Record<string, unknown>[] }>(find(rs, T.podMonitor, "us-east-1-observability-vllm"), "spec").podMetricsEndpoints[0];
      ep.intervall = ep.interval;
      delete ep.interval;
    });
    expect(ms).toHaveLength(2);
    expect(ms[0]).toContain("spec.provider.kubernetes.envoyDeployment.replica: unknown field");
    expect(ms[1]).toContain("did you mean spec.podMetricsEndpoints[0].interval?");
  });

  it("checks a TargetGroupBinding against the hand-written schema from its CRD", async () => {
    const ms = await messages((rs) => {
      const spec = at(find(rs, T.binding, "us-east-1-ingress-binding"), "spec");
      spec.targetType = "pod";
      spec.serviceref = spec.serviceRef;
      delete spec.serviceRef;
    });
    expect(ms).toHaveLength(3);
    expect(ms.some((m) => m.includes('spec.targetType: Invalid option: expected one of "instance"|"ip"; is "pod"'))).toBe(true);
    expect(ms.some((m) => m.includes("spec.serviceref: unknown field"))).toBe(true);
    expect(ms.some((m) => m.includes("spec.serviceRef:"))).toBe(true);
  });

  it("fails closed on a kind no package or hand-written schema covers", async () => {
    const ms = await messages((rs) => {
      const proxy = find(rs, T.envoyProxy, "us-east-1-serving-proxy");
      rs.push({ ...structuredClone(proxy), urn: `${proxy.urn}-policy`, type: "kubernetes:gateway.envoyproxy.io/v1alpha1:TrafficPolicyOfTheFuture" });
      rs.push({ ...structuredClone(proxy), urn: `${proxy.urn}-widget`, type: "kubernetes:example.com/v1:Widget" });
    });
    expect(ms).toHaveLength(2);
    expect(ms[0]).toContain("no published schema for gateway.envoyproxy.io/v1alpha1 TrafficPolicyOfTheFuture");
    expect(ms[1]).toContain("no schema package covers group example.com");
  });

  it("fails what the package accepts but the CRDs the pinned charts install do not have", async () => {
    const kind = (t: string) => kubernetesKindOf(t)!;
    expect(await validateKubernetesObject(kind("kubernetes:gateway.networking.k8s.io/v1:ReferenceGrant"), { metadata: { name: "r" }, spec: { from: [], to: [] } })).toEqual([
      "gateway.networking.k8s.io/v1 ReferenceGrant is not served by Gateway API v1.4.1 (installed by Envoy Gateway v1.7.4): use a version it installs, or upgrade the chart",
    ]);
    const prometheus = { metadata: { name: "p" }, spec: { schedulerName: "custom", volumes: [{ name: "v", emptyDir: {} }] } };
    expect(await validateKubernetesObject(kind("kubernetes:monitoring.coreos.com/v1:Prometheus"), prometheus)).toEqual([
      "spec.schedulerName: not in the prometheus-operator v0.88.1 CRDs (installed by kube-prometheus-stack 81.6.2); the API server drops it",
    ]);
    delete (prometheus.spec as Record<string, unknown>).schedulerName;
    expect(await validateKubernetesObject(kind("kubernetes:monitoring.coreos.com/v1:Prometheus"), prometheus)).toEqual([]);
  });

  it("takes a masked secret as a value of the right type", async () => {
    expect(await validateKubernetesObject(kubernetesKindOf("kubernetes:core/v1:Secret")!, { metadata: { name: "s" }, stringData: "[secret]", type: "Opaque" })).toEqual([]);
    expect(await validateKubernetesObject(kubernetesKindOf("kubernetes:core/v1:Secret")!, { metadata: { name: "s" }, stringData: "plain", type: "Opaque" })).toEqual([
      'stringData: must be object; is "plain"',
    ]);
  });
});
