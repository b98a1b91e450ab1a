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

/** How a pack is evaluated: its name and level, the config file (resolved against the policies' schemas) and lock, the stack's tags. */
export interface EvaluationOptions {
  packName: string;
  packEnforcementLevel?: EnforcementLevel;
  config?: PackConfigFile;
  /** Where the config came from, for error messages. */
  configSource?: string;
  lock?: PackConfigLock;
  stackTags?: ReadonlyMap<string, string>;
}

/**
 * One evaluation of a pack over a plan whose resources may arrive in parts, in plan order (each
 * project's when its program ends). `evaluateResourcePolicies()` runs the resource policies on the
 * resources added so far (the plan engine's worker does it while the next program runs); `finish()` runs
 * whatever is left and returns the violations in exactly the order and content evaluatePolicies gives:
 * policy by policy in pack order, a resource policy's over the resources in plan order. A policy that
 * throws while evaluated early is reported by finish() at the point the one-shot evaluation would have
 * stopped (after every earlier policy), and no other policy's violations survive it.
 * A resource's provider is looked up among the resources added so far; if a later part changes what a
 * looked-up URN names (a provider that arrives later, a repeated URN), finish() discards the early work
 * and evaluates the whole plan in one go.
 */
export class PolicyEvaluation {
  private readonly config: Map<string, ResolvedPolicyConfig>;
  private readonly resources: PlanResource[] = [];
  private readonly byUrn = new Map<string, PlanResource>();
  private readonly stackTags: ReadonlyMap<string, string>;
  /** What each described resource's provider lookup found, to check at finish(). */
  private readonly providerLookups = new Map<PlanResource, PlanResource | undefined>();
  private readonly described = new Map<PlanResource, ReturnType<PolicyEvaluation["describe"]>>();
  /** Per policy (pack order): the violations found so far, and the error that stopped it early. */
  private early: { violations: PolicyViolation[]; error?: Error }[];
  /** How many resources (a prefix of this.resources) the resource policies have run on. */
  private evaluated = 0;

  /** @throws PackConfigError when the config file has problems (see packConfigProblems). */
  constructor(
    private readonly policies: Policies,
    private readonly opts: EvaluationOptions,
  ) {
    this.config = resolvePackConfig(policies, opts.config, { source: opts.configSource, lock: opts.lock });
    this.stackTags = opts.stackTags ?? new Map<string, string>();
    this.early = policies.map(() => ({ violations: [] }));
  }

  /** Adds the next resources of the plan, in plan order; nothing is evaluated yet. */
  add(resources: readonly PlanResource[]): void {
    for (const r of resources) {
      this.resources.push(r);
      this.byUrn.set(r.urn, r);
    }
  }

  /** Runs the resource policies on the resources added since the last call (errors are kept for finish()). */
  async evaluateResourcePolicies(): Promise<void> {
    const from = this.evaluated;
    this.evaluated = this.resources.length;
    for (const [i, policy] of this.policies.entries()) {
      if (isStackPolicy(policy) || this.early[i].error) continue;
      try {
        await this.runResourcePolicy(policy, this.resources.slice(from, this.evaluated), this.early[i].violations);
      } catch (err) {
        this.early[i].error = err as Error;
      }
    }
  }

  /** Evaluates what is left and returns every violation (see the class comment for the order). */
  async finish(): Promise<PolicyViolation[]> {
    // An early lookup that the whole plan answers differently: start again, all at once.
    for (const [r, found] of this.providerLookups) {
      if (this.byUrn.get(r.provider!) !== found) {
        this.described.clear();
        this.providerLookups.clear();
        this.early = this.policies.map(() => ({ violations: [] }));
        this.evaluated = 0;
        break;
      }
    }
    const rest = this.resources.slice(this.evaluated);
    const violations: PolicyViolation[] = [];
    for (const [i, policy] of this.policies.entries()) {
      const { error, violations: found } = this.early[i];
      if (error) throw error;
      if (isStackPolicy(policy)) {
        await this.runStackPolicy(policy, violations);
        continue;
      }
      violations.push(...found);
      await this.runResourcePolicy(policy, rest, violations);
    }
    return violations;
  }

  /** The level a policy runs at, or undefined when disabled ("remediate" reports as mandatory). */
  private levelOf(policy: Policies[number]): EnforcementLevel | undefined {
    const cfg = this.config.get(policy.name)!;
    const level: EnforcementLevel = cfg.enforcementLevel ?? policy.enforcementLevel ?? this.opts.packEnforcementLevel ?? "advisory";
    if (level === "disabled") return undefined;
    return level === "remediate" ? "mandatory" : level;
  }

