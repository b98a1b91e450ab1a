import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { PlanDocument } from "../../lib/plan/document";

const root = path.resolve(__dirname, "../..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");

function runPlan(args: string[]) {
  const res = spawnSync(tsx, ["tools/plan.ts", ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
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
  ])("plans %s cleanly with %i region(s) and writes the plan document", (stack, regionCount) => {
    const out = tmpFile(`${stack}.json`);
    const { code, stdout, stderr } = runPlan(["--stack", stack, "--json", out]);
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
  });

  it("exits 1 when the approvers revoke a model prod serves, naming the policy and the workloads", () => {
    const approvals = JSON.parse(fs.readFileSync(path.join(root, "policies/approvals.json"), "utf8")) as { models: { name: string; status: string; revokedReason?: string }[] };
    for (const m of approvals.models) if (m.name === "llama-3.1-8b-instruct") Object.assign(m, { status: "revoked", revokedReason: "jailbreak regression" });
    const config = tmpFile("revoked.json");
    fs.writeFileSync(config, JSON.stringify({ "approved-model-versions": { models: approvals.models } }));
    const out = tmpFile("revoked-plan.json");
    const { code, stdout } = runPlan(["--stack", "prod", "--policy-pack-config", config, "--json", out]);
    expect(code).toBe(1);
    const doc = JSON.parse(fs.readFileSync(out, "utf8")) as PlanDocument;
    expect(doc.policy.violations.map((v) => [v.policy, v.enforcementLevel, v.urn!.split("::").pop()])).toEqual(
      ["us-east-1", "us-west-2", "us-east-2"].map((r) => ["approved-model-versions", "mandatory", `${r}-chat-small-stable-deployment`]),
    );
    expect(stdout).toContain("approved-model-versions (mandatory, 3)");
    expect(stdout).toContain("jailbreak regression");
  });

  it("defaults to the dev stack", () => {
    const { code, stdout } = runPlan([]);
    expect(code).toBe(0);
    expect(stdout).toContain("Plan llm-blueprint/dev:");
  });

  it("prints the same plan twice (deterministic mocks)", () => {
    const a = tmpFile("a.json");
    const b = tmpFile("b.json");
    expect(runPlan(["--stack", "staging", "--json", a, "--quiet"]).code).toBe(0);
    expect(runPlan(["--stack", "staging", "--json", b, "--quiet"]).code).toBe(0);
    expect(fs.readFileSync(a, "utf8")).toBe(fs.readFileSync(b, "utf8"));
  });

  it("exits 2 on a bad config, reporting every problem with file and key path, writing no plan", () => {
    const out = tmpFile("bad.json");
    const { code, stdout, stderr } = runPlan(["--config-file", "test/fixtures/Pulumi.bad-config.yaml", "--json", out]);
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

  it("exits 2 for an unknown stack and for bad flags", () => {
    expect(runPlan(["--stack", "nope"]).code).toBe(2);
    expect(runPlan(["--stack", "nope"]).stderr).toContain("stacks/Pulumi.nope.yaml does not exist");
    expect(runPlan(["--bogus"]).code).toBe(2);
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
