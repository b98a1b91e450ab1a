import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { CANARY_TYPE } from "../../policies/rules/common";
import { PlanDocument } from "../../lib/plan/document";
import { renderRollouts, rolloutRows } from "../../lib/plan/rollout";
import { regionOf } from "../../lib/plan/summary";
import { podStartSeconds, StartupBudget } from "../../lib/serving";
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

  it("the plan prints, per model and region, the rollout a version change runs: steps, gates, time to promotion, peak GPUs", () => {
    const byUrn = new Map(prod.map((r) => [r.urn, r]));
    const rows = rolloutRows({ resources: prod } as unknown as PlanDocument, (r) => regionOf(r, byUrn));
    const small = rows.filter((r) => r.endpoint === "chat-small");
    expect(small.map((r) => r.region)).toEqual(["us-east-1", "us-west-2", "us-east-2"]);
    const target = prod.find((r) => r.type === "kubernetes:apps/v1:Deployment" && name(r).name === "chat-small-stable")!;
    const budget = JSON.parse((r => (r.inputs as { metadata: { annotations: Record<string, string> } }).metadata.annotations["llm-blueprint/startup-budget"])(target)) as StartupBudget;
    for (const r of small) {
      expect(r).toMatchObject({ version: "llama-3.1-8b-instruct-fp8@7c4f8b1a2d3e5f60718293a4b5c6d7e8f9012345", steps: [1, 5, 25, 50], interval: "10m", failedChecks: 2, skipAnalysis: false });
      // Canary pods start, four steps and the promoting check pass, the primary's pods start.
      expect(r.secondsToPromotion).toBe(2 * podStartSeconds(budget) + 5 * 600);
      // Primary and canary both up to the endpoint's 8 replicas of one L4 each; no shadow in prod; the
      // replaced version warm at the endpoint's minimum of 2.
      expect(r.peakGpus).toEqual({ primary: 8, canary: 8, shadow: 0, previous: 2 });
      expect(r.previous).toEqual({ version: "llama-3.1-8b-instruct@0e9e39f249a16976918f6564b8830bc894c89659", until: "2026-12-02", serving: false });
      expect(r.keepPreviousWarm).toBe("7d");
    }
    const text = renderRollouts(small.map((r) => ({ ...r, skipAnalysis: r.region === "us-east-2" })));
    expect(text).toContainEqual(expect.stringMatching(/^  us-east-1\s+chat-small\s+1\/5\/25\/50\/100\s+10m\s+2 failed checks/));
    expect(text).toContainEqual(expect.stringMatching(/^  us-east-1\s+chat-small\s+.*\s+to 2026-12-02\s+8\+8\+0\+2\s/));
    expect(text).toContain("  chat-small keeps llama-3.1-8b-instruct@0e9e39f2 warm through 2026-12-02 in us-east-1, us-west-2, us-east-2");
    expect(text).toContain("  gates: ttft-p99-ratio <= 1.2, tpot-p99-ratio <= 1.2, vllm-error-rate <= 1, gateway-error-rate <= 1");
    expect(text).toContainEqual(expect.stringMatching(/^  WARNING: us-east-2 chat-small: emergency rollout \(rollout\.skipAnalysis: true\)/));
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
