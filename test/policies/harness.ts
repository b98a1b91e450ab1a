import * as fs from "fs";
import * as path from "path";
import { provided } from "../provided";
import { buildPolicies, PACK_NAME } from "../../policies/pack";
import { PlanDocument, PlanResource, PolicyViolation } from "../../lib/plan/document";
import { evaluatePolicies, PackConfigFile } from "../../lib/plan/policy";
import { recordProjects } from "../../tools/engine/run";

const root = path.resolve(__dirname, "../..");

/**
 * Records a committed stack through the projects' real entry points: platform, then serving reading it.
 * Under `vitest run` each committed stack is planned once for the whole run (test/globalSetup.ts) and every
 * caller gets its own copy of those resources; `{ fresh: true }` (or a stack the run did not plan) records
 * it here, in this process.
 */
export async function recordStack(stack: string, opts: { fresh?: boolean } = {}): Promise<PlanResource[]> {
  const file = opts.fresh ? undefined : recordedStackFile(stack);
  if (file) return (JSON.parse(fs.readFileSync(file, "utf8")) as PlanDocument).resources;
  return (await recordProjects({ projectDir: root, stack })).resources;
}

/** The plan document test/globalSetup.ts wrote for `stack`, if this run has one. */
function recordedStackFile(stack: string): string | undefined {
  return provided("recordedStacks")?.[stack];
}

/** Records a committed stack as one program (shared for the run where test/globalSetup.ts recorded it; see test/oneStack.ts). */
export { recordOneStack } from "../oneStack";

/** Evaluates the pack (or one policy of it) on a copy of `resources` changed by `mutate`. */
export async function evaluate(
  resources: readonly PlanResource[],
  opts: { policy?: string; mutate?: (rs: PlanResource[]) => void; config?: PackConfigFile } = {},
): Promise<PolicyViolation[]> {
  const copy = structuredClone(resources) as PlanResource[];
  opts.mutate?.(copy);
  const policies = buildPolicies().filter((p) => !opts.policy || p.name === opts.policy);
  if (opts.policy && policies.length !== 1) throw new Error(`no policy named ${opts.policy}`);
  return evaluatePolicies(copy, policies, { packName: PACK_NAME, packEnforcementLevel: "mandatory", config: opts.config });
}

export function find(rs: PlanResource[], type: string, nameEnd: string): PlanResource {
  const found = rs.filter((r) => r.type === type && r.name.endsWith(nameEnd));
  if (found.length === 0) throw new Error(`no ${type} named *${nameEnd}`);
  return found[0];
}

/** Mutable view of a nested input. */
export function at<T = Record<string, unknown>>(r: PlanResource, path: string): T {
  return path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], r.inputs) as T;
}
