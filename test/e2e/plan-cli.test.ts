import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { PlanDocument, PlanResource } from "../../lib/plan/document";
import { committedStackPlan } from "../planRuns";
import { planInProcess } from "../planInProcess";
import { envWithoutNpm, run, runTool } from "../spawn";
import { CORE_LABELS, coreLabels, OPTIONAL_LABELS, verdictOf } from "./verdict";

const root = path.resolve(__dirname, "../..");

/**
 * The plan CLI as a user runs it, in a process of its own; not as an npm script, so npm's own variables do not leak
 * in. For what the process decides: the exit status, output before the SDK loads. What a plan prints is asserted on
 * planInProcess (the same command line in this process: test/planInProcess.ts), which skips a process start.
 */
async function runPlan(args: string[], env: NodeJS.ProcessEnv = {}) {
  const clean = envWithoutNpm();
  const res = await runTool("tools/plan.ts", args, { timeoutMs: 240_000, env: { ...clean, ...env } });
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

const RESOURCE_KEYS = ["urn", "type", "name", "parent", "provider", "custom", "inputs", "options", "project"];
const OPTION_KEYS = ["protect", "retainOnDelete", "ignoreChanges", "dependsOn", "deleteBeforeReplace"];
const PLATFORM = "llm-blueprint-platform";
const SERVING = "llm-blueprint-serving";
/** What the plan calls itself when it plans both projects of a stack. */
const BOTH = `${PLATFORM}+${SERVING}`;

/** A committed stack file of one project with `edit` applied, written to a temporary file for --config-file. */
function stackVariant(project: "platform" | "serving", stack: string, name: string, edit: (text: string) => string): string {
  const text = fs.readFileSync(path.join(root, project, "stacks", `Pulumi.${stack}.yaml`), "utf8");
  const edited = edit(text);
  expect(edited).not.toBe(text);
  const file = tmpFile(`Pulumi.${name}.yaml`);
  fs.writeFileSync(file, edited);
  return file;
}

/** A committed stack file's config map (`config:` of the YAML). */
function stackConfig(project: "platform" | "serving", stack: string): Record<string, unknown> {
  return (parseYaml(fs.readFileSync(path.join(root, project, "stacks", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> }).config;
}

describe("npm run plan", () => {
  it.each([
    ["dev", 1],
    ["staging", 2],
    ["prod", 3],
  ])("plans %s cleanly with %i region(s) and writes the plan document", async (stack, regionCount) => {
    // `--stack <stack> --json <file>`, run once for the whole test run (test/planRuns.ts).
    const { code, stdout, stderr, json: out, args } = await committedStackPlan(stack);
    expect(args).toEqual(["--stack", stack, "--json", out]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const doc = JSON.parse(fs.readFileSync(out, "utf8")) as PlanDocument;
    expect(doc.stack).toBe(stack);
    expect(doc.project).toBe(BOTH);
    expect(doc.policy.violations).toEqual([]);
    for (const r of doc.resources) {
      for (const k of RESOURCE_KEYS.filter((k) => k !== "parent" && k !== "provider")) expect(r).toHaveProperty(k);
      for (const k of OPTION_KEYS) expect(r.options).toHaveProperty(k);
      expect(Object.keys(r).every((k) => [...RESOURCE_KEYS, "outputs", "propertyDependencies", "read"].includes(k)), r.urn).toBe(true);
    }
    const clusters = doc.resources.filter((r) => r.type === "aws:eks/cluster:Cluster");
    expect(clusters).toHaveLength(regionCount);
    // Outputs are nested by project; both export one entry per region.
    expect(Object.keys(doc.outputs)).toEqual([PLATFORM, SERVING]);
    for (const project of [PLATFORM, SERVING]) expect(Object.keys((doc.outputs[project] as { regions: object }).regions), project).toHaveLength(regionCount);
    expect(stdout).toContain(`Plan ${BOTH}/${stack}:`);
    expect(stdout).toContain("GPU capacity");
    // The first lines are the verdict, in this order.
    const v = verdictOf(stdout);
    expect(v.head).toBe(`Plan ${BOTH}/${stack}: exit 0: planned cleanly, no mandatory policy violation`);
    // Without --diff every core line but "changes", in order; nothing the verdict does not know.
    expect(coreLabels(v)).toEqual(CORE_LABELS.filter((l) => l !== "changes"));
    expect(v.labels.filter((l) => ![...CORE_LABELS, ...OPTIONAL_LABELS].includes(l as never))).toEqual([]);
    expect(v.line("policy")).toBe("  policy        0 mandatory, 0 advisory violations");
    expect(v.line("data at risk")).toContain("n/a without --diff");
    // What `pulumi up` creates: custom resources, not the StackReference it only reads.
    expect(v.line("resources")).toContain(`${doc.resources.filter((r) => r.custom && !r.read).length} to create in ${regionCount} region`);
    expect(v.line("cost")).toMatch(/^ {2}cost {10}\$[\d,.]+ \/ \$[\d,.]+ per hour at min \/ max/);
    expect(v.line("plan document")).toBe(`  plan document ${out}`);
    // Outputs are counted, not listed, without --outputs.
    expect(stdout).toMatch(/^Outputs: \d+ values, not listed/m);
    expect(stdout).not.toContain("clusterEndpoint:");
    // No cost cell shows $0.00 for something billed; only a pool that scales to zero costs $0.00 at min.
    for (const line of section(stdout, "Estimated on-demand cost").filter((l) => !/[ (]0-\d+ x /.test(l))) expect(line).not.toMatch(/\$0\.00/);
  });

  it("lists the regions of prod in its config order in every section, and keeps tables within 120 columns", async () => {
    const { code, stdout } = await planInProcess(["--stack", "prod", "--outputs"]);
    expect(code).toBe(0);
    const order = ["us-east-1", "us-west-2", "us-east-2"];
    const regionsIn = (title: string) => [...new Set(section(stdout, title).map((l) => /^ {2}(us-[a-z]+-\d)\b/.exec(l)?.[1]).filter((r): r is string => r !== undefined))];
    for (const title of ["Resources by region", "GPU capacity", "Served models", "SLO alerts", "Estimated on-demand cost"]) expect(regionsIn(title), title).toEqual(order);
    // Outputs are listed under each project's name; both list their regions in the same order.
    for (const project of [PLATFORM, SERVING]) {
      const outputsRegions = [...new Set([...stdout.matchAll(new RegExp(`^ {2}${project}\\.regions\\.(us-[a-z]+-\\d)\\.`, "gm"))].map((m) => m[1]))];
      expect(outputsRegions, project).toEqual(order);
    }
    for (const title of ["Plan ", "Resources by region", "GPU capacity", "Served models", "Rollouts", "SLO alerts", "Global endpoints", "Estimated on-demand cost"]) {
      for (const line of section(stdout, title)) expect(line.length, line).toBeLessThanOrEqual(120);
    }
    // The alarms cost a fraction of a cent per hour: shown as <$0.01, never $0.00.
    expect(section(stdout, "Estimated on-demand cost").find((l) => l.includes("alarm"))).toMatch(/<\$0\.01 +<\$0\.01/);
  });

  it("exits 1 when the approvers revoke a model prod serves, naming the policy and the workloads", async () => {
    const approvals = JSON.parse(fs.readFileSync(path.join(root, "policies/approvals.json"), "utf8")) as { models: { name: string; status: string; revokedReason?: string }[] };
    // prod's chat-small serves (is Flagger's rollout target for) the FP8 build.
    for (const m of approvals.models) if (m.name === "llama-3.1-8b-instruct-fp8") Object.assign(m, { status: "revoked", revokedReason: "jailbreak regression" });
    const config = tmpFile("revoked.json");
    fs.writeFileSync(config, JSON.stringify({ "approved-model-versions": { models: approvals.models } }));
    const out = tmpFile("revoked-plan.json");
    const { code, stdout } = await runPlan(["--stack", "prod", "--policy-pack-config", config, "--json", out]);
    expect(code).toBe(1);
    expect(stdout.split("\n")[0]).toBe(`Plan ${BOTH}/prod: exit 1: 3 mandatory policy violations (approved-model-versions)`);
    expect(stdout.split("\n")[1]).toBe("  policy        3 mandatory, 0 advisory violations");
    const doc = JSON.parse(fs.readFileSync(out, "utf8")) as PlanDocument;
    expect(doc.policy.violations.map((v) => [v.policy, v.enforcementLevel, v.urn!.split("::").pop()])).toEqual(
      ["us-east-1", "us-west-2", "us-east-2"].map((r) => ["approved-model-versions", "mandatory", `${r}-chat-small-stable-deployment`]),
    );
    // The workloads are serving's.
    expect(doc.policy.violations.map((v) => doc.resources.find((r) => r.urn === v.urn)?.project)).toEqual([SERVING, SERVING, SERVING]);
    expect(stdout).toContain("approved-model-versions (mandatory, 3)");
    expect(stdout).toContain("jailbreak regression");
  });

  it("defaults to the dev stack", async () => {
    const { code, stdout } = await planInProcess([]);
    expect(code).toBe(0);
    expect(stdout).toContain(`Plan ${BOTH}/dev:`);
  });

  it("prints the same plan twice (deterministic mocks); --quiet prints only the one-line verdict", async () => {
    const a = tmpFile("a.json");
    const first = await planInProcess(["--stack", "staging", "--json", a, "--quiet"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`Plan ${BOTH}/staging: exit 0: planned cleanly, no mandatory policy violation; policy: 0 mandatory, 0 advisory violations; plan document written to ${a}\n`);
    // The second plan is another process, the CLI's: the test run's shared `--stack staging --json <b>` (test/planRuns.ts).
    const second = await committedStackPlan("staging");
    expect(second.args).toEqual(["--stack", "staging", "--json", second.json]);
    expect(second.code).toBe(0);
    const b = second.json;
    expect(fs.readFileSync(a, "utf8")).toBe(fs.readFileSync(b, "utf8"));
  });

  it("exits 2 on a bad config, reporting every problem with file and key path, writing no plan", async () => {
    const out = tmpFile("bad.json");
    // A fixture whose name is not one of the stacks' files is planned under --stack (dev by default); without
    // llm-blueprint:platformStack it is a platform stack file, and serving reads serving/stacks/Pulumi.dev.yaml.
    const { code, stdout, stderr } = await runPlan(["--config-file", "test/fixtures/platform/Pulumi.bad-config.yaml", "--json", out]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(fs.existsSync(out)).toBe(false);
    const lines = stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^Invalid stack configuration in test\/fixtures\/platform\/Pulumi\.bad-config\.yaml \(\d+ problems\):$/);
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

describe("npm run plan: two projects, platform then serving", () => {
  let both: PlanDocument, platformOnly: PlanDocument, servingOnly: PlanDocument;
  let platformStdout: string, servingStdout: string;
  const of = (doc: PlanDocument, project: string) => doc.resources.filter((r) => r.project === project);
  const isKubernetes = (r: PlanResource) => r.type.startsWith("kubernetes:") || r.type === "pulumi:providers:kubernetes";

  beforeAll(async () => {
    const plan = async (extra: string[]) => {
      const out = tmpFile("plan.json");
      const res = await planInProcess(["--stack", "prod", "--json", out, ...extra]);
      if (res.code !== 0) throw new Error(`plan ${extra.join(" ")} failed (${res.code}): ${res.stderr}`);
      return { doc: JSON.parse(fs.readFileSync(out, "utf8")) as PlanDocument, stdout: res.stdout };
    };
    // `--stack prod --json <file>` is the test run's shared run (test/planRuns.ts).
    const shared = await committedStackPlan("prod");
    if (shared.code !== 0 || shared.args.join(" ") !== `--stack prod --json ${shared.json}`) throw new Error(`plan ${shared.args.join(" ")} failed (${shared.code}): ${shared.stderr}`);
    both = JSON.parse(fs.readFileSync(shared.json, "utf8")) as PlanDocument;
    ({ doc: platformOnly, stdout: platformStdout } = await plan(["--project", "platform"]));
    ({ doc: servingOnly, stdout: servingStdout } = await plan(["--project", "serving"]));
  });

  it("lists both projects, platform first, and says which one declares each resource", () => {
    expect(both.projects).toEqual([
      { name: PLATFORM, dir: "platform", stackFile: "platform/stacks/Pulumi.prod.yaml", stack: "prod" },
      { name: SERVING, dir: "serving", stackFile: "serving/stacks/Pulumi.prod.yaml", stack: "prod" },
    ]);
    expect(both.resources.filter((r) => r.project !== PLATFORM && r.project !== SERVING).map((r) => r.urn)).toEqual([]);
    // Each project has its own stack resource, and each resource's URN names its project.
    expect(both.resources.filter((r) => r.type === "pulumi:pulumi:Stack").map((r) => r.project)).toEqual([PLATFORM, SERVING]);
    for (const r of both.resources) expect(r.urn.split("::")[1], r.urn).toBe(r.project);
    // Clusters are platform's, everything Kubernetes is serving's (and there is some).
    expect(of(both, PLATFORM).filter(isKubernetes).map((r) => r.urn)).toEqual([]);
    expect(of(both, SERVING).filter(isKubernetes).length).toBeGreaterThan(0);
    expect(both.resources.filter((r) => r.type === "aws:eks/cluster:Cluster").map((r) => r.project)).toEqual([PLATFORM, PLATFORM, PLATFORM]);
  });

  it("shows serving's StackReference as a read of the platform stack its stack file names", () => {
    const refs = both.resources.filter((r) => r.type === "pulumi:pulumi:StackReference");
    expect(refs.map((r) => [r.project, r.read, r.custom])).toEqual([[SERVING, { id: stackConfig("serving", "prod")["llm-blueprint:platformStack"] }, true]]);
    expect(refs[0].read!.id).toMatch(new RegExp(`/${PLATFORM}/prod$`));
    // No other resource is a read.
    expect(both.resources.filter((r) => r.read !== undefined)).toEqual(refs);
  });

  it("--project platform plans platform's resources only, the same as in the plan of both", () => {
    expect(platformOnly.project).toBe(PLATFORM);
    expect(platformOnly.projects).toEqual([both.projects![0]]);
    expect(platformOnly.resources.filter((r) => r.project !== PLATFORM).map((r) => r.urn)).toEqual([]);
    expect(platformOnly.resources.filter(isKubernetes).map((r) => r.urn)).toEqual([]);
    expect(platformOnly.resources).toEqual(of(both, PLATFORM));
    expect(Object.keys(platformOnly.outputs)).toEqual([PLATFORM]);
    expect(platformStdout.split("\n")[0]).toBe(`Plan ${PLATFORM}/prod: exit 0: planned cleanly, no mandatory policy violation`);
  });

  it("--project serving plans serving's resources only, still fed platform's outputs through the reference", () => {
    expect(servingOnly.project).toBe(SERVING);
    expect(servingOnly.projects).toEqual([both.projects![1]]);
    expect(servingOnly.resources.filter((r) => r.project !== SERVING).map((r) => r.urn)).toEqual([]);
    expect(servingOnly.resources.filter((r) => r.type === "aws:eks/cluster:Cluster")).toEqual([]);
    // Identical inputs to the plan of both: the Kubernetes providers name platform's clusters, which only
    // platform's program run produces.
    expect(servingOnly.resources).toEqual(of(both, SERVING));
    const clusterNames = both.resources.filter((r) => r.type === "aws:eks/cluster:Cluster").map((r) => r.inputs.name);
    const providers = servingOnly.resources.filter((r) => r.type === "pulumi:providers:kubernetes");
    expect(providers.map((p) => p.inputs.cluster).sort()).toEqual([...clusterNames].sort());
    expect(Object.keys(servingOnly.outputs)).toEqual([SERVING]);
    expect(servingStdout.split("\n")[0]).toBe(`Plan ${SERVING}/prod: exit 0: planned cleanly, no mandatory policy violation`);
  });
});

describe("npm run plan: a config error names the project's stack file and the side that has to change (exit 2)", () => {
  it("refuses a serving stack whose llm-blueprint:platformStack names a platform stack with no file, naming both sides", async () => {
    const fixture = "test/fixtures/serving/Pulumi.platform-stack-missing.yaml";
    const expected =
      `${fixture}: llm-blueprint:platformStack is "organization/${PLATFORM}/qa", but the platform project has no stack "qa" ` +
      "(platform/stacks/Pulumi.qa.yaml does not exist); its stacks are dev, prod, staging\n";
    // The file sets platformStack, so it is serving's; with --project serving it is serving's by flag.
    for (const extra of [[], ["--project", "serving"]]) {
      const { code, stdout, stderr } = await planInProcess(["--stack", "dev", "--config-file", fixture, ...extra]);
      expect([code, stdout], extra.join(" ")).toEqual([2, ""]);
      expect(stderr, extra.join(" ")).toBe(expected);
    }
  });

  it("refuses a platform key in serving's stack file, saying to set it in platform's", async () => {
    const file = stackVariant("serving", "dev", "dev-with-regions", (t) => `${t.trimEnd()}\n  llm-blueprint:regions: []\n`);
    const { code, stdout, stderr } = await planInProcess(["--stack", "dev", "--config-file", file]);
    expect([code, stdout]).toEqual([2, ""]);
    expect(stderr).toBe(
      `Invalid stack configuration in ${path.relative(root, file)} (1 problem):\n` +
        "  - llm-blueprint:regions: belongs to the platform project: set it in platform/stacks/Pulumi.dev.yaml (the serving project reads it from platform through its StackReference)\n",
    );
  });

  it("refuses a serving key in platform's stack file, saying to set it in serving's", async () => {
    const file = stackVariant("platform", "dev", "dev-with-observability", (t) => `${t.trimEnd()}\n  llm-blueprint:observability:\n    retentionDays: 3\n`);
    const { code, stdout, stderr } = await planInProcess(["--stack", "dev", "--config-file", file]);
    expect([code, stdout]).toEqual([2, ""]);
    expect(stderr).toBe(
      `Invalid stack configuration in ${path.relative(root, file)} (1 problem):\n` +
        "  - llm-blueprint:observability: belongs to the serving project: set it in serving/stacks/Pulumi.dev.yaml (the platform project does not read it)\n",
    );
  });

  it("reads --config-file as the --project's stack file: serving's file planned as platform is refused for its serving keys", async () => {
    const { code, stdout, stderr } = await planInProcess(["--stack", "dev", "--project", "platform", "--config-file", "serving/stacks/Pulumi.dev.yaml"]);
    expect([code, stdout]).toEqual([2, ""]);
    expect(stderr.split("\n")[0]).toMatch(/^Invalid stack configuration in serving\/stacks\/Pulumi\.dev\.yaml \(\d+ problems\):$/);
    for (const key of ["platformStack", "serving", "observability"]) {
      expect(stderr).toContain(`  - llm-blueprint:${key}: belongs to the serving project: set it in serving/stacks/Pulumi.dev.yaml (the platform project does not read it)\n`);
    }
  });
});

describe("npm run plan: bad invocations get one clear line (exit 2) before anything is planned", () => {
  it("lists the stacks that exist for an unknown --stack", async () => {
    const { code, stdout, stderr } = await runPlan(["--stack", "nope"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      'stack "nope" not found: platform/stacks/Pulumi.nope.yaml and serving/stacks/Pulumi.nope.yaml do not exist; the stacks are dev, prod, staging ' +
        "(platform/stacks/Pulumi.<name>.yaml, serving/stacks/Pulumi.<name>.yaml)\n",
    );
    // With --project, that project's stacks.
    const serving = await runPlan(["--stack", "nope", "--project", "serving"]);
    expect([serving.code, serving.stdout]).toEqual([2, ""]);
    expect(serving.stderr).toBe('stack "nope" not found: serving/stacks/Pulumi.nope.yaml does not exist; the stacks are dev, prod, staging (serving/stacks/Pulumi.<name>.yaml)\n');
  });

  it("lists the projects for an unknown --project", async () => {
    const { code, stdout, stderr } = await runPlan(["--stack", "dev", "--project", "nope"]);
    expect([code, stdout]).toEqual([2, ""]);
    const lines = stderr.split("\n");
    expect(lines[0]).toBe('--project "nope": the projects are platform and serving (leave it out to plan both)');
    expect(lines[1]).toMatch(/^usage: npm run plan -- \[--stack <name>\] \[--project platform\|serving\]/);
  });

  it("refuses --config-file naming another stack's file", async () => {
    const { code, stdout, stderr } = await runPlan(["--stack", "dev", "--config-file", "platform/stacks/Pulumi.prod.yaml"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe('--config-file platform/stacks/Pulumi.prod.yaml is the stack file of "prod", but --stack is "dev"; plan it as its own stack: npm run plan -- --stack prod\n');
    // Serving's stack file of another stack too.
    const serving = await runPlan(["--stack", "dev", "--project", "serving", "--config-file", "serving/stacks/Pulumi.prod.yaml"]);
    expect([serving.code, serving.stdout]).toEqual([2, ""]);
    // The suggested command keeps the project that was asked for.
    expect(serving.stderr).toBe('--config-file serving/stacks/Pulumi.prod.yaml is the stack file of "prod", but --stack is "dev"; plan it as its own stack: npm run plan -- --stack prod --project serving\n');
    const copy = tmpFile("Pulumi.staging.yaml");
    fs.copyFileSync(path.join(root, "platform/stacks/Pulumi.staging.yaml"), copy);
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
    const env = envWithoutNpm();
    const res = await run("npm", ["run", "--silent", "plan", ...npmArgs], { cwd: root, env, timeoutMs: 120_000 });
    expect(res.status).toBe(2);
    expect(res.stdout.replace(/\{[\s\S]*"error"[\s\S]*\}\s*$/, "")).toBe("");
    const lines = res.stderr.split("\n");
    expect(lines[0]).toBe(`${first}, so the plan would not see ${npmArgs.length > 2 ? "them" : "it"} and would plan the wrong stack or settings.`);
    const expected = npmArgs.length > 2 ? "npm run plan -- --stack prod --json /tmp/plan.json" : "npm run plan -- --stack prod";
    expect(lines[1]).toBe(`Put the plan's flags after \`--\`: ${expected}`);
  });

  it("plans normally when the flags come after --", async () => {
    const env = envWithoutNpm();
    const res = await run("npm", ["run", "--silent", "plan", "--", "--stack", "nope"], { cwd: root, env, timeoutMs: 120_000 });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('stack "nope" not found');
  });
});

describe("npm run drift", () => {
  const drift = (args: string[], env: NodeJS.ProcessEnv) => runTool("tools/drift.ts", args, { env: { ...process.env, ...env }, timeoutMs: 120_000 });

  /** A stand-in `pulumi` that logs its directory and arguments, and exits with $FAKE_EXIT_<PROJECT DIR> for a preview. */
  function fakePulumi(): { path: string; log: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
    const log = path.join(dir, "calls.log");
    const script = [
      "#!/bin/sh",
      'echo "$PWD|$*" >> "$FAKE_PULUMI_LOG"',
      '[ "$1" = version ] && { echo v3.248.0; exit 0; }',
      'case "$PWD" in */platform) exit "${FAKE_EXIT_PLATFORM:-0}";; */serving) exit "${FAKE_EXIT_SERVING:-0}";; esac',
      "exit 99",
      "",
    ].join("\n");
    fs.writeFileSync(path.join(dir, "pulumi"), script, { mode: 0o755 });
    return { path: `${dir}:${path.dirname(process.execPath)}`, log };
  }
  const previews = (log: string) =>
    fs
      .readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split("|"))
      .filter(([, args]) => args !== "version");

  it("fails with a clear message when the Pulumi CLI is absent, instead of passing", async () => {
    const res = await drift(["--stack", "prod"], { PATH: path.dirname(process.execPath) });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("drift check not run: the Pulumi CLI is not installed");
  });

  it("previews each project from its own directory, platform then serving, with the pack paths relative to it", async () => {
    const fake = fakePulumi();
    const res = await drift(["--stack", "prod"], { PATH: fake.path, FAKE_PULUMI_LOG: fake.log });
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    const args = "preview --stack prod --refresh --expect-no-changes --diff --non-interactive --policy-pack ../policies --policy-pack-config ../policies/config/prod.json";
    expect(previews(fake.log)).toEqual([
      [path.join(root, "platform"), args],
      [path.join(root, "serving"), args],
    ]);
    expect(res.stdout).toContain("  platform/prod: no drift\n  serving/prod: no drift\n");
  });

  it("checks serving even when platform drifted, and exits with the failing preview's code", async () => {
    const fake = fakePulumi();
    const res = await drift(["--stack", "staging"], { PATH: fake.path, FAKE_PULUMI_LOG: fake.log, FAKE_EXIT_PLATFORM: "255" });
    expect(res.status).toBe(255);
    expect(previews(fake.log).map(([cwd]) => path.relative(root, cwd))).toEqual(["platform", "serving"]);
    expect(res.stdout).toMatch(/^ {2}platform\/staging: pulumi preview exited 255 \(drift, a mandatory policy violation or an error; see its output above\)\n {2}serving\/staging: no drift\n$/m);
  });

  it("--project checks one project; an unknown project or stack is exit 2 before the CLI runs", async () => {
    const fake = fakePulumi();
    const env = { PATH: fake.path, FAKE_PULUMI_LOG: fake.log };
    const one = await drift(["--stack", "dev", "--project", "serving"], env);
    expect(one.status).toBe(0);
    expect(previews(fake.log).map(([cwd, args]) => [path.relative(root, cwd), args.split(" ").slice(0, 3).join(" ")])).toEqual([["serving", "preview --stack dev"]]);
    fs.rmSync(fake.log);
    const nope = await drift(["--stack", "dev", "--project", "nope"], env);
    expect([nope.status, nope.stderr.split("\n")[0]]).toEqual([2, '--project "nope": the projects are platform and serving (leave it out to check both)']);
    const stack = await drift(["--stack", "qa"], env);
    expect([stack.status, stack.stderr.split("\n")[0]]).toEqual([2, 'stack "qa" not found: platform/stacks/Pulumi.qa.yaml does not exist; the platform project\'s stacks are dev, prod, staging']);
    expect(fs.existsSync(fake.log)).toBe(false);
  });
});
