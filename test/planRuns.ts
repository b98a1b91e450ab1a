import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PlanDocument } from "../lib/plan/document";
import type { SharedPlanRun } from "./globalSetup";
import { provided } from "./provided";
import { envWithoutNpm, runTool } from "./spawn";

/** A plan CLI run: the arguments it was given (after `tools/plan.ts`), its exit code, output, and the --json file it wrote to. */
export interface PlanRun {
  readonly args: readonly string[];
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly json: string;
}

/**
 * `npm run plan -- --stack <stack> --json <file>` on a committed stack, as a user runs it (plain node on the
 * bundle, npm's variables left out). Under `vitest run` that command ran once for the whole run, in
 * test/globalSetup.ts (which says why that cannot be stale), and every caller gets that run: the tests that
 * assert what this exact command prints and writes share it instead of each planning the stack again. The
 * plan document file is the run's: read it, never write it. Outside a vitest run, or when the set-up did not
 * plan (its bundle build failed), the command runs here, writing into a temporary directory.
 */
export async function committedStackPlan(stack: string): Promise<PlanRun> {
  const shared = sharedRun(stack);
  if (shared) return { args: shared.args, code: shared.status, stdout: shared.stdout, stderr: shared.stderr, json: shared.json };
  const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "plan-run-")), `${stack}.json`);
  const args = ["--stack", stack, "--json", json];
  const env = envWithoutNpm();
  const res = await runTool("tools/plan.ts", args, { timeoutMs: 240_000, env });
  return { args, code: res.status, stdout: res.stdout, stderr: res.stderr, json };
}

/**
 * The plan document `npm run plan -- --stack <stack> --json <file>` writes for a committed stack (committedStackPlan:
 * under `vitest run` the set-up's one run): what tools/engine/run.ts planStack({ projectDir, stack }) returns, as
 * JSON, the form a --diff baseline is read in. Each caller gets its own copy. A run that wrote no document is an
 * error with its exit code and stderr.
 */
export async function committedStackDocument(stack: string): Promise<PlanDocument> {
  const run = await committedStackPlan(stack);
  if (!fs.existsSync(run.json)) throw new Error(`npm run plan -- ${run.args.join(" ")} wrote no plan document (exit ${run.code}):\n${run.stderr}`);
  return JSON.parse(fs.readFileSync(run.json, "utf8")) as PlanDocument;
}

function sharedRun(stack: string): SharedPlanRun | undefined {
  return provided("committedStackPlans")?.[stack];
}
