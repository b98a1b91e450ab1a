import type { Policies, PolicyResource } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { buildPolicies, loadApprovals, PROD_LOCK_OWNER, prodLockedPolicies } from "../../policies/pack";
import { evaluatePolicies, packConfigProblems, resolvePackConfig } from "../../lib/plan/policy";
import { planResource } from "../planResource";

const res = planResource;
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
  it("has uniquely named, described policies, all mandatory by default but the early warnings", () => {
    const policies = buildPolicies();
    expect(new Set(policies.map((p) => p.name)).size).toBe(policies.length);
    expect(policies.length).toBe(48);
    // The 90-day runway before a Kubernetes version leaves standard support is a warning by design;
    // past that day kubernetes-version-in-standard-support (mandatory) blocks.
    // capacity-block-window reminds before a Capacity Block ends; an ended block is a config error (exit 2).
    // warm-previous-window reminds that a warm previous version outlived its window (removing it is a change of its own).
    const advisory = ["kubernetes-version-support-runway", "capacity-block-window", "warm-previous-window"];
    for (const p of policies) {
      expect(p.description.length).toBeGreaterThan(20);
      expect(p.enforcementLevel, p.name).toBe(advisory.includes(p.name) ? "advisory" : "mandatory");
    }
  });
});

describe("pack config is validated, fail closed", () => {
  const policies = buildPolicies();
  const problems = (file: unknown, lock?: Parameters<typeof packConfigProblems>[2]) => packConfigProblems(policies, file, lock).map((p) => `${p.path}: ${p.message}`);
  const prod = { policies: prodLockedPolicies(policies), scope: 'prod (stack "prod", environment prod)', owner: PROD_LOCK_OWNER };

  it("a misspelt level names the levels and the nearest one", () => {
    expect(problems({ "pod-hardening": "advsory" })).toEqual(['pod-hardening: "advsory" is not an enforcement level; allowed: advisory, mandatory, remediate, disabled (did you mean "advisory"?)']);
    expect(problems({ "pod-hardening": { enforcementLevel: "Mandatory" } })).toEqual(['pod-hardening.enforcementLevel: "Mandatory" is not an enforcement level; allowed: advisory, mandatory, remediate, disabled (did you mean "mandatory"?)']);
  });

  it("an unknown policy name is refused with the nearest valid name", () => {
    const [p] = problems({ "kms-key-rotaton": "mandatory" });
    expect(p).toMatch(/^kms-key-rotaton: is not a policy of this pack \(did you mean "kms-key-rotation"\?\); policies: approved-model-versions, /);
  });

  it("properties are checked against the policy's configSchema: unknown keys, types, item schemas", () => {
    expect(problems({ "pod-hardening": { enforcementLevel: "advisory", exemptions: [] } })).toEqual(['pod-hardening.exemptions: unknown key; allowed keys: enforcementLevel']);
    expect(problems({ "approved-model-versions": { modles: [] } })[0]).toBe('approved-model-versions.modles: unknown key (did you mean "models"?); allowed keys: enforcementLevel, models');
    expect(problems({ "approved-model-versions": { models: "all" } })).toEqual(['approved-model-versions.models: expected array, got string "all"']);
    expect(problems({ "approved-model-versions": { models: [{ name: "x" }] } })).toContain("approved-model-versions.models[0].revision: is required");
    // The drift rules' copies of the approvers' record are as strict, outside prod too.
    expect(problems({ "serving-profile-matches-approval": { models: [{ name: "x" }] } })).toContain("serving-profile-matches-approval.models[0].revision: is required");
    expect(problems({ "images-pinned-by-digest": { runtimeImages: [{ image: "vllm", digest: "sha256:abc" }] } })).toContain("images-pinned-by-digest.runtimeImages[0].facts: is required");
    expect(problems([])).toEqual([expect.stringMatching(/^<root>: must be an object of policy names/)]);
  });

  it("outside prod, a stack may lower any rule", () => {
    expect(problems({ "approved-model-versions": "disabled", "s3-bucket-baseline": "advisory" })).toEqual([]);
  });

  it("in prod, governance and data-loss rules cannot go below mandatory; the error says who changes that and where", () => {
    for (const name of ["approved-model-versions", "workload-labels-match-args", "serving-profile-matches-approval", "images-pinned-by-digest", "s3-bucket-baseline", "kms-key-rotation"]) {
      for (const level of ["disabled", "advisory"]) {
        expect(problems({ [name]: level }, prod)).toEqual([
          `${name}: "${level}" would lower a rule that guards model governance or data loss; in prod (stack "prod", environment prod) ${name} is locked at "mandatory" (or "remediate"). ${PROD_LOCK_OWNER}`,
        ]);
      }
      expect(problems({ [name]: "mandatory" }, prod)).toEqual([]);
      expect(problems({ [name]: { enforcementLevel: "remediate" } }, prod)).toEqual([]);
    }
    expect(PROD_LOCK_OWNER).toContain("platform governance team");
    expect(PROD_LOCK_OWNER).toContain("policies/pack.ts");
    // Rules outside the lock stay a stack's choice.
    expect(problems({ "pod-hardening": "advisory" }, prod)).toEqual([]);
  });

  it("in prod, an override of the approvers' record may only make it stricter", () => {
    const models = loadApprovals().models;
    const revoked = models.map((m) => (m.name === "llama-3.1-8b-instruct" ? { ...m, status: "revoked" as const, revokedReason: "jailbreak regression" } : m));
    expect(problems({ "approved-model-versions": { models: revoked } }, prod)).toEqual([]);
    expect(problems({ "approved-model-versions": { models: models.slice(1) } }, prod)).toEqual([]);
    const invented = [...models, { ...models[0], revision: "f".repeat(40) }];
    expect(problems({ "approved-model-versions": { models: invented } }, prod)).toEqual([
      expect.stringMatching(/^approved-model-versions\.models\[3\]: is not in the pack's own list \(the approvers' record\) or is less strict than its entry there; .*Only the platform governance team/),
    ]);
    const loosened = revoked.map((m) => ({ ...m, status: "approved" as const }));
    const fromRevoked = resolvePackConfig(policies, { "approved-model-versions": { models: revoked } }).get("approved-model-versions")!.properties.models;
    expect(packConfigProblems(buildPolicies({ models: fromRevoked as typeof models, runtimeImages: loadApprovals().runtimeImages }), { "approved-model-versions": { models: loosened } }, prod)).toHaveLength(1);
  });

  it("the lock covers every policy whose name says data loss", () => {
    const extra: Policies = [...policies, { name: "no-data-loss-on-replace", description: "d", enforcementLevel: "mandatory", validateStack: () => undefined }];
    expect(prodLockedPolicies(extra)).toContain("no-data-loss-on-replace");
  });

  it("resolvePackConfig refuses a bad file with every problem at once", () => {
    expect(() => resolvePackConfig(policies, { "pod-hardening": "advsory", nope: "mandatory" } as never, { source: "policies/config/x.json" })).toThrow(
      /^Invalid policy pack config policies\/config\/x\.json \(2 problems\):\n {2}- pod-hardening: .*\n {2}- nope: is not a policy of this pack/,
    );
  });
});
