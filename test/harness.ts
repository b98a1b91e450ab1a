import * as aws from "@pulumi/aws";
import { PlanResource } from "../lib/plan/document";
import { parseStackConfig, StackConfigError } from "../lib/config/validate";
import * as path from "path";
import { readProjectConfig } from "../lib/config/load";
import { readConfigFile, StackFileConfig } from "../lib/plan/stackfile";
import { recordProgram } from "../tools/engine/record";

/** Runs `program` under the offline plan's mock runtime and returns every registered resource. */
export async function plan(program: () => unknown, stack = "test"): Promise<PlanResource[]> {
  const run = await recordProgram(program, { project: "llm-blueprint", stack });
  return run.resources;
}

/** An explicit regional provider, as the blueprint creates one per region. */
export function regionProvider(region = "us-east-1"): aws.Provider {
  return new aws.Provider(`aws-${region}`, { region: region as aws.Region });
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
  const run = await recordProgram(() => program(), { project: "llm-blueprint", stack, config, secretKeys });
  return { resources: run.resources, outputs: run.outputs };
}

const repoRoot = path.resolve(__dirname, "..");

/** A committed stack file of one project, read as the CLI does: `<project>/stacks/Pulumi.<stack>.yaml`. */
export function projectStackFile(project: "platform" | "serving", stack: string): StackFileConfig {
  const file = path.join(project, "stacks", `Pulumi.${stack}.yaml`);
  return readConfigFile(path.join(repoRoot, file), file, `llm-blueprint-${project}`);
}

/**
 * The committed stack's config as one program reads it: platform's and serving's stack files merged
 * (serving's platformStack left out), for the one-stack composition.
 */
export function combinedStackConfig(stack: string): { config: Record<string, string>; secretKeys: string[]; file: string } {
  const p = projectStackFile("platform", stack);
  const s = projectStackFile("serving", stack);
  const config = { ...p.config, ...s.config };
  delete config["llm-blueprint:platformStack"];
  return { config, secretKeys: [...p.secretKeys, ...s.secretKeys], file: `${p.file} + ${s.file}` };
}

/** The committed stack's raw `llm-blueprint:` keys of both projects, decoded (what parseStackConfig takes). */
export function combinedRawConfig(stack: string): Record<string, unknown> {
  return readProjectConfig("llm-blueprint", combinedStackConfig(stack).config);
}

/** The problems a stack config is rejected with (key path and message each); fails if it is accepted. */
export function configProblemList(raw: unknown, stackFile: string, opts: { namespace?: string; now?: number } = {}): { path: string; message: string }[] {
  try {
    parseStackConfig(raw, { namespace: opts.namespace ?? "llm-blueprint", stackFile, ...(opts.now !== undefined ? { now: opts.now } : {}) });
  } catch (err) {
    if (!StackConfigError.isInstance(err)) throw err;
    return [...err.problems];
  }
  throw new Error("expected a config error");
}

/** The problems a stack config is rejected with, as `<key path>: <message>` lines; fails if it is accepted. */
export function configProblems(raw: unknown, stackFile: string, namespace = "llm-blueprint"): string[] {
  return configProblemList(raw, stackFile, { namespace }).map((p) => `${p.path}: ${p.message}`);
}
