/**
 * `npm run bench`: times the offline plan. Prints figures; asserts nothing (targets live in README).
 *  - cold: a fresh `tsx tools/plan.ts --stack prod` process, wall time (includes Node, tsx and SDK start-up)
 *  - warm: planStack() again in one process (program time only), prod and a stack scaled to 3x regions
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml, stringify } from "yaml";
import { parseArgs } from "util";
import { planStack } from "./engine/run";
import { readProjectFile, readStackFile } from "../lib/plan/stackfile";

const root = path.resolve(__dirname, "..");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Region codes with 3+ zones, used to scale prod's region list. */
const EXTRA_REGIONS = ["us-west-1", "ca-central-1", "eu-west-1", "eu-west-2", "eu-central-1", "eu-north-1", "ap-northeast-1", "ap-southeast-2", "ap-south-1"];

/** Writes a copy of prod with `factor` times its regions (distinct regions and VPC blocks). */
function scaledProdFile(factor: number): string {
  const project = readProjectFile(root);
  const prodFile = path.join(root, readStackFile(root, project, "prod").file);
  const doc = parseYaml(fs.readFileSync(prodFile, "utf8")) as { config: Record<string, unknown> };
  const regions = doc.config["llm-blueprint:regions"] as { region: string; vpcCidr: string; availabilityZones: string[] }[];
  const scaled = [...regions];
  for (let i = 0; scaled.length < regions.length * factor; i++) {
    const template = regions[i % regions.length];
    const region = EXTRA_REGIONS[i];
    scaled.push({ ...template, region, vpcCidr: `10.${100 + i}.0.0/16`, availabilityZones: ["a", "b", "c"].map((z) => `${region}${z}`) });
  }
  doc.config["llm-blueprint:regions"] = scaled;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-")), `Pulumi.prod-x${factor}.yaml`);
  fs.writeFileSync(file, stringify(doc));
  return file;
}

async function warm(label: string, runs: number, configFile?: string) {
  const times: number[] = [];
  let resources = 0;
  for (let i = 0; i < runs + 1; i++) {
    const t0 = process.hrtime.bigint();
    const doc = await planStack({ projectDir: root, stack: "prod", configFile });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i > 0) times.push(ms); // the first run pays module loading; it is the cold half of "warm"
    resources = doc.resources.filter((r) => r.custom).length;
  }
  const med = median(times);
  console.log(`${label.padEnd(28)} ${String(resources).padStart(5)} resources  median ${(med / 1000).toFixed(3)} s  ${(med / resources).toFixed(2)} ms/resource  (runs: ${times.map((t) => t.toFixed(0)).join(", ")} ms)`);
  return { resources, med };
}

async function main() {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
  const runs = Number(values.runs);
  console.log(`offline plan benchmark on ${os.cpus().length} cores, Node ${process.version}, ${runs} measured runs each\n`);

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
