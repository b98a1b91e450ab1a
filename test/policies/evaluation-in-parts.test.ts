import type { Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource, PolicyViolation } from "../../lib/plan/document";
import { evaluatePolicies, EvaluationOptions, PolicyEvaluation } from "../../lib/plan/policy";
import { buildPolicies, PACK_NAME } from "../../policies/pack";
import { NO_OPTIONS, planResource } from "../planResource";
import { recordStack } from "./harness";

// The plan's worker thread (tools/engine/packWorker.ts) evaluates the resource policies on platform's
// resources while serving's program runs, and the rest at the end: its violations (and its errors) must
// be exactly those of one evaluation of the whole plan (lib/plan/policy.ts evaluatePolicies).

/** The worker's way: each project's resources as its program ends, resource policies at once, then finish(). */
async function inParts(parts: readonly (readonly PlanResource[])[], policies: Policies, opts: EvaluationOptions): Promise<PolicyViolation[]> {
  const evaluation = new PolicyEvaluation(policies, opts);
  for (const part of parts) {
    evaluation.add(part);
    await evaluation.evaluateResourcePolicies();
  }
  return evaluation.finish();
}

const lastName = (urn: string) => urn.split("::").pop()!;
/** A resource policy reporting every resource whose name matches `pattern` (and its provider's name, if any). */
const reportsNames = (name: string, pattern: RegExp): ResourceValidationPolicy => ({
  name,
  description: name,
  validateResource: (args, report) => {
    if (pattern.test(args.name)) report(`${args.type} ${args.name} via ${args.provider?.name ?? "no provider"}`);
  },
});
/** A stack policy reporting the first `n` resources of `type`, in the order it sees them. */
const reportsFirstOfType = (name: string, type: string, n: number): StackValidationPolicy => ({
  name,
  description: name,
  validateStack: (args, report) => {
    for (const r of args.resources.filter((x) => x.type === type).slice(0, n)) report(`${r.name} (${r.dependencies.length} dependencies)`, r.urn);
  },
});
const throwsOn = (name: string, urnEnd: string): ResourceValidationPolicy => ({
  name,
  description: name,
  validateResource: (args) => {
    if (args.urn.endsWith(urnEnd)) throw new Error(`cannot read ${lastName(args.urn)}`);
  },
});

