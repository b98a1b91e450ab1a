import { describe, expect, inject, it } from "vitest";
import { recordOneStackRun } from "../oneStack";
import { recordStack } from "./harness";

describe("recordStack: one plan per committed stack for the whole test run", () => {
  it("has a plan of every committed stack from the run's set-up", () => {
    expect(Object.keys(inject("recordedStacks")).sort()).toEqual(expect.arrayContaining(["dev", "prod", "staging"]));
    // And of prod as one program (test/oneStack.ts).
    expect(Object.keys(inject("oneStackRecordings"))).toEqual(["prod"]);
  });

  it("hands out what recording prod in this process gives, each caller its own copy", async () => {
    const shared = await recordStack("prod");
    const fresh = await recordStack("prod", { fresh: true });
    expect(shared.length).toBeGreaterThan(100);
    // The documents are JSON: keys holding undefined are absent there, so compare as JSON.
    expect(shared).toStrictEqual(JSON.parse(JSON.stringify(fresh)));
    shared.pop();
    expect((await recordStack("prod")).length).toBe(fresh.length);
    // The same for prod as one program: resources and outputs.
    const sharedOne = await recordOneStackRun("prod");
    const freshOne = await recordOneStackRun("prod", { fresh: true });
    expect(sharedOne.resources.length).toBeGreaterThan(100);
    expect(sharedOne).toStrictEqual(JSON.parse(JSON.stringify(freshOne)));
    sharedOne.resources.pop();
    expect((await recordOneStackRun("prod")).resources.length).toBe(freshOne.resources.length);
  });
});
