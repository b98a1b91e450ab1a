/**
 * Runtime drift check: `npm run drift -- --stack <name>`. Where the Pulumi CLI and credentials
 * exist, refreshes from the cloud and previews with the policy pack, failing on any change
 * (`--expect-no-changes`) or mandatory violation. Without the CLI it fails loudly: a drift check
 * that cannot run must never look like a pass.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { parseArgs } from "util";
import { policyPackConfigFile } from "./engine/run";

const USAGE = "usage: npm run drift -- --stack <name> [--policy-pack-config <file>]";

function main(): number {
  let values;
  try {
    ({ values } = parseArgs({ options: { stack: { type: "string" }, "policy-pack-config": { type: "string" } }, strict: true }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!values.stack) {
    process.stderr.write(`--stack is required\n${USAGE}\n`);
    return 2;
  }
  const projectDir = path.resolve(__dirname, "..");
  const probe = spawnSync("pulumi", ["version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    process.stderr.write(
      "drift check not run: the Pulumi CLI is not installed or not on PATH.\n" +
        "Install it (https://www.pulumi.com/docs/install/) and provide AWS credentials, then run again.\n" +
        "The offline `npm run plan` checks declared state only; it cannot see drift in the cloud.\n",
    );
    return 2;
  }
  const packConfig = policyPackConfigFile(projectDir, values.stack, values["policy-pack-config"]);
  const args = [
    "preview",
    "--stack",
    values.stack,
    "--refresh",
    "--expect-no-changes",
    "--diff",
    "--non-interactive",
    "--policy-pack",
    path.join(projectDir, "policies"),
    ...(packConfig ? ["--policy-pack-config", packConfig] : []),
  ];
  process.stdout.write(`pulumi ${args.join(" ")}\n`);
  const run = spawnSync("pulumi", args, { cwd: projectDir, stdio: "inherit" });
  return run.status ?? 2;
}

process.exit(main());
