import * as fs from "fs";
import * as path from "path";
import { buildPolicies, PACK_NAME, PROD_LOCK_OWNER, prodLockedPolicies } from "../../policies/pack";
import { InputFileError, readJsonFile } from "../../lib/inputFile";
import { StackConfigError, formatProblems } from "../../lib/config/validate";
import { PlanDocument, PlanResource } from "../../lib/plan/document";
import { readPriceFile } from "../../lib/pricing";
import { estimateCost } from "../../lib/plan/cost";
import { costCeilingViolation } from "../../lib/plan/costCeiling";
import { DATA_LOSS_ALLOW_LIST_KEY, dataLossViolations } from "../../lib/plan/dataLoss";
import { warmPreviousViolations } from "../../lib/plan/warmPrevious";
import { planNow } from "../../lib/clock";
import { dataRetentionViolations } from "../../lib/plan/retention";
import { diffPlans } from "../../lib/plan/diff";
import { evaluatePolicies, PackConfigError, PackConfigFile, resolvePackConfig } from "../../lib/plan/policy";
import { recordWithoutStacks } from "./record";
import { ProjectFile, readConfigFile, readProjectFile, readStackFile, StackFileConfig } from "../../lib/plan/stackfile";
import { BLUEPRINT_NAMESPACE, PROJECT_DIRS, ProjectRole } from "../../lib/config/projects";
import { StackReferenceError } from "./mocks";
import { loadProgramModule } from "./programs";
import { policyPackConfigFile } from "./packConfig";
import { projectStacks } from "./stacks";

export interface PlanStackOptions {
  /** The repository root: it holds platform/ and serving/ (each with its Pulumi.yaml), policies/ and pricing/. */
  readonly projectDir: string;
  readonly stack: string;
  /**
   * Plan one project. Serving alone still runs platform's program for the outputs its StackReference
   * reads, but the plan lists, prices and judges serving's resources only. @default both, platform first
   */
  readonly project?: ProjectRole;
  /**
   * Read this project's config from a file instead of `<project>/stacks/Pulumi.<stack>.yaml` (fixtures,
   * experiments). It belongs to `project`, else to serving when it sets llm-blueprint:platformStack, else platform.
   */
  readonly configFile?: string;
  /**
   * Policy pack config, as `pulumi preview --policy-pack-config <file>` takes it.
   * @default policies/config/<stack>.json when it exists, else the pack's own defaults
   */
  readonly policyPackConfig?: string;
  /** Price file of the cost estimate; a missing file is a plan error (exit 2). @default pricing/aws-on-demand.yaml in the project */
  readonly priceFile?: string;
  /**
   * The plan document to diff against (`--diff`): in prod a delete or replacement of a protected,
   * retained or data-holding resource that the stack's dataLossAllowList does not name is the mandatory
   * violation data-loss-not-allowed; an allow-list entry this change does not need is a config error.
   * @default no baseline: the gate cannot see deletes and does not run
   */
  readonly baseline?: { readonly doc: PlanDocument; readonly label: string };
}

export const DEFAULT_PRICE_FILE = path.join("pricing", "aws-on-demand.yaml");

// Kept in a module of its own so tools that only need the file (drift) do not load the SDK for it.
export { policyPackConfigFile } from "./packConfig";

/** A plan that could not be made: bad config (exit 2) or a program error (exit 2). */
export class PlanError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = "PlanError";
  }
}

/** The package a provider type belongs to: "pulumi:providers:aws" -> "aws". */
function providerPackage(type: string): string {
  return type.split(":")[0];
}

/**
 * The engine refuses default providers when `pulumi:disable-default-providers` lists the package
 * (or "*"). Under mocks nothing refuses them, so the plan checks the same rule itself.
 */
