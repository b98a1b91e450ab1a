import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { evaluate, recordStack } from "./harness";

const NS = "kubernetes:core/v1:Namespace";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

type Inputs = Record<string, unknown>;
const inputsOf = (r: PlanResource) => r.inputs as Inputs;
const meta = (r: PlanResource) => inputsOf(r).metadata as { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
/** The first resource of `type` in us-east-1 matching `pick`. */
function one(rs: PlanResource[], type: string, pick: (r: PlanResource) => boolean): PlanResource {
  const found = rs.find((r) => r.type === type && r.name.startsWith("us-east-1-") && pick(r));
  if (!found) throw new Error(`no ${type} in us-east-1 matching the fixture`);
  return found;
}

async function messages(policy: string, resources: readonly PlanResource[], mutate?: (rs: PlanResource[]) => void): Promise<string[]> {
  const vs = await evaluate(resources, { policy, mutate });
  for (const v of vs) expect(v.policy).toBe(policy);
  return vs.map((v) => v.message);
}

let prod: PlanResource[];
let staging: PlanResource[];
beforeAll(async () => {
  prod = await recordStack("prod");
  staging = await recordStack("staging");
}, 300_000);

describe("namespaces-pod-security", () => {
  const POLICY = "namespaces-pod-security";

  it("passes on the committed prod and staging stacks, where every namespace carries enforce, audit and warn", async () => {
    expect(await messages(POLICY, prod)).toEqual([]);
    expect(await messages(POLICY, staging)).toEqual([]);
    const namespaces = prod.filter((r) => r.type === NS);
    expect(namespaces.length).toBeGreaterThan(0);
    const below = [...new Set(namespaces.filter((n) => meta(n).labels?.["pod-security.kubernetes.io/enforce"] !== "restricted").map((n) => meta(n).name))].sort();
    expect(below).toEqual(["monitoring-node-agents", "nvidia-device-plugin"]);
  });

  it("catches a namespace without Pod Security labels", async () => {
    const got = await messages(POLICY, prod, (rs) => {
      meta(one(rs, NS, (n) => meta(n).name === "keda")).labels = {};
    });
    expect(got).toEqual(
      ["enforce", "audit", "warn"].map((k) => `Namespace keda metadata.labels["pod-security.kubernetes.io/${k}"]: undefined; allowed: restricted, baseline, privileged (restricted unless the namespace runs node agents)`),
    );
  });

  it("catches a privileged namespace that is not a node-agent namespace, and one without its reason", async () => {
    const got = await messages(POLICY, prod, (rs) => {
      const labels = meta(one(rs, NS, (n) => meta(n).name === "monitoring")).labels!;
      for (const k of ["enforce", "audit", "warn"]) labels[`pod-security.kubernetes.io/${k}`] = "privileged";
      delete meta(one(rs, NS, (n) => meta(n).name === "nvidia-device-plugin")).annotations;
    });
    expect(got.sort()).toEqual([
      'Namespace monitoring enforces Pod Security "privileged", but only the node-agent namespaces nvidia-device-plugin, monitoring-node-agents may run below restricted (policies/rules/namespaces.ts NODE_AGENT_NAMESPACES)',
      'Namespace monitoring enforces Pod Security "privileged" without saying why: set the annotation llm-blueprint/pod-security-reason',
      'Namespace nvidia-device-plugin enforces Pod Security "privileged" without saying why: set the annotation llm-blueprint/pod-security-reason',
    ].sort());
  });

  it("catches a pod that needs the host in a restricted namespace", async () => {
    const got = await messages(POLICY, prod, (rs) => {
      const d = one(rs, DEPLOYMENT, (x) => meta(x).namespace === "chat-small" && meta(x).name === "chat-small-stable");
      const pod = (inputsOf(d).spec as { template: { spec: { volumes?: unknown[] } } }).template.spec;
      pod.volumes = [...(pod.volumes ?? []), { name: "host-logs", hostPath: { path: "/var/log" } }];
    });
    expect(got).toEqual([
      'Deployment chat-small/chat-small-stable needs the host (volume host-logs hostPath /var/log) but its namespace enforces Pod Security "restricted", which refuses it; run it in a node-agent namespace or drop the host access',
    ]);
  });

  it("catches a chart that creates its own (unlabelled) namespace", async () => {
    const got = await messages(POLICY, prod, (rs) => {
      inputsOf(one(rs, RELEASE, (r) => inputsOf(r).name === "keda")).createNamespace = true;
    });
    expect(got).toEqual(["Helm release keda createNamespace: true; the chart would create namespace keda without Pod Security labels or NetworkPolicies; declare the Namespace instead"]);
  });
});

describe("namespaces-default-deny", () => {
  const POLICY = "namespaces-default-deny";
  const isDefaultDeny = (r: PlanResource) => r.type === NETPOL && meta(r).name === "default-deny";

  it("passes on the committed prod and staging stacks, with a default deny in every namespace the serving project declares", async () => {
    expect(await messages(POLICY, prod)).toEqual([]);
    expect(await messages(POLICY, staging)).toEqual([]);
    const declared = prod.filter((r) => r.type === NS && r.name.startsWith("us-east-1-")).map((n) => meta(n).name).sort();
    const denied = prod.filter((r) => isDefaultDeny(r) && r.name.startsWith("us-east-1-")).map((p) => meta(p).namespace!).sort();
    expect(denied).toEqual(declared);
  });

  it("catches a namespace with workloads and no default deny", async () => {
    const got = await messages(POLICY, prod, (rs) => {
      const i = rs.findIndex((r) => isDefaultDeny(r) && r.name.startsWith("us-east-1-") && meta(r).namespace === "keda");
      rs.splice(i, 1);
    });
    expect(got).toEqual(["Namespace keda runs workloads (Helm release keda) but has no default-deny NetworkPolicy: podSelector {}, policyTypes [Ingress, Egress], no ingress or egress rules"]);
  });

  it("does not count a 'default deny' that only covers ingress", async () => {
    const got = await messages(POLICY, prod, (rs) => {
      const p = one(rs, NETPOL, (r) => isDefaultDeny(r) && meta(r).namespace === "monitoring");
      (inputsOf(p).spec as { policyTypes: string[] }).policyTypes = ["Ingress"];
    });
    expect(got).toEqual([
      "Namespace monitoring runs workloads (Helm release kube-prometheus-stack) but has no default-deny NetworkPolicy: podSelector {}, policyTypes [Ingress, Egress], no ingress or egress rules",
    ]);
  });

  it("catches a chart installed into a namespace the plan does not declare", async () => {
    const got = await messages(POLICY, prod, (rs) => {
      inputsOf(one(rs, RELEASE, (r) => inputsOf(r).name === "keda")).namespace = "keda-system";
    });
    expect(got).toEqual([
      "Helm release keda runs in namespace keda-system, which the plan does not declare: declare it (Pod Security labels, default-deny NetworkPolicy) or install into a declared namespace",
      "Helm release keda in keda-system: no NetworkPolicy labelled llm-blueprint/allows-release=keda opens a flow for its pods, so the namespace's default deny cuts them off",
    ]);
  });

  it("catches a release whose pods no allow policy serves, a Service port nothing admits and a gateway listener the proxies' policy leaves shut", async () => {
    const got = await messages(POLICY, prod, (rs) => {
      for (let i = rs.length - 1; i >= 0; i--) {
        const r = rs[i];
        if (r.type !== NETPOL || !r.name.startsWith("us-east-1-")) continue;
        if (meta(r).namespace === "monitoring-node-agents" && meta(r).name === "fluent-bit") rs.splice(i, 1);
        else if (meta(r).namespace === "chat-small" && meta(r).name === "vllm") rs.splice(i, 1);
        else if (meta(r).name === "envoy-proxy") (inputsOf(r).spec as { ingress: Inputs[] }).ingress[0].ports = [{ protocol: "TCP", port: 10080 }];
      }
    });
    expect(got).toEqual([
      "Helm release aws-for-fluent-bit in monitoring-node-agents: no NetworkPolicy labelled llm-blueprint/allows-release=aws-for-fluent-bit opens a flow for its pods, so the namespace's default deny cuts them off",
      // The warm previous version's own Service (the emergency rollback's backend), declared by the program before Flagger's.
      "Service chat-small/chat-small-previous port 8000 (target http): no NetworkPolicy selecting its pods admits it, so nothing can reach the Service",
      // The Services Flagger generates from the Canary: the apex and -primary select the primary's pods, -canary the target's.
      ...["", "-primary", "-canary"].map((t) => `Service chat-small/chat-small${t} port 8000 (target http): no NetworkPolicy selecting its pods admits it, so nothing can reach the Service`),
      "Gateway inference-gateway/inference listener tls-offload (container port 8443): no NetworkPolicy in envoy-gateway-system selecting the Envoy proxies admits it, so no client reaches the gateway",
    ]);
  });
});
