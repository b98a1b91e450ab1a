/**
 * `npm run bench [-- --runs 7]`: times the offline plan against the floor the Pulumi SDK sets. Prints figures;
 * asserts nothing (targets live in README). A plan of prod is both projects: platform, then serving fed
 * platform's outputs through its StackReference.
 *  - plan: `npm run plan -- --stack prod`, a fresh process as a user runs it (npm, Node, the bundle, the SDK,
 *    config checks, both programs, the policy pack, the cost estimate and the summary), wall time
 *  - bare SDK: a plain Node.js script (written here from that plan's document) that registers the same
 *    resources (type, name, parent, provider, inputs, options) with the same SDK under the same mocks
 *    (tools/engine/mocks.ts), and nothing else, wall time of a fresh `node` process. Each resource goes
 *    through the SDK class the program declared it with (tools/sdkClasses.ts: aws.ec2.Subnet, not a generic
 *    CustomResource), and stack traces are off while it registers, as the plan engine runs programs
 *    (tools/engine/record.ts): the floor is the SDK's own cost of these resources under the plan's settings.
 *  - bare, generic: the previous floor, kept for comparison: every resource as a generic CustomResource
 *    with only its set inputs, stack traces on. It does less than half the SDK's per-resource work (about
 *    23,600 runtime promises for prod where the typed classes make 52,300 and the program 56,400).
 *  - both at prod's size and with prod's platform regions scaled to 3x (serving follows platform's regions),
 *    interleaved run by run so machine load hits both alike; medians, the plan/bare ratio and ms per resource
 *  - in-process: planStack() again in this process (program time only, no start-up), at 1x and 3x
 *  - start-up answers: --help, a bad argument and an unknown stack, through npm and with node directly
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { build } from "esbuild";
import { parse as parseYaml, stringify } from "yaml";
import { parseArgs } from "util";
import { PROJECT_DIRS } from "../lib/config/projects";
import { PlanDocument, PlanResource } from "../lib/plan/document";
import { SdkClass, sdkClassOf } from "./sdkClasses";

const root = path.resolve(__dirname, "..");
/** The deferral the plan's bundle installs (tools/launch.mjs), for the bare script's `deferred` floor. */
const DEFER_MODULE = path.join(root, "tools", "deferSdkModules.cjs");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Region codes with 3+ zones, used to scale prod's region list. */
const EXTRA_REGIONS = ["us-west-1", "ca-central-1", "eu-west-1", "eu-west-2", "eu-central-1", "eu-north-1", "ap-northeast-1", "ap-southeast-2", "ap-south-1"];

/**
 * Writes a copy of prod's platform stack file with `factor` times its regions (distinct regions and VPC
 * blocks, each a copy of one of prod's with the region's name replaced), each public name answered by the added regions too, so serving serves its models there as well.
 * Planned with --config-file it replaces platform's stack file (it sets no llm-blueprint:platformStack).
 */
function scaledProdFile(dir: string, factor: number): string {
  const prodFile = path.join(root, PROJECT_DIRS.platform, "stacks", "Pulumi.prod.yaml");
  const doc = parseYaml(fs.readFileSync(prodFile, "utf8")) as { config: Record<string, unknown> };
  const regions = doc.config["llm-blueprint:regions"] as { region: string; vpcCidr: string; availabilityZones: string[] }[];
  const scaled = [...regions];
  for (let i = 0; scaled.length < regions.length * factor; i++) {
    const template = regions[i % regions.length];
    const region = EXTRA_REGIONS[i];
    // Everything of the template naming its region (zones, reservations, ARNs) names the new one.
    const copy = JSON.parse(JSON.stringify(template).replaceAll(template.region, region)) as typeof template;
    scaled.push({ ...copy, region, vpcCidr: `10.${100 + i}.0.0/16` });
  }
  doc.config["llm-blueprint:regions"] = scaled;
  const traffic = doc.config["llm-blueprint:traffic"] as { endpoints?: Record<string, string[]> } | undefined;
  for (const [name, answering] of Object.entries(traffic?.endpoints ?? {})) traffic!.endpoints![name] = [...answering, ...scaled.slice(regions.length).map((r) => r.region)];
  const file = path.join(dir, `Pulumi.prod-x${factor}.yaml`);
  fs.writeFileSync(file, stringify(doc));
  return file;
}

