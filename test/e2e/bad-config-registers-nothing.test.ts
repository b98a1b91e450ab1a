import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { PlanDocument } from "../../lib/plan/document";
import { StackConfigError } from "../../lib/config/validate";
import { recordProgram } from "../../tools/engine/record";
import { readConfigFile } from "../../lib/plan/stackfile";
import { entryPoint } from "../harness";
import { run } from "../spawn";

const root = path.resolve(__dirname, "../..");

describe("a bad config", () => {
  it("stops the real entry point before any resource is registered", async () => {
    const { config } = readConfigFile(path.join(root, "test/fixtures/Pulumi.bad-config.yaml"), "bad", "llm-blueprint");
    let caught: unknown;
    const run = await recordProgram(
      async () => {
        const program = await entryPoint();
        try {
          await program();
        } catch (err) {
          caught = err;
        }
        return {};
      },
      { project: "llm-blueprint", stack: "bad", config },
    );
    expect(StackConfigError.isInstance(caught)).toBe(true);
    expect((caught as StackConfigError).problems.length).toBeGreaterThanOrEqual(7);
    // Only the root stack resource, which Pulumi itself registers before the program runs.
    expect(run.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
  });
});

/** `npm run plan` as a user runs it; every bad input below must end in its exit code and message, never a stack trace. */
async function runPlan(args: string[]) {
  const res = await run(path.join(root, "node_modules", ".bin", "tsx"), ["tools/plan.ts", ...args], { cwd: root, timeoutMs: 120_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bad-input-"));
/** A copy of a committed stack file with `edit` applied, written where --config-file can read it. */
function stackVariant(stack: string, name: string, edit: (text: string) => string): string {
  const file = path.join(tmp, `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, edit(fs.readFileSync(path.join(root, `stacks/Pulumi.${stack}.yaml`), "utf8")));
  return file;
}
const NO_TRACE = /\n\s+at \S+ \(|plan failed/;

describe("bad input through npm run plan", () => {
  it("a misspelt config namespace stops the program before any resource, naming the nearest valid key", async () => {
    const file = stackVariant("dev", "misspelt-namespace", (t) => t.replace("llm-blueprint:observability:", "llm-bluepirnt:observability:"));
    const { config } = readConfigFile(file, "misspelt", "llm-blueprint");
    let caught: unknown;
    const run = await recordProgram(
      async () => {
        try {
          await (await entryPoint())();
        } catch (err) {
          caught = err;
        }
        return {};
      },
      { project: "llm-blueprint", stack: "dev", config },
    );
    expect(StackConfigError.isInstance(caught)).toBe(true);
    expect((caught as StackConfigError).problems).toContainEqual({
      path: "llm-bluepirnt:observability",
      message: '"llm-bluepirnt" is not a config namespace anything reads (did you mean "llm-blueprint:observability"?); allowed namespaces: llm-blueprint, pulumi, aws, kubernetes, random',
    });
    expect(run.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
    const { code, stderr, stdout } = await runPlan(["--stack", "dev", "--config-file", file]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain('  - llm-bluepirnt:observability: "llm-bluepirnt" is not a config namespace anything reads (did you mean "llm-blueprint:observability"?)');
    expect(stderr).not.toMatch(NO_TRACE);
  });

  it("a YAML syntax error in the stack file is one message with file, line, column and the line, exit 2", async () => {
    const { code, stderr } = await runPlan(["--stack", "dev", "--config-file", "test/fixtures/syntax/Pulumi.unclosed-list.yaml"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^test\/fixtures\/syntax\/Pulumi\.unclosed-list\.yaml:\d+:\d+: YAML syntax error: .*\n(.*\n)*\s+\^+\n$/);
    expect(stderr).not.toMatch(NO_TRACE);
  });

  it("a pack config with a misspelt level, an unknown policy and a lowered governance rule in prod is refused, exit 2", async () => {
    const config = path.join(tmp, "lowered.json");
    fs.writeFileSync(config, JSON.stringify({ "pod-hardening": "advsory", "kms-key-rotaton": "mandatory", "approved-model-versions": "disabled" }));
    const { code, stderr } = await runPlan(["--stack", "prod", "--policy-pack-config", config]);
    expect(code).toBe(2);
    const lines = stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^Invalid policy pack config \S*lowered\.json \(3 problems\):$/);
    expect(lines).toContain('  - pod-hardening: "advsory" is not an enforcement level; allowed: advisory, mandatory, remediate, disabled (did you mean "advisory"?)');
    expect(lines.some((l) => l.startsWith('  - kms-key-rotaton: is not a policy of this pack (did you mean "kms-key-rotation"?)'))).toBe(true);
    expect(lines.some((l) => l.startsWith('  - approved-model-versions: "disabled" would lower a rule that guards model governance or data loss') && l.includes("platform governance team") && l.includes("policies/pack.ts"))).toBe(true);
    expect(stderr).not.toMatch(NO_TRACE);
  });

  it("a plan over the stack's monthly cost ceiling is a mandatory violation, exit 1", async () => {
    const file = stackVariant("dev", "over-budget", (t) => `${t.trimEnd()}\n  llm-blueprint:costCeilingUsdPerMonth: 100\n`);
    const out = path.join(tmp, "over-budget.json");
    const { code, stderr } = await runPlan(["--stack", "dev", "--config-file", file, "--json", out]);
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
