import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { run } from "./spawn";

const root = path.resolve(__dirname, "..");
const dir = path.join(root, ".github", "workflows");
const scripts = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
  "working-directory"?: string;
}
interface Job {
  "runs-on"?: string;
  needs?: string | string[];
  if?: string;
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: Record<string, string> | "inherit";
  permissions?: Record<string, string>;
  environment?: string;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const files = fs.readdirSync(dir).filter((f) => f.endsWith(".yml"));
const workflows = Object.fromEntries(files.map((f) => [f, parseYaml(fs.readFileSync(path.join(dir, f), "utf8")) as Workflow]));
const raw = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps ?? []);
const needsOf = (j: Job) => [j.needs ?? []].flat();
const pulumiStep = (j: Job) => j.steps!.find((s) => s.uses?.startsWith("pulumi/actions@"))!;

describe("workflow files", () => {
  it("are the four expected, and each parses with jobs", () => {
    expect(files.sort()).toEqual(["deploy.yml", "drift.yml", "pull-request.yml", "pulumi-up.yml"]);
    for (const [f, w] of Object.entries(workflows)) expect(Object.keys(w.jobs).length, f).toBeGreaterThan(0);
  });

  it("pin every third-party action by full commit SHA, with the release in a comment", () => {
    for (const f of files) {
      const refs = raw(f)
        .split("\n")
        .filter((l) => /^\s*(- )?uses:/.test(l))
        .map((l) => l.replace(/^\s*(- )?uses:\s*/, ""));
      for (const local of refs.filter((r) => r.startsWith("./"))) expect(fs.existsSync(path.join(root, local)), local).toBe(true);
      for (const ref of refs.filter((r) => !r.startsWith("./"))) expect(ref, f).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+){0,2}$/);
    }
  });

  it("grant nothing by default and only what each job uses", () => {
    const writers: string[] = [];
    for (const [f, w] of Object.entries(workflows)) {
      expect(w.permissions, f).toEqual({});
      for (const [name, job] of Object.entries(w.jobs)) {
        expect(job.permissions, `${f} ${name}`).toBeDefined();
        for (const [scope, level] of Object.entries(job.permissions!)) if (level === "write" && scope !== "id-token") writers.push(`${f}:${name}:${scope}`);
      }
    }
    // Only the PR comment and the drift issue need to write anything to GitHub.
    expect(writers.sort()).toEqual(["drift.yml:report:issues", "pull-request.yml:comment:pull-requests"]);
  });

  it("keep secrets out of shell commands and pass them to actions through env only", () => {
    for (const [f, w] of Object.entries(workflows)) {
      for (const s of steps(w)) {
        expect(s.run ?? "", f).not.toMatch(/\$\{\{\s*secrets\./);
        expect(JSON.stringify(s.with ?? {}), f).not.toMatch(/secrets\./);
        // Expressions are passed to shells through env, never spliced into the script.
        expect(s.run ?? "", f).not.toMatch(/\$\{\{/);
      }
      const checkouts = steps(w).filter((s) => s.uses?.startsWith("actions/checkout@"));
      for (const s of checkouts) expect(s.with?.["persist-credentials"], f).toBe(false);
    }
  });

  it("call only npm scripts and files that exist", () => {
    const commands = Object.values(workflows).flatMap((w) => steps(w).map((s) => s.run ?? ""));
    const shellScripts = commands.flatMap((c) => [...c.matchAll(/bash (\S+)/g)].map((m) => m[1].replace(/^head\//, "")));
    expect(shellScripts.sort()).toEqual([".ci/run", ".github/scripts/offline-plans.sh"]);
    for (const s of shellScripts) expect(fs.existsSync(path.join(root, s)), s).toBe(true);
    const all = [...commands, ...shellScripts.map((s) => fs.readFileSync(path.join(root, s), "utf8"))].join("\n");
    const npmRuns = [...all.matchAll(/npm run (?:--silent )?([\w:-]+)/g)].map((m) => m[1]);
    expect(new Set(npmRuns)).toEqual(new Set(["plan", "setup:engines"]));
    for (const name of npmRuns) expect(scripts[name], name).toBeDefined();
    expect(fs.readFileSync(path.join(root, ".ci/run"), "utf8")).toContain("npm test");
  });

  it("wire every needs to an existing job, and every policy pack config to a file per stack", () => {
    const stacks = fs.readdirSync(path.join(root, "stacks")).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => !!s);
    for (const [f, w] of Object.entries(workflows)) {
      for (const [name, job] of Object.entries(w.jobs)) for (const n of needsOf(job)) expect(Object.keys(w.jobs), `${f} ${name} needs ${n}`).toContain(n);
    }
    for (const s of stacks) expect(fs.existsSync(path.join(root, "policies", "config", `${s}.json`)), s).toBe(true);
    for (const f of ["pull-request.yml", "drift.yml"]) {
      const job = Object.values(workflows[f].jobs).find((j) => j.steps?.some((s) => s.uses?.startsWith("pulumi/actions@")))!;
      expect((job as { strategy?: { matrix: { stack: string[] } } }).strategy!.matrix.stack.sort(), f).toEqual([...stacks].sort());
    }
  });
});

describe("pull-request workflow", () => {
  const w = workflows["pull-request.yml"];
  it("runs the README test command, then plans every stack against the base branch, then comments", () => {
    expect(Object.keys(w.on)).toEqual(["pull_request"]);
    expect(w.jobs.test.steps!.map((s) => s.run).filter(Boolean)).toEqual(["bash .ci/run"]);
    expect(needsOf(w.jobs["offline-plan"])).toEqual(["test"]);
    const checkouts = w.jobs["offline-plan"].steps!.filter((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkouts.map((s) => [s.with?.path, s.with?.ref])).toEqual([
      ["head", undefined],
      ["base", "${{ github.event.pull_request.base.sha }}"],
    ]);
    expect(w.jobs["offline-plan"].steps!.some((s) => s.run === "bash head/.github/scripts/offline-plans.sh head base plans")).toBe(true);
    expect(needsOf(w.jobs.comment)).toEqual(["offline-plan"]);
  });

  it("updates its one comment instead of adding one per push", () => {
    const script = String(w.jobs.comment.steps!.find((s) => s.uses?.startsWith("actions/github-script@"))!.with!.script);
    const marker = /const marker = "([^"]+)"/.exec(script)![1];
    expect(fs.readFileSync(path.join(root, ".github/scripts/offline-plans.sh"), "utf8")).toContain(`marker="${marker}"`);
    expect(script).toMatch(/github\.paginate\(github\.rest\.issues\.listComments/);
    expect(script).toMatch(/if \(mine\) \{\s*await github\.rest\.issues\.updateComment/);
  });

  it("runs a real preview with the policy pack only when cloud credentials are configured", () => {
    const job = w.jobs.preview;
    expect(job.if).toContain("vars.PULUMI_PREVIEW_ROLE_ARN != ''");
    expect(pulumiStep(job).with).toMatchObject({ command: "preview", diff: true, policyPacks: "policies" });
    expect(pulumiStep(job).env).toEqual({ PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" });
  });
});

describe("deploy workflow", () => {
  const w = workflows["deploy.yml"];
  const up = workflows["pulumi-up.yml"];
  it("deploys dev, then staging, then prod on pushes to main", () => {
    expect(w.on).toEqual({ push: { branches: ["main"] } });
    expect(Object.entries(w.jobs).map(([name, j]) => [name, j.uses, j.with?.stack, needsOf(j)])).toEqual([
      ["dev", "./.github/workflows/pulumi-up.yml", "dev", []],
      ["staging", "./.github/workflows/pulumi-up.yml", "staging", ["dev"]],
      ["prod", "./.github/workflows/pulumi-up.yml", "prod", ["staging"]],
    ]);
    for (const j of Object.values(w.jobs)) expect(j.secrets).toEqual({ PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" });
  });

  it("runs each stack behind its environment, one run per stack at a time, with the policy pack", () => {
    expect(Object.keys(up.on)).toEqual(["workflow_call"]);
    const job = up.jobs.up;
    expect(job.environment).toBe("${{ inputs.stack }}");
    expect(job.concurrency).toEqual({ group: "pulumi-${{ inputs.stack }}", "cancel-in-progress": false });
    expect(pulumiStep(job).with).toMatchObject({ command: "up", "stack-name": "${{ inputs.stack }}", policyPacks: "policies", policyPackConfigs: "policies/config/${{ inputs.stack }}.json" });
    // The offline gate runs before credentials exist.
    const names = job.steps!.map((s) => s.run ?? s.uses!.split("@")[0]);
    expect(names.indexOf('npm run plan -- --stack "$STACK" --quiet')).toBeLessThan(names.indexOf("aws-actions/configure-aws-credentials"));
  });
});

describe("drift workflow", () => {
  const w = workflows["drift.yml"];
  it("previews every stack nightly with refresh, expecting no changes, in the deploy's concurrency group", () => {
    expect(Object.keys(w.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(pulumiStep(w.jobs.drift).with).toMatchObject({ command: "preview", refresh: true, "expect-no-changes": true, policyPacks: "policies" });
    expect(w.jobs.drift.concurrency?.group).toBe("pulumi-${{ matrix.stack }}");
  });

  it("opens or updates an issue when a stack drifts", () => {
    const report = w.jobs.report;
    expect(needsOf(report)).toEqual(["drift"]);
    expect(report.if).toBe("failure()");
    const script = String(report.steps!.find((s) => s.uses?.startsWith("actions/github-script@"))!.with!.script);
    expect(script).toContain("github.rest.issues.create(");
    expect(script).toContain("github.rest.issues.createComment(");
  });
});

describe("offline-plans.sh (the PR comment)", () => {
  it("plans every stack against a base and writes one comment with each stack's verdict and changes", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "offline-plans-"));
    const res = await run("bash", [".github/scripts/offline-plans.sh", ".", ".", out], { cwd: root, timeoutMs: 300_000 });
    expect(res.status, res.stderr).toBe(0);
    const comment = fs.readFileSync(path.join(out, "comment.md"), "utf8");
    expect(comment.startsWith("<!-- llm-blueprint-offline-plan -->\n")).toBe(true);
    const sections = comment.split("\n### ").slice(1);
    expect(sections.map((s) => s.split("\n")[0])).toEqual(["`dev`: plans cleanly", "`prod`: plans cleanly", "`staging`: plans cleanly"]);
    for (const section of sections) {
      // The visible part (before the collapsed full plan) carries the diff, GPU and cost lines.
      const visible = section.slice(0, section.indexOf("<details>"));
      expect(visible).toMatch(/Changes against .*: 0 to create, 0 to update, 0 to replace, 0 to delete/);
      expect(visible).toContain("GPU capacity: unchanged");
      expect(visible).toMatch(/^Estimated on-demand cost \(USD[^\n]*\n {2}region +component +item +min \/h +max \/h +min \/month +max \/month\n {2}total +\$[\d,.]+ +\$[\d,.]+ +\$[\d,.]+ +\$[\d,.]+$/m);
      expect(visible).toContain("Policy: no violations");
      // The whole verdict block leads, not only its first line.
      const verdict = visible.slice(visible.indexOf("```text\n") + 8).split("\nPolicy:")[0].split("\n");
      expect(verdict[0]).toMatch(/^Plan llm-blueprint\/\w+: exit 0: /);
      expect(verdict.slice(1).map((l) => /^ {2}(policy|data at risk|changes|resources|cost delta|cost|plan document) /.exec(l)?.[1])).toEqual(["policy", "data at risk", "changes", "resources", "cost", "cost delta", "plan document"]);
    }
    for (const stack of ["dev", "staging", "prod"]) expect(fs.existsSync(path.join(out, `head-${stack}.json`))).toBe(true);
    expect(comment.length).toBeLessThan(65536);
  }, 300_000);
});