export function defaultProviderViolations(resources: readonly PlanResource[], config: Record<string, string>): string[] {
  const raw = config["pulumi:disable-default-providers"];
  const disabled: string[] = raw ? (JSON.parse(raw) as string[]) : [];
  return resources
    // pulumi:pulumi:* (StackReference) belong to the engine's builtin provider, which no stack can disable.
    .filter((r) => r.custom && !r.type.startsWith("pulumi:providers:") && !r.type.startsWith("pulumi:pulumi:"))
    .filter((r) => !r.provider || /::default(_[0-9_]+)?$/.test(r.provider))
    .filter((r) => disabled.includes("*") || disabled.includes(providerPackage(r.type)))
    .map((r) => `${r.urn} uses the default ${providerPackage(r.type)} provider, which this stack disables; pass the regional provider`);
}

interface ProjectRun {
  readonly role: ProjectRole;
  readonly dir: string;
  readonly project: ProjectFile;
  readonly config: StackFileConfig;
  /** The stack planned in this project: serving's is the planned stack, platform's the one serving references. */
  readonly stack: string;
}

/** Which project a config file belongs to when --project does not say: serving's name their platform stack. */
export function configFileRole(config: StackFileConfig): ProjectRole {
  return `${BLUEPRINT_NAMESPACE}:platformStack` in config.config ? "serving" : "platform";
}

/** The platform stack a serving config reads: the last segment of llm-blueprint:platformStack (the plan checks the project segment in the program). */
export function referencedPlatformStack(config: StackFileConfig, fallback: string): string {
  const ref = config.config[`${BLUEPRINT_NAMESPACE}:platformStack`];
  return typeof ref === "string" && ref.length > 0 ? ref.split("/").pop()! : fallback;
}

/** Reads both projects (or one) and their stack files, platform first; input-file errors surface as they are. */
function loadRuns(root: string, opts: PlanStackOptions): ProjectRun[] {
  const fromFile = opts.configFile ? path.resolve(opts.configFile) : undefined;
  const fileRole = fromFile ? opts.project ?? configFileRole(readConfigFile(fromFile, path.relative(process.cwd(), fromFile), "llm-blueprint")) : undefined;
  const load = (role: ProjectRole, stack: string): ProjectRun => {
    const dir = path.join(root, PROJECT_DIRS[role]);
    const project = readProjectFile(dir);
    const config =
      fromFile && fileRole === role
        ? readConfigFile(fromFile, path.relative(process.cwd(), fromFile), project.name)
        : (() => {
            const c = readStackFile(dir, project, stack);
            return { ...c, file: path.join(PROJECT_DIRS[role], c.file) };
          })();
    return { role, dir, project, config, stack };
  };
  const serving = opts.project === "platform" ? undefined : load("serving", opts.stack);
  const platformStack = serving ? referencedPlatformStack(serving.config, opts.stack) : opts.stack;
  if (serving && !fs.existsSync(path.join(root, PROJECT_DIRS.platform, "stacks", `Pulumi.${platformStack}.yaml`))) {
    // The reference names a platform stack this repository has no file for: name both sides.
    const key = `${BLUEPRINT_NAMESPACE}:platformStack`;
    const known = projectStacks(root, "platform");
    throw new InputFileError(
      serving.config.file,
      `${serving.config.file}: ${key} is "${serving.config.config[key]}", but the platform project has no stack "${platformStack}" (${path.join(PROJECT_DIRS.platform, "stacks", `Pulumi.${platformStack}.yaml`)} does not exist); its stacks are ${known.join(", ") || "none"}`,
    );
  }
  const platform = load("platform", platformStack);
  return serving ? [platform, serving] : [platform];
}

/** Runs the projects' programs in order, each reading the earlier ones' outputs through its StackReferences. */
async function runAll(runs: readonly ProjectRun[], project: ProjectRole | undefined) {
  const resources: PlanResource[] = [];
  const outputs: Record<string, unknown> = {};
  const stackOutputs = new Map<string, Record<string, unknown>>();
  for (const run of runs) {
    const recorded = await runProgram(run, stackOutputs);
    stackOutputs.set(`${run.project.name}/${run.stack}`, recorded.outputs);
    if (!project || project === run.role) {
      resources.push(...recorded.resources.map((r) => ({ ...r, project: run.project.name })));
      outputs[run.project.name] = recorded.outputs;
    }
  }
  return { resources, outputs };
}

