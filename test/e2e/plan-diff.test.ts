import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { PlanDocument } from "../../lib/plan/document";
import { committedStackPlan } from "../planRuns";
import { planInProcess } from "../planInProcess";
import { envWithoutNpm, runTool } from "../spawn";
import { CORE_LABELS, coreLabels, verdictOf } from "./verdict";

const root = path.resolve(__dirname, "../..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-diff-"));

/** The plan CLI in a process of its own, as a user runs it (npm's variables left out): for the exits before the SDK loads. */
async function runPlan(args: string[]) {
  const env = envWithoutNpm();
  const res = await runTool("tools/plan.ts", args, { timeoutMs: 240_000, env });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}
const changesSection = (stdout: string) => stdout.slice(stdout.indexOf("Changes against"));
/** What the plan calls itself when it plans both projects of a stack. */
const BOTH = "llm-blueprint-platform+llm-blueprint-serving";

/** The baseline: the committed stack's plan document, from the test run's shared `--stack <s> --json <file>` (test/planRuns.ts). */
async function baselineOf(stack: string): Promise<string> {
  const r = await committedStackPlan(stack);
  if (r.code !== 0) throw new Error(`baseline plan failed (${r.code}): ${r.stderr}`);
  return r.json;
}

describe("npm run plan -- --diff", () => {
  let base: string;
  beforeAll(async () => {
    base = await baselineOf("prod");
  });

  it("finds no change against the plan it just wrote, and --fail-on-diff passes", async () => {
    const { code, stdout } = await planInProcess(["--stack", "prod", "--diff", base, "--fail-on-diff"]);
    expect(code).toBe(0);
    const v = verdictOf(stdout);
    expect(v.head).toBe(`Plan ${BOTH}/prod: exit 0: planned cleanly, no mandatory policy violation, no changes against ${base}`);
    expect(coreLabels(v)).toEqual([...CORE_LABELS].filter((l) => l !== "plan document"));
    expect(v.line("data at risk")).toBe("  data at risk  none: no delete or replacement of a protected, retained or data-holding resource");
    expect(v.line("changes")).toBe("  changes       0 to create, 0 to update, 0 to replace, 0 to delete");
    expect(v.line("cost delta")).toBe("  cost delta    +$0.00 / +$0.00 per hour at min / max");
    expect(changesSection(stdout)).toMatch(/^Changes against .*: 0 to create, 0 to update, 0 to replace, 0 to delete\n {2}no changes\n {2}GPU capacity: unchanged\n {2}Cost per hour/);
  });

  it("shows a change of the rollout steps as exactly the Canaries' step weights, and --fail-on-diff exits 3", async () => {
    // Rollout policy is serving's key; the edited copy sets llm-blueprint:platformStack, so it is read as serving's file.
    const stackFile = path.join(root, "serving", "stacks", "Pulumi.prod.yaml");
    const original = fs.readFileSync(stackFile, "utf8");
    const edited = original.replace(/(version: llama-3\.1-8b-instruct-fp8@\w+\n)/, "$1        rollout: { steps: [2, 10, 30, 60] }\n");
    expect(edited).not.toBe(original);
    const file = path.join(dir, "Pulumi.prod.yaml");
    fs.writeFileSync(file, edited);

    const { code, stdout } = await planInProcess(["--stack", "prod", "--config-file", file, "--diff", base, "--fail-on-diff"]);
    expect(code).toBe(3);
    const section = changesSection(stdout);
    const changed = [...section.matchAll(/^ {4}(\S+) +(\S+) (\S+)$/gm)].map((m) => [m[1], m[2], m[3]]);
    expect(stdout.split("\n")[0]).toBe(`Plan ${BOTH}/prod: exit 3: ${changed.length} changes against ${base} with --fail-on-diff`);
    expect(section.split("\n")[0]).toMatch(new RegExp(`0 to create, ${changed.length} to update, 0 to replace, 0 to delete$`));
    // Only chat-small's Canary changes, in every region, in the stack's region order: no route, Service or workload
    // (Flagger owns the route and its weights; the program only tells it the steps).
    expect(changed).toEqual(["us-east-1", "us-west-2", "us-east-2"].map((r) => ["~", "kubernetes:flagger.app/v1beta1:Canary", `${r}-chat-small-canary`]));
    const canaryPaths = section
      .split(/^ {4}~ +/m)
      .filter((block) => block.startsWith("kubernetes:flagger.app/v1beta1:Canary"))
      .flatMap((block) => [...block.matchAll(/^ {9}(\S+): (.*)$/gm)].map((m) => `${m[1]}: ${m[2]}`));
    expect(new Set(canaryPaths)).toEqual(
      new Set(["spec.analysis.stepWeights[0]: 1 => 2", "spec.analysis.stepWeights[1]: 5 => 10", "spec.analysis.stepWeights[2]: 25 => 30", "spec.analysis.stepWeights[3]: 50 => 60"]),
    );
    expect(section).toContain("GPU capacity: unchanged");
  });

  it("shows GPU capacity and cost moving when a pool grows", async () => {
    // Node pools are platform's keys: the copy of platform's stack file replaces platform's, serving reads it through the reference.
    const stackFile = path.join(root, "platform", "stacks", "Pulumi.prod.yaml");
    const edited = fs.readFileSync(stackFile, "utf8").replace("maxSize: 4\n", "maxSize: 5\n");
    const file = path.join(dir, "Pulumi.prod-bigger.yaml");
    fs.writeFileSync(file, edited);
    const { code, stdout } = await planInProcess(["--stack", "prod", "--config-file", file, "--diff", base]);
    expect(code).toBe(0);
    const doc = JSON.parse(fs.readFileSync(base, "utf8")) as PlanDocument;
    const p5 = doc.cost!.lines.find((l) => l.resource === "us-east-1-karpenter-h100-nodepool" && l.kind === "nodes")!;
    const section = changesSection(stdout);
    // One more p5.48xlarge (8 GPUs) at max in us-east-1.
    expect(section).toContain("GPU capacity (min / max): h100 24 / 96 => 24 / 104");
    // One more p5.48xlarge at max: the max hourly cost grows by one node's price (and its root volume).
    const m = /Cost per hour \(min \/ max\): \$[\d.]+ \/ \$([\d.]+) => \$[\d.]+ \/ \$([\d.]+) \(\+\$0\.00 \/ \+\$([\d.]+)\)/.exec(section)!;
    // The pool's on-demand line covers the nodes beyond its reservations ("0-1 x p5.48xlarge on demand").
    const perNode = p5.hourly.max / Number(/^\d+-(\d+) x /.exec(p5.detail)![1]);
    expect(Number(m[3])).toBeGreaterThan(perNode);
    expect(Number(m[3])).toBeLessThan(perNode + 1);
    expect(stdout).toMatch(new RegExp(`^ {2}cost delta {4}\\+\\$0\\.00 / \\+\\$${m[3].replace(".", "\\.")} per hour at min / max$`, "m"));
  });

  it("exits 2 for a missing or foreign baseline, and for --fail-on-diff without --diff", async () => {
    const missing = await runPlan(["--stack", "dev", "--diff", path.join(dir, "missing.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^cannot read baseline plan .*missing\.json: ENOENT/);
    const foreign = path.join(dir, "foreign.json");
    fs.writeFileSync(foreign, JSON.stringify({ hello: "world" }));
    const r = await runPlan(["--stack", "dev", "--diff", foreign]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is not a plan document");
    const noDiff = await runPlan(["--stack", "dev", "--fail-on-diff"]);
    expect(noDiff.code).toBe(2);
    expect(noDiff.stderr.split("\n")[0]).toBe("--fail-on-diff needs --diff <baseline plan.json>");
  });
});

describe("npm run plan -- --diff on dev: a new region, its removal, a changed SLO", () => {
  let devBase: string;
  const withRegion = path.join(dir, "dev-with-us-west-1.json");
  // A second region the price file has no prices for (pricing/aws-on-demand.yaml lists us-east-1, us-east-2, us-west-2).
  const newRegion = [
    "    - region: us-west-1",
    "      vpcCidr: 10.41.0.0/16",
    // Its pull-through cache credential: without it the region's pods would pull from Docker Hub (runtime-image-from-regional-cache).
    "      dockerHubCredentialArn: arn:aws:secretsmanager:us-west-1:123456789012:secret:ecr-pullthroughcache/docker-hub-dev",
    "      availabilityZones: [us-west-1a, us-west-1b, us-west-1c]",
    "      natGateways: single",
    "      systemPool: { instanceType: m7i.large, minSize: 2, maxSize: 3, desiredSize: 2 }",
    "      gpuPools:",
    "        - { class: l4, instanceType: g6.2xlarge, minSize: 0, maxSize: 2 }",
    "",
  ].join("\n");
  /** A copy of one project's dev stack file with `edit` applied (regions are platform's keys, SLOs serving's). */
  const devFile = (project: "platform" | "serving", name: string, edit: (text: string) => string) => {
    const text = fs.readFileSync(path.join(root, project, "stacks", "Pulumi.dev.yaml"), "utf8");
    const edited = edit(text);
    expect(edited).not.toBe(text);
    const file = path.join(dir, name);
    fs.writeFileSync(file, edited);
    return file;
  };

  beforeAll(async () => {
    devBase = await baselineOf("dev");
  });

  it("shows a new region without prices as unpriced in the cost delta, not as a few cents", async () => {
    // The regions list is the last key of platform's dev stack file: the new region goes at its end.
    const file = devFile("platform", "Pulumi.dev-us-west-1.yaml", (t) => {
      const regions = t.indexOf("  llm-blueprint:regions:\n");
      expect(regions).toBeGreaterThan(0);
      expect(t.slice(regions + 1)).not.toMatch(/^ {2}\S/m);
      return `${t.trimEnd()}\n${newRegion}`;
    });
    const { code, stdout, stderr } = await planInProcess(["--stack", "dev", "--config-file", file, "--diff", devBase, "--json", withRegion]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const v = verdictOf(stdout);
    expect(v.line("data at risk")).toBe("  data at risk  none: no delete or replacement of a protected, retained or data-holding resource");
    expect(v.line("resources")).toContain("in 2 regions (us-west-2, us-west-1)");
    expect(v.details("cost")[0]).toMatch(/^ {16}priced items only: \d+ unpriced in us-west-1/);
    expect(v.line("cost delta")).toMatch(/^ {2}cost delta {4}unpriced \(\d+ new items without a price in us-west-1\)$/);
    const costLine = stdout.slice(stdout.indexOf("  Cost per hour"));
    expect(costLine).toContain("delta unpriced");
    expect(costLine).toContain("(no prices for region us-west-1)");
    expect(costLine.split("\n")[0]).not.toMatch(/\(\+\$/);
  });

  it("puts deleted buckets, keys and log groups of a removed region under data at risk", async () => {
    expect(fs.existsSync(withRegion)).toBe(true);
    const { code, stdout } = await planInProcess(["--stack", "dev", "--diff", withRegion]);
    expect(code).toBe(0);
    const v = verdictOf(stdout);
    expect(v.line("data at risk")).toMatch(/^ {2}data at risk {2}\d+ protected, retained or data-holding resource\(s\) deleted or replaced; [1-9]\d* lose their data$/);
    // One line per resource at risk (further-indented lines explain it); what loses its data comes first.
    const risks = v.details("data at risk").filter((l) => /^ {4}\S/.test(l));
    expect(risks[0]).toMatch(/^ {4}delete us-west-1 \S+ us-west-1-\S+: data lost \(/);
    // The verdict lists the first few; every one is listed in the plan somewhere (the verdict or the full list).
    const atRisk = [...stdout.matchAll(/^ {4}delete us-west-1 (\S+) (us-west-1-\S+): (.*)$/gm)];
    expect(atRisk.some((m) => m[1] === "Bucket" && m[2].startsWith("us-west-1-registry-") && m[3] === "protected: pulumi up refuses, retained: left unmanaged with its data")).toBe(true);
    for (const type of ["Bucket", "Key", "LogGroup"]) expect(atRisk.some((m) => m[1] === type), type).toBe(true);
  });

  it("shows the words around a changed SLO threshold in the alert expressions, never two identical excerpts", async () => {
    const file = devFile("serving", "Pulumi.dev-slo.yaml", (t) => t.replace("    retentionDays: 3\n", "    retentionDays: 3\n    slos:\n      chat-small: { ttftP99Seconds: 3, tpotP99Seconds: 0.1, errorRatePercent: 1 }\n"));
    const { code, stdout } = await planInProcess(["--stack", "dev", "--config-file", file, "--diff", devBase]);
    expect(code).toBe(0);
    const changes = stdout.slice(stdout.indexOf("Changes against"));
    expect(changes).toMatch(/spec\.groups\[\d+\]\.rules\[\d+\]\.expr: "…[^"]*> 2" => "…[^"]*> 3"/);
    for (const m of changes.matchAll(/: (".*") => (".*")$/gm)) expect(m[1]).not.toBe(m[2]);
    for (const m of changes.matchAll(/^ +- (.*)\n +\+ (.*)$/gm)) expect(m[1]).not.toBe(m[2]);
  });
});
