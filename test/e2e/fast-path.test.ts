import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it, vi } from "vitest";
import { committedStacks, run, runTool } from "../spawn";

// Two whole plans per stack in child processes, one of them transpiling at run time.
vi.setConfig({ testTimeout: 300_000 });

const root = path.resolve(__dirname, "../..");


const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("npm_")));

describe("the plan's fast path (npm run plan: node on the bundle) and the TypeScript entry point (tsx) agree", () => {
  it("finds the committed stacks", () => {
    expect(committedStacks(root)).toEqual(expect.arrayContaining(["dev", "staging", "prod"]));
  });

  it.each(committedStacks(root))("writes a byte-identical plan document and the same summary for %s", async (stack) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fast-path-"));
    const fast = path.join(dir, "fast.json");
    const direct = path.join(dir, "tsx.json");
    const [viaBundle, viaTsx] = await Promise.all([
      runTool("tools/plan.ts", ["--stack", stack, "--json", fast], { env: clean, timeoutMs: 240_000 }),
      run(path.join(root, "node_modules", ".bin", "tsx"), ["tools/plan.ts", "--stack", stack, "--json", direct], { cwd: root, env: clean, timeoutMs: 240_000 }),
    ]);
    expect(viaTsx.stderr).toBe("");
    expect(viaBundle.stderr).toBe("");
    expect(viaBundle.status).toBe(viaTsx.status);
    // Compared as text: a difference shows as a diff of the two documents.
    expect(fs.readFileSync(fast, "utf8")).toBe(fs.readFileSync(direct, "utf8"));
    expect(JSON.parse(fs.readFileSync(fast, "utf8")).resources.length).toBeGreaterThan(100);
    expect(viaBundle.stdout.replaceAll(fast, "<plan.json>")).toBe(viaTsx.stdout.replaceAll(direct, "<plan.json>"));
  });
});
