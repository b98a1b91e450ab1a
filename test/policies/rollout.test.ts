import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { CANARY_TYPE } from "../../policies/rules/common";
import { evaluate, recordStack } from "./harness";

const HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
const spec = (r: PlanResource) => (r.inputs as { spec: Record<string, unknown> }).spec;
const name = (r: PlanResource) => (r.inputs as { metadata: { name: string; namespace: string } }).metadata;

describe("prod: the version change of chat-small runs through Flagger", () => {
  let prod: PlanResource[];
  beforeAll(async () => {
    prod = await recordStack("prod");
  }, 300_000);

  it("each region has a Canary for chat-small with steps 1/5/25/50, the gate metrics and the approval gate", () => {
    const canaries = prod.filter((r) => r.type === CANARY_TYPE && name(r).name === "chat-small");
    expect(canaries).toHaveLength(3);
    for (const c of canaries) {
      const analysis = spec(c).analysis as { stepWeights: number[]; metrics: { name: string }[]; webhooks: { type: string; metadata: { cmd: string } }[] };
      expect(analysis.stepWeights).toEqual([1, 5, 25, 50]);
      expect(analysis.metrics.map((m) => m.name)).toEqual(["ttft-p99-ratio", "tpot-p99-ratio", "vllm-error-rate", "gateway-error-rate"]);
      expect(analysis.webhooks[0].type).toBe("pre-rollout");
      expect(analysis.webhooks[0].metadata.cmd).toContain("llama-3.1-8b-instruct-fp8@7c4f8b1a2d3e5f60718293a4b5c6d7e8f9012345 approved");
    }
  });

  it("the program declares no HTTPRoute a Canary owns, and no weights", async () => {
    const routes = prod.filter((r) => r.type === HTTP_ROUTE);
    expect(routes.some((r) => name(r).name === "chat-small")).toBe(false);
    expect(await evaluate(prod, { policy: "rollout-owned-by-controller" })).toEqual([]);
  });

  it("a program HTTPRoute re-creating the model route with weights is refused (two writers)", async () => {
    const violations = await evaluate(prod, {
      policy: "rollout-owned-by-controller",
      mutate: (rs) => {
        const probe = rs.find((r) => r.type === HTTP_ROUTE && name(r).name === "chat-small-probe")!;
        const copy = JSON.parse(JSON.stringify(probe)) as PlanResource;
        (copy as { urn: string }).urn = `${probe.urn}-fixture`;
        (copy.inputs as { metadata: { name: string } }).metadata.name = "chat-small";
        (spec(copy).rules as { backendRefs: Record<string, unknown>[] }[])[0].backendRefs = [{ name: "chat-small-stable", port: 8000, weight: 90 }, { name: "chat-small-canary", port: 8000, weight: 10 }];
        rs.push(copy);
      },
    });
    const messages = violations.map((v) => v.message);
    expect(messages.some((m) => /Canary chat-small\/chat-small: the program declares HTTPRoute chat-small, which Flagger generates and re-weights/.test(m))).toBe(true);
    expect(messages.some((m) => /backendRefs set weight \(chat-small-stable=90, chat-small-canary=10\); traffic weights belong to the rollout controller/.test(m))).toBe(true);
  });
});