/**
 * Records the projects of one stack without judging or pricing them (tests, tools): the resources
 * of each planned project, tagged with it, and their stack outputs by project.
 */
export async function recordProjects(opts: PlanStackOptions): Promise<{ resources: PlanResource[]; outputs: Record<string, unknown> }> {
  let runs: ProjectRun[];
  try {
    runs = loadRuns(path.resolve(opts.projectDir), opts);
  } catch (err) {
    if (InputFileError.isInstance(err)) throw new PlanError(err.message, 2);
    throw err;
  }
  return runAll(runs, opts.project);
}

/**
 * Runs the blueprint's two Pulumi programs for one stack under the mock runtime, platform first and
 * serving with platform's outputs behind its StackReference, and returns one plan document over both.
 */
export async function planStack(opts: PlanStackOptions): Promise<PlanDocument> {
  const root = path.resolve(opts.projectDir);
  // Every input file is read and checked before a program runs: a bad stack file, approvals file or
  // pack config fails in a second with its own message.
  let runs: ProjectRun[], policies, packConfig: PackConfigFile, packConfigShown: string | undefined, lock, prod: boolean;
  try {
    runs = loadRuns(root, opts);
    policies = buildPolicies();
    const packConfigFile = policyPackConfigFile(root, opts.stack, opts.policyPackConfig);
    packConfigShown = packConfigFile && path.relative(process.cwd(), packConfigFile);
    packConfig = (packConfigFile ? readJsonFile(packConfigFile, packConfigShown) : {}) as PackConfigFile;
    // Prod (by stack name or by either project's environment key) may not lower the governance and data-loss rules.
    const environments = runs.map((r) => r.config.config[`${BLUEPRINT_NAMESPACE}:environment`]).filter((e): e is string => e !== undefined);
    prod = opts.stack === "prod" || environments.includes("prod");
    lock = prod ? { policies: prodLockedPolicies(policies), scope: `prod (stack "${opts.stack}", environment ${[...new Set(environments)].join("/") || "unset"})`, owner: PROD_LOCK_OWNER } : undefined;
    resolvePackConfig(policies, packConfig, { source: packConfigShown, lock });
  } catch (err) {
    if (InputFileError.isInstance(err) || PackConfigError.isInstance(err)) throw new PlanError(err.message, 2);
    throw err;
  }

  const { resources, outputs } = await runAll(runs, opts.project);
  const shownRuns = runs.filter((r) => !opts.project || opts.project === r.role);
  try {
    const violations = await evaluatePolicies(resources, policies, { packName: PACK_NAME, packEnforcementLevel: "mandatory", config: packConfig, configSource: packConfigShown, lock });
    const doc: PlanDocument = {
      stack: opts.stack,
      project: shownRuns.map((r) => r.project.name).join("+"),
      projects: shownRuns.map((r) => ({ name: r.project.name, dir: PROJECT_DIRS[r.role], stackFile: r.config.file, stack: r.stack })),
      resources,
      outputs,
      policy: { violations },
    };
    const priceFile = path.resolve(root, opts.priceFile ?? DEFAULT_PRICE_FILE);
    const ceilingKey = `${BLUEPRINT_NAMESPACE}:costCeilingUsdPerMonth`;
    const ceilingRun = runs.find((r) => r.config.config[ceilingKey] !== undefined);
    // The cost section is part of the plan: without its price file the plan fails rather than quietly dropping it.
    if (!fs.existsSync(priceFile)) {
      const shown = opts.priceFile ?? path.relative(root, priceFile);
      const ceiling = ceilingRun ? ` (${ceilingRun.config.file} also sets ${ceilingKey}, which is checked against it)` : "";
      throw new PlanError(`price file ${shown} not found: the plan's cost estimate needs it${ceiling}; restore ${DEFAULT_PRICE_FILE} or name one with --price-file`, 2);
    }
    let prices;
    try {
      prices = readPriceFile(priceFile);
    } catch (err) {
      throw new PlanError(`cannot read price file: ${(err as Error).message}`, 2);
    }
    const cost = estimateCost(doc, prices);
    const overBudget = ceilingRun ? costCeilingViolation(cost, ceilingRun.config.config[ceilingKey], { key: ceilingKey, file: ceilingRun.config.file, packName: PACK_NAME }) : undefined;
    // retainOnDelete never reaches CrossGuard (@pulumi/policy 1.21.0 passes `protect` only), so the plan checks it.
    const retention = dataRetentionViolations(resources, PACK_NAME);
    const planned = { ...doc, policy: { violations: [...violations, ...retention, ...(overBudget ? [overBudget] : [])] }, cost };
    if (!opts.baseline) return planned;
    const allowKey = `${BLUEPRINT_NAMESPACE}:${DATA_LOSS_ALLOW_LIST_KEY}`;
    const sources = shownRuns.map((r) => ({ file: r.config.file, project: r.project.name, raw: r.config.config[allowKey] }));
    const dataLoss = dataLossViolations(diffPlans(opts.baseline.doc, planned).dataAtRisk, sources, { prod, packName: PACK_NAME, baseLabel: opts.baseline.label, namespace: BLUEPRINT_NAMESPACE });
    // A version change must keep the version it replaces warm (models[].previous): only the baseline knows which.
    const warm = warmPreviousViolations(opts.baseline.doc, planned, { prod, packName: PACK_NAME, baseLabel: opts.baseline.label, today: new Date(planNow()).toISOString().slice(0, 10) });
    return { ...planned, policy: { violations: [...planned.policy.violations, ...dataLoss, ...warm] } };
  } catch (err) {
    if (InputFileError.isInstance(err) || PackConfigError.isInstance(err)) throw new PlanError(err.message, 2);
    throw err;
  }
}