/** Custom resources per project ("platform 290 + serving 255"), to see where a plan's time goes. */
function byProject(doc: PlanDocument): string {
  return (doc.projects ?? []).map((p) => `${p.dir} ${doc.resources.filter((r) => r.custom && r.project === p.name).length}`).join(" + ");
}

/** One resource as the bare script registers it: indexes into the same project's list instead of URNs. */
interface BareResource {
  readonly type: string;
  readonly name: string;
  readonly kind: "provider" | "custom" | "component" | "read";
  readonly parent?: number;
  readonly provider?: number;
  readonly dependsOn: number[];
  readonly inputs: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly ignoreChanges: readonly string[];
  readonly deleteBeforeReplace: boolean;
  readonly customTimeouts?: { create?: string; update?: string; delete?: string };
  /** The class the program declared it with (custom resources and providers). */
  readonly sdkClass?: SdkClass;
  /** A provider's arguments as its class takes them (see providerArgs). */
  readonly providerArgs?: Record<string, unknown>;
}

interface BareProject {
  readonly name: string;
  readonly stack: string;
  readonly outputs: Record<string, unknown>;
  readonly resources: BareResource[];
}

/** The plan's resources, project by project in registration order (a parent, provider or dependency comes first). */
function bareProjects(doc: PlanDocument): BareProject[] {
  return (doc.projects ?? []).map((project) => {
    const own = doc.resources.filter((r) => r.project === project.name && r.type !== "pulumi:pulumi:Stack");
    const index = new Map(own.map((r, i) => [r.urn, i]));
    const ref = (urn: string | undefined, what: string, r: PlanResource): number | undefined => {
      if (urn === undefined) return undefined;
      const i = index.get(urn);
      if (i === undefined) {
        if (urn.includes("::pulumi:pulumi:Stack::")) return undefined; // the stack is the default parent
        throw new Error(`bench: ${r.urn} names ${what} ${urn}, which the plan did not register before it`);
      }
      if (i >= index.get(r.urn)!) throw new Error(`bench: ${r.urn} names ${what} ${urn}, registered after it`);
      return i;
    };
    const seconds = (s: number) => (s > 0 ? `${s}s` : undefined);
    return {
      name: project.name,
      stack: project.stack,
      outputs: (doc.outputs as Record<string, Record<string, unknown>>)[project.name] ?? {},
      resources: own.map((r) => {
        const kind = r.read ? "read" : r.type.startsWith("pulumi:providers:") ? "provider" : r.custom ? "custom" : "component";
        return {
          type: r.type,
          name: r.name,
          kind,
          parent: ref(r.parent, "parent", r),
          provider: r.custom && !r.type.startsWith("pulumi:providers:") ? ref(r.provider, "provider", r) : undefined,
          dependsOn: r.options.dependsOn.map((u) => ref(u, "dependency", r)).filter((i): i is number => i !== undefined),
          inputs: r.inputs,
          providerArgs: kind === "provider" ? providerArgs(r.inputs) : undefined,
          sdkClass: kind === "custom" || kind === "provider" ? sdkClassOf(r.type) : undefined,
          outputs: r.outputs,
          protect: r.options.protect,
          retainOnDelete: r.options.retainOnDelete,
          ignoreChanges: r.options.ignoreChanges,
          deleteBeforeReplace: r.options.deleteBeforeReplace,
          customTimeouts: r.options.customTimeouts && {
            create: seconds(r.options.customTimeouts.createSeconds),
            update: seconds(r.options.customTimeouts.updateSeconds),
            delete: seconds(r.options.customTimeouts.deleteSeconds),
          },
        };
      }),
    };
  });
}

/**
 * A provider's arguments from its recorded inputs: provider classes send object, list, number and boolean
 * arguments JSON-encoded (the engine's provider config is strings), so the record holds them as JSON text;
 * the class would encode that text again. Plain strings ("us-east-1", a masked secret) stay as they are.
 */
