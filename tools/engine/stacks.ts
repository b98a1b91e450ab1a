import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIRS, ProjectRole } from "../../lib/config/projects";

/**
 * A project's stacks, sorted: the names of `<project dir>/stacks/Pulumi.<name>.yaml` under `root` (each Pulumi.yaml sets
 * stackConfigDir: stacks); none when the directory is missing. A module of its own with no heavy imports, so the CLIs
 * read it before they load the SDK.
 */
export function projectStacks(root: string, role: ProjectRole): string[] {
  const dir = path.join(root, PROJECT_DIRS[role], "stacks");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}
