import * as fs from "fs";
import * as path from "path";
import { buildPolicies, PACK_NAME, PROD_LOCK_OWNER, prodLockedPolicies } from "../../policies/pack";
import { InputFileError, readJsonFile } from "../../lib/inputFile";
import { StackConfigError, formatProblems } from "../../lib/config/validate";
import { PlanDocument, PlanResource } from "../../lib/plan/document";
import { readPriceFile } from "../../lib/pricing";
import { estimateCost } from "../../lib/plan/cost";
import { costCeilingViolation } from "../../lib/plan/costCeiling";
import { evaluatePolicies, PackConfigError, PackConfigFile, resolvePackConfig } from "../../lib/plan/policy";
import { recordProgram } from "./record";
import { readConfigFile, readProjectFile, readStackFile } from "../../lib/plan/stackfile";

export interface PlanStackOptions {
  /** Directory holding Pulumi.yaml. */
  readonly projectDir: string;
  readonly stack: string;
  /** Read config from this file instead of `<stackConfigDir>/Pulumi.<stack>.yaml` (fixtures, experiments). */
  readonly configFile?: string;
  /**
   * Policy pack config, as `pulumi preview --policy-pack-config <file>` takes it.
   * @default policies/config/<stack>.json when it exists, else the pack's own defaults
   */
  readonly policyPackConfig?: string;
  /** Price file of the cost estimate; a missing file is a plan error (exit 2). @default pricing/aws-on-demand.yaml in the project */
  readonly priceFile?: string;
}

export const DEFAULT_PRICE_FILE = path.join("pricing", "aws-on-demand.yaml");

/** The pack config a stack is previewed with: explicit file, else policies/config/<stack>.json if present. */
export function policyPackConfigFile(projectDir: string, stack: string, explicit?: string): string | undefined {
  if (explicit) return path.resolve(explicit);
  const conventional = path.join(projectDir, "policies", "config", `${stack}.json`);
  return fs.existsSync(conventional) ? conventional : undefined;
}

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
    .filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"))
    .filter((r) => !r.provider || /::default(_[0-9_]+)?$/.test(r.provider))
    .filter((r) => disabled.includes("*") || disabled.includes(providerPackage(r.type)))
    .map((r) => `${r.urn} uses the default ${providerPackage(r.type)} provider, which this stack disables; pass the regional provider`);
}

/** Runs the project's Pulumi program for one stack under the mock runtime and returns the plan document. */
export async function planStack(opts: PlanStackOptions): Promise<PlanDocument> {
  const projectDir = path.resolve(opts.projectDir);
  const project = readProjectFile(projectDir);
  // Every input file is read and checked before the program runs: a bad stack file, approvals file or
  // pack config fails in a second with its own message.
  let config, policies, packConfig: PackConfigFile, packConfigShown: string | undefined, lock;
  try {
    config = opts.configFile
      ? readConfigFile(path.resolve(opts.configFile), path.relative(process.cwd(), path.resolve(opts.configFile)), project.name)
      : readStackFile(projectDir, project, opts.stack);
    policies = buildPolicies();
    const packConfigFile = policyPackConfigFile(projectDir, opts.stack, opts.policyPackConfig);
    packConfigShown = packConfigFile && path.relative(process.cwd(), packConfigFile);
    packConfig = (packConfigFile ? readJsonFile(packConfigFile, packConfigShown) : {}) as PackConfigFile;
    // Prod (by stack name or by its environment key) may not lower the governance and data-loss rules.
    const environment = config.config[`${project.name}:environment`];
    const prod = opts.stack === "prod" || environment === "prod";
    lock = prod ? { policies: prodLockedPolicies(policies), scope: `prod (stack "${opts.stack}", environment ${environment ?? "unset"})`, owner: PROD_LOCK_OWNER } : undefined;
    resolvePackConfig(policies, packConfig, { source: packConfigShown, lock });
  } catch (err) {
    if (InputFileError.isInstance(err) || PackConfigError.isInstance(err)) throw new PlanError(err.message, 2);
    throw err;
  }

  // The program resolves paths (Pulumi.yaml, stack files) from the project directory, as under `pulumi up`.
  const previousDir = process.cwd();
  process.chdir(projectDir);
  try {
    const entry = path.join(projectDir, project.main ?? ".");
    const record = (captureStacks: boolean) =>
      recordProgram(
        () => {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const exported: unknown = require(entry);
          return typeof exported === "function" ? (exported as () => unknown)() : exported;
        },
        { project: project.name, stack: opts.stack, config: config.config, secretKeys: config.secretKeys, captureStacks },
      );
    let run;
    try {
      // Fast first: no stack traces while the program runs.
      run = await record(false);
    } catch (err) {
      if (StackConfigError.isInstance(err)) throw err;
      // The program is deterministic: run it again with stack traces so the error says where.
      await record(true);
      throw err;
    }
    const providerProblems = defaultProviderViolations(run.resources, config.config);
    if (providerProblems.length > 0) throw new PlanError(providerProblems.join("\n"), 2);
    const violations = await evaluatePolicies(run.resources, policies, { packName: PACK_NAME, packEnforcementLevel: "mandatory", config: packConfig, configSource: packConfigShown, lock });
    const doc: PlanDocument = { stack: opts.stack, project: project.name, resources: run.resources, outputs: run.outputs, policy: { violations } };
    const priceFile = path.resolve(projectDir, opts.priceFile ?? DEFAULT_PRICE_FILE);
    // The cost section is part of the plan: without its price file the plan fails rather than quietly dropping it.
    if (!fs.existsSync(priceFile)) {
      const shown = opts.priceFile ?? path.relative(projectDir, priceFile);
      const ceiling = config.config[`${project.name}:costCeilingUsdPerMonth`] !== undefined ? ` (${config.file} also sets ${project.name}:costCeilingUsdPerMonth, which is checked against it)` : "";
      throw new PlanError(`price file ${shown} not found: the plan's cost estimate needs it${ceiling}; restore ${DEFAULT_PRICE_FILE} or name one with --price-file`, 2);
    }
    let prices;
    try {
      prices = readPriceFile(priceFile);
    } catch (err) {
      throw new PlanError(`cannot read price file: ${(err as Error).message}`, 2);
    }
    const cost = estimateCost(doc, prices);
    const overBudget = costCeilingViolation(cost, config.config[`${project.name}:costCeilingUsdPerMonth`], { key: `${project.name}:costCeilingUsdPerMonth`, file: config.file, packName: PACK_NAME });
    return { ...doc, policy: { violations: [...violations, ...(overBudget ? [overBudget] : [])] }, cost };
  } catch (err) {
    if (StackConfigError.isInstance(err)) throw new PlanError(formatProblems(config.file, err.problems), 2);
    if (InputFileError.isInstance(err) || PackConfigError.isInstance(err)) throw new PlanError(err.message, 2);
    throw err;
  } finally {
    process.chdir(previousDir);
  }
}
