#!/usr/bin/env node
// @ts-check
/**
 * `npm test`: the typecheck and lint, and the test suite, at the same time instead of one after another
 * (on a 2-core machine tsc and ESLint are mostly single-threaded, and the suite waits on child processes).
 * The typecheck and the lint are one process on one TypeScript Program (tools/typecheckAndLint.mjs: tsc's
 * diagnostics, then ESLint typed from that Program), not two that each build it. The suite's output streams
 * as it runs; the typecheck's and the lint's are printed when that step ends. Exits with the first failing
 * step's code, after both have finished, so one run shows every failure.
 */
import { spawn } from "child_process";
import * as path from "path";
import { fileURLToPath } from "url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** @param {string} name */
const bin = (name) => path.join(root, "node_modules", ".bin", name);

/** @type {{ name: string, command: string, args: string[], stream: boolean }[]} */
const STEPS = [
  // --tsBuildInfoFile: incremental, like `tsc --incremental`: each file's hash and diagnostics are kept in a
  // build-info file and only what a changed file can affect is re-checked (the options are part of it; a change
  // of them checks everything), so a repeated `npm test` skips most of the checking; parsing every file stays.
  // The file lives in node_modules/.cache (git-ignored, gone with node_modules); a fresh checkout checks everything.
  {
    name: "typecheck+lint",
    command: process.execPath,
    // A larger young generation: building the Program allocates thousands of source files' nodes that all survive,
    // and fewer scavenges copy them less often (4,839-file Program: median 33.9 vs 35.1 CPU-s, 5 interleaved pairs,
    // each lower, load 1.6-5.7).
    args: ["--max-semi-space-size=64", path.join(root, "tools", "typecheckAndLint.mjs"), "--project", "tsconfig.json", "--tsBuildInfoFile", path.join(root, "node_modules", ".cache", "tsc", "tsconfig.tsbuildinfo")],
    stream: false,
  },
  { name: "vitest", command: bin("vitest"), args: ["run", ...process.argv.slice(2)], stream: true },
];

/** @param {(typeof STEPS)[number]} step @returns {Promise<{ name: string, code: number, ms: number }>} */
function runStep(step) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(step.command, step.args, { cwd: root, stdio: step.stream ? "inherit" : ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.setEncoding("utf8").on("data", (d) => (output += d));
    child.stderr?.setEncoding("utf8").on("data", (d) => (output += d));
    const done = (/** @type {number} */ code) => {
      const ms = Date.now() - t0;
      if (!step.stream) process.stdout.write(`\n── ${step.name}: ${code === 0 ? "ok" : `failed (exit ${code})`} in ${(ms / 1000).toFixed(1)} s\n${output}`);
      resolve({ name: step.name, code, ms });
    };
    child.on("error", (err) => {
      output += `${err.message}\n`;
      done(127);
    });
    child.on("close", (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

const results = await Promise.all(STEPS.map(runStep));
process.stdout.write(`\n${results.map((r) => `${r.name} ${r.code === 0 ? "ok" : `FAILED (exit ${r.code})`} ${(r.ms / 1000).toFixed(1)} s`).join(", ")}\n`);
process.exitCode = results.find((r) => r.code !== 0)?.code ?? 0;
