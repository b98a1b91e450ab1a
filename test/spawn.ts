import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface SpawnResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command without blocking the test worker's event loop. A synchronous spawn that outlasts
 * vitest's 60 s worker RPC timeout fails the whole run with "Timeout calling onTaskUpdate", even
 * when every test passes, so long child processes (plans, engines) go through here.
 */
export function run(command: string, args: readonly string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(opts.input ?? "");
  });
}

const repoRoot = path.resolve(__dirname, "..");

/**
 * This process's environment without npm's own variables (npm_config_*, npm_lifecycle_*...): what a
 * user's shell passes the CLI, so a test run started through npm does not leak them into the tool.
 */
export function envWithoutNpm(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("npm_")));
}

/**
 * The command line of a repository tool as `npm run plan|drift` runs it: plain Node.js on the tool's bundle
 * (tools/launch.mjs rebuilds it when a source changed), without npm, so npm's own variables stay out.
 * `tool` is the TypeScript file, e.g. "tools/plan.ts".
 */
export function toolCommand(tool: string, args: readonly string[] = []): { command: string; args: string[] } {
  return { command: process.execPath, args: [path.join(repoRoot, "tools", "launch.mjs"), tool, ...args] };
}

/** Runs a repository tool (see toolCommand) from the repository root. */
export function runTool(tool: string, args: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<SpawnResult> {
  const cmd = toolCommand(tool, args);
  return run(cmd.command, cmd.args, { ...opts, cwd: opts.cwd ?? repoRoot });
}

/** The committed stacks of the repository at `root`: those both projects have a stack file for, sorted. */
export function committedStacks(root: string): string[] {
  const of = (dir: string) =>
    fs
      .readdirSync(path.join(root, dir, "stacks"))
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((s): s is string => s !== undefined);
  const serving = of("serving");
  return of("platform")
    .filter((s) => serving.includes(s))
    .sort();
}
