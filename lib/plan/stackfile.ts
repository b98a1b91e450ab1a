import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";

export interface ProjectFile {
  readonly name: string;
  readonly main?: string;
  readonly stackConfigDir?: string;
}

export interface StackFileConfig {
  /** Path of the stack file relative to the project directory. */
  readonly file: string;
  /** Namespaced keys to string values, the shape the Pulumi CLI hands the language host. */
  readonly config: Record<string, string>;
  readonly secretKeys: string[];
}

export function readProjectFile(projectDir: string): ProjectFile {
  const file = path.join(projectDir, "Pulumi.yaml");
  const doc = parseYaml(fs.readFileSync(file, "utf8")) as Partial<ProjectFile> | null;
  if (!doc?.name) throw new Error(`${file} has no project name`);
  return { name: doc.name, main: doc.main, stackConfigDir: doc.stackConfigDir };
}

/** Placeholder for `secure:` values, which only the Pulumi CLI can decrypt. */
export const OFFLINE_SECRET_PLACEHOLDER = "offline-plan-secret";

/**
 * Reads `<stackConfigDir>/Pulumi.<stack>.yaml` the way the CLI does: keys without a namespace belong
 * to the project, structured values travel as JSON, `secure:` values are secrets.
 */
export function readStackFile(projectDir: string, project: ProjectFile, stack: string): StackFileConfig {
  const file = path.join(project.stackConfigDir ?? ".", `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(path.join(projectDir, file))) throw new Error(`stack file ${file} does not exist (stack "${stack}")`);
  return readConfigFile(path.join(projectDir, file), file, project.name);
}

/** Reads a stack-file-shaped YAML document; `shownAs` is the name used in messages. */
export function readConfigFile(fullPath: string, shownAs: string, projectName: string): StackFileConfig {
  const doc = (parseYaml(fs.readFileSync(fullPath, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    const fullKey = key.includes(":") ? key : `${projectName}:${key}`;
    if (value && typeof value === "object" && !Array.isArray(value) && "secure" in value && Object.keys(value).length === 1) {
      config[fullKey] = OFFLINE_SECRET_PLACEHOLDER;
      secretKeys.push(fullKey);
    } else {
      config[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { file: shownAs, config, secretKeys };
}
