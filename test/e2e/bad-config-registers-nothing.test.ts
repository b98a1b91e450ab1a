import * as path from "path";
import { describe, expect, it } from "vitest";
import { StackConfigError } from "../../lib/config/validate";
import { recordProgram } from "../../lib/plan/record";
import { readConfigFile } from "../../lib/plan/stackfile";
import { entryPoint } from "../harness";

const root = path.resolve(__dirname, "../..");

describe("a bad config", () => {
  it("stops the real entry point before any resource is registered", async () => {
    const { config } = readConfigFile(path.join(root, "test/fixtures/Pulumi.bad-config.yaml"), "bad", "llm-blueprint");
    let caught: unknown;
    const run = await recordProgram(
      async () => {
        const program = await entryPoint();
        try {
          await program();
        } catch (err) {
          caught = err;
        }
        return {};
      },
      { project: "llm-blueprint", stack: "bad", config },
    );
    expect(StackConfigError.isInstance(caught)).toBe(true);
    expect((caught as StackConfigError).problems.length).toBeGreaterThanOrEqual(7);
    // Only the root stack resource, which Pulumi itself registers before the program runs.
    expect(run.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
  });
});
