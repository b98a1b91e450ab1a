import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it, vi } from "vitest";
import { PlanDocument } from "../../lib/plan/document";
import { run } from "../spawn";

// Each test runs whole plans in child processes (up to two in a row); on a busy 2-core machine
// one plan can take a minute, so the default 60 s is not enough.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const root = path.resolve(__dirname, "../..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");

/** The plan CLI as a user runs it; not as an npm script, so npm's own variables do not leak in. */
async function runPlan(args: string[], env: NodeJS.ProcessEnv = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("npm_")));
  const res = await run(tsx, ["tools/plan.ts", ...args], { cwd: root, timeoutMs: 240_000, env: { ...clean, ...env } });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** The lines of one summary section: from its title to the next blank line. */
function section(stdout: string, title: string): string[] {
  const lines = stdout.split("\n");
  const start = lines.findIndex((l) => l.startsWith(title));
  const end = lines.findIndex((l, i) => i > start && l === "");
  return lines.slice(start, end < 0 ? undefined : end);
}

function tmpFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "plan-e2e-")), name);
}

const RESOURCE_KEYS = ["urn", "type", "name", "parent", "provider", "custom", "inputs", "options"];
const OPTION_KEYS = ["protect", "retainOnDelete", "ignoreChanges", "dependsOn", "deleteBeforeReplace"];

