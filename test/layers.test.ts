import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";

/**
 * The layers, lowest first: lib/ (pure logic) <- components/ and policies/ <- the projects and
 * tools/. A module may import its own layer or lower ones only. ESLint's no-restricted-imports says
 * the same for lib/ as you type; this test reads the import graph, so an import ESLint's patterns
 * miss (a dynamic import, a require) fails here.
 */
const root = path.resolve(__dirname, "..");
const LOWER_ONLY: Record<string, readonly string[]> = {
  lib: ["components", "policies", "tools", "platform", "serving", "index.ts"],
  components: ["policies", "tools", "platform", "serving", "index.ts"],
  policies: ["components", "tools", "platform", "serving", "index.ts"],
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : sourceFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}

/** Relative module specifiers a TypeScript file imports: static, dynamic, require and re-exports. */
export function importedSpecifiers(source: string): string[] {
  const found = [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["'](\.[^"']*)["']/gm)].map((m) => m[1]);
  return [...new Set(found)];
}

/** The imports of `file` (under `root`) that reach a layer above its own, as "file -> target" lines. */
export function upwardImports(file: string, source: string): string[] {
  const layer = path.relative(root, file).split(path.sep)[0];
  const forbidden = LOWER_ONLY[layer] ?? [];
  return importedSpecifiers(source)
    .map((spec) => path.relative(root, path.resolve(path.dirname(file), spec)))
    .filter((target) => forbidden.some((f) => target === f || target === f.replace(/\.ts$/, "") || target.startsWith(`${f}${path.sep}`)))
    .map((target) => `${path.relative(root, file)} -> ${target}`);
}

describe("layering", () => {
  it("lib/, components/ and policies/ import nothing from the layers above them", () => {
    const files = ["lib", "components", "policies"].flatMap((d) => sourceFiles(path.join(root, d)));
    expect(files.length).toBeGreaterThan(30);
    const problems = files.flatMap((f) => upwardImports(f, fs.readFileSync(f, "utf8")));
    expect(problems).toEqual([]);
  });

  it("catches a static, a dynamic and a require import that climb a layer", () => {
    const file = path.join(root, "lib", "plan", "example.ts");
    const source = [
      'import { x } from "../../components/Blueprint";',
      'const p = await import("../../policies/pack");',
      'const r = require("../../tools/engine/run");',
      'import { y } from "../naming";',
    ].join("\n");
    expect(upwardImports(file, source)).toEqual([
      path.join("lib", "plan", "example.ts") + " -> " + path.join("components", "Blueprint"),
      path.join("lib", "plan", "example.ts") + " -> " + path.join("policies", "pack"),
      path.join("lib", "plan", "example.ts") + " -> " + path.join("tools", "engine", "run"),
    ]);
    expect(upwardImports(path.join(root, "components", "X.ts"), 'import { p } from "../policies/pack";')).toHaveLength(1);
  });
});
