import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { evaluatePolicies } from "../../lib/plan/policy";
import { buildPolicies, PACK_NAME } from "../../policies/pack";
import { inProcessPack, PackEvaluator, PackSetup } from "../../tools/engine/packSession";
import { PACK_WORKER_MODULE, PackInputError, startPackWorker } from "../../tools/engine/packThread";
import { recordStack } from "../policies/harness";
import { run } from "../spawn";

// The plan's bundle evaluates the policy pack in a worker thread of the bundle itself (tools/launch.mjs
// worker entry, tools/engine/packWorker.ts). Here the worker runs from the real bundle, fed as the plan
// feeds it, and is held to the in-process evaluator: same violations, same errors.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

const root = path.resolve(__dirname, "../..");
const bundle = { file: path.join(root, ".build", "tools-plan.cjs"), workers: [PACK_WORKER_MODULE], workerDataKey: "__llmBlueprintWorker" };

/** The plan's sequence: configure, each project's resources as its program ends, finish; closed either way. */
async function feed(pack: PackEvaluator, setup: PackSetup, parts: readonly (readonly PlanResource[])[]) {
  try {
    const { packName } = await pack.configure(setup);
    for (const part of parts) pack.add(part);
    return { packName, violations: await pack.finish() };
  } finally {
    pack.close();
  }
}

describe("the pack worker from the plan's bundle", () => {
  let platform: PlanResource[];
  let serving: PlanResource[];
  beforeAll(async () => {
    const built = await run(process.execPath, [path.join(root, "tools", "launch.mjs"), "--build", "tools/plan.ts"], { cwd: root, timeoutMs: 170_000 });
    if (built.status !== 0) throw new Error(`tools/launch.mjs --build tools/plan.ts failed (${built.status}): ${built.stderr}`);
    const prod = await recordStack("prod");
    platform = prod.filter((r) => r.project === "llm-blueprint-platform");
    serving = prod.filter((r) => r.project === "llm-blueprint-serving");
  });

  it("reports what the in-process pack reports, in order, for a config that makes several rules fire", async () => {
    const setup: PackSetup = { stack: "prod", environments: ["prod", "prod"] };
    // Clusters out of support (platform) and serving rules tightened by properties a prod override may tighten.
    const parts = [platform.map((r) => (r.type === "aws:eks/cluster:Cluster" ? { ...r, inputs: { ...r.inputs, version: "1.23" } } : r)), serving];
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pack-worker-")), "tight.json");
    fs.writeFileSync(file, JSON.stringify({ "writable-paths-sized": { minCacheGiB: 4096 }, "images-pinned-by-digest": { runtimeImages: [] } }));
    const withConfig = { ...setup, packConfigFile: file, packConfigShown: path.relative(process.cwd(), file) };
    const inWorker = await feed(startPackWorker(bundle), withConfig, parts);
    const inProcess = await feed(inProcessPack(), withConfig, parts);
    expect(inWorker.packName).toBe(PACK_NAME);
    expect(inWorker.violations).toEqual(inProcess.violations);
    const projectOf = new Map([...platform, ...serving].map((r) => [r.urn, r.project]));
    const policies = inWorker.violations.map((v) => v.policy);
    for (const policy of ["images-pinned-by-digest", "kubernetes-version-in-standard-support", "writable-paths-sized"]) expect(policies).toContain(policy);
    expect(new Set(inWorker.violations.map((v) => projectOf.get(v.urn!)))).toEqual(new Set(["llm-blueprint-platform", "llm-blueprint-serving"]));
  });

  it("a policy that throws: the same message as the in-process evaluation, as a plain error (the plan's exit 2, 'plan failed')", async () => {
    // Resources without inputs break the first policy that reads them.
    const broken = [platform.map((r) => ({ ...r, inputs: null as unknown as Record<string, unknown> })), serving];
    const expected = await evaluatePolicies(broken.flat(), buildPolicies(), { packName: PACK_NAME, packEnforcementLevel: "mandatory" }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(expected).toMatch(/^policy \S+ failed/);
    const caught = await feed(startPackWorker(bundle), { stack: "dev", environments: ["dev"] }, broken).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(caught).toBeInstanceOf(Error);
    expect(caught).not.toBeInstanceOf(PackInputError);
    expect((caught as Error).message).toBe(expected);
  });

  it("a bad pack config: the in-process message, as an exit-2 input error, before any resource is sent", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pack-worker-")), "bad.json");
    fs.writeFileSync(file, JSON.stringify({ "kms-key-rotaton": "mandatory" }));
    const setup: PackSetup = { stack: "dev", environments: ["dev"], packConfigFile: file, packConfigShown: "bad.json" };
    const inProcess = await inProcessPack().configure(setup).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(inProcess).toMatch(/^Invalid policy pack config bad\.json \(1 problem\):\n {2}- kms-key-rotaton: is not a policy of this pack \(did you mean "kms-key-rotation"\?\)/);
    const worker = startPackWorker(bundle);
    try {
      const caught = await worker.configure(setup).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(caught).toBeInstanceOf(PackInputError);
      expect([(caught as PackInputError).message, (caught as PackInputError).exitCode]).toEqual([inProcess, 2]);
    } finally {
      worker.close();
    }
  });
});
