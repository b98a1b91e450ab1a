import { describe, expect, it } from "vitest";
import { approvedVersions, CanaryInput, canarySpec, DEFAULT_ROLLOUT, gateMetrics, HTTP_METHODS, rolloutForecast, rolloutOutcome, RolloutPolicy, rolloutPolicyProblems, warmRollbackRouteSpec, warmUntil, windowDays } from "../../lib/rollout";

const policy: RolloutPolicy = DEFAULT_ROLLOUT;

describe("rollout policy", () => {
  it("defaults to steps 1, 5, 25, 50 with every gate", () => {
    expect(policy.steps).toEqual([1, 5, 25, 50]);
    expect(gateMetrics(policy, "chat-small").map((m) => m.name)).toEqual(["ttft-p99-ratio", "tpot-p99-ratio", "vllm-error-rate", "gateway-error-rate"]);
    expect(rolloutPolicyProblems(policy)).toEqual([]);
  });
  it("refuses steps that do not grow, a 100 step and a sub-minute interval, naming each", () => {
    expect(rolloutPolicyProblems({ steps: [5, 5, 100], interval: "30s", failedChecks: 0 })).toEqual([
      "steps[1]: 5 does not grow from 5; steps only go up",
      "steps[2]: 100 is not a whole percent 1-99 (100 is the promotion itself)",
      "interval: 30s is under a minute; a p99 over less is noise",
      "failedChecks: 0 must be a whole number >= 1",
    ]);
  });
  it("promotes after one passing check per step and one more at the top weight", () => {
    expect(rolloutOutcome(policy, ["pass", "pass", "pass", "pass"])).toEqual({ outcome: "progressing", weight: 50 });
    expect(rolloutOutcome(policy, ["pass", "pass", "pass", "pass", "pass"])).toEqual({ outcome: "promoted", weight: 100 });
  });
  it("rolls back at the failed-check threshold, wherever the canary stands", () => {
    expect(rolloutOutcome(policy, ["pass", "pass", "fail", "pass", "fail"])).toEqual({ outcome: "rolled-back", weight: 0 });
    expect(rolloutOutcome({ ...policy, failedChecks: 3 }, ["pass", "fail", "fail"])).toEqual({ outcome: "progressing", weight: 1 });
  });
  it("forecasts two pod starts and steps + 1 intervals, one start when analysis is skipped", () => {
    expect(rolloutForecast(policy, 900).secondsToPromotion).toBe(2 * 900 + 5 * 600);
    expect(rolloutForecast({ ...policy, skipAnalysis: true }, 900).secondsToPromotion).toBe(900);
  });
});

/** One path-routed endpoint's Canary input (no hostnames), with a shadow. */
const CANARY_INPUT: CanaryInput = {
  endpoint: "chat-small",
  namespace: "chat-small",
  target: "chat-small-stable",
  versionId: "m@abc",
  policy,
  hostnames: [],
  gateway: { name: "inference", namespace: "inference-gateway" },
  requestTimeoutSeconds: 300,
  progressDeadlineSeconds: 1800,
  primaryReplicas: { min: 2, max: 8 },
  primaryQueueQuery: "q",
  mirrorService: "chat-small-shadow",
};

describe("Canary spec", () => {
  const spec = canarySpec(CANARY_INPUT);
  it("steps, threshold and the approval gate before any traffic", () => {
    expect(spec.analysis.stepWeights).toEqual([1, 5, 25, 50]);
    expect(spec.analysis.threshold).toBe(2);
    expect(spec.analysis.webhooks).toEqual([expect.objectContaining({ type: "pre-rollout", metadata: { type: "bash", cmd: "grep -qxF 'm@abc approved' /approvals/approved" } })]);
  });
  it("routes the in-cluster path prefix and mirrors to the shadow Service", () => {
    expect((spec.service as Record<string, unknown>).match).toEqual([{ uri: { prefix: "/chat-small/" } }]);
    expect(spec.service.mirror).toEqual([{ backendRef: { name: "chat-small-shadow", port: 8000 } }]);
    expect(spec.autoscalerRef.primaryScalerQueries).toEqual({ "queue-depth": "q" });
  });
});

describe("approved versions fed to the gate", () => {
  it("lists only approved entries with an evaluation report", () => {
    const doc = {
      models: [
        { name: "a", revision: "1", status: "approved", evaluation: { report: "s3://r" } },
        { name: "b", revision: "2", status: "candidate", evaluation: { report: "s3://r" } },
        { name: "c", revision: "3", status: "approved", evaluation: { report: "" } },
        { name: "d", revision: "4", status: "aproved", evaluation: { report: "s3://r" } },
      ],
    };
    expect(approvedVersions(doc)).toEqual(["a@1"]);
    expect(approvedVersions({ models: "nope" })).toEqual([]);
  });
});

describe("warm previous version", () => {
  it("stays warm through since + keepPreviousWarm whole days, across month ends", () => {
    expect(warmUntil("2026-11-25", "7d")).toBe("2026-12-02");
    expect(warmUntil("2026-12-30", "3d")).toBe("2027-01-02");
    expect(windowDays("0d")).toBe(0);
    expect(() => windowDays("1w")).toThrow('window "1w" is not <n>d');
    expect(() => warmUntil("2026/11/25", "7d")).toThrow('"2026/11/25" is not a YYYY-MM-DD day');
  });

  it("matches exactly the methods the published Gateway API HTTPRoute schema allows", async () => {
    // The schema's validator reports its enum when given a value outside it.
    const schema = (await import("@kubernetes-models/gateway-api/_schemas/IoK8sSigsGatewayApiApisV1HTTPMethod")) as { validate: ((v: unknown) => boolean) & { errors?: { params: { allowedValues?: string[] } }[] } };
    expect(schema.validate("NOT-A-METHOD")).toBe(false);
    const allowed = schema.validate.errors?.find((e) => e.params.allowedValues)?.params.allowedValues;
    expect([...HTTP_METHODS].sort()).toEqual([...(allowed ?? [])].sort());
  });

  it("routes by hostname: every method on prefix /, one unweighted backend, the warm Service", () => {
    const spec = warmRollbackRouteSpec({ endpoint: "chat-small", hostnames: ["chat-small.example.com"], gateway: { name: "gw", namespace: "gateway" }, requestTimeoutSeconds: 300 });
    expect(spec.hostnames).toEqual(["chat-small.example.com"]);
    expect(spec.rules).toHaveLength(1);
    const rule = spec.rules[0];
    expect(rule.matches.map((m) => m.method)).toEqual([...HTTP_METHODS]);
    expect(new Set(rule.matches.map((m) => JSON.stringify(m.path)))).toEqual(new Set([JSON.stringify({ type: "PathPrefix", value: "/" })]));
    expect(rule.backendRefs).toEqual([{ name: "chat-small-previous", port: 8000 }]);
    expect(rule.filters).toBeUndefined();
    expect(rule.timeouts).toEqual({ request: "300s" });
  });

  it("routes by path without hostnames: the Canary route's /<endpoint>/ prefix and the same rewrite to /", () => {
    const spec = warmRollbackRouteSpec({ endpoint: CANARY_INPUT.endpoint, hostnames: [], gateway: CANARY_INPUT.gateway, requestTimeoutSeconds: 600 });
    expect(spec.hostnames).toBeUndefined();
    const canary = canarySpec(CANARY_INPUT);
    const prefix = (canary.service as { match?: { uri: { prefix: string } }[] }).match![0].uri.prefix;
    expect(spec.rules[0].matches.every((m) => m.path.value === prefix)).toBe(true);
    expect(spec.rules[0].filters).toEqual([{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }]);
  });
});
