import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { StackConfig, stackConfigSchema } from "./schema";
import { BLUEPRINT_NAMESPACE, mergeServingConfig, ownershipProblems, platformOwnedKeys, PROJECT_DIRS, PROJECT_NAMES, ProjectRole } from "./projects";
import { isConfigSecret, plaintextSecretProblems } from "./secrets";
import { ConfigProblem, foreignKeyProblems, parseStackConfig, StackConfigError } from "./validate";

/** Where Pulumi reads this stack's config from: `<stackConfigDir>/Pulumi.<stack>.yaml`, relative to the project. */
export function stackFilePath(projectDir: string, stack: string): string {
  const projectFile = path.join(projectDir, "Pulumi.yaml");
  let dir = ".";
  if (fs.existsSync(projectFile)) {
    const project = parseYaml(fs.readFileSync(projectFile, "utf8")) as { stackConfigDir?: string } | null;
    dir = project?.stackConfigDir ?? ".";
  }
  return path.join(dir, `Pulumi.${stack}.yaml`);
}

/**
 * Structured config values reach the program as JSON text; plain scalars as their text.
 * Mirrors what `pulumi.Config.requireObject` does for objects and lists.
 */
function decode(value: string): unknown {
  const t = value.trimStart();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

/** Collects every `<project>:<key>` config value into one object so that unknown keys are seen too. */
export function readProjectConfig(namespace: string, all: Record<string, string>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(all)) {
    const sep = fullKey.indexOf(":");
    if (sep < 0 || fullKey.slice(0, sep) !== namespace) continue;
    raw[fullKey.slice(sep + 1)] = decode(value);
  }
  return raw;
}

/**
 * The stack file as people find it from the repository root: the blueprint's two projects live in
 * platform/ and serving/, so "stacks/Pulumi.prod.yaml" alone would not say which.
 */
function shownStackFile(): string {
  const file = stackFilePath(process.cwd(), pulumi.getStack());
  const dir = path.basename(process.cwd());
  return (Object.values(PROJECT_DIRS) as string[]).includes(dir) ? path.join(dir, file) : file;
}

/** The current stack's `llm-blueprint:` keys, after the checks every project makes (unknown namespaces, wrong owner). */
function readBlueprintKeys(role: ProjectRole | "single"): { raw: Record<string, unknown>; stackFile: string; problems: ConfigProblem[] } {
  const all = pulumi.runtime.allConfig();
  const stackFile = shownStackFile();
  const raw = readProjectConfig(BLUEPRINT_NAMESPACE, all);
  const problems = [
    ...foreignKeyProblems(Object.keys(all), BLUEPRINT_NAMESPACE, [...Object.keys(stackConfigSchema.shape), "platformStack"]),
    ...plaintextSecretProblems(BLUEPRINT_NAMESPACE, Object.keys(raw), isConfigSecret),
  ];
  if (role !== "single") problems.push(...ownershipProblems(role, raw, pulumi.getStack()));
  return { raw, stackFile, problems };
}

/** Validates, reporting the project-level problems together with the schema's. */
function parseWith(raw: unknown, stackFile: string, problems: readonly ConfigProblem[], extra: (cfg: StackConfig) => ConfigProblem[] = () => []): StackConfig {
  let cfg: StackConfig;
  try {
    cfg = parseStackConfig(raw, { namespace: BLUEPRINT_NAMESPACE, stackFile });
  } catch (err) {
    // One report: keys in unknown namespaces or the wrong project together with the schema's problems.
    if (StackConfigError.isInstance(err) && problems.length > 0) throw new StackConfigError(stackFile, [...problems, ...err.problems]);
    throw err;
  }
  const all = [...problems, ...extra(cfg)];
  if (all.length > 0) throw new StackConfigError(stackFile, all);
  return cfg;
}

/**
 * One stack with the whole blueprint (InferenceBlueprint in a team's own program): every key in one
 * stack file. Call before creating resources.
 */
export function loadStackConfig(): StackConfig {
  const { raw, stackFile, problems } = readBlueprintKeys("single");
  if ("platformStack" in raw) problems.push({ path: `${BLUEPRINT_NAMESPACE}:platformStack`, message: "is read by the serving project only; a single-stack program has its platform in the same stack" });
  return parseWith(raw, stackFile, problems);
}

/** The platform project's config, and the keys it hands to serving (its `platformConfig` output). */
export function loadPlatformConfig(): { config: StackConfig; ownKeys: Record<string, unknown> } {
  const { raw, stackFile, problems } = readBlueprintKeys("platform");
  const config = parseWith(raw, stackFile, problems, (cfg) => platformRules(cfg));
  return { config, ownKeys: platformOwnedKeys(raw) };
}

/** What only the platform project requires: it names the public endpoints and how CI reaches private clusters. */
export function platformRules(cfg: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const key = (k: string) => `${BLUEPRINT_NAMESPACE}:${k}`;
  if (cfg.traffic && Object.keys(cfg.traffic.endpoints).length === 0) {
    problems.push({ path: key("traffic.endpoints"), message: "is required in the platform project: list each public model name with the regions that answer for it (serving may only serve a model where it has a name)" });
  }
  if (cfg.cluster.publicAccessCidrs.length === 0 && !cfg.ci) {
    problems.push({ path: key("ci"), message: "is required: the API endpoint is private-only (cluster.publicAccessCidrs is empty), so serving jobs must run on in-VPC runners; set ci.githubRepository and ci.githubConnectionArn" });
  }
  if (cfg.ci) {
    for (const role of ["deploy", "preview", "drift"] as const) {
      if (!cfg.cluster.ciPrincipals[role]) problems.push({ path: key(`cluster.ciPrincipals.${role}`), message: `is required with ci: the ${role} jobs run on the in-VPC runners as this role and need an access entry` });
    }
  }
  return problems;
}

/** The serving project's own keys and the platform stack it reads; checked before the StackReference exists. */
export function readServingKeys(): { raw: Record<string, unknown>; stackFile: string; platformStack: string } {
  const { raw, stackFile, problems } = readBlueprintKeys("serving");
  const ref = raw.platformStack;
  if (typeof ref !== "string" || !/^(?:[\w.-]+\/)?(?:[\w.-]+\/)?[\w.-]+$/.test(ref)) {
    problems.push({
      path: `${BLUEPRINT_NAMESPACE}:platformStack`,
      message: `${ref === undefined ? "is required" : `"${String(ref)}" is not a stack name`}: name the platform stack to read, as <org>/${PROJECT_NAMES.platform}/<stack>`,
    });
  } else {
    const parts = ref.split("/");
    if (parts.length === 3 && parts[1] !== PROJECT_NAMES.platform) {
      problems.push({ path: `${BLUEPRINT_NAMESPACE}:platformStack`, message: `"${ref}" names project "${parts[1]}"; serving reads ${PROJECT_NAMES.platform}` });
    }
  }
  if (problems.length > 0) throw new StackConfigError(stackFile, problems);
  return { raw, stackFile, platformStack: ref as string };
}

/** The whole config seen from serving: platform's keys (its stack output) and serving's own, validated together. */
export function loadServingConfig(platformConfig: unknown, keys: { raw: Record<string, unknown>; stackFile: string; platformStack: string }): StackConfig {
  const { config, problems } = mergeServingConfig(platformConfig, keys.raw, { platformStack: keys.platformStack, servingStackFile: keys.stackFile });
  if (problems.length > 0) throw new StackConfigError(keys.stackFile, problems);
  return parseWith(config, keys.stackFile, []);
}
