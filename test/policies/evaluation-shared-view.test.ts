import type { Policies, PolicyResource } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { evaluatePolicies } from "../../lib/plan/policy";
import { NO_OPTIONS, planResource } from "../planResource";

// Stack policies share one view of the resources (lib/plan/policy.ts builds it once per evaluation):
// what one policy does to its arguments must not reach the next one.

const res = (urn: string, type: string, extra: Partial<PlanResource> = {}) => planResource(urn, type, { options: { ...NO_OPTIONS, ignoreChanges: ["tags"] }, ...extra });
const bucket = res("urn:pulumi:s::p::aws:s3/bucketV2:BucketV2::b", "aws:s3/bucketV2:BucketV2");
const policy = res("urn:pulumi:s::p::aws:s3/bucketPolicy:BucketPolicy::bp", "aws:s3/bucketPolicy:BucketPolicy", {
  parent: bucket.urn,
  options: { ...bucket.options, dependsOn: [bucket.urn] },
  propertyDependencies: { bucket: [bucket.urn] },
});

const urnsOf = (rs: readonly PolicyResource[]) => rs.map((r) => r.urn);

describe("stack policies share one frozen view of the resources", () => {
  it("gives every stack policy its own list, in plan order, whatever an earlier policy did to its list", async () => {
    const seen: string[][] = [];
    const policies: Policies = [
      { name: "reorders", description: "d", validateStack: (args) => void args.resources.reverse().splice(0, 1) },
      { name: "reads", description: "d", validateStack: (args) => void seen.push(urnsOf(args.resources)) },
    ];
    expect(await evaluatePolicies([bucket, policy], policies, { packName: "p" })).toEqual([]);
    expect(seen).toEqual([[bucket.urn, policy.urn]]);
  });

  it.each([
    ["reassigns a parent", (r: PolicyResource) => void (r.parent = undefined)],
    ["empties its dependencies", (r: PolicyResource) => void r.dependencies.splice(0)],
    ["drops a property dependency", (r: PolicyResource) => void delete r.propertyDependencies.bucket],
    ["changes an option", (r: PolicyResource) => void (r.opts.protect = true)],
    ["edits ignoreChanges", (r: PolicyResource) => void r.opts.ignoreChanges.push("acl")],
  ])("refuses a policy that %s (a TypeError, so the policy fails) and the next policy sees the resource as recorded", async (_what, change) => {
    const attempts: string[] = [];
    const seen: { parent?: string; dependencies: string[]; bucket: string[]; protect: boolean; ignoreChanges: string[] }[] = [];
    const policies: Policies = [
      {
        name: "changes-a-resource",
        description: "d",
        validateStack: (args) => {
          try {
            change(args.resources.find((r) => r.urn === policy.urn)!);
            attempts.push("changed");
          } catch (err) {
            attempts.push(err instanceof TypeError ? "refused" : String(err));
          }
        },
      },
      {
        name: "reads",
        description: "d",
        validateStack: (args) => {
          const r = args.resources.find((x) => x.urn === policy.urn)!;
          seen.push({ parent: r.parent?.urn, dependencies: urnsOf(r.dependencies), bucket: urnsOf(r.propertyDependencies.bucket ?? []), protect: r.opts.protect, ignoreChanges: [...r.opts.ignoreChanges] });
        },
      },
    ];
    expect(await evaluatePolicies([bucket, policy], policies, { packName: "p" })).toEqual([]);
    expect(attempts).toEqual(["refused"]);
    expect(seen).toEqual([{ parent: bucket.urn, dependencies: [bucket.urn], bucket: [bucket.urn], protect: false, ignoreChanges: ["tags"] }]);
    // Uncaught, the refusal fails the policy by name, as any error in a policy does.
    const uncaught: Policies = [{ name: "changes-a-resource", description: "d", validateStack: (args) => change(args.resources.find((r) => r.urn === policy.urn)!) }];
    await expect(evaluatePolicies([bucket, policy], uncaught, { packName: "p" })).rejects.toThrow(/^policy changes-a-resource failed: /);
  });

  it("shares one frozen description of a resource between resource and stack policies: a resource policy cannot change it either", async () => {
    const attempts: string[] = [];
    const seen: { protect: boolean; ignoreChanges: string[]; region: unknown }[] = [];
    const withProvider = res("urn:pulumi:s::p::pulumi:providers:aws::use1", "pulumi:providers:aws", { inputs: { region: "us-east-1" } });
    const bucketInRegion = { ...bucket, provider: withProvider.urn };
    const policies: Policies = [
      {
        name: "changes-options",
        description: "d",
        validateResource: (args) => {
          if (args.urn !== bucketInRegion.urn) return;
          for (const change of [() => (args.opts.protect = true), () => args.opts.ignoreChanges.push("acl"), () => (args.provider!.name = "other")]) {
            try {
              change();
              attempts.push("changed");
            } catch (err) {
              attempts.push(err instanceof TypeError ? "refused" : String(err));
            }
          }
        },
      },
      {
        name: "reads-options",
        description: "d",
        validateResource: (args) => void (args.urn === bucketInRegion.urn && seen.push({ protect: args.opts.protect, ignoreChanges: [...args.opts.ignoreChanges], region: args.provider?.props.region })),
      },
      {
        name: "reads-the-stack",
        description: "d",
        validateStack: (args) => {
          const r = args.resources.find((x) => x.urn === bucketInRegion.urn)!;
          seen.push({ protect: r.opts.protect, ignoreChanges: [...r.opts.ignoreChanges], region: r.provider?.props.region });
        },
      },
    ];
    expect(await evaluatePolicies([withProvider, bucketInRegion], policies, { packName: "p" })).toEqual([]);
    expect(attempts).toEqual(["refused", "refused", "refused"]);
    expect(seen).toEqual([
      { protect: false, ignoreChanges: ["tags"], region: "us-east-1" },
      { protect: false, ignoreChanges: ["tags"], region: "us-east-1" },
    ]);
  });

  it("leaves the plan's own resources writable (the view is frozen, not the plan)", async () => {
    const mine = { ...policy, options: { ...policy.options, ignoreChanges: [...policy.options.ignoreChanges] } };
    await evaluatePolicies([bucket, mine], [{ name: "reads", description: "d", validateStack: () => undefined }], { packName: "p" });
    expect(Object.isFrozen(mine)).toBe(false);
    mine.options.ignoreChanges.push("acl");
    expect(mine.options.ignoreChanges).toEqual(["tags", "acl"]);
  });
});
