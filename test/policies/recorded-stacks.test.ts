import { describe, expect, inject, it } from "vitest";
import { recordStack } from "./harness";

describe("recordStack: one plan per committed stack for the whole test run", () => {
  it("has a plan of every committed stack from the run's set-up", () => {
    expect(Object.keys(inject("recordedStacks")).sort()).toEqual(expect.arrayContaining(["dev", "prod", "staging"]));
  });

  it("hands out what recording prod in this process gives, each caller its own copy", async () => {
    const shared = await recordStack("prod");
    const fresh = await recordStack("prod", { fresh: true });
    expect(shared.length).toBeGreaterThan(100);
    // The documents are JSON: keys holding undefined are absent there, so compare as JSON.
    expect(shared).toStrictEqual(JSON.parse(JSON.stringify(fresh)));
    shared.pop();
    expect((await recordStack("prod")).length).toBe(fresh.length);
  });
});
