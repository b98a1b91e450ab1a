import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { TestProject } from "vitest/node";
import { committedStacks, envWithoutNpm } from "./spawn";

/**
 * Once per `vitest run`, before any test file: brings the tools' bundles up to date (so parallel test files
 * do not each build them), then plans every committed stack once with the plan CLI, as a user runs it
 * (`npm run plan -- --stack <s> --json <file>`), and hands the plan documents to the test files
 * (test/policies/harness.ts recordStack reads them) and the whole run, exit status, stdout and stderr,
 * to the end-to-end tests that would otherwise spawn that same command again (test/planRuns.ts).
 * Files that run a program in-process still do so in their own fork.
 *
 * Why sharing cannot hand out a stale result: the runs start after this run's bundles are built and live
 * in a temporary directory and in this run's memory only (removed at teardown, never reused by another
 * `vitest run`); the tests never edit the repository's sources or stack files (edited variants are copies
 * in temporary directories, planned by their own runs), so during one run the same command on the same
 * inputs gives the same output; the plan is deterministic (lib/clock.ts fixes the time, the mocks the ids),
 * which plan-cli's "prints the same plan twice" test checks.
 */

const root = path.resolve(__dirname, "..");
const launcher = path.join(root, "tools", "launch.mjs");

declare module "vitest" {
  export interface ProvidedContext {
    /** Committed stack -> plan document file written by `npm run plan -- --stack <s> --json`, for the stacks that planned. */
    recordedStacks: Record<string, string>;
    /** Committed stack -> the whole run of `npm run plan -- --stack <s> --json <file>` (test/planRuns.ts hands it out). */
    committedStackPlans: Record<string, SharedPlanRun>;
    /** Committed stack -> its recording as one program (test/tools/recordOneStack.ts), for ONE_STACK_RECORDED. */
    oneStackRecordings: Record<string, string>;
  }
}

/** One plan CLI run of the global set-up: its arguments (after `tools/plan.ts`), exit status, output and plan document file. */
export interface SharedPlanRun {
  readonly args: readonly string[];
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The --json file of the run (it exists when the plan wrote one). */
  readonly json: string;
}


/** `node tools/launch.mjs <args>` from the repository root, without npm's variables (as the tests' runPlan runs the CLI). */
function node(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = envWithoutNpm();
    const child = spawn(process.execPath, [launcher, ...args], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * The stacks whose one-program recording (InferenceBlueprint's composition) several test files take unedited
 * (test/policies/harness.ts recordOneStack): prod, in seven files. Recorded here once, in a child process.
 */
const ONE_STACK_RECORDED = ["prod"];

interface HandOuts {
  readonly dir: string;
  readonly recorded: Record<string, string>;
  readonly plans: Record<string, SharedPlanRun>;
  readonly oneStack: Record<string, string>;
}

/** Builds the bundles, plans the committed stacks and records the one-program stacks, into a new directory. */
async function prepare(): Promise<HandOuts> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recorded-stacks-"));
  const recorded: Record<string, string> = {};
  const plans: Record<string, SharedPlanRun> = {};
  const oneStack: Record<string, string> = {};
  const built = await node(["--build", "tools/plan.ts", "tools/drift.ts", "test/tools/recordOneStack.ts"]);
  if (built.status === 0) {
    // Two at a time: the machines this runs on have two cores.
    const stacks = committedStacks(root);
    const planOne = async (stack: string) => {
      const file = path.join(dir, `${stack}.json`);
      const args = ["--stack", stack, "--json", file];
      const res = await node(["tools/plan.ts", ...args]);
      // Every run is handed out, a failed one too: the tests that assert on it report the failure.
      plans[stack] = { args, status: res.status, stdout: res.stdout, stderr: res.stderr, json: file };
      // A stack that does not plan (config error) is left to the tests that record it to report.
      if ((res.status === 0 || res.status === 1) && fs.existsSync(file)) recorded[stack] = file;
    };
    const recordOne = async (stack: string) => {
      const file = path.join(dir, `${stack}.one-stack.json`);
      const res = await node(["test/tools/recordOneStack.ts", stack, file]);
      // A stack that does not record is left to the tests that record it (in their process) to report.
      if (res.status === 0 && fs.existsSync(file)) oneStack[stack] = file;
    };
    const queue = [...stacks.map((s) => () => planOne(s)), ...ONE_STACK_RECORDED.filter((s) => stacks.includes(s)).map((s) => () => recordOne(s))];
    await Promise.all(
      [0, 1].map(async () => {
        for (let job = queue.shift(); job !== undefined; job = queue.shift()) await job();
      }),
    );
  }
  return { dir, recorded, plans, oneStack };
}

/**
 * vitest runs a project's global set-up once per project, and vitest.config.ts gives every file that needs a fresh
 * process a project of its own (test/isolation.ts), each listing this file. The set-ups all run in vitest's main
 * process, so the first one starts the work in a slot on globalThis, every project is handed the same result, and
 * the last teardown removes the directory: one set-up per `vitest run`, however many projects.
 */
const RUN_SETUP = Symbol.for("llm-blueprint.test.globalSetup");
interface RunSetup {
  readonly handOuts: Promise<HandOuts>;
  users: number;
}

export default async function setup(project: TestProject): Promise<() => void> {
  const slot = globalThis as { [RUN_SETUP]?: RunSetup };
  const run = (slot[RUN_SETUP] ??= { handOuts: prepare(), users: 0 });
  run.users++;
  const { dir, recorded, plans, oneStack } = await run.handOuts;
  project.provide("recordedStacks", recorded);
  project.provide("committedStackPlans", plans);
  project.provide("oneStackRecordings", oneStack);
  return () => {
    if (--run.users > 0) return;
    delete slot[RUN_SETUP];
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
