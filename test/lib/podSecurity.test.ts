import { describe, expect, it } from "vitest";
import { allowPolicy, defaultDenySpec, DNS_EGRESS } from "../../lib/networkPolicy";
import { podSecurityLabels, podSecurityMetadata } from "../../lib/podSecurity";

describe("podSecurityMetadata", () => {
  it("sets enforce, audit and warn to the same level and keeps the caller's labels", () => {
    expect(podSecurityMetadata("chat", "restricted", { labels: { "llm-blueprint/serving": "true" } })).toEqual({
      name: "chat",
      labels: { "llm-blueprint/serving": "true", ...podSecurityLabels("restricted") },
    });
    expect(podSecurityLabels("privileged")).toEqual({
      "pod-security.kubernetes.io/enforce": "privileged",
      "pod-security.kubernetes.io/enforce-version": "latest",
      "pod-security.kubernetes.io/audit": "privileged",
      "pod-security.kubernetes.io/warn": "privileged",
    });
  });

  it("refuses a level below restricted without a reason, and records the reason as an annotation", () => {
    expect(() => podSecurityMetadata("agents", "privileged")).toThrow('namespace agents: Pod Security level "privileged" needs a reason (why its pods cannot run restricted)');
    expect(() => podSecurityMetadata("agents", "baseline", { reason: "  " })).toThrow("needs a reason");
    expect(podSecurityMetadata("agents", "privileged", { reason: "hostPath /var/log" }).annotations).toEqual({ "llm-blueprint/pod-security-reason": "hostPath /var/log" });
  });
});

describe("network policy builders", () => {
  it("default deny selects every pod in both directions with no rules", () => {
    expect(defaultDenySpec()).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  });

  it("an allow policy lists only the directions it has rules for", () => {
    const egressOnly = allowPolicy("dns", { app: "x" }, { egress: [DNS_EGRESS] }, "x");
    expect(egressOnly.spec.policyTypes).toEqual(["Egress"]);
    expect(egressOnly.spec.ingress).toBeUndefined();
    expect(egressOnly.spec.egress).toEqual([{ to: DNS_EGRESS.peers, ports: DNS_EGRESS.ports }]);
    expect(allowPolicy("any", {}, { ingress: [{ ports: [{ protocol: "TCP", port: 9443 }] }] }).spec).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ ports: [{ protocol: "TCP", port: 9443 }] }],
    });
  });
});
