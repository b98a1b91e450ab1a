import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { StackConfigInput } from "../../lib/config/schema";
import { parseStackConfig, StackConfigError } from "../../lib/config/validate";

const NS = "llm-blueprint";
const FILE = "stacks/Pulumi.test.yaml";
const SHA = (c: string) => c.repeat(40);
/** The runtime recorded in models/runtimes.yaml: serving resolves the pods' user and port from it. */
const IMAGE = "docker.io/vllm/vllm-openai:v0.27.1@sha256:0a51ea5b4ae2dc5d81890e5173f54203d2a3ae0cfffe51b8fd2afd4391bfd967";

/** A catalog of its own, so the tests do not depend on the reference catalog's contents. */
const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), "catalog-"));
fs.mkdirSync(path.join(projectDir, "models"));
const profile = (tp: number, maxModelLen = 8192) => ({ tensorParallelSize: tp, maxModelLen, gpuMemoryUtilization: 0.9, maxNumSeqs: 64 });
fs.writeFileSync(
  path.join(projectDir, "models/catalog.yaml"),
  stringify({
    models: [
      { name: "big", revision: SHA("a"), artifactDigest: `sha256:${"1".repeat(64)}`, parametersBillions: 70.6, weightFormat: "bf16", kvCacheBytesPerToken: 327680, license: "llama3.1", profiles: { h100: { ...profile(4, 32768) }, l4: profile(4) } },
      { name: "big", revision: SHA("b"), artifactDigest: `sha256:${"2".repeat(64)}`, parametersBillions: 70.6, weightFormat: "bf16", kvCacheBytesPerToken: 327680, license: "llama3.1", profiles: { h100: profile(1, 32768) } },
      { name: "small", revision: SHA("c"), artifactDigest: `sha256:${"3".repeat(64)}`, parametersBillions: 8, weightFormat: "bf16", kvCacheBytesPerToken: 131072, license: "apache-2.0", profiles: { l4: profile(1), h100: profile(3) } },
      { name: "small", revision: SHA("d"), artifactDigest: `sha256:${"4".repeat(64)}`, parametersBillions: 8, weightFormat: "fp8", kvCacheBytesPerToken: 131072, license: "apache-2.0", profiles: { l4: profile(1) } },
      { name: "gated", revision: SHA("9"), artifactDigest: `sha256:${"6".repeat(64)}`, parametersBillions: 8, weightFormat: "bf16", kvCacheBytesPerToken: 131072, license: "gemma", profiles: { l4: { ...profile(1), huggingFaceToken: true } } },
      { name: "small", revision: SHA("f"), artifactDigest: `sha256:${"5".repeat(64)}`, parametersBillions: 8, weightFormat: "fp8", kvCacheBytesPerToken: 131072, license: "apache-2.0", profiles: { l4: { ...profile(1), extraArgs: ["--max-model-len=4096"] } } },
    ],
  }),
);
fs.writeFileSync(path.join(projectDir, "models/broken.yaml"), "models:\n  - name: x\n    revision: main\n");

const JWT_AUTH = { type: "jwt", issuer: "https://idp.example.com", jwksUri: "https://idp.example.com/jwks.json", audiences: ["llm"] };

function config(serving: Record<string, unknown>): StackConfigInput {
  return {
    environment: "staging",
    cluster: { kubernetesVersion: "1.33" },
    regions: [
      {
        region: "us-east-1",
        vpcCidr: "10.0.0.0/16",
        availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"],
        gpuPools: [
          { class: "h100", instanceType: "p5.48xlarge", minSize: 0, maxSize: 2 },
          { class: "l4", instanceType: "g6.12xlarge", minSize: 0, maxSize: 2 },
        ],
      },
      { region: "us-west-2", vpcCidr: "10.1.0.0/16", availabilityZones: ["us-west-2a", "us-west-2b", "us-west-2c"], gpuPools: [{ class: "l4", instanceType: "g6.2xlarge", minSize: 0, maxSize: 4 }] },
    ],
    serving: { vllmImage: IMAGE, auth: JWT_AUTH, ...serving },
  } as StackConfigInput;
}