/** Runs one project's program from its directory, as `pulumi up` would, with the stack outputs its references may read. */
async function runProgram(run: ProjectRun, stackOutputs: ReadonlyMap<string, Record<string, unknown>>) {
  const previousDir = process.cwd();
  process.chdir(run.dir);
  try {
    const entry = path.join(run.dir, run.project.main ?? ".");
    // Loaded before the run starts, so the program begins at the same point of the stack's registration
    // whether its module came from the bundle (at once) or from a run-time import (file reads, transpiling):
    // otherwise how long the import took decided the order resources registered in. The programs do
    // their work in the function they export, not at import.
    const mod = (await loadProgramModule(entry)) as { default?: unknown };
    // `export =` (what the Pulumi Node.js host calls) arrives as the module's default export.
    const exported: unknown = typeof mod === "function" ? mod : mod.default;
    const recorded = await recordWithoutStacks(() => (typeof exported === "function" ? (exported as () => unknown)() : exported), {
      project: run.project.name,
      stack: run.stack,
      config: run.config.config,
      secretKeys: run.config.secretKeys,
      stackOutputs,
    });
    const providerProblems = defaultProviderViolations(recorded.resources, run.config.config);
    if (providerProblems.length > 0) throw new PlanError(providerProblems.join("\n"), 2);
    return recorded;
  } catch (err) {
    if (StackConfigError.isInstance(err)) throw new PlanError(formatProblems(run.config.file, err.problems), 2);
    if (StackReferenceError.isInstance(err)) throw new PlanError(`${run.config.file}: ${err.message}`, 2);
    if (InputFileError.isInstance(err) || PackConfigError.isInstance(err)) throw new PlanError(err.message, 2);
    throw err;
  } finally {
    process.chdir(previousDir);
  }
}
