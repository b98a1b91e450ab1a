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
import { didYouMean } from "../nearest";
import { PlanResource, PolicyViolation } from "./document";
import { checkSchema } from "./jsonSchema";

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

/** The levels `--policy-pack-config` accepts (@pulumi/policy 1.21.0 policy.d.ts EnforcementLevel). */
export const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];
/** Levels that still block a deployment: remediate fixes what it can and blocks on the rest. */
const BLOCKING_LEVELS: readonly EnforcementLevel[] = ["mandatory", "remediate"];

/** Policies a stack's pack config may not lower or reconfigure, and who decides that. */
export interface PackConfigLock {
  /** Policy names that must stay at a blocking level with the pack's own properties. */
  readonly policies: readonly string[];
  /** Why, for the message: e.g. `stack "prod" (environment prod)`. */
  readonly scope: string;
  /** Who may change the lock and where, for the message. */
  readonly owner: string;
}

export interface PackConfigProblem {
  /** Key path in the pack config file: `<policy>` or `<policy>.<property>`. */
  readonly path: string;
  readonly message: string;
}

/** Raised for a pack config that names unknown policies or levels, breaks a policy's configSchema, or lowers a locked policy. */
export class PackConfigError extends Error {
  readonly exitCode = 2;
  constructor(
    readonly file: string,
    readonly problems: readonly PackConfigProblem[],
  ) {
    const n = problems.length;
    super([`Invalid policy pack config ${file} (${n} problem${n === 1 ? "" : "s"}):`, ...problems.map((p) => `  - ${p.path}: ${p.message}`)].join("\n"));
    this.name = "PackConfigError";
  }