describe("npm run plan", () => {
  it.each([
    ["dev", 1],
    ["staging", 2],
    ["prod", 3],
  ])("plans %s cleanly with %i region(s) and writes the plan document", async (stack, regionCount) => {
    const out = tmpFile(`${stack}.json`);
    const { code, stdout, stderr } = await runPlan(["--stack", stack, "--json", out]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const doc = JSON.parse(fs.readFileSync(out, "utf8")) as PlanDocument;
    expect(doc.stack).toBe(stack);
    expect(doc.project).toBe("llm-blueprint");
    expect(doc.policy.violations).toEqual([]);
    for (const r of doc.resources) {
      for (const k of RESOURCE_KEYS.filter((k) => k !== "parent" && k !== "provider")) expect(r).toHaveProperty(k);
      for (const k of OPTION_KEYS) expect(r.options).toHaveProperty(k);
      expect(Object.keys(r).every((k) => [...RESOURCE_KEYS, "outputs", "propertyDependencies"].includes(k))).toBe(true);
    }
    const clusters = doc.resources.filter((r) => r.type === "aws:eks/cluster:Cluster");
    expect(clusters).toHaveLength(regionCount);
    expect(Object.keys(doc.outputs.regions as object)).toHaveLength(regionCount);
    expect(stdout).toContain(`Plan llm-blueprint/${stack}:`);
    expect(stdout).toContain("GPU capacity");
    // The first lines are the verdict, in this order.
    const head = stdout.split("\n").slice(0, 7);
    expect(head[0]).toBe(`Plan llm-blueprint/${stack}: exit 0: planned cleanly, no mandatory policy violation`);
    expect(head.slice(1).map((l) => l.slice(0, 16).trim())).toEqual(["policy", "data at risk", "resources", "cost", "cost delta", "plan document"]);
    expect(head[1]).toBe("  policy        0 mandatory, 0 advisory violations");
    expect(head[2]).toContain("n/a without --diff");
    expect(head[3]).toContain(`${doc.resources.filter((r) => r.custom).length} to create in ${regionCount} region`);
    expect(head[4]).toMatch(/^ {2}cost {10}\$[\d,.]+ \/ \$[\d,.]+ per hour at min \/ max/);
    expect(head[6]).toBe(`  plan document ${out}`);
    // Outputs are counted, not listed, without --outputs.
    expect(stdout).toMatch(/^Outputs: \d+ values, not listed/m);
    expect(stdout).not.toContain("clusterEndpoint:");
    // No cost cell shows $0.00 for something billed; only a pool that scales to zero costs $0.00 at min.
    for (const line of section(stdout, "Estimated on-demand cost").filter((l) => !/[ (]0-\d+ x /.test(l))) expect(line).not.toMatch(/\$0\.00/);
  });

  it("lists the regions of prod in its config order in every section, and keeps tables within 120 columns", async () => {
    const { code, stdout } = await runPlan(["--stack", "prod", "--outputs"]);
    expect(code).toBe(0);
    const order = ["us-east-1", "us-west-2", "us-east-2"];
    const regionsIn = (title: string) => [...new Set(section(stdout, title).map((l) => /^ {2}(us-[a-z]+-\d)\b/.exec(l)?.[1]).filter((r): r is string => r !== undefined))];
    for (const title of ["Resources by region", "GPU capacity", "Served models", "SLO alerts", "Estimated on-demand cost"]) expect(regionsIn(title), title).toEqual(order);
    const outputsRegions = [...new Set([...stdout.matchAll(/^ {2}regions\.(us-[a-z]+-\d)\./gm)].map((m) => m[1]))];
    expect(outputsRegions).toEqual(order);
    for (const title of ["Plan ", "Resources by region", "GPU capacity", "Served models", "SLO alerts", "Global endpoints", "Estimated on-demand cost"]) {
      for (const line of section(stdout, title)) expect(line.length, line).toBeLessThanOrEqual(120);
    }
    // The alarms cost a fraction of a cent per hour: shown as <$0.01, never $0.00.
    expect(section(stdout, "Estimated on-demand cost").find((l) => l.includes("alarm"))).toMatch(/<\$0\.01 +<\$0\.01/);
  });

  it("exits 1 when the approvers revoke a model prod serves, naming the policy and the workloads", async () => {
    const approvals = JSON.parse(fs.readFileSync(path.join(root, "policies/approvals.json"), "utf8")) as { models: { name: string; status: string; revokedReason?: string }[] };
    for (const m of approvals.models) if (m.name === "llama-3.1-8b-instruct") Object.assign(m, { status: "revoked", revokedReason: "jailbreak regression" });
    const config = tmpFile("revoked.json");
    fs.writeFileSync(config, JSON.stringify({ "approved-model-versions": { models: approvals.models } }));
    const out = tmpFile("revoked-plan.json");
    const { code, stdout } = await runPlan(["--stack", "prod", "--policy-pack-config", config, "--json", out]);
    expect(code).toBe(1);
    expect(stdout.split("\n")[0]).toBe("Plan llm-blueprint/prod: exit 1: 3 mandatory policy violations (approved-model-versions)");
    expect(stdout.split("\n")[1]).toBe("  policy        3 mandatory, 0 advisory violations");
    const doc = JSON.parse(fs.readFileSync(out, "utf8")) as PlanDocument;
    expect(doc.policy.violations.map((v) => [v.policy, v.enforcementLevel, v.urn!.split("::").pop()])).toEqual(
      ["us-east-1", "us-west-2", "us-east-2"].map((r) => ["approved-model-versions", "mandatory", `${r}-chat-small-stable-deployment`]),
    );
    expect(stdout).toContain("approved-model-versions (mandatory, 3)");
    expect(stdout).toContain("jailbreak regression");
  });

  it("defaults to the dev stack", async () => {
    const { code, stdout } = await runPlan([]);
    expect(code).toBe(0);
    expect(stdout).toContain("Plan llm-blueprint/dev:");
  });

  it("prints the same plan twice (deterministic mocks); --quiet prints only the one-line verdict", async () => {
    const a = tmpFile("a.json");
    const b = tmpFile("b.json");
    const first = await runPlan(["--stack", "staging", "--json", a, "--quiet"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`Plan llm-blueprint/staging: exit 0: planned cleanly, no mandatory policy violation; policy: 0 mandatory, 0 advisory violations; plan document written to ${a}\n`);
    expect((await runPlan(["--stack", "staging", "--json", b, "--quiet"])).code).toBe(0);
    expect(fs.readFileSync(a, "utf8")).toBe(fs.readFileSync(b, "utf8"));
  });

  it("exits 2 on a bad config, reporting every problem with file and key path, writing no plan", async () => {
    const out = tmpFile("bad.json");
    // A fixture whose name is not one of the stacks' files is planned under --stack (dev by default).
    const { code, stdout, stderr } = await runPlan(["--config-file", "test/fixtures/Pulumi.bad-config.yaml", "--json", out]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(fs.existsSync(out)).toBe(false);
    const lines = stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^Invalid stack configuration in test\/fixtures\/Pulumi\.bad-config\.yaml \(\d+ problems\):$/);
    expect(stderr).toContain('llm-blueprint:cluster: unknown key "endpointPublic"');
    expect(stderr).toContain('llm-blueprint:regions[0].gpuPools[0].class: "a100" is not a GPU class; allowed: h100, l4');
    expect(stderr).toContain("llm-blueprint:regions[0].gpuPools[1].instanceType:");
    expect(stderr).toContain("llm-blueprint:regions[0].gpuPools[1].minSize: minSize 4 is greater than maxSize 2");
    expect(stderr).toContain('llm-blueprint:regions[1].region: duplicates regions[0] ("us-east-1")');
    expect(stderr).toContain("llm-blueprint:regions[1].vpcCidr: 10.0.128.0/17 overlaps regions[0].vpcCidr");
    expect(stderr).toContain('llm-blueprint:regions[1].gpuPools[0].minSize: expected number, got string "1"');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace for a config error
  });

  it("exits 2 for bad flags and a stray argument", async () => {
    const bogus = await runPlan(["--bogus"]);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/^Unknown option '--bogus'/);
    expect(bogus.stderr).toContain("usage: npm run plan -- [--stack <name>]");
    const stray = await runPlan(["prod"]);
    expect(stray.code).toBe(2);
    expect(stray.stderr.split("\n")[0]).toBe('unexpected argument "prod" (did you mean --stack prod?); the plan takes only flags');
  });
});

describe("npm run plan: bad invocations get one clear line (exit 2) before anything is planned", () => {
  it("lists the stacks that exist for an unknown --stack", async () => {
    const { code, stdout, stderr } = await runPlan(["--stack", "nope"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe('stack "nope" not found: stacks/Pulumi.nope.yaml does not exist; the stacks are dev, prod, staging (stacks/Pulumi.<name>.yaml)\n');
  });

  it("refuses --config-file naming another stack's file", async () => {
    const { code, stdout, stderr } = await runPlan(["--stack", "dev", "--config-file", "stacks/Pulumi.prod.yaml"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe('--config-file stacks/Pulumi.prod.yaml is the stack file of "prod", but --stack is "dev"; plan it as its own stack: npm run plan -- --stack prod\n');
    const copy = tmpFile("Pulumi.staging.yaml");
    fs.copyFileSync(path.join(root, "stacks/Pulumi.staging.yaml"), copy);
    const copied = await runPlan(["--stack", "prod", "--config-file", copy]);
    expect(copied.code).toBe(2);
    expect(copied.stderr).toContain(`is the stack file of "staging", but --stack is "prod"; plan it as its own stack: npm run plan -- --stack staging --config-file ${copy}`);
    const missing = await runPlan(["--config-file", "test/fixtures/Pulumi.does-not-exist.yaml"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("--config-file test/fixtures/Pulumi.does-not-exist.yaml: no such file\n");
  });

  it("refuses --json into a directory that does not exist, and writes nothing", async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "plan-e2e-")), "missing");
    const { code, stdout, stderr } = await runPlan(["--stack", "dev", "--json", path.join(dir, "plan.json")]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(`--json ${path.join(dir, "plan.json")}: directory ${dir} does not exist (create it, or write the plan elsewhere)\n`);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it("refuses a missing price file instead of planning without a cost", async () => {
    const missing = tmpFile("prices.yaml");
    const { code, stdout, stderr } = await runPlan(["--stack", "dev", "--price-file", missing]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(`price file ${missing} not found: the plan's cost estimate needs it\n`);
  });

  it("refuses a missing --policy-pack-config and a missing --diff baseline by name", async () => {
    const pack = await runPlan(["--stack", "prod", "--policy-pack-config", "policies/config/nope.json"]);
    expect([pack.code, pack.stderr]).toEqual([2, "--policy-pack-config policies/config/nope.json: no such file\n"]);
  });

  // npm 11.19.1 (the one on this machine, 2026-11-25): `--stack=prod` before `--` becomes
  // npm_config_stack=prod, `--stack prod` becomes npm_config_stack=true plus a stray "prod".
  it.each([
    [["--stack=prod"], "npm took --stack as its own option (npm_config_stack=prod)"],
    [["--stack", "prod"], "npm took --stack as its own option (npm_config_stack=true)"],
    [["--stack", "prod", "--json", "/tmp/plan.json"], "npm took --stack, --json as its own options (npm_config_stack=true)"],
  ])("detects flags npm kept for itself (npm run plan %j without --) and gives the right command", async (npmArgs, first) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("npm_")));
    const res = await run("npm", ["run", "--silent", "plan", ...npmArgs], { cwd: root, env, timeoutMs: 120_000 });
    expect(res.status).toBe(2);
    expect(res.stdout.replace(/\{[\s\S]*"error"[\s\S]*\}\s*$/, "")).toBe("");
    const lines = res.stderr.split("\n");
    expect(lines[0]).toBe(`${first}, so the plan would not see ${npmArgs.length > 2 ? "them" : "it"} and would plan the wrong stack or settings.`);
    const expected = npmArgs.length > 2 ? "npm run plan -- --stack prod --json /tmp/plan.json" : "npm run plan -- --stack prod";
    expect(lines[1]).toBe(`Put the plan's flags after \`--\`: ${expected}`);
  });

  it("plans normally when the flags come after --", async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("npm_")));
    const res = await run("npm", ["run", "--silent", "plan", "--", "--stack", "nope"], { cwd: root, env, timeoutMs: 120_000 });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('stack "nope" not found');
  });
});

describe("npm run drift", () => {
  it("fails with a clear message when the Pulumi CLI is absent, instead of passing", () => {
    const res = spawnSync(process.execPath, [path.join(root, "node_modules/tsx/dist/cli.mjs"), "tools/drift.ts", "--stack", "prod"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, PATH: path.dirname(process.execPath) },
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("drift check not run: the Pulumi CLI is not installed");
  });
});
