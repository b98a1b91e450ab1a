import { buildSync } from "esbuild";
import * as fs from "fs";
import * as path from "path";

/**
 * Which test files may share one worker (no fresh process per file) and which run isolated, each in a
 * process of its own (vitest.config.ts). Starting a fork and loading the SDK per file costs ~1.5 s of CPU
 * (measured 2026-11-26 on test/lib: 35 files, ~100 s CPU isolated, ~50 s shared), most of it in files that
 * never run a program.
 *
 * Isolated (fail closed: anything not shown to be safe): a file whose repository imports (followed
 * transitively by esbuild, packages left out) reach the mock runtime (tools/engine/record.ts, run.ts,
 * mocks.ts: the Pulumi runtime's process-global state) or what the global set-up hands out (test/planRuns.ts,
 * test/oneStack.ts, test/policies/harness.ts: only the isolated project runs the set-up); a file that calls
 * process.chdir (not allowed in a worker thread); a file esbuild cannot follow. The rest is `shared`.
 */
const ISOLATED_IF_REACHED = [
  "tools/engine/record.ts",
  "tools/engine/run.ts",
  "tools/engine/mocks.ts",
  "test/planRuns.ts",
  "test/oneStack.ts",
  "test/policies/harness.ts",
];

export function classifyTestFiles(root: string, files: readonly string[]): { isolated: string[]; shared: string[] } {
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
    return { isolated: [...files], shared: [] };
  }
  const isolated: string[] = [];
  const shared: string[] = [];
  for (const file of files) (mayShareWorker(root, file, inputs) ? shared : isolated).push(file);
  return { isolated, shared };
}

function mayShareWorker(root: string, file: string, inputs: Record<string, { imports: { path: string; external?: boolean }[] }>): boolean {
  const entry = path.relative(root, path.join(root, file)).split(path.sep).join("/");
  if (!inputs[entry]) return false;
  const reached = new Set<string>();
  for (const stack = [entry]; stack.length > 0; ) {
    const f = stack.pop()!;
    if (reached.has(f)) continue;
    reached.add(f);
    for (const i of inputs[f]?.imports ?? []) if (!i.external) stack.push(i.path);
  }
  if ([...reached].some((f) => ISOLATED_IF_REACHED.includes(f))) return false;
  return ![...reached].some((f) => /\bprocess\.chdir\s*\(/.test(fs.readFileSync(path.join(root, f), "utf8")));
}
