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
 * Runs a tool; resolves to its exit status and combined output. Asynchronous, so the test worker
 * keeps answering vitest while dozens of promtool runs go by.
 */
export function run(tool: string, args: string[]): Promise<{ status: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args);
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? -1, output }));
  });
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