const parse = (raw: unknown) => parseStackConfig(raw, { namespace: NS, stackFile: FILE, projectDir });

function problemsOf(raw: unknown): { path: string; message: string }[] {
  try {
    parse(raw);
  } catch (err) {
    if (!StackConfigError.isInstance(err)) throw err;
    return [...err.problems];
  }
  throw new Error("expected the config to be rejected");
}

describe("served models resolve against the catalog and the pools", () => {
  it("places a model in every region with a pool of its class and resolves each track", () => {
    const cfg = parse(config({ models: [{ name: "chat", gpuClass: "l4", version: `small@${SHA("c")}`, shadow: { version: `small@${SHA("d")}`, percent: 100 }, replicas: { min: 1, max: 4 } }] }));
    const chat = cfg.serving!.models[0];
    expect(chat.placements).toEqual([
      { region: "us-east-1", pool: "l4", instanceType: "g6.12xlarge" },
      { region: "us-west-2", pool: "l4", instanceType: "g6.2xlarge" },
    ]);
    expect(chat.tracks.map((t) => [t.track, t.version.revision, t.weight, t.mirrorPercent])).toEqual([
      ["stable", SHA("c"), 100, undefined],
      ["shadow", SHA("d"), undefined, 100],
    ]);
  });

  it("fills the rollout policy's defaults: steps 1/5/25/50 every 10 minutes, rollback at 2 failed checks", () => {
    const served = { models: [{ name: "chat", gpuClass: "l4", version: `small@${SHA("c")}` }] };
    const staging = parse(config(served)).serving!.models[0].rollout;
    expect(staging).toEqual({
      steps: [1, 5, 25, 50],
      interval: "10m",
      failedChecks: 2,
      gates: { ttftP99MaxRatio: 1.2, tpotP99MaxRatio: 1.2, vllmErrorRateMaxPercent: 1, gatewayErrorRateMaxPercent: 1 },
      skipAnalysis: false,
      keepPreviousWarm: "7d",
    });
    const emergency = { models: [{ ...served.models[0], rollout: { skipAnalysis: true } }] };
    expect(parse(config(emergency)).serving!.models[0].rollout.skipAnalysis).toBe(true);
  });

  it("refuses the removed canary key, a sampled shadow, shrinking steps and misspelt gates", () => {
    const base = { name: "chat", gpuClass: "l4", regions: ["us-east-1"], version: `small@${SHA("c")}` };
    expect(problemsOf(config({ models: [{ ...base, canary: { version: `small@${SHA("d")}`, weight: 10 } }] }))).toEqual([
      { path: `${NS}:serving.models[0]`, message: expect.stringMatching(/^unknown key "canary".*allowed keys: .*version.*shadow.*rollout/) },
    ]);
    expect(problemsOf(config({ models: [{ ...base, shadow: { version: `small@${SHA("d")}`, percent: 20 } }] }))).toEqual([
      { path: `${NS}:serving.models[0].shadow.percent`, message: "20: the rollout controller (Flagger 1.44.0) mirrors every request to a shadow, it cannot sample; set 100 or remove the shadow" },
    ]);
    expect(problemsOf(config({ models: [{ ...base, rollout: { steps: [10, 5] } }] }))).toEqual([{ path: `${NS}:serving.models[0].rollout`, message: "steps[1]: 5 does not grow from 10; steps only go up" }]);
    expect(problemsOf(config({ models: [{ ...base, rollout: { gates: { ttftRatio: 2 } } }] }))).toEqual([
      { path: `${NS}:serving.models[0].rollout.gates`, message: expect.stringMatching(/^unknown key "ttftRatio"/) },
    ]);
  });

  it("refuses floating references and unknown versions, naming the versions that exist", () => {
    expect(problemsOf(config({ models: [{ name: "chat", gpuClass: "l4", version: "small@latest" }] }))).toEqual([
      { path: `${NS}:serving.models[0].version`, message: expect.stringContaining('tags, branches and "latest" are not allowed') },
    ]);
    expect(problemsOf(config({ models: [{ name: "chat", gpuClass: "l4", version: `small@${SHA("e")}` }] }))).toEqual([
      { path: `${NS}:serving.models[0].version`, message: `"small@${SHA("e")}" is not in models/catalog.yaml; versions of small there: small@${SHA("c")}, small@${SHA("d")}, small@${SHA("f")}` },
    ]);
  });

  it("refuses a model that does not fit its GPU class, saying what would fit", () => {
    // big@b has an h100 profile at tensor-parallel 1: 131 GiB of weights on one 80 GB GPU.
    const [tooSmallTp] = problemsOf(config({ models: [{ name: "chat", gpuClass: "h100", regions: ["us-east-1"], version: `big@${SHA("b")}` }] }));
    expect(tooSmallTp.path).toBe(`${NS}:serving.models[0].version`);
    expect(tooSmallTp.message).toContain("needs tensor-parallel 4 on h100 (p5.48xlarge)");
    // big@a on L4 even at tensor-parallel 4 (the whole g6.12xlarge).
    const onL4 = problemsOf(config({ models: [{ name: "chat", gpuClass: "l4", regions: ["us-east-1"], version: `big@${SHA("a")}` }] }));
    expect(onL4.map((p) => p.message)).toContainEqual(expect.stringContaining("does not fit on l4 even at tensor-parallel 4"));
  });

  it("refuses a tensor-parallel size that strands GPUs or exceeds the instance", () => {
    const stranded = problemsOf(config({ models: [{ name: "chat", gpuClass: "h100", regions: ["us-east-1"], version: `small@${SHA("c")}` }] }));
    expect(stranded.map((p) => p.message)).toContainEqual(expect.stringContaining("tensor-parallel 3 strands 2 of the 8 GPUs of p5.48xlarge; allowed: 1, 2, 4, 8"));
    // big@a's l4 profile wants 4 GPUs; us-west-2's g6.2xlarge has one.
    const tooWide = problemsOf(config({ models: [{ name: "chat", gpuClass: "l4", regions: ["us-west-2"], version: `big@${SHA("a")}` }] }));
    expect(tooWide.map((p) => p.message)).toContainEqual(expect.stringContaining("tensor-parallel 4 needs 4 GPUs but g6.2xlarge has 1"));
  });

  it("refuses placements the stack cannot satisfy", () => {
    const problems = problemsOf(
      config({
        models: [
          { name: "chat", gpuClass: "h100", version: `big@${SHA("a")}` },
          { name: "chat", gpuClass: "l4", regions: ["eu-west-1"], version: `small@${SHA("c")}` },
          { name: "wide", gpuClass: "l4", regions: ["us-east-1"], version: `small@${SHA("c")}`, replicas: { min: 1, max: 9 } },
        ],
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: `${NS}:serving.models[0].gpuClass`, message: "us-west-2 has no h100 pool; add one or list the regions that have it" },
        { path: `${NS}:serving.models[1].name`, message: '"chat" is already served by models[0]; endpoint names must be unique' },
        { path: `${NS}:serving.models[1].regions[0]`, message: '"eu-west-1" is not a region of this stack; allowed: us-east-1, us-west-2' },
        { path: `${NS}:serving.models[2].replicas.max`, message: expect.stringContaining('needs up to 9 x tensor-parallel 1 = 9 GPUs but pool "l4" in us-east-1 has at most 8') },
      ]),
    );
  });

  it("refuses a shadow that is the served version, and extra flags that fight the profile", () => {
    const problems = problemsOf(
      config({
        models: [
          { name: "a", gpuClass: "l4", regions: ["us-east-1"], version: `small@${SHA("c")}`, shadow: { version: `small@${SHA("c")}`, percent: 100 } },
          { name: "b", gpuClass: "l4", regions: ["us-east-1"], version: `small@${SHA("f")}` },
        ],
      }),
    );
    expect(problems).toEqual([
      { path: `${NS}:serving.models[0].shadow.version`, message: "is the served version itself; a shadow must be a different version" },
      { path: `${NS}:serving.models[1].version`, message: "the l4 profile's extraArgs repeat flags the profile sets itself: --max-model-len=4096" },
    ]);
  });

  it("requires the Hugging Face token secret only when a served profile needs it", () => {
    const served = { models: [{ name: "g", gpuClass: "l4", regions: ["us-east-1"], version: `gated@${SHA("9")}` }] };
    expect(problemsOf(config(served))).toEqual([{ path: `${NS}:huggingFaceToken`, message: expect.stringContaining("pulumi config set --secret huggingFaceToken") }]);
    const cfg = parse({ ...config(served), huggingFaceToken: "hf_x" });
    expect(cfg.serving!.models[0].tracks[0].profile.huggingFaceToken).toBe(true);
    expect(JSON.stringify(cfg)).not.toContain("hf_x");
  });

  it("refuses an image whose digest has no runtime record, instead of guessing its user and port", () => {
    const unrecorded = `docker.io/vllm/vllm-openai:v0.27.1@sha256:${"e".repeat(64)}`;
    const served = { models: [{ name: "chat", gpuClass: "l4", regions: ["us-east-1"], version: `small@${SHA("c")}` }] };
    expect(problemsOf({ ...config(served), serving: { ...served, auth: JWT_AUTH, vllmImage: unrecorded } })).toEqual([
      { path: `${NS}:serving.vllmImage`, message: expect.stringContaining(`${unrecorded} has no record in models/runtimes.yaml`) },
    ]);
  });

  it("gives a shadow its own minimum, below the served track's", () => {
    const tracks = (shadowMin?: number) => {
      const served = {
        models: [
          {
            name: "chat",
            gpuClass: "l4",
            regions: ["us-east-1"],
            version: `small@${SHA("c")}`,
            shadow: { version: `small@${SHA("d")}`, percent: 100, ...(shadowMin ? { minReplicas: shadowMin } : {}) },
            replicas: { min: 2, max: 4 },
          },
        ],
      };
      return served;
    };
    const cfg = parse(config(tracks()));
    expect(cfg.serving!.models[0].tracks.map((t) => [t.track, t.minReplicas])).toEqual([
      ["stable", undefined],
      ["shadow", 1],
    ]);
    expect(problemsOf(config(tracks(3)))).toEqual([{ path: `${NS}:serving.models[0].shadow.minReplicas`, message: expect.stringContaining("shadow minReplicas 3 is above the stable track's replicas.min 2") }]);
  });

  it("requires the image pinned by digest and reports a broken catalog on its key", () => {
    expect(problemsOf({ ...config({ models: [] }), serving: { vllmImage: "vllm/vllm-openai:latest", auth: JWT_AUTH, models: [] } }).map((p) => p.path)).toEqual([
      `${NS}:serving.models`,
      `${NS}:serving.vllmImage`,
    ]);
    const broken = problemsOf(config({ catalogFile: "models/broken.yaml", models: [{ name: "chat", gpuClass: "l4", version: `small@${SHA("c")}` }] }));
    expect(broken.length).toBeGreaterThan(0);
    for (const p of broken) expect(p.path).toBe(`${NS}:serving.catalogFile`);
    expect(broken.map((p) => p.message)).toContainEqual(expect.stringContaining("models/broken.yaml models[0].revision: must be a full 40-character commit SHA"));
  });
});

