import * as path from "path";
import { readProjectConfig } from "../lib/config/load";
import { parseStackConfig, StackConfigError } from "../lib/config/validate";
import { readConfigFile, StackFileConfig } from "../lib/plan/stackfile";

/**
 * The committed stacks' config as the programs read it, and the problems a config is rejected with: no
 * Pulumi runtime here, so the tests that only read config (test/lib/*-config) need not run isolated
 * (test/isolation.ts). test/harness.ts re-exports these.
 */

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
