import * as fs from "fs";
import * as path from "path";
import { InputFileError, readYamlFile } from "../inputFile";
import { didYouMean } from "../nearest";

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
  const doc = readYamlFile(file, path.relative(process.cwd(), file) || file) as Partial<ProjectFile> | null;
  if (!doc?.name) throw new InputFileError(file, `${file} has no project name`);
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
  if (!fs.existsSync(path.join(projectDir, file))) throw new InputFileError(file, `stack file ${file} does not exist (stack "${stack}")`);
  return readConfigFile(path.join(projectDir, file), file, project.name);
}

/** Top-level keys of a stack file (the Pulumi CLI's ProjectStack: secrets provider, config, ESC environments). */
export const STACK_FILE_KEYS = ["secretsprovider", "encryptedkey", "encryptionsalt", "config", "environment"] as const;

/**
 * Reads a stack-file-shaped YAML document; `shownAs` is the name used in messages. A syntax error,
 * an unknown top-level key (a misspelt `config:` would drop every value) or a `config` that is not a
 * map is an InputFileError.
 */
export function readConfigFile(fullPath: string, shownAs: string, projectName: string): StackFileConfig {
  const parsed = readYamlFile(fullPath, shownAs) ?? {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) throw new InputFileError(shownAs, `${shownAs}: must be a YAML map with a "config" key`);
  const unknown = Object.keys(parsed).filter((k) => !(STACK_FILE_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new InputFileError(shownAs, `${shownAs}: unknown top-level key${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"${didYouMean(k, STACK_FILE_KEYS)}`).join(", ")}; allowed: ${STACK_FILE_KEYS.join(", ")}`);
  }
  const doc = parsed as { config?: unknown };
  if (doc.config !== undefined && doc.config !== null && (typeof doc.config !== "object" || Array.isArray(doc.config))) {
    throw new InputFileError(shownAs, `${shownAs}: "config" must be a map of <namespace>:<key> to values`);
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries((doc.config ?? {}) as Record<string, unknown>)) {
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
