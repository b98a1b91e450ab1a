import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, type SpawnResult } from "../spawn";

const root = path.resolve(__dirname, "../..");
const TOOL = path.join(root, "tools", "typecheckAndLint.mjs");
const bin = (name: string): string => path.join(root, "node_modules", ".bin", name);

// pulumi/no-output-in-template-literal flags an expression whose type is an alias named Output (@pulumi/eslint-plugin
// 0.3.1 src/noOuputInTemplateLiteral.ts: aliasSymbol.escapedName === "Output"), so a local alias gives the typed rule
// its case without @pulumi/pulumi's ~300 declaration files in the scratch Program.
const OUTPUT_ALIAS = `export type Output<T> = { readonly value: T; readonly isKnown: boolean };`;
const CLEAN: Record<string, string> = {
  "components/output.ts": [OUTPUT_ALIAS, `export const output = <T>(value: T): Output<T> => ({ value, isKnown: true });`, ``].join("\n"),
  "components/widget.ts": [`import { output } from "./output";`, ``, `const bucketName = output("models");`, `export const bucketLabel = \`bucket-\${bucketName.value}\`;`, `export const replicas: number = 3;`, ``].join("\n"),
  "policies/rules/limits.ts": [`import { output } from "../../components/output";`, ``, `const policyName = output("limits");`, `export const policyLabel = \`policy-\${policyName.value}\`;`, ``].join("\n"),
  "test/widget.test.ts": [`import { expect, it } from "vitest";`, ``, `it("counts replicas", () => {`, `  expect(1).toBe(1);`, `});`, ``].join("\n"),
  "tools/helper.mjs": [`export const usedHelper = 1;`, ``].join("\n"),
};
// The defects each check exists for: a type error, an Output in a template literal (the typed pulumi rule) in a
// component and in a policy rule, a vitest rule in a test file, a lint error in a plain .mjs file, and a .ts file
// that tsconfig.json does not include (not in the Program: the project service and the shared Program both refuse it).
const DEFECTS: Record<string, string> = {
  "components/widget.ts": CLEAN["components/widget.ts"].replace("${bucketName.value}", "${bucketName}").replace("replicas: number = 3", 'replicas: number = "three"'),
  "policies/rules/limits.ts": CLEAN["policies/rules/limits.ts"].replace("${policyName.value}", "${policyName}"),
  "test/widget.test.ts": CLEAN["test/widget.test.ts"].replace(`it("counts`, `it.skip("counts`),
  "tools/helper.mjs": `const unusedHelper = 1;\nexport {};\n`,
  "scratch/outside.ts": `export const outside = 1;\n`,
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

  it("passes a clean project; with the defects added, an incremental re-run reports exactly what `tsc --noEmit -p tsconfig.json` and `eslint .` report and fails with tsc's exit code", async () => {
    write(CLEAN);
    const buildInfo = path.join(dir, ".cache", "tsconfig.tsbuildinfo");
    const clean = await tool("--tsBuildInfoFile", buildInfo);
    expect(clean.stdout).toMatch(/^── typecheck: ok in [\d.]+ s\n── lint: ok in [\d.]+ s\n$/);
    expect(clean.stderr).toBe("");
    expect(clean.status).toBe(0);
    expect(fs.existsSync(buildInfo)).toBe(true);

    write(DEFECTS);
    // Incremental from the clean run's build-info file: the new type error must not hide behind the cached state.
    // The three read the same files and write nothing they share, so they run side by side.
    const [shared, tsc, eslint] = await Promise.all([
      tool("--tsBuildInfoFile", buildInfo),
      run(bin("tsc"), ["--noEmit", "-p", "tsconfig.json"], { cwd: dir }),
      run(bin("eslint"), ["."], { cwd: dir }),
    ]);
    expect(shared.stderr).toBe("");
    const out = sections(shared.stdout);
    // The defects are there to be found: each command on its own reports them.
    expect(tsc.stdout).toContain("components/widget.ts(5,14): error TS2322: Type 'string' is not assignable to type 'number'.");
    expect(eslint.stdout).toMatch(/components\/widget\.ts\n\s+4:\d+\s+error\s+pulumi\.Output<T> not permitted in template literals\s+pulumi\/no-output-in-template-literal/);
    expect(eslint.stdout).toMatch(/policies\/rules\/limits\.ts\n\s+4:\d+\s+error\s+pulumi\.Output<T> not permitted in template literals\s+pulumi\/no-output-in-template-literal/);
    for (const rule of ["vitest/no-disabled-tests", "@typescript-eslint/no-unused-vars"]) expect(eslint.stdout).toContain(rule);
    expect(tsc.status).toBe(2);
    expect(eslint.status).toBe(1);
    expect(out.typecheck).toMatch(/^── typecheck: failed \(tsc exit 2, 1 error\) in [\d.]+ s$/);
    expect(out.typecheckBody).toBe(tsc.stdout);
    expect(out.lint).toMatch(/^── lint: failed \(5 errors\) in [\d.]+ s$/);
    // The one difference: how typescript-eslint words "not in the program" for a project service and for given programs.
    const notInProjectService = `Parsing error: ${path.join(dir, "scratch", "outside.ts")} was not found by the project service. Consider either including it in the tsconfig.json or including it in allowDefaultProject`;
    const notInPrograms = `Parsing error: "parserOptions.programs" has been provided for @typescript-eslint/parser.\nThe file was not found in any of the provided program instance(s): scratch/outside.ts`;
    expect(eslint.stdout).toContain(notInProjectService);
    expect(out.lintBody).toContain(notInPrograms);
    expect(out.lintBody.replace(notInPrograms, "<not in the program>")).toBe(eslint.stdout.replace(notInProjectService, "<not in the program>"));
    expect(shared.status).toBe(tsc.status);
  });

  it("rejects an unknown argument, saying which arguments it takes", async () => {
    const res = await tool("--fix");
    expect(res.stderr).toBe("typecheckAndLint: unknown or incomplete argument '--fix'; allowed: --project <tsconfig.json>, --tsBuildInfoFile <file>\n");
    expect(res.stdout).toBe("");
    expect(res.status).toBe(2);
  });
});
