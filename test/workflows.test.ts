import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { committedStackPlan } from "./planRuns";
import { run } from "./spawn";
import { CORE_LABELS, coreLabels, OPTIONAL_LABELS, verdictOf } from "./e2e/verdict";

const root = path.resolve(__dirname, "..");
const dir = path.join(root, ".github", "workflows");
const scripts = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

interface Step {
  id?: string;
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
  outputs?: Record<string, string>;
  strategy?: { matrix: { stack: string[] } };
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}
type Workflows = Record<string, Workflow>;

const files = fs.readdirSync(dir).filter((f) => f.endsWith(".yml"));
const workflows: Workflows = Object.fromEntries(files.map((f) => [f, parseYaml(fs.readFileSync(path.join(dir, f), "utf8")) as Workflow]));
const raw = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps ?? []);
const needsOf = (j: Job) => [j.needs ?? []].flat();
const pulumiStepOf = (j: Job) => j.steps?.find((s) => s.uses?.startsWith("pulumi/actions@"));
const pulumiStep = (j: Job) => pulumiStepOf(j)!;
const credentialsStepOf = (j: Job) => j.steps?.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
/** The stacks of a project: its stack files `<project>/stacks/Pulumi.<stack>.yaml`. */
const stacksOf = (project: string) =>
  fs
    .readdirSync(path.join(root, project, "stacks"))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
const clone = (ws: Workflows): Workflows => structuredClone(ws);

// The in-VPC runner's label: `codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`
// (AWS CodeBuild user guide, label overrides for the CodeBuild-hosted GitHub Actions runner, read
// 2026-11-25), the project taken from a resolver job's output (a job's runs-on cannot read
// environment-level variables: github/docs issue #33389).
const RUNNER_LABEL = /^codebuild-\$\{\{ needs\.([\w-]+)\.outputs(?:\.project|\[matrix\.stack\]) \}\}-\$\{\{ github\.run_id \}\}-\$\{\{ github\.run_attempt \}\}$/;
const SERVING_ROLE = /^\$\{\{ vars\.AWS_SERVING_(DEPLOY|PREVIEW|DRIFT)_ROLE_ARN \}\}$/;
const PLATFORM_ROLE = /^\$\{\{ vars\.AWS_PLATFORM_(DEPLOY|PREVIEW)_ROLE_ARN \}\}$/;
const RESOLVER = "node .github/scripts/serving-runner.mjs";

/**
 * Where each job that runs pulumi against a project runs and which role it assumes: serving on the
 * in-VPC runner resolved from SERVING_RUNNERS with a serving role, platform on a GitHub-hosted
 * runner with a platform role and nothing of serving's. Returns one line per problem.
 */
function runnerProblems(ws: Workflows): string[] {
  const problems: string[] = [];
  for (const [f, w] of Object.entries(ws)) {
    for (const [name, job] of Object.entries(w.jobs)) {
      const pulumi = pulumiStepOf(job);
      if (!pulumi) continue;
      const at = `${f} ${name}`;
      const workDir = pulumi.with?.["work-dir"];
      const credentials = credentialsStepOf(job);
      const role = String(credentials?.with?.["role-to-assume"] ?? "");
      if (!credentials || job.steps!.indexOf(credentials) > job.steps!.indexOf(pulumi)) problems.push(`${at}: assumes no role before pulumi runs`);
      // The CLI runs in work-dir, so the pack paths resolve from there (pulumi/actions v7.0.0 src/main.ts).
      const pack = path.posix.join(String(workDir ?? "."), String(pulumi.with?.policyPacks ?? ""));
      if (pack !== "policies") problems.push(`${at}: policyPacks resolves to ${pack} from work-dir ${String(workDir)}, not policies`);
      if (workDir === "serving") {
        const label = String(job["runs-on"]);
        const m = RUNNER_LABEL.exec(label);
        if (!m) problems.push(`${at}: serving runs on "${label}", not on the in-VPC runner codebuild-\${{ needs.<resolver>.outputs... }}-\${{ github.run_id }}-\${{ github.run_attempt }}`);
        else {
          const resolver = w.jobs[m[1]];
          const resolves = resolver?.steps?.some((s) => s.run?.startsWith(RESOLVER) && s.env?.SERVING_RUNNERS === "${{ vars.SERVING_RUNNERS }}");
          if (!needsOf(job).includes(m[1])) problems.push(`${at}: runs-on reads needs.${m[1]} but the job does not need it`);
          if (!resolves) problems.push(`${at}: runner job ${m[1]} does not resolve the project from vars.SERVING_RUNNERS with ${RESOLVER}`);
        }
        if (!SERVING_ROLE.test(role)) problems.push(`${at}: serving assumes "${role}", not a serving role (AWS_SERVING_{DEPLOY,PREVIEW,DRIFT}_ROLE_ARN)`);
      } else if (workDir === "platform") {
        if (job["runs-on"] !== "ubuntu-24.04") problems.push(`${at}: platform runs on "${String(job["runs-on"])}", not the GitHub-hosted ubuntu-24.04`);
        if (!PLATFORM_ROLE.test(role)) problems.push(`${at}: platform assumes "${role}", not a platform role (AWS_PLATFORM_{DEPLOY,PREVIEW}_ROLE_ARN)`);
        if (JSON.stringify(job).includes("AWS_SERVING_")) problems.push(`${at}: platform job mentions a serving role`);
      } else {
        problems.push(`${at}: pulumi work-dir "${String(workDir)}" is neither platform nor serving`);
      }
    }
  }
  return problems;
}