  private getConfigOf(policy: Policies[number]) {
    const properties = this.config.get(policy.name)!.properties;
    return <T extends object>() => properties as T;
  }

  private async runResourcePolicy(policy: ResourceValidationPolicy, resources: readonly PlanResource[], into: PolicyViolation[]): Promise<void> {
    const level = this.levelOf(policy);
    if (!level) return;
    const getConfig = this.getConfigOf(policy);
    const validations = [policy.validateResource ?? []].flat();
    for (const r of resources) {
      if (r.type === "pulumi:pulumi:Stack") continue;
      for (const validate of validations) {
        const args: ResourceValidationArgs = { ...this.describedResource(r), stackTags: this.stackTags, getConfig, notApplicable };
        try {
          // A resource policy always reports against the resource it validates, as the analyzer does.
          // Awaited only when it returns a promise: most are synchronous, and 14,000 needless awaits add up.
          const result: unknown = validate(args, (message) => into.push({ policy: policy.name, policyPack: this.opts.packName, enforcementLevel: level, urn: r.urn, message }));
          if (typeof (result as PromiseLike<unknown> | undefined)?.then === "function") await result;
        } catch (err) {
          if (!(err instanceof NotApplicable)) throw new Error(`policy ${policy.name} failed on ${r.urn}: ${(err as Error).message}`);
        }
      }
    }
  }

  private async runStackPolicy(policy: StackValidationPolicy, into: PolicyViolation[]): Promise<void> {
    const level = this.levelOf(policy);
    if (!level) return;
    const args: StackValidationArgs = { resources: [...this.stackResources().values()], stackTags: this.stackTags, getConfig: this.getConfigOf(policy), notApplicable };
    try {
      await policy.validateStack(args, (message, urn) => into.push({ policy: policy.name, policyPack: this.opts.packName, enforcementLevel: level, urn: urn ?? undefined, message }));
    } catch (err) {
      if (!(err instanceof NotApplicable)) throw new Error(`policy ${policy.name} failed: ${(err as Error).message}`);
    }
  }

  private providerOf(r: PlanResource) {
    if (!r.provider) return undefined;
    const p = this.byUrn.get(r.provider);
    this.providerLookups.set(r, p);
    return p ? { type: p.type, props: p.inputs, urn: p.urn, name: p.name } : undefined;
  }

  /**
   * What the analyzer tells every policy about one resource, resource and stack policies alike. Built once
   * per resource and shared by every policy (the analyzer builds it per policy and call; rebuilding it for
   * 15 resource policies x 900 resources and for each of 30 stack policies was half of the pack's time).
   * It is frozen, with its options and provider, so a policy that tried to change what the next one sees
   * fails instead. `props` are the plan's inputs, not frozen, as the analyzer hands each policy its own.
   */
  private describe(r: PlanResource) {
    const options = optionsOf(r);
    for (const part of [options.ignoreChanges, options.aliases, options.customTimeouts, options]) Object.freeze(part);
    const provider = this.providerOf(r);
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
  }

  private describedResource(r: PlanResource) {
    let d = this.described.get(r);
    if (!d) this.described.set(r, (d = this.describe(r)));
    return d;
  }

  /**
   * The stack policies' view of the resources, built once (all resources added by then) and shared by every
   * stack policy; each policy gets its own list. The objects and their lists are frozen like the descriptions they extend.
   */
  private stackView: Map<string, PolicyResource> | undefined;
  private stackResources(): Map<string, PolicyResource> {
    if (this.stackView) return this.stackView;
    const objects = new Map<string, PolicyResource>();
    for (const r of this.resources) {
      objects.set(r.urn, { ...this.describedResource(r), dependencies: [], propertyDependencies: {} });
    }
    for (const r of this.resources) {
      const o = objects.get(r.urn)!;
      if (r.parent && objects.has(r.parent)) o.parent = objects.get(r.parent);
      o.dependencies = Object.freeze(r.options.dependsOn.map((u) => objects.get(u)).filter((x): x is PolicyResource => x !== undefined)) as PolicyResource[];
      for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
        o.propertyDependencies[k] = Object.freeze(urns.map((u) => objects.get(u)).filter((x): x is PolicyResource => x !== undefined)) as PolicyResource[];
      }
    }
    for (const o of objects.values()) Object.freeze(Object.freeze(o).propertyDependencies);
    return (this.stackView = objects);
  }
}

/** Evaluates the pack over the whole plan at once (see PolicyEvaluation for the order of the violations). */
export async function evaluatePolicies(resources: readonly PlanResource[], policies: Policies, opts: EvaluationOptions): Promise<PolicyViolation[]> {
  const evaluation = new PolicyEvaluation(policies, opts);
  evaluation.add(resources);
  return evaluation.finish();
}
