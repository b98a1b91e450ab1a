import type { Policies } from "@pulumi/policy";
import type { PlanResource, PolicyViolation } from "../../lib/plan/document";
import { readJsonFile } from "../../lib/inputFile";
import { PackConfigFile, PolicyEvaluation } from "../../lib/plan/policy";

/**
 * The plan's policy pack, behind one interface whether it is evaluated in this thread (the library's
 * default: tests, bench, drift) or in a worker thread (tools/engine/packThread.ts, the CLI's bundle), so
 * both paths run the same code: openPack() below and lib/plan/policy.ts PolicyEvaluation.
 */

/** What the pack needs before any program runs: the stack, the projects' environments (the prod lock) and the pack config file. */
export interface PackSetup {
  readonly stack: string;
  /** Each planned project's llm-blueprint:environment, where set. */
  readonly environments: readonly string[];
  /** Absolute path of the pack config file, if any. */
  readonly packConfigFile?: string;
  /** How messages name it (relative to the working directory). */
  readonly packConfigShown?: string;
}

export interface PackEvaluator {
  /**
   * Loads the pack and reads and resolves its config. Rejects as the pack would in-process: an
   * InputFileError or PackConfigError (the plan turns those into exit 2), anything else as it is.
   */
  configure(setup: PackSetup): Promise<{ readonly packName: string }>;
  /** The next project's resources, in plan order, as they will stand in the plan document. */
  add(resources: readonly PlanResource[]): void;
  /** Every violation, in the order and content lib/plan/policy.ts evaluatePolicies gives. */
  finish(): Promise<PolicyViolation[]>;
  /** Frees what the evaluator holds (a worker); safe to call at any point, more than once. */
  close(): void;
}

/** The pack's module: imported when first needed, so a thread that does not evaluate the pack never loads it. */
export type PackModule = typeof import("../../policies/pack");

/**
 * The policies (built once per module: building reads the approvers' file) and their resolved config
 * for one stack: the pack config file, and in prod (by stack name or either project's environment) the
 * lock on the governance and data-loss rules.
 */
export function openPack(pack: PackModule, policies: Policies, setup: PackSetup): PolicyEvaluation {
  const config = (setup.packConfigFile ? readJsonFile(setup.packConfigFile, setup.packConfigShown) : {}) as PackConfigFile;
  const prod = setup.stack === "prod" || setup.environments.includes("prod");
  const lock = prod
    ? { policies: pack.prodLockedPolicies(policies), scope: `prod (stack "${setup.stack}", environment ${[...new Set(setup.environments)].join("/") || "unset"})`, owner: pack.PROD_LOCK_OWNER }
    : undefined;
  return new PolicyEvaluation(policies, { packName: pack.PACK_NAME, packEnforcementLevel: "mandatory", config, configSource: setup.packConfigShown, lock });
}

/** The pack evaluated in this thread, all at once at the end (exactly evaluatePolicies). */
export function inProcessPack(): PackEvaluator {
  let evaluation: PolicyEvaluation | undefined;
  return {
    async configure(setup) {
      const pack = await import("../../policies/pack");
      evaluation = openPack(pack, pack.buildPolicies(), setup);
      return { packName: pack.PACK_NAME };
    },
    add(resources) {
      evaluation!.add(resources);
    },
    finish() {
      return evaluation!.finish();
    },
    close() {
      evaluation = undefined;
    },
  };
}
