import * as path from "path";
import { buildPolicies, PACK_NAME } from "../../policies/pack";
import { PlanResource, PolicyViolation } from "../../lib/plan/document";
import { evaluatePolicies, PackConfigFile } from "../../lib/plan/policy";
import { recordProgram } from "../../tools/engine/record";
import { combinedStackConfig, entryPoint } from "../harness";
import { recordProjects } from "../../tools/engine/run";

const root = path.resolve(__dirname, "../..");

/** Records a committed stack through the projects' real entry points: platform, then serving reading it. */
export async function recordStack(stack: string): Promise<PlanResource[]> {
  return (await recordProjects({ projectDir: root, stack })).resources;
}

/** Records a committed stack as one program (InferenceBlueprint's composition of both halves). */
export async function recordOneStack(stack: string): Promise<PlanResource[]> {
  const { config, secretKeys } = combinedStackConfig(stack);
  const program = await entryPoint();
  return (await recordProgram(() => program(), { project: "llm-blueprint", stack, config, secretKeys })).resources;
}

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
