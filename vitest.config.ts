import { defineConfig } from "vitest/config";

// The suite plans the committed stacks as of one fixed moment (lib/clock.ts), so their dated windows
// (Capacity Blocks, a warm previous version's last day) read the same on every run; set here, in the
// main process, so the global setup, every fork and every plan they spawn inherit it.
process.env.LLM_BLUEPRINT_PLAN_TIME ??= "2026-11-25T12:00:00Z";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds the tools' bundles and plans each committed stack once for the whole run (recordStack reads them).
    globalSetup: ["test/globalSetup.ts"],
    // The Pulumi runtime is process-global: isolate files, run one file's tests in order.
    pool: "forks",
    isolate: true,
    // vitest 3.2 defaults to cpus - 1 forks in run mode (createForksPool), one on a 2-core CI machine;
    // many files wait on child processes (plans, promtool), so two forks keep both cores busy.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