/** deploy.yml: per stack, platform up then serving up of the same stack, stacks in dev, staging, prod order. */
function deployOrderProblems(deploy: Workflow, stacks: readonly string[]): string[] {
  const problems: string[] = [];
  const jobOf = (kind: "platform" | "serving", stack: string) =>
    Object.entries(deploy.jobs).find(([, j]) => j.uses === `./.github/workflows/${kind}-up.yml` && j.with?.stack === stack)?.[0];
  stacks.forEach((stack, i) => {
    const platform = jobOf("platform", stack);
    const serving = jobOf("serving", stack);
    if (!platform || !serving) return void problems.push(`stack ${stack}: missing ${platform ? "serving" : "platform"} up`);
    if (!needsOf(deploy.jobs[serving]).includes(platform)) problems.push(`${serving}: serving up of ${stack} does not need ${platform} (platform up of ${stack})`);
    const previous = i > 0 ? jobOf("serving", stacks[i - 1]) : undefined;
    if (i > 0 && !(previous && needsOf(deploy.jobs[platform]).includes(previous))) problems.push(`${platform}: does not wait for serving up of ${stacks[i - 1]}`);
  });
  return problems;
}

describe("workflow files", () => {
  it("are the five expected, and each parses with jobs", () => {
    expect(files.sort()).toEqual(["deploy.yml", "drift.yml", "platform-up.yml", "pull-request.yml", "serving-up.yml"]);
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
    const tokensWithoutRole: string[] = [];
    for (const [f, w] of Object.entries(workflows)) {
      expect(w.permissions, f).toEqual({});
      for (const [name, job] of Object.entries(w.jobs)) {
        expect(job.permissions, `${f} ${name}`).toBeDefined();
        for (const [scope, level] of Object.entries(job.permissions!)) if (level === "write" && scope !== "id-token") writers.push(`${f}:${name}:${scope}`);
        // Only jobs that assume an AWS role get an OIDC token.
        if (job.permissions!["id-token"] === "write" && !credentialsStepOf(job) && !job.uses) tokensWithoutRole.push(`${f}:${name}`);
      }
    }
    expect(tokensWithoutRole).toEqual([]);
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
    const nodeScripts = [...new Set(commands.flatMap((c) => [...c.matchAll(/node (\S+)/g)].map((m) => m[1])))];
    expect(nodeScripts).toEqual([".github/scripts/serving-runner.mjs"]);
    for (const s of [...shellScripts, ...nodeScripts]) expect(fs.existsSync(path.join(root, s)), s).toBe(true);
    const all = [...commands, ...shellScripts.map((s) => fs.readFileSync(path.join(root, s), "utf8"))].join("\n");
    const npmRuns = [...all.matchAll(/npm run (?:--silent )?([\w:-]+)/g)].map((m) => m[1]);
    expect(new Set(npmRuns)).toEqual(new Set(["plan", "setup:engines"]));
    for (const name of npmRuns) expect(scripts[name], name).toBeDefined();
    expect(fs.readFileSync(path.join(root, ".ci/run"), "utf8")).toContain("npm test");
  });

  it("wire every needs to an existing job, and every policy pack config to a file per stack", () => {
    const stacks = stacksOf("platform");
    // Both projects have the same stacks: `npm run plan -- --stack <s>` and deploy.yml take them in pairs.
    expect(stacksOf("serving")).toEqual(stacks);
    for (const [f, w] of Object.entries(workflows)) {
      for (const [name, job] of Object.entries(w.jobs)) for (const n of needsOf(job)) expect(Object.keys(w.jobs), `${f} ${name} needs ${n}`).toContain(n);
    }
    for (const s of stacks) expect(fs.existsSync(path.join(root, "policies", "config", `${s}.json`)), s).toBe(true);
    // Every matrix job that runs pulumi or resolves runners covers every stack.
    const matrixJobs = Object.entries(workflows).flatMap(([f, w]) => Object.entries(w.jobs).filter(([, j]) => j.strategy).map(([n, j]) => [`${f} ${n}`, j] as const));
    expect(matrixJobs.map(([n]) => n).sort()).toEqual(["drift.yml platform-drift", "drift.yml serving-drift", "pull-request.yml preview-platform", "pull-request.yml preview-serving"]);
    for (const [n, j] of matrixJobs) {
      expect([...j.strategy!.matrix.stack].sort(), n).toEqual(stacks);
      expect(pulumiStep(j).with?.policyPackConfigs, n).toBe("../policies/config/${{ matrix.stack }}.json");
    }
    for (const [f, w] of Object.entries(workflows)) {
      for (const [n, j] of Object.entries(w.jobs)) {
        const resolve = j.steps?.find((s) => s.run?.startsWith(RESOLVER));
        if (!resolve || f === "serving-up.yml") continue;
        expect(resolve.run!.slice(RESOLVER.length).trim().split(/\s+/).sort(), `${f} ${n}`).toEqual(stacks);
        // One output per stack and its region, read by the serving jobs' runs-on and credentials.
        expect(Object.keys(j.outputs ?? {}).sort(), `${f} ${n}`).toEqual(stacks.flatMap((s) => [s, `${s}-region`]).sort());
      }
    }
  });
});

