import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, type SpawnResult } from "../spawn";

const root = path.resolve(__dirname, "../..");
const TOOL = path.join(root, "tools", "typecheckAndLint.mjs");
const bin = (name: string): string => path.join(root, "node_modules", ".bin", name);

// The defects each check exists for: a type error, an Output in a template literal (the typed pulumi rule) in a
// component and in a policy rule, a vitest rule in a test file, a lint error in a plain .mjs file.
const DEFECTS: Record<string, string> = {
  "components/widget.ts": [
    `import * as pulumi from "@pulumi/pulumi";`,
    ``,
    `const bucketName = pulumi.output("models");`,
    `export const bucketLabel = \`bucket-\${bucketName}\`;`,
    `export const replicas: number = "three";`,
    ``,
  ].join("\n"),
  "policies/rules/limits.ts": [`import * as pulumi from "@pulumi/pulumi";`, ``, `const policyName = pulumi.output("limits");`, `export const policyLabel = \`policy-\${policyName}\`;`, ``].join("\n"),
  "test/widget.test.ts": [`import { expect, it } from "vitest";`, ``, `it.skip("counts replicas", () => {`, `  expect(1).toBe(1);`, `});`, ``].join("\n"),
  "tools/helper.mjs": [`const unusedHelper = 1;`, `export {};`, ``].join("\n"),
};
const CLEAN: Record<string, string> = {
  "components/widget.ts": [`import * as pulumi from "@pulumi/pulumi";`, ``, `export const bucketLabel = pulumi.output("models").apply((name) => \`bucket-\${name}\`);`, `export const replicas: number = 3;`, ``].join("\n"),
  "policies/rules/limits.ts": [`export const policyLabel = "policy-limits";`, ``].join("\n"),
  "test/widget.test.ts": [`import { expect, it } from "vitest";`, ``, `it("counts replicas", () => {`, `  expect(1).toBe(1);`, `});`, ``].join("\n"),
  "tools/helper.mjs": [`export const usedHelper = 1;`, ``].join("\n"),
};

/** The tool's two headings, and the text under each (what tsc and ESLint print). */
function sections(stdout: string): { typecheck: string; typecheckBody: string; lint: string; lintBody: string } {
  const match = /^(── typecheck: [^\n]*)\n([\s\S]*?)^(── lint: [^\n]*)\n([\s\S]*)$/m.exec(stdout);
  if (!match) throw new Error(`typecheckAndLint printed no typecheck and lint sections:\n${stdout}`);
  return { typecheck: match[1], typecheckBody: match[2], lint: match[3], lintBody: match[4] };
}

describe("typecheckAndLint (tools/typecheckAndLint.mjs): tsc's diagnostics and ESLint's on one Program", () => {
  // A scratch project with the repository's own tsconfig.json, policies/tsconfig.json and eslint.config.mjs.
  let dir: string;
  const write = (files: Record<string, string>): void => {
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
  };
  const tool = (...args: string[]): Promise<SpawnResult> => run(process.execPath, [TOOL, ...args], { cwd: dir, timeoutMs: 240_000 });

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "typecheck-lint-"));
    for (const file of ["tsconfig.json", "policies/tsconfig.json", "eslint.config.mjs"]) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.copyFileSync(path.join(root, file), path.join(dir, file));
    }
    fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reports exactly what `tsc --noEmit -p tsconfig.json` and `eslint .` report, fails with tsc's exit code, and fails on a .ts file outside the Program", async () => {
    write(DEFECTS);
    // Not in tsconfig.json's include: the project service (eslint .) and the shared Program both refuse to lint it.
    write({ "scratch/outside.ts": "export const outside = 1;\n" });
    const shared = await tool();
    const tsc = await run(bin("tsc"), ["--noEmit", "-p", "tsconfig.json"], { cwd: dir });
    const eslint = await run(bin("eslint"), ["."], { cwd: dir });
    expect(shared.stderr).toBe("");
    const out = sections(shared.stdout);
    // The defects are there to be found: each command on its own reports them.
    expect(tsc.stdout).toContain("components/widget.ts(5,14): error TS2322: Type 'string' is not assignable to type 'number'.");
    for (const rule of ["pulumi/no-output-in-template-literal", "vitest/no-disabled-tests", "@typescript-eslint/no-unused-vars"]) expect(eslint.stdout).toContain(rule);
    expect(eslint.stdout).toMatch(/policies\/rules\/limits\.ts\n\s+4:\d+\s+error\s+pulumi\.Output<T> not permitted in template literals\s+pulumi\/no-output-in-template-literal/);
    expect(tsc.status).toBe(2);
    expect(eslint.status).toBe(1);
    expect(out.typecheck).toMatch(/^── typecheck: failed \(tsc exit 2, 1 errors\) in [\d.]+ s$/);
    expect(out.typecheckBody).toBe(tsc.stdout);
    expect(out.lint).toMatch(/^── lint: failed \(5 errors\) in [\d.]+ s$/);
    // The one difference: how typescript-eslint words "not in the program" for a project service and for given programs.
    const notInProjectService = `Parsing error: ${path.join(dir, "scratch", "outside.ts")} was not found by the project service. Consider either including it in the tsconfig.json or including it in allowDefaultProject`;
    const notInPrograms = `Parsing error: "parserOptions.programs" has been provided for @typescript-eslint/parser.\nThe file was not found in any of the provided program instance(s): scratch/outside.ts`;
    expect(eslint.stdout).toContain(notInProjectService);
    expect(out.lintBody).toContain(notInPrograms);
    expect(out.lintBody.replace(notInPrograms, "<not in the program>")).toBe(eslint.stdout.replace(notInProjectService, "<not in the program>"));
    expect(shared.status).toBe(tsc.status);
    fs.rmSync(path.join(dir, "scratch"), { recursive: true });
  });

  it("passes a clean project, and an incremental re-run still catches a type error the build-info file did not have", async () => {
    write(CLEAN);
    const buildInfo = path.join(dir, ".cache", "tsconfig.tsbuildinfo");
    const clean = await tool("--tsBuildInfoFile", buildInfo);
    expect(clean.stdout).toMatch(/^── typecheck: ok in [\d.]+ s\n── lint: ok in [\d.]+ s\n$/);
    expect(clean.status).toBe(0);
    expect(fs.existsSync(buildInfo)).toBe(true);

    write({ "components/widget.ts": CLEAN["components/widget.ts"].replace("replicas: number = 3", 'replicas: number = "three"') });
    const broken = await tool("--tsBuildInfoFile", buildInfo);
    const out = sections(broken.stdout);
    expect(out.typecheckBody).toBe("components/widget.ts(4,14): error TS2322: Type 'string' is not assignable to type 'number'.\n");
    expect(out.lint).toMatch(/^── lint: ok in /);
    expect(broken.status).toBe(2);
  });

  it("rejects an unknown argument, saying which arguments it takes", async () => {
    const res = await tool("--fix");
    expect(res.stderr).toBe("typecheckAndLint: unknown or incomplete argument '--fix'; allowed: --project <tsconfig.json>, --tsBuildInfoFile <file>\n");
    expect(res.stdout).toBe("");
    expect(res.status).toBe(2);
  });
});
