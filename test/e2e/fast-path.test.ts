import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import type { PlanDocument } from "../../lib/plan/document";
import { buildPolicies } from "../../policies/pack";
import { committedStackPlan } from "../planRuns";
import { committedStacks, envWithoutNpm, run, runTool } from "../spawn";

const root = path.resolve(__dirname, "../..");

const clean = envWithoutNpm();

describe("the plan's fast path (npm run plan: node on the bundle) and the TypeScript entry point (tsx) agree", () => {
  it("finds the committed stacks", () => {
    expect(committedStacks(root)).toEqual(expect.arrayContaining(["dev", "staging", "prod"]));
  });

  it.each(committedStacks(root))("writes a byte-identical plan document and the same summary for %s", async (stack) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fast-path-"));
    const direct = path.join(dir, "tsx.json");
    // The fast path's `--stack <stack> --json <file>` is the test run's shared run of that command (test/planRuns.ts).
    const [shared, viaTsx] = await Promise.all([
      committedStackPlan(stack),
      run(path.join(root, "node_modules", ".bin", "tsx"), ["tools/plan.ts", "--stack", stack, "--json", direct], { cwd: root, env: clean, timeoutMs: 240_000 }),
    ]);
    const fast = shared.json;
    expect(shared.args).toEqual(["--stack", stack, "--json", fast]);
    const viaBundle = { status: shared.code, stdout: shared.stdout, stderr: shared.stderr };
    expect(viaTsx.stderr).toBe("");
    expect(viaBundle.stderr).toBe("");
    expect(viaBundle.status).toBe(viaTsx.status);
    // Compared as text: a difference shows as a diff of the two documents.
    expect(fs.readFileSync(fast, "utf8")).toBe(fs.readFileSync(direct, "utf8"));
    expect(JSON.parse(fs.readFileSync(fast, "utf8")).resources.length).toBeGreaterThan(100);
    expect(viaBundle.stdout.replaceAll(fast, "<plan.json>")).toBe(viaTsx.stdout.replaceAll(direct, "<plan.json>"));
  });
});

// Policy violations and a refused pack config: the bundle and tsx report them alike.
describe("the bundle and tsx agree on the policy pack's verdicts", () => {
  /** Both ways at once, in a directory of their own; `fixture` writes files into it and returns the arguments. */
  async function both(fixture: (dir: string) => string[]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fast-path-pack-"));
    const args = fixture(dir);
    const fast = path.join(dir, "fast.json");
    const direct = path.join(dir, "tsx.json");
    const [viaBundle, viaTsx] = await Promise.all([
      runTool("tools/plan.ts", [...args, "--json", fast], { env: clean, timeoutMs: 240_000 }),
      run(path.join(root, "node_modules", ".bin", "tsx"), ["tools/plan.ts", ...args, "--json", direct], { cwd: root, env: clean, timeoutMs: 240_000 }),
    ]);
    return { viaBundle, viaTsx, fast, direct };
  }

  it("on violations of resource and stack policies in both projects, at two levels: the same document, in the same order", async () => {
    const { viaBundle, viaTsx, fast, direct } = await both((dir) => {
      // Platform's clusters on a version out of standard support (a resource policy on platform's resources)...
      const stackFile = path.join(dir, "Pulumi.old-kubernetes.yaml");
      const platformDev = fs.readFileSync(path.join(root, "platform", "stacks", "Pulumi.dev.yaml"), "utf8");
      expect(platformDev).toContain('kubernetesVersion: "1.36"');
      fs.writeFileSync(stackFile, platformDev.replace('kubernetesVersion: "1.36"', 'kubernetesVersion: "1.33"'));
      // ...and a pack config that serving's workloads fail (a resource policy and two stack policies, one advisory).
      const packConfig = path.join(dir, "tight.json");
      fs.writeFileSync(
        packConfig,
        JSON.stringify({ "writable-paths-sized": { minCacheGiB: 4096 }, "images-pinned-by-digest": { runtimeImages: [] }, "runtime-image-user": { enforcementLevel: "advisory", runtimeImages: [] } }),
      );
      return ["--stack", "dev", "--config-file", stackFile, "--policy-pack-config", packConfig];
    });
    expect([viaBundle.status, viaBundle.stderr]).toEqual([1, ""]);
    expect([viaTsx.status, viaTsx.stderr]).toEqual([1, ""]);
    expect(fs.readFileSync(fast, "utf8")).toBe(fs.readFileSync(direct, "utf8"));
    const doc = JSON.parse(fs.readFileSync(fast, "utf8")) as PlanDocument;
    const projectOf = new Map(doc.resources.map((r) => [r.urn, r.project]));
    const found = doc.policy.violations.map((v) => [v.policy, v.enforcementLevel, projectOf.get(v.urn!)]);
    expect(new Set(found.map((f) => f.join(" ")))).toEqual(
      new Set([
        "images-pinned-by-digest mandatory llm-blueprint-serving",
        "kubernetes-version-in-standard-support mandatory llm-blueprint-platform",
        "writable-paths-sized mandatory llm-blueprint-serving",
        "runtime-image-user advisory llm-blueprint-serving",
      ]),
    );
    // Policy by policy in the pack's order, as the analyzer reports them.
    const packOrder = buildPolicies().map((p) => p.name);
    const policies = found.map(([policy]) => policy!);
    expect(policies).toEqual([...policies].sort((a, b) => packOrder.indexOf(a) - packOrder.indexOf(b)));
    expect(new Set(doc.policy.violations.map((v) => v.policy)).size).toBe(4);
    expect(viaBundle.stdout.replaceAll(fast, "<plan.json>")).toBe(viaTsx.stdout.replaceAll(direct, "<plan.json>"));
  });

  it("a bad pack config is refused with the same message and exit 2 before any program runs (a program's own config error never shows)", async () => {
    const { viaBundle, viaTsx, fast, direct } = await both((dir) => {
      const packConfig = path.join(dir, "lowered.json");
      fs.writeFileSync(packConfig, JSON.stringify({ "pod-hardening": "advsory", "approved-model-versions": "disabled" }));
      // A misspelt config namespace in serving's file: its program would stop on it, had it run.
      const stackFile = path.join(dir, "Pulumi.misspelt-namespace.yaml");
      const servingDev = fs.readFileSync(path.join(root, "serving", "stacks", "Pulumi.dev.yaml"), "utf8");
      expect(servingDev).toContain("llm-blueprint:observability:");
      fs.writeFileSync(stackFile, servingDev.replace("llm-blueprint:observability:", "llm-bluepirnt:observability:"));
      return ["--stack", "prod", "--project", "serving", "--config-file", stackFile, "--policy-pack-config", packConfig];
    });
    expect([viaBundle.status, viaBundle.stdout]).toEqual([2, ""]);
    expect(viaBundle.stderr).toBe(viaTsx.stderr.replaceAll(direct, fast));
    expect(viaTsx.status).toBe(2);
    const lines = viaBundle.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^Invalid policy pack config \S*lowered\.json \(2 problems\):$/);
    expect(lines).toContain('  - pod-hardening: "advsory" is not an enforcement level; allowed: advisory, mandatory, remediate, disabled (did you mean "advisory"?)');
    expect(viaBundle.stderr).not.toContain("llm-bluepirnt");
    expect(fs.existsSync(fast) || fs.existsSync(direct)).toBe(false);
  });
});