  static isInstance(err: unknown): err is PackConfigError {
    return err instanceof Error && err.name === "PackConfigError" && Array.isArray((err as PackConfigError).problems);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function levelProblem(level: unknown): string | undefined {
  if (typeof level === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(level)) return undefined;
  return `${JSON.stringify(level)} is not an enforcement level; allowed: ${ENFORCEMENT_LEVELS.join(", ")}${typeof level === "string" ? didYouMean(level, ENFORCEMENT_LEVELS) : ""}`;
}

/** Strictness of an approval status: an override may move an entry only towards revoked. */
const STATUS_RANK: Record<string, number> = { revoked: 0, candidate: 1, approved: 2 };

/**
 * Indexes of `override` entries that loosen `pack` (the property's schema default): not a list, an
 * entry absent from the pack's list, or one that differs in anything but a stricter status (and the
 * reason for a revocation). A non-list value must equal the pack's value.
 */
function looserEntries(override: unknown, pack: unknown): number[] {
  if (!Array.isArray(override) || !Array.isArray(pack)) return JSON.stringify(override) === JSON.stringify(pack) ? [] : [0];
  const core = (e: unknown) => (isObj(e) ? JSON.stringify(Object.fromEntries(Object.entries(e).filter(([k]) => k !== "status" && k !== "revokedReason").sort(([a], [b]) => a.localeCompare(b)))) : JSON.stringify(e));
  const rank = (e: unknown) => (isObj(e) && typeof e.status === "string" ? (STATUS_RANK[e.status] ?? Infinity) : -1);
  return override.flatMap((o, i) => (pack.some((p) => core(p) === core(o) && rank(o) <= rank(p)) ? [] : [i]));
}

/**
 * Every problem of a pack config file at once: unknown policy names (with the nearest valid name),
 * levels outside the enum, properties against each policy's configSchema (types, required, no
 * unknown keys), and, under `lock`, any attempt to lower a locked policy or replace its properties.
 */
export function packConfigProblems(policies: Policies, file: unknown, lock?: PackConfigLock): PackConfigProblem[] {
  if (!isObj(file)) return [{ path: "<root>", message: `must be an object of policy names to a level or {"enforcementLevel": ..., <properties>}; got ${Array.isArray(file) ? "a list" : JSON.stringify(file)}` }];
  const problems: PackConfigProblem[] = [];
  const names = policies.map((p) => p.name);
  for (const [name, given] of Object.entries(file)) {
    const policy = policies.find((p) => p.name === name);
    if (!policy) {
      problems.push({ path: name, message: `is not a policy of this pack${didYouMean(name, names)}; policies: ${names.join(", ")}` });
      continue;
    }
    const locked = lock?.policies.includes(name) ? lock : undefined;
    const lockedMessage = (what: string) =>
      `${what}; in ${locked!.scope} ${name} is locked at "mandatory" (or "remediate"). ${locked!.owner}`;
    const level: unknown = isObj(given) ? given.enforcementLevel : given;
    const properties = isObj(given) ? Object.fromEntries(Object.entries(given).filter(([k]) => k !== "enforcementLevel")) : {};
    if (!isObj(given) || "enforcementLevel" in given) {
      const bad = levelProblem(level);
      if (bad) problems.push({ path: isObj(given) ? `${name}.enforcementLevel` : name, message: bad });
      else if (locked && !BLOCKING_LEVELS.includes(level as EnforcementLevel)) problems.push({ path: name, message: lockedMessage(`"${String(level)}" would lower a rule that guards model governance or data loss`) });
    }
    const schema = policy.configSchema;
    const allowed = Object.keys(schema?.properties ?? {});
    for (const [key, value] of Object.entries(properties)) {
      const propSchema = schema?.properties[key];
      if (!propSchema) {
        problems.push({ path: `${name}.${key}`, message: `unknown key${didYouMean(key, [...allowed, "enforcementLevel"])}; allowed keys: ${["enforcementLevel", ...allowed].join(", ")}` });
        continue;
      }
      for (const p of checkSchema(value, propSchema)) problems.push({ path: `${name}.${key}${p.path ? (p.path.startsWith("[") ? p.path : `.${p.path}`) : ""}`, message: p.message });
      const loosened = locked ? looserEntries(value, (propSchema as { default?: unknown }).default) : [];
      for (const i of loosened) {
        problems.push({ path: `${name}.${key}[${i}]`, message: lockedMessage("is not in the pack's own list (the approvers' record) or is less strict than its entry there; a prod override may only drop entries or make them stricter (approved -> candidate -> revoked)") });
      }
    }
    for (const key of schema?.required ?? []) {
      const hasDefault = (schema?.properties[key] as { default?: unknown } | undefined)?.default !== undefined;
      if (!(key in properties) && !hasDefault) problems.push({ path: `${name}.${key}`, message: "is required by the policy's configSchema" });
    }
  }
  return problems;
}

/**
 * Schema defaults first (the CLI applies them, not the pack), then the config file's values.
 * @throws PackConfigError when the file has problems (see packConfigProblems).
 */
export function resolvePackConfig(policies: Policies, file: PackConfigFile = {}, opts: { source?: string; lock?: PackConfigLock } = {}): Map<string, ResolvedPolicyConfig> {
  const problems = packConfigProblems(policies, file, opts.lock);
  if (problems.length > 0) throw new PackConfigError(opts.source ?? "(pack config)", problems);
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
  opts: {
    packName: string;
    packEnforcementLevel?: EnforcementLevel;
    config?: PackConfigFile;
    /** Where the config came from, for error messages. */
    configSource?: string;
    lock?: PackConfigLock;
    stackTags?: ReadonlyMap<string, string>;
  },
): Promise<PolicyViolation[]> {
  const config = resolvePackConfig(policies, opts.config, { source: opts.configSource, lock: opts.lock });
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const stackTags = opts.stackTags ?? new Map<string, string>();
  const providerOf = (r: PlanResource) => {
    const p = r.provider ? byUrn.get(r.provider) : undefined;
    return p ? { type: p.type, props: p.inputs, urn: p.urn, name: p.name } : undefined;
  };
  /**
   * What the analyzer tells every policy about one resource, resource and stack policies alike. Built once
   * per resource and shared by every policy (the analyzer builds it per policy and call; rebuilding it for
   * 15 resource policies x 900 resources and for each of 30 stack policies was half of the pack's time).
   * It is frozen, with its options and provider, so a policy that tried to change what the next one sees
   * fails instead. `props` are the plan's inputs, not frozen, as the analyzer hands each policy its own.
   */
  const describe = (r: PlanResource) => {
    const options = optionsOf(r);
    for (const part of [options.ignoreChanges, options.aliases, options.customTimeouts, options]) Object.freeze(part);
    const provider = providerOf(r);
    return Object.freeze({
      type: r.type,
      props: r.inputs,
      urn: r.urn,
      name: r.name,
      opts: options,
      provider: provider && Object.freeze(provider),
      isType: (c: unknown) => isTypeOf(r.type, c),
      // One function serves both argument shapes, whose asType signatures differ only in their generics.
      asType: ((c: unknown) => (isTypeOf(r.type, c) ? r.inputs : undefined)) as PolicyResource["asType"] & ResourceValidationArgs["asType"],
    });
  };
  const described = new Map<PlanResource, ReturnType<typeof describe>>();
  const describedResource = (r: PlanResource) => {
    let d = described.get(r);
    if (!d) described.set(r, (d = describe(r)));
    return d;
  };
  /**
   * The stack policies' view of the resources, built once and shared by every stack policy; each policy
   * gets its own list. The objects and their lists are frozen like the descriptions they extend.
   */
  let stackView: Map<string, PolicyResource> | undefined;
  const stackResources = (): Map<string, PolicyResource> => {
    if (stackView) return stackView;
    const objects = new Map<string, PolicyResource>();
    for (const r of resources) {
      objects.set(r.urn, { ...describedResource(r), dependencies: [], propertyDependencies: {} });
    }
    for (const r of resources) {
      const o = objects.get(r.urn)!;
      if (r.parent && objects.has(r.parent)) o.parent = objects.get(r.parent);
      o.dependencies = Object.freeze(r.options.dependsOn.map((u) => objects.get(u)).filter((x): x is PolicyResource => x !== undefined)) as PolicyResource[];
      for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
        o.propertyDependencies[k] = Object.freeze(urns.map((u) => objects.get(u)).filter((x): x is PolicyResource => x !== undefined)) as PolicyResource[];
      }
    }
    for (const o of objects.values()) Object.freeze(Object.freeze(o).propertyDependencies);
    return (stackView = objects);
  };
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
      const objects = stackResources();
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
          // Awaited only when it returns a promise: most are synchronous, and 14,000 needless awaits add up.
          const result: unknown = validate(args, (message) => report(r.urn)(message));
          if (typeof (result as PromiseLike<unknown> | undefined)?.then === "function") await result;
        } catch (err) {
          if (!(err instanceof NotApplicable)) throw new Error(`policy ${policy.name} failed on ${r.urn}: ${(err as Error).message}`);
        }
      }
    }
  }
  return violations;
}