function providerArgs(inputs: Record<string, unknown>): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(inputs)) {
    let decoded = value;
    if (typeof value === "string") {
      try {
        const parsed: unknown = JSON.parse(value);
        if (typeof parsed !== "string") decoded = parsed;
      } catch {
        // not JSON: a plain string argument
      }
    }
    args[key] = decoded;
  }
  return args;
}

/**
 * The bare-SDK script: @pulumi/pulumi and the plan's mocks, one loop of `new <class>(...)` per project,
 * nothing of the blueprint's code. `node bare.cjs <data> typed` registers each resource through the SDK
 * class the program used, with stack traces off while the program registers (as tools/engine/record.ts
 * runs programs); `generic` is the previous floor: generic CustomResource/ProviderResource with only the
 * set inputs, stack traces on. It prints how many resources it registered.
 */
const BARE_SCRIPT = `"use strict";
// "deferred": typed, with the deferral the plan's bundle installs (tools/deferSdkModules.cjs, its path in argv[4]).
if (process.argv[3] === "deferred") require(process.argv[4]).deferSdkModules();
const pulumi = require("@pulumi/pulumi");
const { PlanMocks } = require("./mocks.cjs");
const projects = require(process.argv[2]);
const typed = process.argv[3] === "typed" || process.argv[3] === "deferred";
const MISSING = /^Missing required property '([^']+)'/;
/**
 * A typed class refuses a missing required argument. The program passed an output that resolved to
 * nothing under the mocks (a queue's url), which the record drops: pass the same empty output again.
 */
function declare(Class, name, inputs, opts) {
  let args = inputs;
  for (;;) {
    try {
      return new Class(name, args, opts);
    } catch (err) {
      const missing = MISSING.exec(err && err.message);
      if (!missing || missing[1] in args) throw err;
      args = { ...args, [missing[1]]: pulumi.output(undefined) };
    }
  }
}
async function main() {
  const stackOutputs = new Map();
  let registered = 0;
  for (const project of projects) {
    await pulumi.runtime.setMocks(new PlanMocks(stackOutputs), project.name, project.stack, false);
    const stackTraceLimit = Error.stackTraceLimit;
    if (typed) Error.stackTraceLimit = 0;
    await pulumi.runtime.runInPulumiStack(async () => {
      const made = [];
      for (const r of project.resources) {
        const opts = {
          parent: r.parent === undefined ? undefined : made[r.parent],
          provider: r.provider === undefined ? undefined : made[r.provider],
          dependsOn: r.dependsOn.map((i) => made[i]),
          protect: r.protect,
          retainOnDelete: r.retainOnDelete,
          ignoreChanges: r.ignoreChanges,
          deleteBeforeReplace: r.deleteBeforeReplace,
          customTimeouts: r.customTimeouts,
        };
        let made1;
        if (r.kind === "read") made1 = new pulumi.StackReference(r.name, { name: r.inputs.name }, { parent: opts.parent });
        else if (r.kind === "component") {
          made1 = new pulumi.ComponentResource(r.type, r.name, {}, { parent: opts.parent, protect: opts.protect });
          made1.registerOutputs(r.outputs ?? {});
        } else if (typed) {
          const Class = require(r.sdkClass.module)[r.sdkClass.exportName];
          made1 = declare(Class, r.name, r.kind === "provider" ? r.providerArgs : r.inputs, opts);
        } else if (r.kind === "provider") made1 = new pulumi.ProviderResource(r.type.split(":")[2], r.name, r.inputs, opts);
        else made1 = new pulumi.CustomResource(r.type, r.name, r.inputs, opts);
        made.push(made1);
        registered++;
      }
      return project.outputs;
    });
    await pulumi.runtime.disconnect();
    Error.stackTraceLimit = stackTraceLimit;
    stackOutputs.set(project.name + "/" + project.stack, project.outputs);
  }
  process.stdout.write("registered " + registered + "\\n");
}
main().catch((err) => { console.error(err); process.exitCode = 1; });
`;

