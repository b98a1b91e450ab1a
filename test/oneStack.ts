import * as fs from "fs";
import { provided } from "./provided";
import { PlanResource } from "../lib/plan/document";
import { recordCombinedStack } from "./harness";

/** Records a committed stack as one program (InferenceBlueprint's composition of both halves): its resources. */
export async function recordOneStack(stack: string, opts: { fresh?: boolean } = {}): Promise<PlanResource[]> {
  return (await recordOneStackRun(stack, opts)).resources;
}

/**
 * Records a committed stack as one program (InferenceBlueprint's composition of both halves): its resources
 * and outputs. Under `vitest run` the stacks test/globalSetup.ts lists in ONE_STACK_RECORDED are recorded once
 * for the whole run (in a child process, test/tools/recordOneStack.ts) and every caller gets its own copy, as
 * JSON (keys holding undefined are absent); `{ fresh: true }` (or another stack) records it here, in this process.
 */
export async function recordOneStackRun(stack: string, opts: { fresh?: boolean } = {}): Promise<{ resources: PlanResource[]; outputs: Record<string, unknown> }> {
  const file = opts.fresh ? undefined : oneStackRecordingFile(stack);
  if (file) return JSON.parse(fs.readFileSync(file, "utf8")) as { resources: PlanResource[]; outputs: Record<string, unknown> };
  return recordCombinedStack(stack);
}

function oneStackRecordingFile(stack: string): string | undefined {
  return provided("oneStackRecordings")?.[stack];
}
