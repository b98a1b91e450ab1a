import { buildSync } from "esbuild";
import * as fs from "fs";
import * as path from "path";
import ts from "typescript";

/**
 * Where each test file runs (vitest.config.ts has a project per group):
 *
 * - `shared`: files that never reach the Pulumi runtime nor what the global set-up hands out run one after
 *   another in one worker thread.
 * - `runtime`: files that reach the mock runtime (tools/engine/record.ts, run.ts, mocks.ts) or the set-up's
 *   hand-outs (test/planRuns.ts, test/oneStack.ts, test/policies/harness.ts: only a project with the global
 *   set-up has them) run in two child processes that each run one file at a time and are kept for the next
 *   file (forks, isolate: false), so the SDK and the program modules load once per process instead of once per
 *   file (~1.5 s of CPU each, 50 files). What the runtime keeps between programs is set afresh for every
 *   program by recordProgram, the only way these files reach it: setAllConfig replaces the whole config map
 *   (runtime/config.js persistConfig), setMocks resets every setting and installs a new mock monitor
 *   (runtime/settings.js resetOptions, @pulumi/pulumi 3.248.0), the stack resource is set by the new Stack
 *   (runtime/stack.js), disconnect() waits for every RPC in flight before the next program, and the stack-trace
 *   limit is restored in a finally. Runs never overlap: a process runs one file at a time and the files await
 *   each recording. That is already how one file records several programs in a row.
 * - `isolated`: files that change process-global state that nothing resets between files run in a fresh
 *   process each (a vitest project of its own; vitest recycles the forks between projects). Fail closed: a
 *   file is put here when it, or any repository file it imports (followed transitively by esbuild, packages
 *   left out), contains one of PROCESS_STATE_CHANGES outside the files that undo their changes after each use
 *   (UNDONE_AFTER_USE), or when esbuild cannot follow it.
 */
const RUNTIME_IF_REACHED = [
  "tools/engine/record.ts",
  "tools/engine/run.ts",
  "tools/engine/mocks.ts",
  "test/planRuns.ts",
  "test/oneStack.ts",
  "test/policies/harness.ts",
];

/**
 * Changes to the process that outlive a test file: module mocks and stubs, spies, fake timers, the environment,
 * process handlers and exit, the runtime's mocks and config set other than by recordProgram, the stack-trace
 * limit, the working directory. Matched in the code without comments and string contents (a script a test
 * writes for a child process changes that process, not this one).
 */
const PROCESS_STATE_CHANGES: readonly RegExp[] = [
  /\bvi\.(mock|doMock|stubGlobal|stubEnv|useFakeTimers|spyOn|hoisted)\s*\(/,
  /\bprocess\.env(\.\w+|\[[^\]]+\])\s*(=[^=]|\+=|\?\?=|\|\|=)/,
  /\bdelete\s+process\.env\b/,
  /\bObject\.assign\s*\(\s*process\.env\b/,
  /\bprocess\.(on|once|exit|chdir|umask|setUncaughtExceptionCaptureCallback)\s*\(/,
  /\bprocess\.exitCode\s*=[^=]/,
  // vi.setConfig is not one: vitest undoes it after the file.
  /(?<!\bvi\.)\b(setMocks|setAllConfig|setConfig|_setIsDryRun|_setProject|_setStack|resetOptions)\s*\(/,
  /\bError\.stackTraceLimit\s*=[^=]/,
  /\bglobalThis\.\w+\s*=[^=]/,
];

/**
 * Files that make such changes and undo them after each program or call: record.ts (config and mocks set
 * afresh per program, the stack-trace limit restored in a finally), run.ts and test/workingDirectory.ts (chdir
 * into a project's directory, back in a finally).
 */
const UNDONE_AFTER_USE = ["tools/engine/record.ts", "tools/engine/run.ts", "test/workingDirectory.ts"];

export interface TestFileGroups {
  readonly isolated: string[];
  readonly runtime: string[];
  readonly shared: string[];
}

export function classifyTestFiles(root: string, files: readonly string[]): TestFileGroups {
  let inputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
  try {
    // One build of every file; each file's imports are then followed in its metafile.
    const res = buildSync({
      entryPoints: files.map((f) => path.join(root, f)),
      absWorkingDir: root,
      bundle: true,
      splitting: true,
      write: false,
      metafile: true,
      platform: "node",
      format: "esm",
      packages: "external",
      logLevel: "silent",
      outdir: path.join(root, ".build", "isolation"),
    });
    inputs = res.metafile.inputs;
  } catch {
    return { isolated: [...files], runtime: [], shared: [] };
  }
  const groups: TestFileGroups = { isolated: [], runtime: [], shared: [] };
  for (const file of files) groups[groupOf(root, file, inputs)].push(file);
  return groups;
}

/** The repository files `file` imports, itself included, or undefined when esbuild did not follow it. */
function reachedFiles(root: string, file: string, inputs: Record<string, { imports: { path: string; external?: boolean }[] }>): Set<string> | undefined {
  const entry = path.relative(root, path.join(root, file)).split(path.sep).join("/");
  if (!inputs[entry]) return undefined;
  const reached = new Set<string>();
  for (const stack = [entry]; stack.length > 0; ) {
    const f = stack.pop()!;
    if (reached.has(f)) continue;
    reached.add(f);
    for (const i of inputs[f]?.imports ?? []) if (!i.external) stack.push(i.path);
  }
  return reached;
}

/** The process-state changes a repository source file makes, as the patterns that matched its code. */
export function processStateChanges(file: string, text: string): string[] {
  // Data files (JSON, YAML, text read through loaders) run no code.
  if (!/\.[cm]?[jt]s$/.test(file)) return [];
  if (!PROCESS_STATE_CHANGES.some((p) => p.test(text))) return [];
  const code = codeOnly(file, text);
  return PROCESS_STATE_CHANGES.filter((p) => p.test(code)).map((p) => p.source);
}

/** `text` with comments and string and template literal text blanked, as TypeScript's parser reads it. */
function codeOnly(file: string, text: string): string {
  const chars = text.split("");
  const blank = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (chars[i] !== "\n") chars[i] = " ";
  };
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith("ts") ? ts.ScriptKind.TS : ts.ScriptKind.JS);
  // Every token's leading trivia (whitespace and comments, never code) and every literal's text.
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateLiteralToken(node)) return blank(node.pos, node.end);
    const children = node.getChildren(source);
    if (children.length === 0) return blank(node.pos, node.getStart(source));
    children.forEach(visit);
  };
  visit(source);
  return chars.join("");
}

function groupOf(root: string, file: string, inputs: Record<string, { imports: { path: string; external?: boolean }[] }>): keyof TestFileGroups {
  const reached = reachedFiles(root, file, inputs);
  if (!reached) return "isolated";
  const changesState = [...reached].some((f) => !UNDONE_AFTER_USE.includes(f) && processStateChanges(f, fs.readFileSync(path.join(root, f), "utf8")).length > 0);
  if (changesState) return "isolated";
  return [...reached].some((f) => RUNTIME_IF_REACHED.includes(f)) ? "runtime" : "shared";
}
