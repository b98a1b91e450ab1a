import * as path from "path";
import { runPlanCli } from "../tools/planCli";
import { envWithoutNpm } from "./spawn";

const root = path.resolve(__dirname, "..");

/** What one run of the plan's command line printed, and its exit code. */
export interface PlanCliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The plan's command line (tools/planCli.ts: what `npm run plan -- <args>` runs, without the process around
 * it) in this test process, from the repository root, with this process's environment minus npm's variables
 * and `env` on top. For tests that assert what a plan prints and exits with: a plan process would spend ~1.5 s
 * more CPU starting up and loading the SDK than a run in a test process that has it loaded already. What the
 * process adds (exit status, the unhandled-rejection handler, the bundle) is tested by running tools/plan.ts.
 * Only for programs that do not fail inside an Output callback: that is an unhandled rejection, which the CLI's
 * process turns into exit 2 and a test process would report as an error of the test run.
 */
export async function planInProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<PlanCliRun> {
  // Relative paths in the arguments are read against the working directory, as the CLI's are; the tests name them
  // from the repository root, where they run the CLI.
  if (process.cwd() !== root) throw new Error(`planInProcess runs from the repository root ${root}, not ${process.cwd()}`);
  let stdout = "";
  let stderr = "";
  const code = await runPlanCli(args, {
    env: { ...envWithoutNpm(), ...env },
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}
