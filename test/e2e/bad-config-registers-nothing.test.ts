import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { PlanDocument } from "../../lib/plan/document";
import { StackConfigError } from "../../lib/config/validate";
import { recordProgram } from "../../tools/engine/record";
import { readConfigFile } from "../../lib/plan/stackfile";
import { committedStackDocument } from "../planRuns";
import { planInProcess } from "../planInProcess";
import { inDirectory } from "../workingDirectory";

const root = path.resolve(__dirname, "../..");
const PLATFORM = "llm-blueprint-platform";
const SERVING = "llm-blueprint-serving";

/**
 * Runs one project's real entry point (what `pulumi up` runs: platform/index.ts or serving/index.ts) from
 * its directory with `configFile`'s config, and returns what it threw and what it registered. The error
 * is caught inside the program, as the SDK would otherwise also surface it as an unhandled rejection.
 */
async function runEntryPoint(role: "platform" | "serving", stack: string, configFile: string, stackOutputs?: ReadonlyMap<string, Record<string, unknown>>) {
  const project = role === "platform" ? PLATFORM : SERVING;
  const { config, secretKeys } = readConfigFile(configFile, path.basename(configFile), project);
  let caught: unknown;
  const recorded = await inDirectory(path.join(root, role), () =>
    recordProgram(
      async () => {
        const mod = (await import(role === "platform" ? "../../platform/index" : "../../serving/index")) as unknown as { default?: () => Promise<unknown> } | (() => Promise<unknown>);
        try {
          return await (typeof mod === "function" ? mod : mod.default!)();
        } catch (err) {
          caught = err;
          return {};
        }
      },
      { project, stack, config, secretKeys, stackOutputs },
    ),
  );
  return { caught, types: recorded.resources.map((r) => r.type) };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bad-input-"));
/** A copy of a committed stack file of one project with `edit` applied, written where --config-file can read it. */
function stackVariant(project: "platform" | "serving", stack: string, name: string, edit: (text: string) => string): string {
  const text = fs.readFileSync(path.join(root, project, "stacks", `Pulumi.${stack}.yaml`), "utf8");
  const edited = edit(text);
  expect(edited).not.toBe(text);
  const file = path.join(tmp, `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, edited);
  return file;
}

describe("a bad config", () => {
  it("stops platform's entry point before any resource is registered", async () => {
    const { caught, types } = await runEntryPoint("platform", "bad", path.join(root, "test/fixtures/platform/Pulumi.bad-config.yaml"));
    expect(StackConfigError.isInstance(caught)).toBe(true);
    expect((caught as StackConfigError).problems.length).toBeGreaterThanOrEqual(7);
    // Only the root stack resource, which Pulumi itself registers before the program runs.
    expect(types).toEqual(["pulumi:pulumi:Stack"]);
  });

  describe("in serving's stack file", () => {
    let platformOutputs: ReadonlyMap<string, Record<string, unknown>>;
    beforeAll(async () => {
      // Platform's dev outputs, for serving's reference: those of the committed dev stack's plan document (the test
      // run's shared `npm run plan -- --stack dev --json`, test/planRuns.ts), which records platform's program as
      // recordProjects does, instead of running that program again here.
      const { outputs } = await committedStackDocument("dev");
      platformOutputs = new Map([[`${PLATFORM}/dev`, outputs[PLATFORM] as Record<string, unknown>]]);
    });

    it("stops serving's entry point after reading the platform stack, before any resource it manages", async () => {
      // A replica floor over its ceiling, and more GPUs than platform's pool has: the second is found only
      // with platform's regions at hand, so the program has read the reference by then.
      const file = stackVariant("serving", "dev", "bad-serving", (t) => t.replace("replicas: { min: 1, max: 2 }", "replicas: { min: 3, max: 2 }"));
      const { caught, types } = await runEntryPoint("serving", "dev", file, platformOutputs);
      expect(StackConfigError.isInstance(caught), String(caught)).toBe(true);
      expect((caught as StackConfigError).problems.map((p) => p.path)).toEqual(["llm-blueprint:serving.models[0].replicas.min", "llm-blueprint:serving.models"]);
      expect((caught as StackConfigError).problems[1].message).toContain('need 3 GPUs in pool "l4" of us-west-2, which has at most 2');
      expect(types).toEqual(["pulumi:pulumi:Stack", "pulumi:pulumi:StackReference"]);
    });
  });
});

const NO_TRACE = /\n\s+at \S+ \(|plan failed/;

// `npm run plan`'s command line, in this process (test/planInProcess.ts; test/e2e/plan-cli.test.ts runs a bad config
// through the plan's own process): every bad input below must end in its exit code and message, never a stack trace.
describe("bad input through npm run plan", () => {
  it("a misspelt config namespace stops the program before any resource, naming the nearest valid key", async () => {
    // Observability is serving's key: serving's program stops before it even reads the platform stack.
    const file = stackVariant("serving", "dev", "misspelt-namespace", (t) => t.replace("llm-blueprint:observability:", "llm-bluepirnt:observability:"));
    const { caught, types } = await runEntryPoint("serving", "dev", file);
    expect(StackConfigError.isInstance(caught)).toBe(true);
    expect((caught as StackConfigError).problems).toContainEqual({
      path: "llm-bluepirnt:observability",
      message: '"llm-bluepirnt" is not a config namespace anything reads (did you mean "llm-blueprint:observability"?); allowed namespaces: llm-blueprint, pulumi, aws, kubernetes, random',
    });
    expect(types).toEqual(["pulumi:pulumi:Stack"]);
    const { code, stderr, stdout } = await planInProcess(["--stack", "dev", "--config-file", file]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain('  - llm-bluepirnt:observability: "llm-bluepirnt" is not a config namespace anything reads (did you mean "llm-blueprint:observability"?)');
    expect(stderr).not.toMatch(NO_TRACE);
  });

  it("a YAML syntax error in the stack file is one message with file, line, column and the line, exit 2", async () => {
    const { code, stderr } = await planInProcess(["--stack", "dev", "--config-file", "test/fixtures/syntax/Pulumi.unclosed-list.yaml"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^test\/fixtures\/syntax\/Pulumi\.unclosed-list\.yaml:\d+:\d+: YAML syntax error: .*\n(.*\n)*\s+\^+\n$/);
    expect(stderr).not.toMatch(NO_TRACE);
  });

  it("a pack config with a misspelt level, an unknown policy and a lowered governance rule in prod is refused, exit 2", async () => {
    const config = path.join(tmp, "lowered.json");
    fs.writeFileSync(config, JSON.stringify({ "pod-hardening": "advsory", "kms-key-rotaton": "mandatory", "approved-model-versions": "disabled" }));
    const { code, stderr } = await planInProcess(["--stack", "prod", "--policy-pack-config", config]);
    expect(code).toBe(2);
    const lines = stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^Invalid policy pack config \S*lowered\.json \(3 problems\):$/);
    expect(lines).toContain('  - pod-hardening: "advsory" is not an enforcement level; allowed: advisory, mandatory, remediate, disabled (did you mean "advisory"?)');
    expect(lines.some((l) => l.startsWith('  - kms-key-rotaton: is not a policy of this pack (did you mean "kms-key-rotation"?)'))).toBe(true);
    expect(lines.some((l) => l.startsWith('  - approved-model-versions: "disabled" would lower a rule that guards model governance or data loss') && l.includes("platform governance team") && l.includes("policies/pack.ts"))).toBe(true);
    expect(stderr).not.toMatch(NO_TRACE);
  });

  it("a plan over the stack's monthly cost ceiling is a mandatory violation, exit 1", async () => {
    // The ceiling is platform's key (it covers both projects' cost).
    const file = stackVariant("platform", "dev", "over-budget", (t) => `${t.trimEnd()}\n  llm-blueprint:costCeilingUsdPerMonth: 100\n`);
    const out = path.join(tmp, "over-budget.json");
    const { code, stderr } = await planInProcess(["--stack", "dev", "--config-file", file, "--json", out]);
    expect(stderr).toBe("");
    expect(code).toBe(1);
    const doc = JSON.parse(fs.readFileSync(out, "utf8")) as PlanDocument;
    const over = doc.policy.violations.filter((v) => v.policy === "cost-ceiling");
    expect(over).toHaveLength(1);
    expect(over[0].enforcementLevel).toBe("mandatory");
    expect(doc.cost!.total.monthly.max).toBeGreaterThan(100);
    expect(over[0].message).toMatch(/^the plan costs up to \$[\d,]+\.\d\d a month on demand at maximum scale, over the ceiling llm-blueprint:costCeilingUsdPerMonth = \$100\.00 \(\S+over-budget\.yaml\) by \$[\d,]+\.\d\d; /);
  });
});
