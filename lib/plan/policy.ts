import type {
  EnforcementLevel,
  Policies,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { PlanResource, PolicyViolation } from "./document";

/**
 * Evaluates a CrossGuard policy pack against a recorded plan the way the Pulumi analyzer does
 * (@pulumi/policy server.js): enforcement level from pack config, then the policy, then the pack;
 * "disabled" skips; "remediate" reports as mandatory; notApplicable() is not a violation; resource
 * policies get one resource's inputs and options, stack policies every resource with parent,
 * dependencies and property dependencies resolved to objects.
 */

/** Per-policy configuration as `--policy-pack-config` takes it: a level, or an object with a level and properties. */
export type PackConfigFile = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

interface ResolvedPolicyConfig {
  enforcementLevel?: EnforcementLevel;
  properties: Record<string, unknown>;
}

/** Schema defaults first (the CLI applies them, not the pack), then the config file's values. */
export function resolvePackConfig(policies: Policies, file: PackConfigFile = {}): Map<string, ResolvedPolicyConfig> {
  const out = new Map<string, ResolvedPolicyConfig>();
  for (const p of policies) {
    const properties: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
      const def = (schema as { default?: unknown }).default;
      if (def !== undefined) properties[key] = def;
    }
    const given = file[p.name];
    let enforcementLevel: EnforcementLevel | undefined;
    if (typeof given === "string") enforcementLevel = given;
    else if (given) {
      const { enforcementLevel: level, ...rest } = given;
      enforcementLevel = level;
      Object.assign(properties, rest);
    }
    out.set(p.name, { enforcementLevel, properties });
  }
  return out;
}

class NotApplicable extends Error {}
const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason ?? "Policy does not apply");
};

interface Classy {
  __pulumiType?: string;
  isInstance?: (o: unknown) => boolean;
}
function isTypeOf(type: string, resourceClass: unknown): boolean {
  const c = resourceClass as Classy;
  if (typeof c.__pulumiType === "string" && c.__pulumiType.length > 0) return c.__pulumiType === type;
  return typeof c.isInstance === "function" && c.isInstance({ __pulumiType: type }) === true;
}

function optionsOf(r: PlanResource): PolicyResourceOptions {
  return {
    protect: r.options.protect,
    ignoreChanges: [...r.options.ignoreChanges],
    deleteBeforeReplace: r.options.deleteBeforeReplace,
    aliases: r.options.aliases.map(String),
    customTimeouts: { ...(r.options.customTimeouts ?? { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }) },
    additionalSecretOutputs: [],
    parent: r.parent,
  };
}

function isStackPolicy(p: Policies[number]): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === "function";
}

export async function evaluatePolicies(
  resources: readonly PlanResource[],
  policies: Policies,
  opts: { packName: string; packEnforcementLevel?: EnforcementLevel; config?: PackConfigFile; stackTags?: ReadonlyMap<string, string> },
): Promise<PolicyViolation[]> {
  const config = resolvePackConfig(policies, opts.config);
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const stackTags = opts.stackTags ?? new Map<string, string>();
  const providerOf = (r: PlanResource) => {
    const p = r.provider ? byUrn.get(r.provider) : undefined;
    return p ? { type: p.type, props: p.inputs, urn: p.urn, name: p.name } : undefined;
  };
  /** What the analyzer tells every policy about one resource, resource and stack policies alike. */
  const describedResource = (r: PlanResource) => ({
    type: r.type,
    props: r.inputs,
    urn: r.urn,
    name: r.name,
    opts: optionsOf(r),
    provider: providerOf(r),
    isType: (c: unknown) => isTypeOf(r.type, c),
    // One function serves both argument shapes, whose asType signatures differ only in their generics.
    asType: ((c: unknown) => (isTypeOf(r.type, c) ? r.inputs : undefined)) as PolicyResource["asType"] & ResourceValidationArgs["asType"],
  });
  const analyzed = resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
  const violations: PolicyViolation[] = [];

  for (const policy of policies) {
    const cfg = config.get(policy.name)!;
    let level: EnforcementLevel = cfg.enforcementLevel ?? policy.enforcementLevel ?? opts.packEnforcementLevel ?? "advisory";
    if (level === "disabled") continue;
    if (level === "remediate") level = "mandatory";
    const getConfig = <T extends object>() => cfg.properties as T;
    const report = (urn: string | undefined) => (message: string, reportedUrn?: string) =>
      violations.push({ policy: policy.name, policyPack: opts.packName, enforcementLevel: level, urn: reportedUrn ?? urn, message });

    if (isStackPolicy(policy)) {
      const objects = new Map<string, PolicyResource>();
      for (const r of resources) {
        objects.set(r.urn, { ...describedResource(r), dependencies: [], propertyDependencies: {} });
      }
      for (const r of resources) {
        const o = objects.get(r.urn)!;
        if (r.parent && objects.has(r.parent)) o.parent = objects.get(r.parent);
        o.dependencies = r.options.dependsOn.map((u) => objects.get(u)).filter((x): x is PolicyResource => x !== undefined);
        for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
          o.propertyDependencies[k] = urns.map((u) => objects.get(u)).filter((x): x is PolicyResource => x !== undefined);
        }
      }
      const args: StackValidationArgs = { resources: [...objects.values()], stackTags, getConfig, notApplicable };
      try {
        await policy.validateStack(args, report(undefined));
      } catch (err) {
        if (!(err instanceof NotApplicable)) throw new Error(`policy ${policy.name} failed: ${(err as Error).message}`);
      }
      continue;
    }

    const validations = [(policy as ResourceValidationPolicy).validateResource ?? []].flat();
    for (const r of analyzed) {
      for (const validate of validations) {
        const args: ResourceValidationArgs = { ...describedResource(r), stackTags, getConfig, notApplicable };
        try {
          // A resource policy always reports against the resource it validates, as the analyzer does.
          await validate(args, (message) => report(r.urn)(message));
        } catch (err) {
          if (!(err instanceof NotApplicable)) throw new Error(`policy ${policy.name} failed on ${r.urn}: ${(err as Error).message}`);
        }
      }
    }
  }
  return violations;
}