describe("runner placement (serving on the in-VPC runners, platform on GitHub-hosted)", () => {
  it("holds for every job that runs pulumi", () => {
    expect(runnerProblems(workflows)).toEqual([]);
    const projects = Object.entries(workflows).flatMap(([f, w]) => Object.entries(w.jobs).filter(([, j]) => pulumiStepOf(j)).map(([n, j]) => `${f} ${n} ${String(pulumiStep(j).with?.["work-dir"])}`));
    expect(projects.sort()).toEqual([
      "drift.yml platform-drift platform",
      "drift.yml serving-drift serving",
      "platform-up.yml up platform",
      "pull-request.yml preview-platform platform",
      "pull-request.yml preview-serving serving",
      "serving-up.yml up serving",
    ]);
  });

  it("reports a serving preview moved to a GitHub-hosted runner", () => {
    const ws = clone(workflows);
    ws["pull-request.yml"].jobs["preview-serving"]["runs-on"] = "ubuntu-24.04";
    expect(runnerProblems(ws)).toEqual([expect.stringMatching(/^pull-request\.yml preview-serving: serving runs on "ubuntu-24\.04", not on the in-VPC runner/)]);
  });

  it("reports a serving deploy on a runner label not built from the resolved variable", () => {
    const ws = clone(workflows);
    ws["serving-up.yml"].jobs.up["runs-on"] = "codebuild-llm-prod-runner-${{ github.run_id }}-${{ github.run_attempt }}";
    expect(runnerProblems(ws)).toEqual([expect.stringMatching(/^serving-up\.yml up: serving runs on "codebuild-llm-prod-runner-/)]);
    const unresolved = clone(workflows);
    delete unresolved["drift.yml"].jobs["serving-runners"].steps!.find((s) => s.run?.startsWith(RESOLVER))!.env!.SERVING_RUNNERS;
    expect(runnerProblems(unresolved)).toEqual([
      "drift.yml serving-drift: runner job serving-runners does not resolve the project from vars.SERVING_RUNNERS with node .github/scripts/serving-runner.mjs",
    ]);
  });

  it("reports a serving job with a platform role, and a platform job with a serving role", () => {
    const ws = clone(workflows);
    credentialsStepOf(ws["drift.yml"].jobs["serving-drift"])!.with!["role-to-assume"] = "${{ vars.AWS_PLATFORM_PREVIEW_ROLE_ARN }}";
    credentialsStepOf(ws["platform-up.yml"].jobs.up)!.with!["role-to-assume"] = "${{ vars.AWS_SERVING_DEPLOY_ROLE_ARN }}";
    expect(runnerProblems(ws)).toEqual([
      'drift.yml serving-drift: serving assumes "${{ vars.AWS_PLATFORM_PREVIEW_ROLE_ARN }}", not a serving role (AWS_SERVING_{DEPLOY,PREVIEW,DRIFT}_ROLE_ARN)',
      'platform-up.yml up: platform assumes "${{ vars.AWS_SERVING_DEPLOY_ROLE_ARN }}", not a platform role (AWS_PLATFORM_{DEPLOY,PREVIEW}_ROLE_ARN)',
      "platform-up.yml up: platform job mentions a serving role",
    ]);
  });

  it("reports a platform job on the in-VPC runner, a missing work-dir, and a pack path that misses policies/", () => {
    const ws = clone(workflows);
    ws["drift.yml"].jobs["platform-drift"]["runs-on"] = "codebuild-${{ needs.serving-runners.outputs[matrix.stack] }}-${{ github.run_id }}-${{ github.run_attempt }}";
    delete pulumiStep(ws["pull-request.yml"].jobs["preview-platform"]).with!["work-dir"];
    pulumiStep(ws["serving-up.yml"].jobs.up).with!.policyPacks = "policies";
    expect(runnerProblems(ws)).toEqual([
      expect.stringMatching(/^drift\.yml platform-drift: platform runs on "codebuild-/),
      // Without work-dir the CLI runs at the repository root, where ../policies is outside it.
      "pull-request.yml preview-platform: policyPacks resolves to ../policies from work-dir undefined, not policies",
      'pull-request.yml preview-platform: pulumi work-dir "undefined" is neither platform nor serving',
      "serving-up.yml up: policyPacks resolves to serving/policies from work-dir serving, not policies",
    ]);
  });
});

describe("pull-request workflow", () => {
  const w = workflows["pull-request.yml"];
  it("runs the README test command, then plans every stack against the base branch, then comments", () => {
    expect(Object.keys(w.on)).toEqual(["pull_request"]);
    expect(w.jobs.test.steps!.map((s) => s.run).filter(Boolean)).toEqual(["bash .ci/run"]);
    expect(needsOf(w.jobs["offline-plan"])).toEqual(["test"]);
    // The offline plan needs no cloud: GitHub-hosted, no role.
    expect(w.jobs["offline-plan"]["runs-on"]).toBe("ubuntu-24.04");
    expect(credentialsStepOf(w.jobs["offline-plan"])).toBeUndefined();
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

  it("runs real previews with the policy pack only when cloud credentials are configured, never for forks", () => {
    const sameRepo = "github.event.pull_request.head.repo.full_name == github.repository";
    expect(w.jobs["preview-platform"].if).toBe(`vars.AWS_PLATFORM_PREVIEW_ROLE_ARN != '' && ${sameRepo}`);
    expect(w.jobs["serving-runners"].if).toBe(`vars.AWS_SERVING_PREVIEW_ROLE_ARN != '' && ${sameRepo}`);
    // preview-serving has no `if` of its own: it is skipped whenever its runner job is.
    expect(needsOf(w.jobs["preview-serving"])).toEqual(["serving-runners"]);
    expect(w.jobs["preview-serving"].if).toBeUndefined();
    for (const name of ["preview-platform", "preview-serving"]) {
      expect(pulumiStep(w.jobs[name]).with, name).toMatchObject({ command: "preview", diff: true, "stack-name": "${{ matrix.stack }}" });
      expect(pulumiStep(w.jobs[name]).env, name).toEqual({ PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" });
    }
    expect(credentialsStepOf(w.jobs["preview-platform"])!.with!["role-to-assume"]).toBe("${{ vars.AWS_PLATFORM_PREVIEW_ROLE_ARN }}");
    expect(credentialsStepOf(w.jobs["preview-serving"])!.with!["role-to-assume"]).toBe("${{ vars.AWS_SERVING_PREVIEW_ROLE_ARN }}");
  });
});

describe("deploy workflow", () => {
  const w = workflows["deploy.yml"];
  const stacks = ["dev", "staging", "prod"];
  it("deploys platform then serving of dev, then staging, then prod, only from main", () => {
    expect(w.on).toMatchObject({ push: { branches: ["main"] } });
    expect(Object.keys(w.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(Object.entries(w.jobs).map(([name, j]) => [name, j.uses, j.with?.stack, needsOf(j)])).toEqual([
      ["platform-dev", "./.github/workflows/platform-up.yml", "dev", []],
      ["serving-dev", "./.github/workflows/serving-up.yml", "dev", ["platform-dev"]],
      ["platform-staging", "./.github/workflows/platform-up.yml", "staging", ["serving-dev"]],
      ["serving-staging", "./.github/workflows/serving-up.yml", "staging", ["platform-staging"]],
      ["platform-prod", "./.github/workflows/platform-up.yml", "prod", ["serving-staging"]],
      ["serving-prod", "./.github/workflows/serving-up.yml", "prod", ["platform-prod"]],
    ]);
    expect(deployOrderProblems(w, stacks)).toEqual([]);
    // A manual run could name any branch; the first job (every other one needs it) holds to main.
    expect(w.jobs["platform-dev"].if).toBe("github.ref == 'refs/heads/main'");
    for (const j of Object.values(w.jobs)) expect(j.secrets).toEqual({ PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" });
    // The manual run's runner region reaches every serving deploy.
    const servingDeploys = Object.values(w.jobs).filter((j) => j.uses!.endsWith("serving-up.yml"));
    expect(servingDeploys.map((j) => j.with?.["runner-region"])).toEqual(stacks.map(() => "${{ inputs.runner-region }}"));
  });

  it("reports a serving up that does not wait for the platform up of its stack", () => {
    const skipped = clone({ d: w }).d;
    skipped.jobs["serving-prod"].needs = "serving-staging";
    expect(deployOrderProblems(skipped, stacks)).toEqual(["serving-prod: serving up of prod does not need platform-prod (platform up of prod)"]);
    const crossed = clone({ d: w }).d;
    crossed.jobs["serving-staging"].with!.stack = "prod";
    expect(deployOrderProblems(crossed, stacks)).toEqual([
      "stack staging: missing serving up",
      "serving-staging: serving up of prod does not need platform-prod (platform up of prod)",
      "platform-prod: does not wait for serving up of staging",
    ]);
  });

  for (const project of ["platform", "serving"] as const) {
    it(`runs each ${project} stack behind its environment, one run per project and stack at a time, offline gate first, with the policy pack`, () => {
      const up = workflows[`${project}-up.yml`];
      expect(Object.keys(up.on)).toEqual(["workflow_call"]);
      const job = up.jobs.up;
      expect(job.environment).toBe("${{ inputs.stack }}");
      expect(job.concurrency).toEqual({ group: `pulumi-${project}-\${{ inputs.stack }}`, "cancel-in-progress": false });
      expect(pulumiStep(job).with).toMatchObject({
        command: "up",
        "work-dir": project,
        "stack-name": "${{ inputs.stack }}",
        policyPacks: "../policies",
        policyPackConfigs: "../policies/config/${{ inputs.stack }}.json",
      });
      // The offline gate plans the project being deployed and runs before credentials exist.
      const names = job.steps!.map((s) => s.run ?? s.uses!.split("@")[0]);
      const gate = `npm run plan -- --stack "$STACK" --project ${project} --quiet`;
      expect(names).toContain(gate);
      expect(names.indexOf(gate)).toBeLessThan(names.indexOf("aws-actions/configure-aws-credentials"));
      expect(credentialsStepOf(job)!.with!["role-to-assume"]).toBe(`\${{ vars.AWS_${project.toUpperCase()}_DEPLOY_ROLE_ARN }}`);
    });
  }

  it("resolves the serving runner from SERVING_RUNNERS, in the chosen region, and assumes the role there", () => {
    const up = workflows["serving-up.yml"];
    const resolve = up.jobs.runner.steps!.find((s) => s.run?.startsWith(RESOLVER))!;
    expect(resolve.run).toBe(`${RESOLVER} "$STACK"`);
    expect(resolve.env).toEqual({ STACK: "${{ inputs.stack }}", SERVING_RUNNERS: "${{ vars.SERVING_RUNNERS }}", RUNNER_REGION: "${{ inputs.runner-region }}" });
    expect(up.jobs.runner.outputs).toEqual({
      project: `\${{ steps.${resolve.id}.outputs[inputs.stack] }}`,
      region: `\${{ steps.${resolve.id}.outputs[format('{0}-region', inputs.stack)] }}`,
    });
    expect(up.jobs.runner["runs-on"]).toBe("ubuntu-24.04");
    expect(credentialsStepOf(up.jobs.up)!.with!["aws-region"]).toBe("${{ needs.runner.outputs.region }}");
  });
});

describe("drift workflow", () => {
  const w = workflows["drift.yml"];
  it("previews every stack of both projects nightly with refresh, expecting no changes, in the deploy's concurrency groups", () => {
    expect(Object.keys(w.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    for (const project of ["platform", "serving"]) {
      const job = w.jobs[`${project}-drift`];
      expect(pulumiStep(job).with, project).toMatchObject({ command: "preview", "work-dir": project, refresh: true, "expect-no-changes": true, policyPacks: "../policies" });
      const deployGroup = workflows[`${project}-up.yml`].jobs.up.concurrency!.group;
      expect(job.concurrency?.group, project).toBe(deployGroup.replace("inputs.stack", "matrix.stack"));
    }
    expect(credentialsStepOf(w.jobs["serving-drift"])!.with!["role-to-assume"]).toBe("${{ vars.AWS_SERVING_DRIFT_ROLE_ARN }}");
    expect(w.jobs["serving-runners"].steps!.find((s) => s.run?.startsWith(RESOLVER))!.env!.RUNNER_REGION).toBe("${{ inputs.runner-region }}");
  });

  it("opens or updates an issue per drifted project and stack, and one when the check could not run", () => {
    const report = w.jobs.report;
    expect(needsOf(report).sort()).toEqual(["platform-drift", "serving-drift", "serving-runners"]);
    expect(report.if).toBe("failure()");
    const script = String(report.steps!.find((s) => s.uses?.startsWith("actions/github-script@"))!.with!.script);
    expect(script).toContain("github.rest.issues.create(");
    expect(script).toContain("github.rest.issues.createComment(");
    expect(script).toContain('"Drift check did not run"');
    for (const project of ["platform", "serving"]) {
      const marker = w.jobs[`${project}-drift`].steps!.find((s) => s.if === "failure()" && s.run)!;
      expect(marker.run).toBe(`mkdir -p drift && echo "${project}/$STACK" > "drift/${project}-$STACK"`);
    }
  });
});

describe("serving-runner.mjs (the in-VPC runner of a stack)", () => {
  const runners = JSON.stringify({
    dev: [{ region: "us-east-1", project: "llm-dev-use1-runner" }],
    prod: [
      { region: "us-east-1", project: "llm-prod-use1-runner" },
      { region: "us-west-2", project: "llm-prod-usw2-runner" },
    ],
  });
  const resolve = async (stacks: string[], env: Record<string, string | undefined>) => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "serving-runner-")), "output");
    fs.writeFileSync(out, "");
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !["SERVING_RUNNERS", "RUNNER_REGION"].includes(k)));
    const res = await run("node", [".github/scripts/serving-runner.mjs", ...stacks], { cwd: root, env: { ...base, ...env, GITHUB_OUTPUT: out } });
    return { ...res, output: fs.readFileSync(out, "utf8") };
  };

  it("gives each stack's primary (first) runner, or the one in the chosen region", async () => {
    const primary = await resolve(["dev", "prod"], { SERVING_RUNNERS: runners });
    expect(primary.status, primary.stdout).toBe(0);
    expect(primary.output).toBe("dev=llm-dev-use1-runner\ndev-region=us-east-1\nprod=llm-prod-use1-runner\nprod-region=us-east-1\n");
    const failover = await resolve(["prod"], { SERVING_RUNNERS: runners, RUNNER_REGION: "us-west-2" });
    expect(failover.status, failover.stdout).toBe(0);
    expect(failover.output).toBe("prod=llm-prod-usw2-runner\nprod-region=us-west-2\n");
  });

  it("fails, writing no output, when the variable is missing, malformed, or lacks the stack or region", async () => {
    const cases: [string[], Record<string, string | undefined>, string][] = [
      [["prod"], {}, "SERVING_RUNNERS is not set; set the repository variable SERVING_RUNNERS from the platform stacks"],
      [["prod"], { SERVING_RUNNERS: "{prod: []" }, "SERVING_RUNNERS is not JSON ("],
      [["staging"], { SERVING_RUNNERS: runners }, "SERVING_RUNNERS.staging: missing or empty (stacks listed: dev, prod)"],
      [["prod"], { SERVING_RUNNERS: runners, RUNNER_REGION: "eu-west-1" }, "SERVING_RUNNERS.prod: no runner in region eu-west-1; this stack has runners in us-east-1, us-west-2"],
      [["prod"], { SERVING_RUNNERS: runners, RUNNER_REGION: "west" }, 'runner region "west" is not a region code'],
      [["dev"], { SERVING_RUNNERS: JSON.stringify({ dev: [{ region: "us-east-1", project: "dev runner" }] }) }, 'SERVING_RUNNERS.dev[0].project: "dev runner" is not a CodeBuild project name'],
      [["dev"], { SERVING_RUNNERS: JSON.stringify({ dev: [{ region: "us-east-1", project: "r1", fleet: "x" }] }) }, "SERVING_RUNNERS.dev[0]: unknown key fleet; allowed: region, project"],
      [["dev"], { SERVING_RUNNERS: JSON.stringify({ dev: [{ region: "us-east-1", project: "r1" }, { region: "us-east-1", project: "r2" }] }) }, "SERVING_RUNNERS.dev: region us-east-1 is listed twice"],
      [[], { SERVING_RUNNERS: runners }, "no stack given"],
    ];
    for (const [stacks, env, message] of cases) {
      const res = await resolve(stacks, env);
      expect(res.status, message).toBe(1);
      expect(res.stdout, message).toContain(`::error title=serving runner::${message}`);
      expect(res.output, message).toBe("");
    }
  });
});

/**
 * Stands in for `npm run plan` in a stub checkout (see stubCheckout): logs each call's arguments as a
 * start and an end event, writes the --json document and the text stub.json gives for the --stack, and
 * exits with its status; a stack stub.json does not know exits 2. With `endsAfter`, it ends only once the
 * log holds a call starting with those arguments (in that checkout): an order of events, not a duration
 * (after 45 s without it, it gives up and exits 3, which fails the test's assertions).
 */
const PLAN_STUB = `const fs = require("fs");
const { name, log, answers } = JSON.parse(fs.readFileSync(__dirname + "/stub.json", "utf8"));
const args = process.argv.slice(2);
const note = (event) => fs.appendFileSync(log, JSON.stringify({ checkout: name, event, args }) + "\\n");
note("start");
const answer = answers[args[args.indexOf("--stack") + 1]];
const until = answer?.endsAfter;
const parsed = (l) => { try { return [JSON.parse(l)]; } catch { return []; } }; // a line being appended right now
const seen = () => fs.readFileSync(log, "utf8").split("\\n").flatMap(parsed)
  .some((c) => c.checkout === until.checkout && c.event === "start" && until.args.every((a, i) => c.args[i] === a));
const giveUp = Date.now() + 45000; // a script that never starts that call must not leave this process behind
while (until && !seen()) {
  if (Date.now() > giveUp) { process.stdout.write("gave up waiting for " + JSON.stringify(until) + "\\n"); process.exit(3); }
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
}
if (answer?.doc) fs.copyFileSync(answer.doc, args[args.indexOf("--json") + 1]);
process.stdout.write(answer ? answer.text : "no answer for " + JSON.stringify(args) + "\\n");
note("end");
process.exitCode = answer ? answer.exit : 2;
`;

/** What the plan stub answers for a stack: exit status, output, the file it copies to --json (none: writes none), and the call it ends after. */
interface StubAnswer {
  readonly exit: number;
  readonly text: string;
  readonly doc?: string;
  readonly endsAfter?: { readonly checkout: string; readonly args: readonly string[] };
}
interface StubCall {
  readonly checkout: string;
  readonly event: "start" | "end";
  readonly args: string[];
}

/**
 * A checkout for offline-plans.sh whose `npm run plan` is PLAN_STUB: an empty stack file per stack of
 * `answers` in platform/stacks and serving/stacks (the script only lists them), and a package.json.
 */
function stubCheckout(dir: string, name: string, answers: Record<string, StubAnswer>, log: string): string {
  const checkout = path.join(dir, name);
  for (const project of ["platform", "serving"]) {
    fs.mkdirSync(path.join(checkout, project, "stacks"), { recursive: true });
    for (const stack of Object.keys(answers)) fs.writeFileSync(path.join(checkout, project, "stacks", `Pulumi.${stack}.yaml`), "");
  }
  fs.writeFileSync(path.join(checkout, "package.json"), JSON.stringify({ name: `offline-plans-${name}`, private: true, scripts: { plan: "node plan-stub.cjs" } }));
  fs.writeFileSync(path.join(checkout, "plan-stub.cjs"), PLAN_STUB);
  fs.writeFileSync(path.join(checkout, "stub.json"), JSON.stringify({ name, log, answers }));
  return checkout;
}
const stubCalls = (log: string): StubCall[] =>
  fs
    .readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as StubCall);

describe("offline-plans.sh (the PR comment)", () => {
  it("plans every stack against a base and writes one comment with each stack's verdict and changes", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "offline-plans-"));
    const out = path.join(dir, "out");
    // The base is this tree. Its plans are the test run's shared `npm run plan -- --stack <s> --json <file>`
    // (test/planRuns.ts), handed out by a stub base checkout instead of planned a second time: the base
    // step's `--quiet` prints less but writes the same document (plan-cli's "prints the same plan twice").
    // The head plans are real plans of this tree, each diffed against its base document.
    const log = path.join(dir, "calls.jsonl");
    const baseDocs = await Promise.all(stacksOf("platform").map(async (s) => [s, { exit: 0, text: "", doc: (await committedStackPlan(s)).json }] as const));
    const base = stubCheckout(dir, "base", Object.fromEntries(baseDocs), log);
    const res = await run("bash", [".github/scripts/offline-plans.sh", ".", base, out], { cwd: root, timeoutMs: 300_000 });
    expect(res.status, res.stderr).toBe(0);
    // The stub was asked what the base step asks a real base checkout, once per stack.
    const baseCalls = stubCalls(log).filter((c) => c.event === "start").map((c) => c.args);
    // (They run concurrently, so in any order.)
    expect(baseCalls.sort((a, b) => a[1].localeCompare(b[1]))).toEqual(stacksOf("platform").map((s) => ["--stack", s, "--json", path.join(out, `base-${s}.json`), "--quiet"]));
    const comment = fs.readFileSync(path.join(out, "comment.md"), "utf8");
    expect(comment.startsWith("<!-- llm-blueprint-offline-plan -->\n")).toBe(true);
    const sections = comment.split("\n### ").slice(1);
    expect(sections.map((s) => s.split("\n")[0])).toEqual(stacksOf("platform").map((s) => `\`${s}\`: plans cleanly`));
    for (const section of sections) {
      // The visible part (before the collapsed full plan) carries the diff, GPU and cost lines.
      const visible = section.slice(0, section.indexOf("<details>"));
      expect(visible).toMatch(/Changes against .*: 0 to create, 0 to update, 0 to replace, 0 to delete/);
      expect(visible).toContain("GPU capacity: unchanged");
      const cost = /^Estimated on-demand cost \(USD[^\n]*\n {2}region +component +item +min \/h +max \/h +min \/month +max \/month\n {2}total +(priced items only +)?\$[\d,.]+ +\$[\d,.]+ +\$[\d,.]+ +\$[\d,.]+$/m.exec(visible);
      expect(cost, visible).not.toBeNull();
      // A total of priced items only says so, and the count of what it leaves out follows it.
      expect(/^ {2}unpriced \(not counted\): [1-9]\d*$/m.test(visible), "a priced-only total comes with its unpriced count").toBe(cost![1] !== undefined);
      expect(visible).toContain("Policy: no violations");
      // The whole verdict block leads, not only its first line.
      const verdict = visible.slice(visible.indexOf("```text\n") + 8).split("\nPolicy:")[0].split("\n");
      // The plan names what it planned (both projects of the stack); the stack is part of that name.
      expect(verdict[0]).toMatch(/^Plan \S+: exit 0: /);
      expect(/^Plan (\S+):/.exec(verdict[0])![1]).toContain(section.slice(1, section.indexOf("`", 1)));
      // Every core line in order; the optional ones (an unauthenticated route, Kubernetes support) may come between.
      const v = verdictOf(verdict.join("\n"));
      expect(coreLabels(v)).toEqual([...CORE_LABELS]);
      expect(v.labels.filter((l) => ![...CORE_LABELS, ...OPTIONAL_LABELS].includes(l as never))).toEqual([]);
    }
    for (const stack of stacksOf("platform")) expect(fs.existsSync(path.join(out, `head-${stack}.json`))).toBe(true);
    expect(comment.length).toBeLessThan(65536);
  }, 300_000);

  it("plans concurrently, each head after its base; a failing or missing base plan leaves a note and an undiffed head; a failing head fails the run", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "offline-plans-stubs-"));
    const out = path.join(dir, "out");
    const log = path.join(dir, "calls.jsonl");
    const clean = (stack: string) => `Plan ${stack}: exit 0: planned cleanly\n\nPolicy: no violations\n`;
    // alpha: both plan; beta: its base plan fails; gamma: new in head (the base has no such stack), its head plan fails.
    const head = stubCheckout(dir, "head", { alpha: { exit: 0, text: clean("alpha") }, beta: { exit: 0, text: clean("beta") }, gamma: { exit: 1, text: "Plan gamma: exit 1: violation\n" } }, log);
    const alphaDoc = path.join(dir, "alpha-base-document.json");
    fs.writeFileSync(alphaDoc, "{}\n");
    // alpha's base plan lasts until beta's head plan has started: two plans at a time, beta's base ends first,
    // and a script that started alpha's head in the freed slot without waiting for alpha's base is caught.
    const base = stubCheckout(
      dir,
      "base",
      { alpha: { exit: 0, text: "alpha base\n", doc: alphaDoc, endsAfter: { checkout: "head", args: ["--stack", "beta"] } }, beta: { exit: 2, text: "beta base is invalid\n" } },
      log,
    );
    const script = path.join(root, ".github/scripts/offline-plans.sh");
    const res = await run("bash", [script, head, base, out], { cwd: dir, timeoutMs: 60_000, env: { ...process.env, OFFLINE_PLAN_JOBS: "2" } });
    expect(res.status, res.stderr).toBe(1);
    const sections = fs.readFileSync(path.join(out, "comment.md"), "utf8").split("\n### ").slice(1);
    expect(sections.map((s) => s.split("\n")[0])).toEqual(["`alpha`: plans cleanly", "`beta`: plans cleanly", "`gamma`: **mandatory policy violation**"]);
    const noBaseline = (stack: string) => `No baseline: the base branch has no plan for this stack (new stack, or its plan fails; see base-${stack}.log).`;
    expect(sections.map((s) => s.split("\n")[1])).toEqual(["", noBaseline("beta"), noBaseline("gamma")]);
    // Each plan's files, and a base log only for a stack the base has.
    expect(fs.readdirSync(out).sort()).toEqual(["alpha.txt", "base-alpha.json", "base-alpha.log", "base-beta.log", "beta.txt", "comment.md", "gamma.txt"]);
    expect(fs.readFileSync(path.join(out, "base-beta.log"), "utf8")).toBe("beta base is invalid\n");
    expect(fs.readFileSync(path.join(out, "gamma.txt"), "utf8")).toBe("Plan gamma: exit 1: violation\n");
    const calls = stubCalls(log);
    const starts = calls.filter((c) => c.event === "start");
    // Only the head with a base document is diffed.
    expect(starts.filter((c) => c.checkout === "head").map((c) => c.args).sort((a, b) => a[1].localeCompare(b[1]))).toEqual([
      ["--stack", "alpha", "--json", path.join(out, "head-alpha.json"), "--diff", path.join(out, "base-alpha.json")],
      ["--stack", "beta", "--json", path.join(out, "head-beta.json")],
      ["--stack", "gamma", "--json", path.join(out, "head-gamma.json")],
    ]);
    expect(starts.filter((c) => c.checkout === "base").map((c) => c.args[1]).sort()).toEqual(["alpha", "beta"]);
    // Each head plan starts after its base plan ended; beta's head ran beside alpha's base; never more than two at once.
    const at = (checkout: string, event: string, stack: string) => calls.findIndex((c) => c.checkout === checkout && c.event === event && c.args[1] === stack);
    for (const stack of ["alpha", "beta"]) expect(at("head", "start", stack), stack).toBeGreaterThan(at("base", "end", stack));
    expect(at("head", "start", "beta")).toBeLessThan(at("base", "end", "alpha"));
    const running = calls.map((_, i) => calls.slice(0, i + 1).reduce((n, c) => n + (c.event === "start" ? 1 : -1), 0));
    expect(Math.max(...running)).toBe(2);
    // A misspelt job count plans nothing.
    const misspelt = await run("bash", [script, head, base, path.join(dir, "misspelt")], { cwd: dir, env: { ...process.env, OFFLINE_PLAN_JOBS: "two" } });
    expect(misspelt.status).toBe(1);
    expect(misspelt.stderr).toBe('OFFLINE_PLAN_JOBS="two": not a whole number of plans at a time (1 or more)\n');
    expect(stubCalls(log)).toHaveLength(calls.length);
  });
});
