import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { PlanDocument } from "../../lib/plan/document";

const root = path.resolve(__dirname, "../..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-diff-"));

function runPlan(args: string[]) {
  const res = spawnSync(tsx, ["tools/plan.ts", ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}
const changesSection = (stdout: string) => stdout.slice(stdout.indexOf("Changes against"));

describe("npm run plan -- --diff", () => {
  const base = path.join(dir, "prod.json");
  beforeAll(() => {
    const r = runPlan(["--stack", "prod", "--json", base, "--quiet"]);
    if (r.code !== 0) throw new Error(`baseline plan failed (${r.code}): ${r.stderr}`);
  });

  it("finds no change against the plan it just wrote, and --fail-on-diff passes", () => {
    const { code, stdout } = runPlan(["--stack", "prod", "--diff", base, "--fail-on-diff"]);
    expect(code).toBe(0);
    expect(changesSection(stdout)).toMatch(/^Changes against .*: 0 to create, 0 to update, 0 to replace, 0 to delete\n {2}no changes\n {2}GPU capacity: unchanged\n {2}Cost per hour/);
  });

  it("shows a canary weight change as exactly that route's weights, and --fail-on-diff exits 3", () => {
    const stackFile = path.join(root, "stacks", "Pulumi.prod.yaml");
    const edited = fs.readFileSync(stackFile, "utf8").replace(/(canary: \{ version: [^,]+, weight: )10 \}/, "$125 }");
    expect(edited).not.toBe(fs.readFileSync(stackFile, "utf8"));
    const file = path.join(dir, "Pulumi.prod.yaml");
    fs.writeFileSync(file, edited);

    const { code, stdout } = runPlan(["--stack", "prod", "--config-file", file, "--diff", base, "--fail-on-diff"]);
    expect(code).toBe(3);
    const section = changesSection(stdout);
    expect(section.split("\n")[0]).toMatch(/0 to create, 3 to update, 0 to replace, 0 to delete$/);
    const changed = [...section.matchAll(/^ {4}(\S+) +(\S+) (\S+)$/gm)].map((m) => [m[1], m[2], m[3]]);
    expect(changed).toEqual(["us-east-1", "us-east-2", "us-west-2"].map((r) => ["~", "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", `${r}-chat-small-route`]));
    const paths = [...section.matchAll(/^ {9}(\S+): (.*)$/gm)].map((m) => `${m[1]}: ${m[2]}`);
    expect(new Set(paths)).toEqual(new Set(["spec.rules[0].backendRefs[0].weight: 90 => 75", "spec.rules[0].backendRefs[1].weight: 10 => 25"]));
    expect(section).toContain("GPU capacity: unchanged");
  });

  it("shows GPU capacity and cost moving when a pool grows", () => {
    const stackFile = path.join(root, "stacks", "Pulumi.prod.yaml");
    const edited = fs.readFileSync(stackFile, "utf8").replace("maxSize: 4\n", "maxSize: 5\n");
    const file = path.join(dir, "Pulumi.prod-bigger.yaml");
    fs.writeFileSync(file, edited);
    const { code, stdout } = runPlan(["--stack", "prod", "--config-file", file, "--diff", base]);
    expect(code).toBe(0);
    const doc = JSON.parse(fs.readFileSync(base, "utf8")) as PlanDocument;
    const p5 = doc.cost!.lines.find((l) => l.resource === "us-east-1-gpu-h100-ng" && l.kind === "nodes")!;
    const section = changesSection(stdout);
    // One more p5.48xlarge (8 GPUs) at max in us-east-1.
    expect(section).toContain("GPU capacity (min / max): h100 24 / 96 => 24 / 104");
    // One more p5.48xlarge at max: the max hourly cost grows by one node's price (and its root volume).
    const m = /Cost per hour \(min \/ max\): \$[\d.]+ \/ \$([\d.]+) => \$[\d.]+ \/ \$([\d.]+) \(\+\$0\.00 \/ \+\$([\d.]+)\)/.exec(section)!;
    expect(Number(m[3])).toBeGreaterThan(p5.hourly.max / 4);
    expect(Number(m[3])).toBeLessThan(p5.hourly.max / 4 + 1);
  });

  it("exits 2 for a missing or foreign baseline, and for --fail-on-diff without --diff", () => {
    expect(runPlan(["--stack", "dev", "--diff", path.join(dir, "missing.json")]).code).toBe(2);
    const foreign = path.join(dir, "foreign.json");
    fs.writeFileSync(foreign, JSON.stringify({ hello: "world" }));
    const r = runPlan(["--stack", "dev", "--diff", foreign]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is not a plan document");
    expect(runPlan(["--stack", "dev", "--fail-on-diff"]).code).toBe(2);
  });
});
