import * as fs from "fs";
import * as path from "path";

/** The pack config a stack is previewed with: explicit file, else policies/config/<stack>.json if present. */
export function policyPackConfigFile(projectDir: string, stack: string, explicit?: string): string | undefined {
  if (explicit) return path.resolve(explicit);
  const conventional = path.join(projectDir, "policies", "config", `${stack}.json`);
  return fs.existsSync(conventional) ? conventional : undefined;
}
