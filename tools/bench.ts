/**
 * `npm run bench [-- --runs 5]`: times the offline plan. Prints figures; asserts nothing (targets live in README).
 * A plan of prod is both projects: platform, then serving fed platform's outputs through its StackReference.
 *  - cold: a fresh `tsx tools/plan.ts --stack prod` process, wall time (includes Node, tsx and SDK start-up)
 *  - warm: planStack() again in one process (program time only), prod and prod with its platform stack
 *    scaled to 3x regions (serving follows platform's regions, so both projects grow)
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml, stringify } from "yaml";
import { parseArgs } from "util";
import { planStack } from "./engine/run";
import { PROJECT_DIRS } from "../lib/config/projects";
import { PlanDocument } from "../lib/plan/document";

const root = path.resolve(__dirname, "..");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Region codes with 3+ zones, used to scale prod's region list. */
const EXTRA_REGIONS = ["us-west-1", "ca-central-1", "eu-west-1", "eu-west-2", "eu-central-1", "eu-north-1", "ap-northeast-1", "ap-southeast-2", "ap-south-1"];

/**
 * Writes a copy of prod's platform stack file with `factor` times its regions (distinct regions and VPC
 * blocks), each public name answered by the added regions too, so serving serves its models there as well.
 * Planned with --config-file it replaces platform's stack file (it sets no llm-blueprint:platformStack).
 */
function scaledProdFile(factor: number): string {
  const prodFile = path.join(root, PROJECT_DIRS.platform, "stacks", "Pulumi.prod.yaml");
  const doc = parseYaml(fs.readFileSync(prodFile, "utf8")) as { config: Record<string, unknown> };
  const regions = doc.config["llm-blueprint:regions"] as { region: string; vpcCidr: string; availabilityZones: string[] }[];
  const scaled = [...regions];
  for (let i = 0; scaled.length < regions.length * factor; i++) {
    const template = regions[i % regions.length];
    const region = EXTRA_REGIONS[i];
    scaled.push({ ...template, region, vpcCidr: `10.${100 + i}.0.0/16`, availabilityZones: ["a", "b", "c"].map((z) => `${region}${z}`) });
  }
  doc.config["llm-blueprint:regions"] = scaled;
  const traffic = doc.config["llm-blueprint:traffic"] as { endpoints?: Record<string, string[]> } | undefined;
  for (const [name, answering] of Object.entries(traffic?.endpoints ?? {})) traffic!.endpoints![name] = [...answering, ...scaled.slice(regions.length).map((r) => r.region)];
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-")), `Pulumi.prod-x${factor}.yaml`);
  fs.writeFileSync(file, stringify(doc));
  return file;
}

/** Custom resources per project ("platform 290 + serving 255"), to see where a plan's time goes. */
function byProject(doc: PlanDocument): string {
  return (doc.projects ?? []).map((p) => `${p.dir} ${doc.resources.filter((r) => r.custom && r.project === p.name).length}`).join(" + ");
}

async function warm(label: string, runs: number, configFile?: string) {
  const times: number[] = [];
  let resources = 0;
  let split = "";
  for (let i = 0; i < runs + 1; i++) {
    const t0 = process.hrtime.bigint();
    const doc = await planStack({ projectDir: root, stack: "prod", configFile });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i > 0) times.push(ms); // the first run pays module loading; it is the cold half of "warm"
    resources = doc.resources.filter((r) => r.custom).length;
    split = byProject(doc);
    // Still timed, but said: a plan with mandatory violations is not the plan a deploy would run.
    const mandatory = [...new Set(doc.policy.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policy))];
    if (i === 0 && mandatory.length > 0) console.log(`note: ${label} has mandatory policy violations (${mandatory.join(", ")})`);
  }
  const med = median(times);
  console.log(`${label.padEnd(28)} ${String(resources).padStart(5)} resources  median ${(med / 1000).toFixed(3)} s  ${(med / resources).toFixed(2)} ms/resource  (runs: ${times.map((t) => t.toFixed(0)).join(", ")} ms; ${split})`);
  return { resources, med };
}

async function main() {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs "${values.runs}": give a whole number of measured runs, 1 or more`);
  console.log(`offline plan benchmark on ${os.cpus().length} cores, Node ${process.version}, ${runs} measured runs each; prod = both projects (platform, then serving)\n`);

  const cold: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const res = spawnSync(path.join(root, "node_modules/.bin/tsx"), ["tools/plan.ts", "--stack", "prod", "--quiet"], { cwd: root });
    if (res.status !== 0) throw new Error(`plan exited ${res.status}: ${res.stderr}`);
    cold.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  console.log(`${"prod, cold process".padEnd(28)} median ${(median(cold) / 1000).toFixed(3)} s wall  (runs: ${cold.map((t) => t.toFixed(0)).join(", ")} ms)`);

  const prod = await warm("prod, warm in-process", runs);
  const scaled = await warm("prod x3 regions, warm", runs, scaledProdFile(3));
  const ratio = scaled.med / scaled.resources / (prod.med / prod.resources);
  console.log(`\nper-resource cost at 3x regions vs prod: ${ratio.toFixed(2)}x (1.00 = flat)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
