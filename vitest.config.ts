import { defineConfig } from "vitest/config";

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
