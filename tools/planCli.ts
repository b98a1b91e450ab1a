/**
 * The offline plan's command line, as a function: arguments and output streams in, exit code out.
 * tools/plan.ts (what `npm run plan` runs) is this plus the process around it: it hands over process.argv,
 * the environment and the standard streams, ends a run whose program left an unhandled rejection, and sets
 * the exit code. Tests that assert what a plan prints call this in their own process instead of starting one
 * (test/planInProcess.ts); what the process adds is tested by running tools/plan.ts.
 *
 * Relative paths in the arguments are read against the process's working directory, as a shell user's are.
 * Usage, flags and exit codes: tools/plan.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import type { PlanDocument } from "../lib/plan/document";
import { PROJECT_DIRS, ProjectRole } from "../lib/config/projects";
import { projectStacks } from "./engine/stacks";

/** Where the plan's command line reads its environment and writes its output. */
export interface PlanCliIo {
  /** The environment: only npm's variables are read (npm_lifecycle_event, npm_config_*), to catch flags npm kept. */
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}


const USAGE = [
  "usage: npm run plan -- [--stack <name>] [--project platform|serving] [--json <file>] [--config-file <stack file>]",
  "                       [--policy-pack-config <file>]",
  "                       [--price-file <file>] [--diff <baseline plan.json> [--fail-on-diff]] [--outputs] [--quiet]",
  "  the flags go after `--`: without it npm keeps them for itself and the plan never sees them",
].join("\n");

const OPTIONS = {
  stack: { type: "string", default: "dev" },
  project: { type: "string" },
  json: { type: "string" },
  "config-file": { type: "string" },
  "policy-pack-config": { type: "string" },
  "price-file": { type: "string" },
  quiet: { type: "boolean", default: false },
  outputs: { type: "boolean", default: false },
  diff: { type: "string" },
  "fail-on-diff": { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

/** The price file the cost estimate reads unless --price-file names another (lib/plan/run.ts DEFAULT_PRICE_FILE). */
const DEFAULT_PRICE_FILE = path.join("pricing", "aws-on-demand.yaml");

/** A bad invocation: one line (or a few) on stderr, exit 2, nothing planned or written. */
class UsageError extends Error {
  readonly exitCode = 2;
}

/**
 * `npm run plan --stack prod` (no `--`) hands `--stack` to npm, which exports it as
 * `npm_config_stack` ("true" when the value came as a separate word, which then reaches the plan
 * as a stray argument) and runs the plan without it: a silent plan of dev. Checked with npm 11.19.1
 * on Node 20.20.2 (2026-11-25): `--stack=prod` gives npm_config_stack=prod; `--stack prod` gives
 * npm_config_stack=true plus the argument "prod"; `--json` is npm's own boolean and `--quiet` its
 * log level, so neither can be passed through. Returns the refusal message, or undefined.
 */
function npmSwallowedFlags(env: NodeJS.ProcessEnv, argv: readonly string[], positionals: readonly string[]): string | undefined {
  if (env.npm_lifecycle_event !== "plan") return undefined;
  const given = new Set(argv.filter((a) => a.startsWith("--")).map((a) => a.slice(2).split("=")[0]));
  const lost = Object.keys(OPTIONS).filter((name) => name !== "help" && !given.has(name) && env[`npm_config_${name.replace(/-/g, "_")}`] !== undefined);
  if (lost.length === 0) return undefined;
  // A value npm read as "true" arrived as the next stray argument: give it back to its flag.
  const strays = [...positionals];
  const rest = [...argv];
  const words: string[] = [];
  for (const name of lost) {
    const value = env[`npm_config_${name.replace(/-/g, "_")}`]!;
    if (OPTIONS[name as keyof typeof OPTIONS].type === "boolean") {
      words.push(`--${name}`);
    } else if (value !== "true" && value !== "") {
      words.push(`--${name}`, value);
    } else {
      const stray = strays.shift();
      if (stray !== undefined) rest.splice(rest.indexOf(stray), 1);
      words.push(`--${name}`, stray ?? "<value>");
    }
  }
  const command = ["npm run plan --", ...words, ...rest].join(" ");
  return (
    `npm took ${lost.map((n) => `--${n}`).join(", ")} as its own option${lost.length > 1 ? "s" : ""} (npm_config_${lost[0].replace(/-/g, "_")}=` +
    `${env[`npm_config_${lost[0].replace(/-/g, "_")}`]}), so the plan would not see ${lost.length > 1 ? "them" : "it"} and would plan the wrong stack or settings.\n` +
    `Put the plan's flags after \`--\`: ${command}`
  );
}

/** Reads a plan document written by --json; a missing or foreign file is a usage error (exit 2). */
function readBaseline(file: string): PlanDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new UsageError(`cannot read baseline plan ${file}: ${(err as Error).message}`);
  }
  const d = doc as Partial<PlanDocument> | null;
  if (!d || typeof d.stack !== "string" || !Array.isArray(d.resources) || !d.policy) {
    throw new UsageError(`${file} is not a plan document (write one with npm run plan -- --stack <name> --json <file>)`);
  }
  return d as PlanDocument;
}

