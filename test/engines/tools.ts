import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";

/**
 * The real Prometheus and Alertmanager engines the tests drive. Debian packages them (bookworm:
 * promtool 2.42, amtool 0.25); .ci/run installs them before `npm test`.
 */
export const ENGINE_TOOLS = {
  promtool: { debianPackage: "prometheus" },
  amtool: { debianPackage: "prometheus-alertmanager" },
} as const;

/**
 * Fails, never skips, when a tool is missing: a missing engine must not look like a pass, on a
 * laptop or in CI.
 */
export function requireTool(tool: string, debianPackage: string, env: NodeJS.ProcessEnv = process.env): void {
  const probe = spawnSync(tool, ["--version"], { encoding: "utf8" });
  if (!probe.error && probe.status === 0) return;
  const install = `apt-get update && apt-get install -y ${debianPackage}`;
  const where = env.CI
    ? `CI is set: .ci/run installs it (npm run setup:engines) before npm test, so the CI image skipped .ci/run or lost the package`
    : `run \`npm run setup:engines\` (on Debian/Ubuntu: \`sudo ${install}\`), or put ${tool} from the upstream release on PATH`;
  throw new Error(`${tool} is not installed (${probe.error ? probe.error.message : `exit ${String(probe.status)}`}); the engine tests need it: ${where}.`);
}

/**
 * Runs a tool; resolves to its exit status, its combined output, and stdout and stderr apart.
 * Asynchronous, so the test worker keeps answering vitest while promtool runs.
 */
export function run(tool: string, args: readonly string[]): Promise<{ status: number; output: string; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args);
    let output = "";
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? -1, output, stdout, stderr }));
  });
}

/** promtool's verdict on one unit-test file. */
export interface UnitTestVerdict {
  readonly passed: boolean;
  /** promtool's report of this file's failures (its "FAILED:" block); empty when it passed. */
  readonly report: string;
}

/**
 * `promtool test rules` over many unit-test files, split over `processes` promtool runs side by side, with
 * one verdict per file. One run reads many files one after the other, exactly as it reads one, so a file's
 * verdict is what a run of that file alone gives; what is saved is a process start (~0.25 CPU-s) per file.
 */
export async function promtoolTestRules(files: readonly string[], processes = 1): Promise<Map<string, UnitTestVerdict>> {
  if (new Set(files).size !== files.length) throw new Error("promtoolTestRules: a file is listed twice, its verdicts could not be told apart");
  if (files.length === 0) return new Map();
  const n = Math.max(1, Math.min(processes, files.length));
  const chunks = Array.from({ length: n }, (_, i) => files.filter((_, j) => j % n === i));
  const runs = await Promise.all(chunks.map((chunk) => run("promtool", ["test", "rules", ...chunk])));
  const verdicts = new Map<string, UnitTestVerdict>();
  for (const [i, chunk] of chunks.entries()) for (const [f, v] of parseUnitTestRun(chunk, runs[i])) verdicts.set(f, v);
  return verdicts;
}

/**
 * One verdict per file from a `promtool test rules <files>` run, read fail-closed. promtool 2.42 writes
 * (cmd/promtool/unittest.go, RulesUnitTest and ruleUnitTest, prometheus/prometheus tag v2.42.0, read 2026-11-26):
 * on stdout, for each file in argument order, "Unit Testing:  <file>", then "  SUCCESS" and an empty line, or
 * one empty line per error and one more; on stderr, for each failed file in the same order, "  FAILED:" and
 * its errors; exit status 1 when a file failed, else 0. Anything else (a file missing, out of order or
 * without a verdict, other output, a status that disagrees) throws with the whole output: no file passes on
 * output that cannot be read.
 */
export function parseUnitTestRun(files: readonly string[], res: { status: number; stdout: string; stderr: string }): Map<string, UnitTestVerdict> {
  const unreadable = (why: string) =>
    new Error(`promtool test rules: ${why}; no verdict is taken from this run (exit ${res.status}).\nstdout:\n${res.stdout}\nstderr:\n${res.stderr}`);
  const lines = res.stdout.split("\n");
  if (lines.pop() !== "") throw unreadable("stdout does not end with a line break");
  const failed: string[] = [];
  let at = 0;
  for (const file of files) {
    if (lines[at] !== `Unit Testing:  ${file}`) throw unreadable(`expected "Unit Testing:  ${file}" on stdout line ${at + 1}, found ${JSON.stringify(lines[at])}`);
    at += 1;
    if (lines[at] === "  SUCCESS" && lines[at + 1] === "") {
      at += 2;
      continue;
    }
    let empty = 0;
    for (; at < lines.length && lines[at] === ""; at += 1) empty += 1;
    // A failed file: one empty line per error, at least one error, and one more.
    if (empty < 2) throw unreadable(`no verdict for ${file} on stdout (line ${at + 1})`);
    failed.push(file);
  }
  if (at !== lines.length) throw unreadable(`unexpected stdout from line ${at + 1}`);
  if (res.status !== (failed.length > 0 ? 1 : 0)) throw unreadable(`${failed.length} file(s) failed but promtool exited ${res.status}`);
  // stderr: one "  FAILED:" block per failed file, in order, and nothing else.
  const blocks = res.stderr === "" ? [] : res.stderr.split(/^ {2}FAILED:\n/m);
  if (blocks.length > 0 && blocks.shift() !== "") throw unreadable("stderr has output before its first FAILED block");
  if (blocks.length !== failed.length) throw unreadable(`${blocks.length} FAILED block(s) on stderr for ${failed.length} failed file(s)`);
  const verdicts = new Map<string, UnitTestVerdict>();
  for (const file of files) {
    const i = failed.indexOf(file);
    verdicts.set(file, i < 0 ? { passed: true, report: "" } : { passed: false, report: blocks[i] });
  }
  return verdicts;
}

/** A fresh temporary directory for one test's files. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

export function writeYaml(dir: string, name: string, doc: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, stringify(doc, { lineWidth: 0 }));
  return file;
}