describe("a pack evaluated project by project (the plan's worker) gives what one evaluation of the whole plan gives", () => {
  let prod: PlanResource[];
  let platform: PlanResource[];
  let serving: PlanResource[];
  beforeAll(async () => {
    prod = await recordStack("prod");
    platform = prod.filter((r) => r.project === "llm-blueprint-platform");
    serving = prod.filter((r) => r.project === "llm-blueprint-serving");
  });

  it("splits prod as the plan does: platform's resources, then serving's", () => {
    expect(platform.length).toBeGreaterThan(100);
    expect(serving.length).toBeGreaterThan(100);
    expect([...platform, ...serving]).toEqual(prod);
  });

  it("the same violations in the same order, resource and stack policies interleaved, levels from the config", async () => {
    const policies: Policies = [
      reportsNames("names-with-a", /a$/),
      reportsFirstOfType("first-namespaces", "kubernetes:core/v1:Namespace", 3),
      reportsNames("names-with-east", /east-1/),
      { ...reportsNames("disabled-by-config", /./) },
      reportsFirstOfType("first-roles", "aws:iam/role:Role", 2),
      reportsNames("names-with-gpu", /gpu/),
    ];
    const opts: EvaluationOptions = { packName: "p", packEnforcementLevel: "mandatory", config: { "disabled-by-config": "disabled", "names-with-east": "advisory", "first-roles": "remediate" } };
    const whole = await evaluatePolicies(prod, policies, opts);
    expect(await inParts([platform, serving], policies, opts)).toEqual(whole);
    // Not a trivial agreement: every enabled policy reports, on both projects' resources, at its configured level.
    const projectOf = new Map(prod.map((r) => [r.urn, r.project]));
    expect(new Set(whole.map((v) => v.policy))).toEqual(new Set(["names-with-a", "first-namespaces", "names-with-east", "first-roles", "names-with-gpu"]));
    expect(new Set(whole.map((v) => projectOf.get(v.urn!)))).toEqual(new Set(["llm-blueprint-platform", "llm-blueprint-serving"]));
    expect(new Set(whole.filter((v) => v.policy === "names-with-east").map((v) => v.enforcementLevel))).toEqual(new Set(["advisory"]));
    expect(new Set(whole.filter((v) => v.policy === "first-roles").map((v) => v.enforcementLevel))).toEqual(new Set(["mandatory"]));
    // A resource's provider is found whichever part it came in.
    expect(whole.some((v) => v.policy === "names-with-a" && !v.message.endsWith("via no provider"))).toBe(true);
  });

  it("the pack itself, on prod with clusters out of support and a config that tightens serving rules: violations in both projects", async () => {
    const policies = buildPolicies();
    // Platform's clusters on a Kubernetes version long out of support (resource policies on platform's resources).
    const outOfSupport = (rs: readonly PlanResource[]) =>
      rs.map((r) => (r.type === "aws:eks/cluster:Cluster" ? { ...r, inputs: { ...r.inputs, version: "1.23" } } : r));
    const [oldPlatform, oldServing] = [outOfSupport(platform), serving];
    const config = { "serving-availability": { minStableReplicas: 9 }, "writable-paths-sized": { minCacheGiB: 4096 }, "images-pinned-by-digest": { runtimeImages: [] } };
    const opts: EvaluationOptions = { packName: PACK_NAME, packEnforcementLevel: "mandatory", config };
    const whole = await evaluatePolicies([...oldPlatform, ...oldServing], policies, opts);
    const projectOf = new Map(prod.map((r) => [r.urn, r.project]));
    expect(new Set(whole.map((v) => projectOf.get(v.urn!)))).toEqual(new Set(["llm-blueprint-platform", "llm-blueprint-serving"]));
    expect(whole.some((v) => v.policy === "kubernetes-version-in-standard-support")).toBe(true);
    expect(new Set(whole.map((v) => v.policy)).size).toBeGreaterThanOrEqual(4);
    expect(await inParts([oldPlatform, oldServing], policies, opts)).toEqual(whole);
  });

  it("a policy that throws on an early resource stops the evaluation where the one-shot evaluation stops", async () => {
    const lateThrower = throwsOn("throws-on-serving", serving[5].urn);
    const earlyThrower = throwsOn("throws-on-platform", platform[5].urn);
    const opts: EvaluationOptions = { packName: "p" };
    // The earlier policy in pack order fails first, even though the later one failed during the early part.
    const both: Policies = [reportsNames("names-with-a", /a$/), lateThrower, earlyThrower];
    await expect(evaluatePolicies(prod, both, opts)).rejects.toThrow(`policy throws-on-serving failed on ${serving[5].urn}: cannot read ${lastName(serving[5].urn)}`);
    await expect(inParts([platform, serving], both, opts)).rejects.toThrow(`policy throws-on-serving failed on ${serving[5].urn}: cannot read ${lastName(serving[5].urn)}`);
    // Alone, the early failure is reported with the one-shot message.
    const early: Policies = [reportsNames("names-with-a", /a$/), earlyThrower];
    await expect(evaluatePolicies(prod, early, opts)).rejects.toThrow(`policy throws-on-platform failed on ${platform[5].urn}: cannot read ${lastName(platform[5].urn)}`);
    await expect(inParts([platform, serving], early, opts)).rejects.toThrow(`policy throws-on-platform failed on ${platform[5].urn}: cannot read ${lastName(platform[5].urn)}`);
  });

  it("a provider that arrives in a later part than its resource: the early work is redone, the result is the whole plan's", async () => {
    const provider = planResource("urn:pulumi:s::q::pulumi:providers:aws::late", "pulumi:providers:aws", { inputs: { region: "eu-west-1" } });
    const early = planResource("urn:pulumi:s::p::aws:s3/bucketV2:BucketV2::bucket", "aws:s3/bucketV2:BucketV2", { provider: provider.urn, options: NO_OPTIONS });
    const policies: Policies = [reportsNames("providers", /./)];
    const whole = await evaluatePolicies([early, provider], policies, { packName: "p" });
    expect(whole.map((v) => v.message)).toEqual(["aws:s3/bucketV2:BucketV2 bucket via late", "pulumi:providers:aws late via no provider"]);
    expect(await inParts([[early], [provider]], policies, { packName: "p" })).toEqual(whole);
  });

  it("a URN repeated in a later part changes what an early provider lookup found: redone the same way", async () => {
    const first = planResource("urn:pulumi:s::p::pulumi:providers:aws::prov", "pulumi:providers:aws", { name: "first" });
    const user = planResource("urn:pulumi:s::p::aws:s3/bucketV2:BucketV2::bucket", "aws:s3/bucketV2:BucketV2", { provider: first.urn });
    const second = { ...first, name: "second" };
    const policies: Policies = [reportsNames("providers", /bucket/)];
    const whole = await evaluatePolicies([first, user, second], policies, { packName: "p" });
    expect(whole.map((v) => v.message)).toEqual(["aws:s3/bucketV2:BucketV2 bucket via second"]);
    expect(await inParts([[first, user], [second]], policies, { packName: "p" })).toEqual(whole);
  });
});
