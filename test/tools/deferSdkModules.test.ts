import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const DEFER = path.join(root, "tools", "deferSdkModules.cjs");

/** Runs `script` (CommonJS) in a node process of its own from the repository root (the deferral patches the process's loader) and parses what it prints. */
function inChild(script: string): unknown {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "defer-")), "check.cjs");
  fs.writeFileSync(file, `const DEFER = ${JSON.stringify(DEFER)};\nmodule.paths.unshift(${JSON.stringify(path.join(root, "node_modules"))});\n${script}`);
  const res = spawnSync(process.execPath, [file], { cwd: root, encoding: "utf8", timeout: 60_000 });
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(res.stdout);
}

const LOADED = `const loaded = (name) => Object.keys(require.cache).some((f) => f.includes("/node_modules/" + name + "/"));`;

describe("deferSdkModules (tools/deferSdkModules.cjs)", () => {
  it("keeps the two modules out of @pulumi/pulumi's load, and each loads, the real module, when first used", () => {
    const out = inChild(`${LOADED}
require(DEFER).deferSdkModules();
const pulumi = require("@pulumi/pulumi");
const before = { typescript: loaded("typescript"), arborist: loaded("@npmcli/arborist") };
const shim = require("@pulumi/pulumi/typescript-shim");
const sameCompiler = shim.createSourceFile === require("typescript").createSourceFile && shim.SyntaxKind.Identifier === require("typescript").SyntaxKind.Identifier;
// computeCodePaths is arborist's one user (runtime/closure/codePaths.js); a directory without dependencies keeps it short.
const dir = require("fs").mkdtempSync(require("path").join(require("os").tmpdir(), "codepaths-"));
require("fs").writeFileSync(require("path").join(dir, "package.json"), '{"name":"x","version":"1.0.0"}');
process.chdir(dir);
pulumi.runtime.computeCodePaths().then((paths) => {
  process.stdout.write(JSON.stringify({ before, sameCompiler, arboristAfterUse: loaded("@npmcli/arborist"), codePaths: paths instanceof Map }));
});
`);
    expect(out).toEqual({ before: { typescript: false, arborist: false }, sameCompiler: true, arboristAfterUse: true, codePaths: true });
  });

  it("leaves every other requester's modules as they are, and loads both modules with @pulumi/pulumi when not installed", () => {
    const out = inChild(`${LOADED}
const pulumi = require("@pulumi/pulumi");
const withoutDeferral = { typescript: loaded("typescript"), arborist: loaded("@npmcli/arborist") };
process.stdout.write(JSON.stringify({ withoutDeferral, sdk: typeof pulumi.runtime.setMocks }));
`);
    expect(out).toEqual({ withoutDeferral: { typescript: true, arborist: true }, sdk: "function" });
    const other = inChild(`
require(DEFER).deferSdkModules();
const ts = require("typescript");
process.stdout.write(JSON.stringify({ direct: typeof ts.createSourceFile, isProxy: require("util").types.isProxy(ts) }));
`);
    expect(other).toEqual({ direct: "function", isProxy: false });
  });

  it("answers a stand-in's __esModule only where the requester's import helper needs it, reading the rest from the module", () => {
    const out = inChild(`
const { deferredModule } = require(DEFER);
let loads = 0;
const real = { Arborist: class Arborist {}, value: 1 };
const esm = deferredModule(() => (loads++, real), true);
const plain = deferredModule(() => (loads++, real), false);
const asked = { esModule: esm.__esModule, loadsAfterEsModule: loads };
const same = esm.Arborist === real.Arborist && plain.value === 1 && Object.keys(plain).join() === "Arborist,value";
process.stdout.write(JSON.stringify({ ...asked, same, loads }));
`);
    expect(out).toEqual({ esModule: true, loadsAfterEsModule: 0, same: true, loads: 2 });
  });
});
