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

// The Pulumi runtime is process-global: a file that can reach it (or uses what the global set-up hands out)
// runs isolated, in a fork of its own; the others share one worker thread (test/isolation.ts says which).
const { isolated, shared } = classifyTestFiles(__dirname, testFiles());

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    poolOptions: {
      // vitest 3.2 defaults to cpus - 1 forks in run mode (createForksPool), one on a 2-core CI machine;
      // many files wait on child processes (plans, promtool), so two forks keep both cores busy.
      forks: { maxForks: 2, minForks: 1, isolate: true },
      // The shared files run one after another in one thread, beside the forks.
      threads: { maxThreads: 1, minThreads: 1, isolate: false },
    },
    projects: [
      {
        extends: true,
        test: {
          name: "isolated",
          include: isolated,
          pool: "forks",
          isolate: true,
          // Builds the tools' bundles and plans each committed stack once for the whole run (recordStack reads them).
          globalSetup: ["test/globalSetup.ts"],
        },
      },
      { extends: true, test: { name: "shared", include: shared, pool: "threads", isolate: false } },
    ],
  },
});