function requireFile(flag: string, file: string): void {
  if (!fs.existsSync(file)) throw new UsageError(`${flag} ${file}: no such file`);
  if (!fs.statSync(file).isFile()) throw new UsageError(`${flag} ${file}: not a file`);
}

/** The plan document goes to a file in an existing, writable directory; checked before planning. */
function checkOutputFile(file: string): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw new UsageError(`--json ${file}: directory ${dir} does not exist (create it, or write the plan elsewhere)`);
  if (!fs.statSync(dir).isDirectory()) throw new UsageError(`--json ${file}: ${dir} is not a directory`);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UsageError(`--json ${file}: is a directory; name a file`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new UsageError(`--json ${file}: directory ${dir} is not writable`);
  }
}

async function plan(argv: readonly string[], io: PlanCliIo): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true }));
  } catch (err) {
    const swallowed = npmSwallowedFlags(io.env, argv, []);
    throw new UsageError(swallowed ?? `${(err as Error).message}\n${USAGE}`);
  }
  const swallowed = npmSwallowedFlags(io.env, argv, positionals);
  if (swallowed) throw new UsageError(swallowed);
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const projectDir = path.resolve(__dirname, "..");
  const requested = values.project;
  if (requested !== undefined && requested !== "platform" && requested !== "serving") throw new UsageError(`--project "${requested}": the projects are platform and serving (leave it out to plan both)\n${USAGE}`);
  const project: ProjectRole | undefined = requested;
  const planned: readonly ProjectRole[] = project ? [project] : ["platform", "serving"];
  // A stack is a stack of the blueprint when every planned project has its file.
  const stacks = projectStacks(projectDir, planned[0]).filter((s) => planned.every((p) => projectStacks(projectDir, p).includes(s)));
  const stackDir = path.join(PROJECT_DIRS[planned[0]], "stacks");
  if (positionals.length > 0) {
    const hint = stacks.includes(positionals[0]) ? ` (did you mean --stack ${positionals[0]}?)` : "";
    throw new UsageError(`unexpected argument "${positionals[0]}"${hint}; the plan takes only flags\n${USAGE}`);
  }
  const stackFileOf = (name: string) => path.join(stackDir, `Pulumi.${name}.yaml`);
  if (!stacks.includes(values.stack)) {
    const missing = planned.map((p) => path.join(PROJECT_DIRS[p], "stacks", `Pulumi.${values.stack}.yaml`)).filter((f) => !fs.existsSync(path.join(projectDir, f)));
    throw new UsageError(`stack "${values.stack}" not found: ${missing.join(" and ")} ${missing.length > 1 ? "do" : "does"} not exist; the stacks are ${stacks.join(", ")} (${planned.map((p) => path.join(PROJECT_DIRS[p], "stacks", "Pulumi.<name>.yaml")).join(", ")})`);
  }
  const configFile = values["config-file"];
  if (configFile) {
    requireFile("--config-file", configFile);
    // Another stack's file planned under this stack's name would mix two stacks (names, pack config).
    const owner = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(configFile))?.[1];
    if (owner && owner !== values.stack && stacks.includes(owner)) {
      throw new UsageError(
        `--config-file ${configFile} is the stack file of "${owner}", but --stack is "${values.stack}"; plan it as its own stack: npm run plan -- --stack ${owner}${project ? ` --project ${project}` : ""}` +
          (path.resolve(configFile) === path.resolve(projectDir, stackFileOf(owner)) ? "" : ` --config-file ${configFile}`),
      );
    }
  }
  if (values["fail-on-diff"] && !values.diff) throw new UsageError(`--fail-on-diff needs --diff <baseline plan.json>\n${USAGE}`);
  if (values["policy-pack-config"]) requireFile("--policy-pack-config", values["policy-pack-config"]);
  // Without prices the cost section would quietly vanish; a plan always carries its cost.
  const priceFile = values["price-file"] ?? DEFAULT_PRICE_FILE;
  const priceFilePath = path.resolve(values["price-file"] ? process.cwd() : projectDir, priceFile);
  if (!fs.existsSync(priceFilePath)) {
    throw new UsageError(`price file ${priceFile} not found: the plan's cost estimate needs it${values["price-file"] ? "" : " (restore it: git checkout -- pricing/aws-on-demand.yaml)"}`);
  }
  if (values.json) checkOutputFile(values.json);
  const baseline = values.diff ? readBaseline(values.diff) : undefined;

  // Only now load the Pulumi SDK, the providers and the policy pack.
  const [{ planStack }, { diffPlans, renderDiff }, { planVerdict, renderSummary, renderVerdictLine }] = await Promise.all([
    import("./engine/run"),
    import("../lib/plan/diff"),
    import("../lib/plan/summary"),
  ]);
  const doc = await planStack({ projectDir, stack: values.stack, project, configFile, policyPackConfig: values["policy-pack-config"], priceFile: priceFilePath, baseline: baseline && { doc: baseline, label: values.diff! } });
  if (values.json) {
    try {
      fs.writeFileSync(values.json, JSON.stringify(doc, null, 2) + "\n");
    } catch (err) {
      throw new UsageError(`--json ${values.json}: cannot write the plan document: ${(err as Error).message}`);
    }
  }
  const diff = baseline ? diffPlans(baseline, doc) : undefined;
  const opts = { diff, baseLabel: values.diff, failOnDiff: values["fail-on-diff"], jsonFile: values.json, outputs: values.outputs };
  io.stdout.write((values.quiet ? renderVerdictLine(doc, opts) : renderSummary(doc, opts)) + "\n");
  if (diff) {
    if (baseline!.stack !== doc.stack) io.stdout.write(`\nnote: the baseline is a plan of stack ${baseline!.stack}, this is ${doc.stack}\n`);
    io.stdout.write(`\n${renderDiff(diff, values.diff!)}\n`);
  }
  return planVerdict(doc, opts).exitCode;
}

/** An error that carries its own exit code (PlanError, InputFileError, UsageError) is a message for people, not a crash. */
function expectedExit(err: unknown): number | undefined {
  const code = err instanceof Error ? (err as { exitCode?: unknown }).exitCode : undefined;
  return typeof code === "number" ? code : undefined;
}

/**
 * Runs the plan's command line: `argv` are the arguments after the tool (`--stack prod --json plan.json`).
 * Resolves to the exit code; a bad invocation, a config error or a failed program is a message on `io.stderr`
 * and exit 2, never a rejection. An error inside an Output callback surfaces as an unhandled rejection of the
 * process, not here: the caller ends the run on one (tools/plan.ts does).
 */
export async function runPlanCli(argv: readonly string[], io: PlanCliIo): Promise<number> {
  try {
    return await plan(argv, io);
  } catch (err) {
    const code = expectedExit(err);
    if (code !== undefined) {
      io.stderr.write(`${(err as Error).message}\n`);
      return code;
    }
    io.stderr.write(`plan failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    return 2;
  }
}
