/**
 * Runtime drift check: `npm run drift -- --stack <name> [--project platform|serving] [--policy-pack-config <file>]`.
 * Where the Pulumi CLI and credentials exist, refreshes each project's stack from the cloud and previews
 * it with the policy pack, failing on any change (`--expect-no-changes`) or mandatory violation:
 * platform, then serving (or the one --project names). Each runs from its project directory with the
 * pack paths relative to it, as the workflows' pulumi/actions steps do with `work-dir` (drift.yml).
 * Both projects are checked even when the first drifted, so one run shows all the drift.
 * Without the CLI it fails loudly: a drift check that cannot run must never look like a pass.
 * Exit codes: 0 no drift, 2 bad arguments or no CLI, otherwise the first failing preview's exit code.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { policyPackConfigFile } from "./engine/packConfig";
import { projectStacks } from "./engine/stacks";
import { PROJECT_DIRS, ProjectRole } from "../lib/config/projects";

const USAGE = "usage: npm run drift -- --stack <name> [--project platform|serving] [--policy-pack-config <file>]";
const ROLES: readonly ProjectRole[] = ["platform", "serving"];

/** A bad invocation: its message, the usage, exit 2, nothing run. */
class UsageError extends Error {}

interface DriftRun {
  readonly role: ProjectRole;
  readonly stack: string;
  /** The project directory the CLI runs in. */
  readonly cwd: string;
  readonly args: readonly string[];
}

/** The previews to run, checked against the repository before anything runs. */
function driftRuns(root: string, argv: readonly string[]): DriftRun[] {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: { stack: { type: "string" }, project: { type: "string" }, "policy-pack-config": { type: "string" } }, strict: true }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const stack = values.stack;
  if (!stack) throw new UsageError("--stack is required");
  const project = values.project;
  if (project !== undefined && !(ROLES as readonly string[]).includes(project)) throw new UsageError(`--project "${project}": the projects are ${ROLES.join(" and ")} (leave it out to check both)`);
  const roles = project ? [project as ProjectRole] : ROLES;
  for (const role of roles) {
    if (!projectStacks(root, role).includes(stack)) {
      throw new UsageError(`stack "${stack}" not found: ${path.join(PROJECT_DIRS[role], "stacks", `Pulumi.${stack}.yaml`)} does not exist; the ${role} project's stacks are ${projectStacks(root, role).join(", ") || "none"}`);
    }
  }
  const explicit = values["policy-pack-config"];
  if (explicit && !fs.existsSync(explicit)) throw new UsageError(`--policy-pack-config ${explicit}: no such file`);
  const packConfig = policyPackConfigFile(root, stack, explicit);
  return roles.map((role) => {
    const cwd = path.join(root, PROJECT_DIRS[role]);
    const args = [
      "preview",
      "--stack",
      stack,
      "--refresh",
      "--expect-no-changes",
      "--diff",
      "--non-interactive",
      "--policy-pack",
      path.relative(cwd, path.join(root, "policies")),
      ...(packConfig ? ["--policy-pack-config", path.relative(cwd, packConfig)] : []),
    ];
    return { role, stack, cwd, args };
  });
}

function main(): number {
  const root = path.resolve(__dirname, "..");
  let runs: DriftRun[];
  try {
    runs = driftRuns(root, process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    return 2;
  }
  const probe = spawnSync("pulumi", ["version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    process.stderr.write(
      "drift check not run: the Pulumi CLI is not installed or not on PATH.\n" +
        "Install it (https://www.pulumi.com/docs/install/) and provide AWS credentials, then run again.\n" +
        "The offline `npm run plan` checks declared state only; it cannot see drift in the cloud.\n",
    );
    return 2;
  }
  const results = runs.map((run) => {
    process.stdout.write(`(cd ${path.relative(root, run.cwd)} && pulumi ${run.args.join(" ")})\n`);
    const res = spawnSync("pulumi", [...run.args], { cwd: run.cwd, stdio: "inherit" });
    // A preview killed by a signal or never started is a failed check, not a pass.
    return { run, status: res.status ?? 2 };
  });
  const stack = runs[0].stack;
  process.stdout.write(`\nDrift check of stack ${stack}:\n`);
  for (const { run, status } of results) {
    process.stdout.write(`  ${PROJECT_DIRS[run.role]}/${stack}: ${status === 0 ? "no drift" : `pulumi preview exited ${status} (drift, a mandatory policy violation or an error; see its output above)`}\n`);
  }
  return results.find((r) => r.status !== 0)?.status ?? 0;
}

process.exit(main());
