/**
 * Offline plan: `npm run plan -- [--stack dev] [--project platform|serving] [--json plan.json] [--config-file path] [--diff base.json [--fail-on-diff]]`.
 * Runs the blueprint's two Pulumi programs (platform/, then serving/ reading platform's outputs through
 * its StackReference) under the mock runtime (no CLI, credentials or network) and prints one plan,
 * and with --diff the changes against a saved plan document (`--json` of an earlier run).
 * Exit codes: 0 planned cleanly, 1 mandatory policy violation, 2 invalid arguments or configuration,
 * unreadable baseline or program error, 3 changes against the baseline with --fail-on-diff (and nothing worse),
 * 4 with --fail-on-diff a delete or replacement of a protected, retained or data-holding resource (data at risk;
 * in prod one the stack's llm-blueprint:dataLossAllowList does not name is already exit 1, data-loss-not-allowed).
 *
 * The command line itself is tools/planCli.ts; this file is the process around it. Arguments are checked
 * before the SDK-heavy modules load (planCli imports them dynamically), so `--help` and a bad argument answer
 * in well under a second of work of our own.
 */
import { runPlanCli } from "./planCli";

// Errors inside Output callbacks surface as unhandled rejections; they are program errors too. The plan
// cannot go on from one, so this is the one place that ends the process at once.
// Once the run has settled, its outcome is reported: a rejection found only as the process winds down (the SDK's,
// behind a program that failed inside an Output callback) is not a second error.
let settled = false;
process.on("unhandledRejection", (err) => {
  if (settled) return;
  process.stderr.write(`plan failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(2);
});

// The exit code is set, not forced with process.exit(): the process ends when its last write has flushed.
void runPlanCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr }).then((code) => {
  settled = true;
  process.exitCode = code;
});
