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

/**
 * @pulumi/aws is imported by service ("@pulumi/aws/ec2", "@pulumi/aws/provider", ...), never by its root: the
 * root (7.48.0 index.js, index.d.ts) loads all ~240 service modules when a program starts and all their
 * declarations into every type-check, ts-node's under `pulumi up` included. ESLint's
 * @typescript-eslint/no-restricted-imports says the same as you type; this reads every source file, so a
 * require or a dynamic import() of the root fails here too.
 */
const AWS_ROOT_ALLOWED: Record<string, string> = {
  [path.join("test", "layers.test.ts")]: "the fixture below names the root in strings",
};
const SKIPPED_DIRS = new Set(["node_modules", "bin", "coverage"]);

function allSourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name.startsWith(".") || SKIPPED_DIRS.has(e.name) ? [] : allSourceFiles(p);
    return /\.(c|m)?(t|j)s$/.test(e.name) ? [p] : [];
  });
}

/** 1-based lines of `source` that import the root of @pulumi/aws: static, type-only, re-export, dynamic, require. */
export function awsRootImportLines(source: string): number[] {
  return source
    .split("\n")
    .flatMap((line, i) => (/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']@pulumi\/aws["']/.test(line) ? [i + 1] : []));
}

describe("@pulumi/aws by service", () => {
  it("no source file imports the package's root", () => {
    const files = allSourceFiles(root);
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((f) => awsRootImportLines(fs.readFileSync(f, "utf8")).map((line) => `${path.relative(root, f)}:${line}`));
    expect(found.filter((at) => !(at.slice(0, at.lastIndexOf(":")) in AWS_ROOT_ALLOWED))).toEqual([]);
    // An allowance outlives its reason when the file stops naming the root: remove it then.
    for (const file of Object.keys(AWS_ROOT_ALLOWED)) expect(found.some((at) => at.startsWith(`${file}:`)), `${file} is allowed the root but no longer imports it`).toBe(true);
  });

  it("catches a static, a type-only, a re-export, a dynamic and a require import of the root, and no service module", () => {
    const source = [
      'import * as aws from "@pulumi/aws";',
      "import type { Region } from '@pulumi/aws';",
      'export { Provider } from "@pulumi/aws";',
      'const lazy = await import("@pulumi/aws");',
      'const required = require("@pulumi/aws");',
      "import {",
      "  Provider,",
      '} from "@pulumi/aws";',
      'import * as ec2 from "@pulumi/aws/ec2";',
      'import type * as awsInputs from "@pulumi/aws/types/input";',
      'const provider = require("@pulumi/aws/provider");',
      'import "@pulumi/aws";',
    ].join("\n");
    expect(awsRootImportLines(source)).toEqual([1, 2, 3, 4, 5, 8, 12]);
  });
});
