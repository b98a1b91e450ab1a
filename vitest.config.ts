import * as fs from "fs";
import * as path from "path";
import { defineConfig } from "vitest/config";
import { classifyTestFiles } from "./test/isolation";

// The suite plans the committed stacks as of one fixed moment (lib/clock.ts), so their dated windows
// (Capacity Blocks, a warm previous version's last day) read the same on every run; set here, in the
// main process, so the global setup, every fork and every plan they spawn inherit it.
process.env.LLM_BLUEPRINT_PLAN_TIME ??= "2026-11-25T12:00:00Z";

/** Every test file under test/, repository-relative. */
function testFiles(dir = "test"): string[] {
  return fs
    .readdirSync(path.join(__dirname, dir), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? testFiles(`${dir}/${e.name}`) : e.name.endsWith(".test.ts") ? [`${dir}/${e.name}`] : []))
    .sort();
}

// Where each file runs (test/isolation.ts says why): files that reach the Pulumi runtime or the set-up's hand-outs
// in two processes kept from file to file; files that change process state nothing undoes, in a fresh process each;
// the others in one worker thread beside them.
const { isolated, runtime, shared } = classifyTestFiles(__dirname, testFiles());

// Builds the tools' bundles and plans each committed stack once for the whole run (recordStack reads them); one
// set-up however many projects list it (test/globalSetup.ts).
const globalSetup = ["test/globalSetup.ts"];

export default defineConfig({
  test: {
    // One limit for every file: vi.setConfig cannot set a file's own in a reused fork (vitest 3.2.7's `vi` keeps
    // the worker state of the first file the fork ran: dist/chunks/vi.*.js createVitest), so the files that wait
    // on whole plans in child processes (up to a few minutes on a loaded 2-core machine) set the bar for all.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    poolOptions: {
      // vitest 3.2 defaults to cpus - 1 forks in run mode (createForksPool), one on a 2-core CI machine;
      // many files wait on child processes (plans, promtool), so two forks keep both cores busy.
      // isolate: false keeps a fork for the next file of the same project (the SDK loads once per fork); between
      // projects vitest recycles the forks (createForksPool: recycleWorkers after each project's files), which is
      // what gives an isolated file, a project of its own, a fresh process. The option is the pool's, not a
      // project's: one forks pool serves every project.
      forks: { maxForks: 2, minForks: 1, isolate: false },
      // The shared files run one after another in one thread, beside the forks.
      threads: { maxThreads: 1, minThreads: 1, isolate: false },
    },
    projects: [
      { extends: true, test: { name: "runtime", include: runtime, pool: "forks", globalSetup } },
      ...isolated.map((file) => ({ extends: true as const, test: { name: `isolated ${file}`, include: [file], pool: "forks" as const, globalSetup } })),
      { extends: true, test: { name: "shared", include: shared, pool: "threads" } },
    ],
  },
});
