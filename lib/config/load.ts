import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { StackConfig } from "./schema";
import { foreignKeyProblems, parseStackConfig, StackConfigError } from "./validate";

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

/** Reads and validates the current stack's config through the Pulumi runtime. Call before creating resources. */
export function loadStackConfig(): StackConfig {
  const namespace = pulumi.getProject();
  const all = pulumi.runtime.allConfig();
  const stackFile = stackFilePath(process.cwd(), pulumi.getStack());
  const foreign = foreignKeyProblems(Object.keys(all), namespace);
  const raw = readProjectConfig(namespace, all);
  let cfg: StackConfig;
  try {
    cfg = parseStackConfig(raw, { namespace, stackFile });
  } catch (err) {
    // One report: keys in unknown namespaces together with the project's own problems.
    if (StackConfigError.isInstance(err) && foreign.length > 0) throw new StackConfigError(stackFile, [...foreign, ...err.problems]);
    throw err;
  }
  if (foreign.length > 0) throw new StackConfigError(stackFile, foreign);
  return cfg;
}
