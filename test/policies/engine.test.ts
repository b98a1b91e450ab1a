import type { Policies, PolicyResource } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { buildPolicies, loadApprovals } from "../../policies/pack";
import { PlanResource } from "../../lib/plan/document";
import { evaluatePolicies, resolvePackConfig } from "../../lib/plan/policy";

const res = (urn: string, type: string, extra: Partial<PlanResource> = {}): PlanResource => ({
  urn,
  type,
  name: urn.split("::").pop()!,
  custom: true,
  inputs: {},
  options: { protect: false, retainOnDelete: false, ignoreChanges: [], dependsOn: [], deleteBeforeReplace: false, aliases: [] },
  ...extra,
});
const provider = res("urn:pulumi:s::p::pulumi:providers:aws::use1", "pulumi:providers:aws", { inputs: { region: "us-east-1" } });
const key = res("urn:pulumi:s::p::aws:kms/key:Key::k", "aws:kms/key:Key", { provider: provider.urn, inputs: { enableKeyRotation: false } });
const alias = res("urn:pulumi:s::p::aws:kms/alias:Alias::a", "aws:kms/alias:Alias", {
  provider: provider.urn,
  parent: key.urn,
  options: { ...key.options, dependsOn: [key.urn] },
  propertyDependencies: { targetKeyId: [key.urn] },
});

const rotation: Policies = [
  {
    name: "rotation",
    description: "keys rotate",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
      if (args.type !== "aws:kms/key:Key") args.notApplicable("keys only");
      if (args.props.enableKeyRotation !== true) report(`key in ${String(args.provider?.props.region)} does not rotate`);
    },
  },
];

describe("policy evaluation follows the analyzer", () => {
  it("reports against the validated resource, with the provider's props, skipping not-applicable resources", async () => {
    expect(await evaluatePolicies([provider, key, alias], rotation, { packName: "p" })).toEqual([
      { policy: "rotation", policyPack: "p", enforcementLevel: "mandatory", urn: key.urn, message: "key in us-east-1 does not rotate" },
    ]);
  });

  it("takes the enforcement level from pack config first, skips disabled policies and reports remediate as mandatory", async () => {
    const level = async (config: Record<string, unknown>) => (await evaluatePolicies([key], rotation, { packName: "p", config: config as never })).map((v) => v.enforcementLevel);
    expect(await level({ rotation: "advisory" })).toEqual(["advisory"]);
    expect(await level({ rotation: { enforcementLevel: "disabled" } })).toEqual([]);
    expect(await level({ rotation: "remediate" })).toEqual(["mandatory"]);
  });

  it("gives stack policies parents, dependencies and property dependencies as resource objects", async () => {
    let seen: PolicyResource | undefined;
    const policies: Policies = [{ name: "graph", description: "d", validateStack: (args) => void (seen = args.resources.find((r) => r.urn === alias.urn)) }];
    await evaluatePolicies([provider, key, alias], policies, { packName: "p" });
    expect(seen?.parent?.urn).toBe(key.urn);
    expect(seen?.dependencies.map((d) => d.urn)).toEqual([key.urn]);
    expect(seen?.propertyDependencies.targetKeyId.map((d) => d.props.enableKeyRotation)).toEqual([false]);
  });

  it("applies config schema defaults the way the CLI does, and lets a config file override them", () => {
    const policies = buildPolicies();
    const defaults = resolvePackConfig(policies);
    expect(defaults.get("approved-model-versions")!.properties.models).toEqual(loadApprovals().models);
    const overridden = resolvePackConfig(policies, { "approved-model-versions": { enforcementLevel: "advisory", models: [] } });
    expect(overridden.get("approved-model-versions")).toEqual({ enforcementLevel: "advisory", properties: { models: [] } });
  });
});

describe("the pack", () => {
  it("has uniquely named, described policies, all mandatory by default", () => {
    const policies = buildPolicies();
    expect(new Set(policies.map((p) => p.name)).size).toBe(policies.length);
    expect(policies.length).toBe(24);
    for (const p of policies) {
      expect(p.description.length).toBeGreaterThan(20);
      expect(p.enforcementLevel).toBe("mandatory");
    }
  });
});
