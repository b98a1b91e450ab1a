/**
 * Offline plan: `npm run plan -- [--stack dev] [--json plan.json] [--config-file path] [--diff base.json [--fail-on-diff]]`.
 * Runs the Pulumi program under the mock runtime (no CLI, credentials or network) and prints the plan,
 * and with --diff the changes against a saved plan document (`--json` of an earlier run).
 * Exit codes: 0 planned cleanly, 1 mandatory policy violation, 2 invalid configuration, unreadable
 * baseline or program error, 3 changes against the baseline with --fail-on-diff (and nothing worse).
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { PlanError, planStack } from "../lib/plan/run";
import { PlanDocument } from "../lib/plan/document";
import { diffPlans, hasChanges, renderDiff } from "../lib/plan/diff";
import { renderSummary } from "../lib/plan/summary";

const USAGE =
  "usage: npm run plan -- [--stack <name>] [--json <file>] [--config-file <stack file>] [--policy-pack-config <file>] [--diff <baseline plan.json> [--fail-on-diff]] [--quiet]";

/** Reads a plan document written by --json; a missing or foreign file is a usage error (exit 2). */
function readBaseline(file: string): PlanDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new PlanError(`cannot read baseline plan ${file}: ${(err as Error).message}`, 2);
  }
  const d = doc as Partial<PlanDocument> | null;
  if (!d || typeof d.stack !== "string" || !Array.isArray(d.resources) || !d.policy) {
    throw new PlanError(`${file} is not a plan document (write one with npm run plan -- --stack <name> --json <file>)`, 2);
  }
  return d as PlanDocument;
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        stack: { type: "string", default: "dev" },
        json: { type: "string" },
        "config-file": { type: "string" },
        "policy-pack-config": { type: "string" },
        quiet: { type: "boolean", default: false },
        diff: { type: "string" },
        "fail-on-diff": { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values["fail-on-diff"] && !values.diff) {
    process.stderr.write(`--fail-on-diff needs --diff <baseline plan.json>\n${USAGE}\n`);
    return 2;
  }
  const baseline = values.diff ? readBaseline(values.diff) : undefined;
  const projectDir = path.resolve(__dirname, "..");
  const doc = await planStack({ projectDir, stack: values.stack, configFile: values["config-file"], policyPackConfig: values["policy-pack-config"] });
  if (values.json) fs.writeFileSync(values.json, JSON.stringify(doc, null, 2) + "\n");
  if (!values.quiet) process.stdout.write(renderSummary(doc) + "\n");
  const diff = baseline ? diffPlans(baseline, doc) : undefined;
  if (diff) {
    if (baseline!.stack !== doc.stack) process.stdout.write(`\nnote: the baseline is a plan of stack ${baseline!.stack}, this is ${doc.stack}\n`);
    process.stdout.write(`\n${renderDiff(diff, values.diff!)}\n`);
  }
  if (doc.policy.violations.some((v) => v.enforcementLevel === "mandatory")) return 1;
  return diff && values["fail-on-diff"] && hasChanges(diff) ? 3 : 0;
}

// Errors inside Output callbacks surface as unhandled rejections; they are program errors too.
process.on("unhandledRejection", (err) => {
  process.stderr.write(`plan failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(2);
});

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof PlanError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`plan failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(2);
  },
);
