import { Provider as AwsProvider } from "@pulumi/aws/provider";
import type { Region as AwsRegion } from "@pulumi/aws/types/enums";
import { PlanResource } from "../lib/plan/document";
import { recordWithoutStacks } from "../tools/engine/record";
import { combinedStackConfig } from "./stackConfig";

// The plan engine's way of recording (no stack traces unless the program fails), for the tests' own recordings.
export { recordWithoutStacks };

/** Runs `program` under the offline plan's mock runtime and returns every registered resource. */
export async function plan(program: () => unknown, stack = "test"): Promise<PlanResource[]> {
  const run = await recordWithoutStacks(program, { project: "llm-blueprint", stack });
  return run.resources;
}

/** An explicit regional provider, as the blueprint creates one per region. */
export function regionProvider(region = "us-east-1"): AwsProvider {
  return new AwsProvider(`aws-${region}`, { region: region as AwsRegion });
}

export function ofType(resources: readonly PlanResource[], type: string): PlanResource[] {
  return resources.filter((r) => r.type === type);
}

export function one(resources: readonly PlanResource[], type: string, nameIncludes = ""): PlanResource {
  const found = resources.filter((r) => r.type === type && r.name.includes(nameIncludes));
  if (found.length !== 1) {
    throw new Error(`expected one ${type}${nameIncludes ? ` named *${nameIncludes}*` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
  }
  return found[0];
}

/** Reads a nested input by dotted path ("vpcConfig.endpointPublicAccess"). */
export function input(resource: PlanResource, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), resource.inputs);
}

/** Every custom resource other than providers names an explicit, non-default provider. */
export function resourcesWithoutExplicitProvider(resources: readonly PlanResource[]): PlanResource[] {
  return resources.filter(
    (r) => r.custom && !r.type.startsWith("pulumi:providers:") && (!r.provider || /::default(_[0-9_]+)?$/.test(r.provider)),
  );
}

/**
 * The whole blueprint in one program (InferenceBlueprint's composition, loadStackConfig + deployBlueprint):
 * what the two projects declare together, minus the StackReference. Give it a combined config
 * (`combinedStackConfig`). The projects' own entry points are planned by `recordProjects`.
 */
export async function entryPoint(): Promise<() => Promise<unknown>> {
  const [{ deployBlueprint }, { loadStackConfig }] = await Promise.all([import("../components/Blueprint"), import("../lib/config/load")]);
  return async () => deployBlueprint(loadStackConfig());
}

/** Records a committed stack as one program (`entryPoint` on its `combinedStackConfig`), in this process. */
export async function recordCombinedStack(stack: string): Promise<{ resources: PlanResource[]; outputs: Record<string, unknown> }> {
  const { config, secretKeys } = combinedStackConfig(stack);
  const program = await entryPoint();
  const run = await recordWithoutStacks(() => program(), { project: "llm-blueprint", stack, config, secretKeys });
  return { resources: run.resources, outputs: run.outputs };
}

// The committed stacks' config, read without the Pulumi runtime (test/stackConfig.ts), for the callers here.
export { combinedRawConfig, combinedStackConfig, configProblemList, configProblems, projectStackFile } from "./stackConfig";