describe("serving.models[].previous: the replaced version kept warm", () => {
  const served = (previous: Record<string, unknown>, rollout?: Record<string, unknown>) =>
    config({ models: [{ name: "chat", gpuClass: "l4", regions: ["us-east-1"], version: `small@${SHA("d")}`, previous, ...(rollout ? { rollout } : {}), replicas: { min: 2, max: 4 } }] });
  const at = (now: string) => (raw: unknown) => parseStackConfig(raw, { namespace: NS, stackFile: FILE, projectDir, now: Date.parse(now) });

  it("adds a previous track at the endpoint's minimum and maximum, warm through since + keepPreviousWarm", () => {
    const m = at("2026-11-25T12:00:00Z")(served({ version: `small@${SHA("c")}`, since: "2026-11-25" })).serving!.models[0];
    expect(m.tracks.map((t) => [t.track, t.version.revision, t.weight])).toEqual([
      ["stable", SHA("d"), 100],
      ["previous", SHA("c"), undefined],
    ]);
    expect(m.previous).toEqual({ since: "2026-11-25", warmUntil: "2026-12-02", serve: false });
    const short = at("2026-11-25T12:00:00Z")(served({ version: `small@${SHA("c")}`, since: "2026-11-20", serve: true, minReplicas: 1 }, { keepPreviousWarm: "2d" })).serving!.models[0];
    expect(short.previous).toEqual({ since: "2026-11-20", warmUntil: "2026-11-22", serve: true });
    expect(short.tracks.find((t) => t.track === "previous")!.minReplicas).toBe(1);
  });

  it("refuses a previous that is the served version, dated after today, with no window, unquoted-day shapes and unknown keys", () => {
    const problems = (raw: unknown, now = "2026-11-25T12:00:00Z") => {
      try {
        at(now)(raw);
        return [];
      } catch (err) {
        if (!(err instanceof StackConfigError)) throw err;
        return err.problems;
      }
    };
    expect(problems(served({ version: `small@${SHA("d")}`, since: "2026-11-25" }))).toEqual([
      { path: `${NS}:serving.models[0].previous.version`, message: "is the served version itself; previous is the version `version` replaced (the same only while it serves a rollback to it: serve: true)" },
    ]);
    // Rolling back to the warm version: it serves while Flagger promotes the same version into the primary.
    expect(problems(served({ version: `small@${SHA("d")}`, since: "2026-11-25", serve: true }))).toEqual([]);
    expect(problems(served({ version: `small@${SHA("c")}`, since: "2026-11-26" }))).toEqual([{ path: `${NS}:serving.models[0].previous.since`, message: "2026-11-26 is after today (2026-11-25 UTC); it is the day version changed" }]);
    expect(problems(served({ version: `small@${SHA("c")}`, since: "2026-11-26" }, undefined), "2026-11-26T00:00:01Z")).toEqual([]);
    expect(problems(served({ version: `small@${SHA("c")}`, since: "2026-11-25" }, { keepPreviousWarm: "0d" }))).toEqual([
      { path: `${NS}:serving.models[0].previous`, message: 'rollout.keepPreviousWarm is 0d: nothing is kept warm; remove previous, or set a window such as "7d"' },
    ]);
    expect(problems(served({ version: `small@${SHA("c")}`, since: "25.11.2026" }))).toEqual([{ path: `${NS}:serving.models[0].previous.since`, message: expect.stringContaining('must be a quoted UTC day "YYYY-MM-DD"') }]);
    expect(problems(served({ version: `small@${SHA("c")}`, since: "2026-02-31" }))).toEqual([{ path: `${NS}:serving.models[0].previous.since`, message: expect.stringContaining("is not a calendar day") }]);
    expect(problems(served({ version: `small@${SHA("c")}`, since: "2026-13-01" }))).toEqual([{ path: `${NS}:serving.models[0].previous.since`, message: expect.stringContaining("is not a calendar day") }]);
    expect(problems(served({ version: `small@${SHA("c")}`, since: "2026-11-25", keepUntil: "2026-12-01" }))).toEqual([{ path: `${NS}:serving.models[0].previous`, message: expect.stringMatching(/^unknown key "keepUntil".*allowed keys: .*version.*since.*minReplicas.*serve/) }]);
    expect(problems(served({ version: `small@${SHA("c")}`, since: "2026-11-25" }, { keepPreviousWarm: "1w" }))).toEqual([{ path: `${NS}:serving.models[0].rollout.keepPreviousWarm`, message: expect.stringContaining('must be whole days such as "7d"') }]);
    expect(problems(served({ version: `small@${SHA("c")}`, since: "2026-11-25", minReplicas: 3 }))).toEqual([{ path: `${NS}:serving.models[0].previous.minReplicas`, message: "previous minReplicas 3 is above the stable track's replicas.min 2; a previous is the smaller track" }]);
  });
});

