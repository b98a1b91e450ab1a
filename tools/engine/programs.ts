import * as fs from "fs";
import * as path from "path";

/**
 * Loads a project's Pulumi program (the `main` of its Pulumi.yaml) for the plan engine. Run from
 * TypeScript (tsx, vitest) it is a plain import(); inside the plan bundle (tools/launch.mjs) the
 * programs are compiled into the bundle and registered by absolute file path before the CLI starts,
 * so the plan runs the same code the entry point does without transpiling it at run time.
 */

/** Absolute program file -> its module, set by the bundle's entry (tools/launch.mjs bundleEntry). */
const REGISTRY_KEY = "__llmBlueprintPrograms";

type ModuleLoader = () => unknown;

/** The file a `main` names: a file as it is, a directory through its index.ts (as the Node.js language host does). */
export function programFile(entry: string): string {
  if (fs.existsSync(entry) && fs.statSync(entry).isDirectory()) return path.join(entry, "index.ts");
  return path.extname(entry) === "" ? `${entry}.ts` : entry;
}

export async function loadProgramModule(entry: string): Promise<unknown> {
  const registry = (globalThis as Record<string, unknown>)[REGISTRY_KEY] as Record<string, ModuleLoader> | undefined;
  const bundled = registry?.[path.resolve(programFile(entry))];
  if (bundled) return bundled();
  // import(), not require(): the test runner transforms TypeScript only on the import path.
  return import(entry);
}
