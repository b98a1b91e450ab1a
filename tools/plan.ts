/**
 * Offline plan: `npm run plan -- [--stack dev] [--json plan.json] [--config-file path]`.
 * Runs the Pulumi program under the mock runtime (no CLI, credentials or network) and prints the plan.
 * Exit codes: 0 planned cleanly, 1 mandatory policy violation, 2 invalid configuration or program error.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { PlanError, planStack } from "../lib/plan/run";
import { renderSummary } from "../lib/plan/summary";

const USAGE = "usage: npm run plan -- [--stack <name>] [--json <file>] [--config-file <stack file>] [--policy-pack-config <file>] [--quiet]";

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
  const projectDir = path.resolve(__dirname, "..");
  const doc = await planStack({ projectDir, stack: values.stack, configFile: values["config-file"], policyPackConfig: values["policy-pack-config"] });
  if (values.json) fs.writeFileSync(values.json, JSON.stringify(doc, null, 2) + "\n");
  if (!values.quiet) process.stdout.write(renderSummary(doc) + "\n");
  return doc.policy.violations.some((v) => v.enforcementLevel === "mandatory") ? 1 : 0;
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