/** Writes the bare script, its data and the plan's mocks compiled to JavaScript into `dir`. */
async function writeBare(dir: string): Promise<string> {
  await build({
    entryPoints: [path.join(root, "tools", "engine", "mocks.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    packages: "external",
    outfile: path.join(dir, "mocks.cjs"),
    logLevel: "error",
  });
  const script = path.join(dir, "bare.cjs");
  fs.writeFileSync(script, BARE_SCRIPT);
  return script;
}

function timed(command: string, args: readonly string[], expectStatus: (status: number | null) => boolean = (s) => s === 0): { ms: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const res = spawnSync(command, [...args], { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!expectStatus(res.status)) throw new Error(`${command} ${args.join(" ")} exited ${res.status}: ${res.stderr}`);
  return { ms, stdout: res.stdout };
}

interface Case {
  readonly label: string;
  readonly planArgs: readonly string[];
  readonly data: string;
  readonly resources: number;
  readonly split: string;
  readonly plan: number[];
  readonly bare: number[];
  readonly generic: number[];
  readonly deferred: number[];
}

function fmt(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

async function main() {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "7" } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs "${values.runs}": give a whole number of measured runs, 1 or more`);
  const load = os.loadavg().map((l) => l.toFixed(2)).join(" ");
  console.log(`offline plan benchmark on ${os.cpus().length} cores (load average ${load}), Node ${process.version}, ${runs} measured runs each, interleaved`);
  console.log(`prod = both projects (platform, then serving); plan = \`npm run plan -- --stack prod\`; bare SDK = the same resources registered by a plain script`);
  console.log(`through the SDK classes the program declares them with, stack traces off as the plan engine runs programs;`);
  console.log(`bare, generic = the previous floor: generic CustomResource with the set inputs only, stack traces on;`);
  console.log(`bare, deferred = bare SDK with the plan bundle's deferral of two SDK modules a plan never uses (tools/deferSdkModules.cjs)\n`);

  // Inside the repository (git-ignored .build/) so the bare script resolves @pulumi/pulumi from node_modules.
  fs.mkdirSync(path.join(root, ".build"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(root, ".build", "bench-"));
  const bare = await writeBare(dir);
  const cases: Case[] = [];
  // x3: --config-file replaces platform's stack file (it names no platformStack); serving runs with its own.
  for (const [label, planArgs] of [
    ["prod", ["--stack", "prod"]],
    ["prod x3 regions", ["--stack", "prod", "--config-file", scaledProdFile(dir, 3)]],
  ] as const) {
    const json = path.join(dir, `${label.replace(/\W+/g, "-")}.json`);
    timed(npm, ["run", "-s", "plan", "--", ...planArgs, "--json", json, "--quiet"], (s) => s === 0 || s === 1);
    const doc = JSON.parse(fs.readFileSync(json, "utf8")) as PlanDocument;
    const data = path.join(dir, `${label.replace(/\W+/g, "-")}.bare.json`);
    fs.writeFileSync(data, JSON.stringify(bareProjects(doc)));
    const resources = doc.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").length;
    // The bare script must register what the plan registered, or the comparison means nothing.
    for (const mode of ["typed", "generic", "deferred"]) {
      const registered = Number(/registered (\d+)/.exec(timed(process.execPath, [bare, data, mode, DEFER_MODULE]).stdout)?.[1]);
      if (registered !== resources) throw new Error(`bench: the bare script (${mode}) registered ${registered} resources, the plan ${resources}`);
    }
    cases.push({ label, planArgs, data, resources, split: byProject(doc), plan: [], bare: [], generic: [], deferred: [] });
  }

  for (let i = 0; i < runs; i++) {
    process.stderr.write(`round ${i + 1}/${runs}\n`);
    for (const c of cases) {
      // Rotate which goes first so none always runs on a cooler machine.
      const sides = ["plan", "bare", "generic", "deferred"] as const;
      for (let k = 0; k < sides.length; k++) {
        const which = sides[(i + k) % sides.length];
        if (which === "plan") c.plan.push(timed(npm, ["run", "-s", "plan", "--", ...c.planArgs], (s) => s === 0 || s === 1).ms);
        else c[which].push(timed(process.execPath, [bare, c.data, which === "bare" ? "typed" : which, DEFER_MODULE]).ms);
      }
    }
  }
  for (const c of cases) {
    const plan = median(c.plan);
    const bareMs = median(c.bare);
    console.log(`${c.label.padEnd(16)} ${String(c.resources).padStart(5)} resources (${c.split})`);
    console.log(`  plan      median ${fmt(plan)}  ${(plan / c.resources).toFixed(2)} ms/resource  (runs: ${c.plan.map((t) => t.toFixed(0)).join(", ")} ms)`);
    const genericMs = median(c.generic);
    console.log(`  bare SDK  median ${fmt(bareMs)}  ${(bareMs / c.resources).toFixed(2)} ms/resource  (runs: ${c.bare.map((t) => t.toFixed(0)).join(", ")} ms)`);
    console.log(`  plan / bare SDK: ${(plan / bareMs).toFixed(2)} (target <= 1.30)`);
    console.log(`  bare, generic   median ${fmt(genericMs)}  (runs: ${c.generic.map((t) => t.toFixed(0)).join(", ")} ms); plan / generic: ${(plan / genericMs).toFixed(2)}`);
    // The plan's bundle defers two modules the SDK loads and a plan never uses; the same floor with that deferral
    // shows what the plan adds beyond the SDK's own work, with the deferral's gain taken out of the ratio.
    const deferredMs = median(c.deferred);
    console.log(`  bare, deferred  median ${fmt(deferredMs)}  (runs: ${c.deferred.map((t) => t.toFixed(0)).join(", ")} ms); plan / deferred: ${(plan / deferredMs).toFixed(2)}`);
  }
  const [one, three] = cases.map((c) => ({ n: c.resources, plan: median(c.plan), bare: median(c.bare) }));
  // The cost of each added resource: the difference between the two sizes, start-up cancelled out.
  const marginalPlan = (three.plan - one.plan) / (three.n - one.n);
  const marginalBare = (three.bare - one.bare) / (three.n - one.n);
  console.log(`\nper added resource (1x -> 3x): plan ${marginalPlan.toFixed(2)} ms, bare SDK ${marginalBare.toFixed(2)} ms; plan ms/resource at 3x vs 1x: ${(three.plan / three.n / (one.plan / one.n)).toFixed(2)}x`);

  // In-process: the programs, pack and cost again with everything loaded (no start-up at all).
  const { planStack } = await import("./engine/run");
  for (const c of cases) {
    const configFile = c.planArgs.includes("--config-file") ? c.planArgs[c.planArgs.indexOf("--config-file") + 1] : undefined;
    const times: number[] = [];
    let n = 0;
    for (let i = 0; i < runs + 1; i++) {
      const t0 = process.hrtime.bigint();
      const doc = await planStack({ projectDir: root, stack: "prod", configFile });
      if (i > 0) times.push(Number(process.hrtime.bigint() - t0) / 1e6); // the first pays module loading
      n = doc.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").length;
    }
    console.log(`${`${c.label}, in-process`.padEnd(28)} median ${fmt(median(times))}  ${(median(times) / n).toFixed(2)} ms/resource`);
  }

  // Start-up answers: nothing of the SDK should load for these.
  const answers: [string, string[], number][] = [
    ["--help", ["--help"], 0],
    ["bad argument", ["--stak", "prod"], 2],
    ["unknown stack", ["--stack", "nope"], 2],
  ];
  console.log("");
  for (const [label, args, status] of answers) {
    const viaNpm: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < runs; i++) {
      viaNpm.push(timed(npm, ["run", "-s", "plan", "--", ...args], (s) => s === status).ms);
      direct.push(timed(process.execPath, ["tools/launch.mjs", "tools/plan.ts", ...args], (s) => s === status).ms);
    }
    console.log(`${label.padEnd(14)} node tools/launch.mjs median ${fmt(median(direct))} (target < 0.3 s); through npm ${fmt(median(viaNpm))}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
