import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { run } from "../spawn";

const root = path.resolve(__dirname, "../..");

/** A throwaway repository: tools/launch.mjs (and the deferral its bundles install) copied in, node_modules linked, and the given files. */
function repoWith(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "launch-"));
  fs.mkdirSync(path.join(dir, "tools"));
  for (const tool of ["launch.mjs", "deferSdkModules.cjs"]) fs.copyFileSync(path.join(root, "tools", tool), path.join(dir, "tools", tool));
  fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  fs.writeFileSync(path.join(dir, "tsconfig.json"), "{}\n");
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const launch = (dir: string, ...args: string[]) => run(process.execPath, [path.join(dir, "tools", "launch.mjs"), ...args], { cwd: dir, timeoutMs: 60_000 });

describe("tools/launch.mjs (the bundle npm run plan|bench|drift run)", () => {
  it("rebuilds the bundle when a source changes or a new file is imported, and not otherwise", async () => {
    const dir = repoWith({
      "tools/hello.ts": 'import { word } from "../lib/word";\nprocess.stdout.write(`${word}:${process.argv.slice(2).join(",")}\\n`);\n',
      "lib/word.ts": 'export const word: string = "one";\n',
    });
    expect((await launch(dir, "tools/hello.ts", "a", "b")).stdout).toBe("one:a,b\n");
    const bundle = path.join(dir, ".build", "tools-hello.cjs");
    const built = fs.statSync(bundle).mtimeMs;
    expect((await launch(dir, "tools/hello.ts")).stdout).toBe("one:\n");
    expect(fs.statSync(bundle).mtimeMs).toBe(built);

    fs.writeFileSync(path.join(dir, "lib/word.ts"), 'export const word: string = "two";\n');
    expect((await launch(dir, "tools/hello.ts")).stdout).toBe("two:\n");

    // A file no bundle knew yet, imported by one it knows: picked up without any list to keep.
    fs.writeFileSync(path.join(dir, "lib/other.ts"), 'export const other = "three";\n');
    fs.writeFileSync(path.join(dir, "lib/word.ts"), 'import { other } from "./other";\nexport const word: string = other;\n');
    expect((await launch(dir, "tools/hello.ts")).stdout).toBe("three:\n");
    fs.writeFileSync(path.join(dir, "lib/other.ts"), 'export const other = "four";\n');
    expect((await launch(dir, "tools/hello.ts")).stdout).toBe("four:\n");
  });

  it("loads @pulumi/pulumi without the TypeScript compiler and @npmcli/arborist, which load when the SDK first uses them", async () => {
    const dir = repoWith({
      "tools/sdk.ts": [
        'import * as pulumi from "@pulumi/pulumi";',
        "const loaded = (name: string) => Object.keys(require.cache).some((f) => f.includes(`/node_modules/${name}/`));",
        "const before = [loaded(\"@pulumi/pulumi\"), loaded(\"typescript\"), loaded(\"@npmcli/arborist\")];",
        "void pulumi.runtime.serializeFunction(() => 6 * 7).then((fn) => {",
        "  process.stdout.write(JSON.stringify({ before, typescriptAfterUse: loaded(\"typescript\"), serialized: fn.text.includes(\"6 * 7\") }));",
        "});",
        "",
      ].join("\n"),
    });
    const res = await launch(dir, "tools/sdk.ts");
    expect(res.stderr).toBe("");
    expect(JSON.parse(res.stdout)).toEqual({ before: [true, false, false], typescriptAfterUse: true, serialized: true });
  });

  it("points an error's stack at the TypeScript line, keeps __dirname the source's directory, and passes the exit code", async () => {
    const dir = repoWith({
      "tools/fail.ts": [
        'import * as path from "path";',
        "process.stdout.write(`${path.relative(process.cwd(), __dirname)}\\n`);",
        "function explode(): never {",
        '  throw new Error("boom");',
        "}",
        "try {",
        "  explode();",
        "} catch (err) {",
        "  process.stderr.write(`${(err as Error).stack}\\n`);",
        "  process.exitCode = 3;",
        "}",
        "",
      ].join("\n"),
    });
    const res = await launch(dir, "tools/fail.ts");
    expect(res.status).toBe(3);
    expect(res.stdout).toBe("tools\n");
    const frames = res.stderr.split("\n").filter((l) => l.trim().startsWith("at "));
    expect(frames[0]).toContain(`${path.join(dir, "tools", "fail.ts")}:4:`);
    expect(frames[1]).toContain(`${path.join(dir, "tools", "fail.ts")}:7:`);
  });

  it("compiles a package-bundle module with the ES-module packages it imports into a file of its own, rebuilt when the module changes", async () => {
    const table = (kinds: string[]) =>
      `export const MODEL_MODULES: Record<string, () => Promise<Record<string, unknown>>> = {\n${kinds.map((k) => `  "${k}": () => import("kubernetes-models/v1/${k}"),`).join("\n")}\n};\n`;
    const dir = repoWith({
      "policies/rules/kubernetesModels.ts": table(["Namespace"]),
      "tools/models.ts": [
        'import { MODEL_MODULES } from "../policies/rules/kubernetesModels";',
        "void (async () => {",
        "  for (const [specifier, load] of Object.entries(MODEL_MODULES)) {",
        '    const kind = specifier.split("/").pop()!;',
        "    const model = (await load())[kind] as { prototype: { validate(this: unknown): void } };",
        "    let errors = 0;",
        "    try {",
        "      model.prototype.validate.call({ kind, metadata: { name: 7 } });",
        "    } catch (err) {",
        "      errors = (err as { errors: unknown[] }).errors.length;",
        "    }",
        "    process.stdout.write(`${kind} ${errors}\\n`);",
        "  }",
        "})();",
        "",
      ].join("\n"),
    });
    expect(await launch(dir, "tools/models.ts")).toMatchObject({ status: 0, stdout: "Namespace 2\n", stderr: "" });
    const packageBundle = path.join(dir, ".build", "kubernetes-models.cjs");
    const code = fs.readFileSync(packageBundle, "utf8");
    // The models and their ES-module dependencies are compiled in; CommonJS packages stay in node_modules.
    // (Booleans: a failing match would print the whole minified bundle.)
    const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(code.includes('"Namespace"')).toBe(true);
    expect(required.filter((r) => r.endsWith(".mjs") || r.includes("kubernetes-models/v1/"))).toEqual([]);
    expect(required.filter((r) => path.isAbsolute(r) && r.endsWith("/ajv/dist/runtime/validation_error.js")).length).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(dir, ".build", "tools-models.cjs"), "utf8")).toContain('require("./kubernetes-models.cjs")');
    const built = fs.statSync(packageBundle).mtimeMs;
    expect((await launch(dir, "tools/models.ts")).stdout).toBe("Namespace 2\n");
    expect(fs.statSync(packageBundle).mtimeMs).toBe(built);

    fs.writeFileSync(path.join(dir, "policies/rules/kubernetesModels.ts"), table(["Namespace", "ConfigMap"]));
    expect(await launch(dir, "tools/models.ts")).toMatchObject({ status: 0, stdout: "Namespace 2\nConfigMap 2\n" });
  });

  it("refuses a missing tool with its usage (exit 2)", async () => {
    const dir = repoWith({});
    const res = await launch(dir, "tools/nope.ts");
    expect(res.status).toBe(2);
    expect(res.stderr.split("\n")[0]).toBe("usage: node tools/launch.mjs <tool.ts> [args...]   (a TypeScript tool of this repository, e.g. tools/plan.ts)");
  });
});
