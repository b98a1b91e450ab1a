import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { classifyTestFiles, processStateChanges } from "./isolation";

describe("processStateChanges: what outlives a test file, read from code only", () => {
  it.each([
    ["a module mock", "vi.mock('../lib/x');"],
    ["a spy", "vi.spyOn(console, 'log');"],
    ["fake timers", "vi.useFakeTimers();"],
    ["an environment variable set", "process.env.FOO = '1';"],
    ["an environment variable set by index", "process.env['FOO'] ??= '1';"],
    ["an environment variable deleted", "delete process.env.FOO;"],
    ["a process handler", "process.on('exit', () => undefined);"],
    ["the working directory", "process.chdir('/tmp');"],
    ["the exit code", "process.exitCode = 3;"],
    ["the runtime's mocks", "pulumi.runtime.setMocks(mocks);"],
    ["the runtime's config", "runtime.setAllConfig({}, []);"],
    ["the stack-trace limit", "Error.stackTraceLimit = 0;"],
    ["a global", "globalThis.fetch = undefined;"],
    ["code inside a template's placeholder", "const s = `x ${process.chdir('y')} z`;"],
    ["code after a regular expression holding slashes", "const re = /a\\/\\/b/; process.chdir(x);"],
  ])("finds %s", (_what, code) => {
    expect(processStateChanges("x.test.ts", code)).not.toEqual([]);
  });

  it.each([
    ["a comment", "// process.chdir(x)\n/* vi.mock('x') */ const a = 1;"],
    ["a string", "const x = 'process.on(\"exit\")';"],
    ["a script written for a child process", "fs.writeFileSync(f, `process.exitCode = 3; process.env.X = ${JSON.stringify(v)};`);"],
    ["a read of the environment", "if (process.env.FOO === '1') run();"],
    ["vitest's per-file config", "vi.setConfig({ testTimeout: 1 });"],
    ["a data file", "{\"process.exit(\": 1}"],
  ])("ignores %s", (_what, code) => {
    expect(processStateChanges(_what === "a data file" ? "x.json" : "x.test.ts", code)).toEqual([]);
  });
});

describe("classifyTestFiles", () => {
  /** A scratch repository holding `files` (path -> text). */
  function repo(files: Record<string, string>): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "isolation-"));
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), text);
    }
    return root;
  }

  it("puts a file by what it and everything it imports do", () => {
    const root = repo({
      "tools/engine/record.ts": "export function recordProgram() { Error.stackTraceLimit = 0; }\n",
      "test/workingDirectory.ts": "export function inDirectory(d: string) { process.chdir(d); }\n",
      "test/helper.ts": "export function setUp() { process.env.REGION = 'x'; }\n",
      "test/plain.test.ts": "import { it } from 'vitest';\nit('adds', () => undefined);\n",
      "test/records.test.ts": "import { recordProgram } from '../tools/engine/record';\nimport { inDirectory } from './workingDirectory';\nrecordProgram(); inDirectory('.');\n",
      "test/mocks.test.ts": "import { vi } from 'vitest';\nvi.mock('../lib/x');\n",
      "test/via-helper.test.ts": "import { setUp } from './helper';\nsetUp();\n",
      "test/records-and-mocks.test.ts": "import { vi } from 'vitest';\nimport { recordProgram } from '../tools/engine/record';\nrecordProgram(); vi.useFakeTimers();\n",
      "test/script.test.ts": "import * as fs from 'fs';\nfs.writeFileSync('x.js', 'process.exit(1)');\n",
    });
    const files = ["plain", "records", "mocks", "via-helper", "records-and-mocks", "script"].map((f) => `test/${f}.test.ts`);
    expect(classifyTestFiles(root, files)).toEqual({
      isolated: ["test/mocks.test.ts", "test/via-helper.test.ts", "test/records-and-mocks.test.ts"],
      runtime: ["test/records.test.ts"],
      shared: ["test/plain.test.ts", "test/script.test.ts"],
    });
  });

  it.each([
    ["does not parse", "this is not TypeScript (\n"],
    ["imports a file that does not exist", "import { nothing } from './does-not-exist';\nnothing();\n"],
  ])("puts every file in a process of its own when one %s (esbuild cannot follow the imports)", (_what, text) => {
    const root = repo({ "test/a.test.ts": "export const a = 1;\n", "test/b.test.ts": text });
    expect(classifyTestFiles(root, ["test/a.test.ts", "test/b.test.ts"])).toEqual({ isolated: ["test/a.test.ts", "test/b.test.ts"], runtime: [], shared: [] });
  });
});

describe("the suite's test files", () => {
  it("never set their own timeouts with vi.setConfig, which does not reach a fork kept from an earlier file", () => {
    const root = path.resolve(__dirname, "..");
    const files = (dir: string): string[] =>
      fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(`${dir}/${e.name}`) : /\.ts$/.test(e.name) ? [`${dir}/${e.name}`] : []));
    const calls = files("test").filter((f) => f !== "test/isolation.test.ts" && /\bvi\.setConfig\s*\(/.test(fs.readFileSync(path.join(root, f), "utf8")));
    expect(calls).toEqual([]);
  });
});
