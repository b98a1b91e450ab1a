import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { TestProject } from "vitest/node";
import { committedStacks } from "./spawn";

/**
 * Once per `vitest run`, before any test file: brings the tools' bundles up to date (so parallel test files
 * do not each build them), then plans every committed stack once with the plan CLI and hands the plan
 * documents to the test files (test/policies/harness.ts recordStack reads them), instead of each file
 * recording the same stacks again. Files that run a program in-process still do so in their own fork.
 */

const root = path.resolve(__dirname, "..");
const launcher = path.join(root, "tools", "launch.mjs");

declare module "vitest" {
  export interface ProvidedContext {
    /** Committed stack -> plan document file written by `npm run plan -- --stack <s> --json`, for the stacks that planned. */
    recordedStacks: Record<string, string>;
  }
}


function node(args: readonly string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("npm_")));
    const child = spawn(process.execPath, [launcher, ...args], { cwd: root, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stderr }));
  });
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recorded-stacks-"));
  const recorded: Record<string, string> = {};
  const built = await node(["--build", "tools/plan.ts", "tools/drift.ts"]);
  if (built.status === 0) {
    // Two at a time: the machines this runs on have two cores.
    const stacks = committedStacks(root);
    const planOne = async (stack: string) => {
      const file = path.join(dir, `${stack}.json`);
      const res = await node(["tools/plan.ts", "--stack", stack, "--json", file, "--quiet"]);
      // A stack that does not plan (config error) is left to the tests that record it to report.
      if ((res.status === 0 || res.status === 1) && fs.existsSync(file)) recorded[stack] = file;
    };
    const queue = [...stacks];
    await Promise.all(
      [0, 1].map(async () => {
        for (let s = queue.shift(); s !== undefined; s = queue.shift()) await planOne(s);
      }),
    );
  }
  project.provide("recordedStacks", recorded);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
