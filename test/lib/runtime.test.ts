import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { loadApprovals } from "../../policies/pack";
import { findRuntime, readRuntimes, runtimeOf } from "../../lib/runtime";

describe("runtime image records", () => {
  const { runtimes, problems } = readRuntimes();

  it("read cleanly and never record root as the pods' user", () => {
    expect(problems).toEqual([]);
    for (const r of runtimes!) expect(r.uid).toBeGreaterThan(0);
  });

  it("agree with the approvers' record, which the plan's policies read", () => {
    const approved = loadApprovals().runtimeImages;
    for (const r of runtimes!) {
      const a = approved.find((x) => x.digest === r.digest);
      expect(a, r.digest).toBeDefined();
      expect(a!.image).toBe(r.image);
      expect(a!.facts).toEqual({ user: r.user, uid: r.uid, gid: r.gid, home: r.home, entrypoint: r.entrypoint, port: r.port, verifiedFrom: expect.stringContaining("6e448d0ea9bf3d88d898b65449ca6dc2aec170ac") });
    }
  });

  it("are found by digest, and an unrecorded image is an error, not a default", () => {
    const image = `docker.io/vllm/vllm-openai:v0.27.1@${runtimes![0].digest}`;
    expect(findRuntime(runtimes!, image)?.user).toBe("vllm");
    expect(runtimeOf(image).uid).toBe(2000);
    expect(() => runtimeOf(`docker.io/vllm/vllm-openai:v0.27.1@sha256:${"e".repeat(64)}`)).toThrow(/has no record in models\/runtimes.yaml/);
    expect(findRuntime(runtimes!, "docker.io/vllm/vllm-openai:v0.27.1")).toBeUndefined();
  });

  it("refuse a record that would run as root, naming the key", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "runtimes-"));
    const file = path.join(dir, "runtimes.yaml");
    fs.writeFileSync(file, fs.readFileSync(path.join(__dirname, "../../models/runtimes.yaml"), "utf8").replace("uid: 2000", "uid: 0"));
    expect(readRuntimes(file).problems).toEqual([`${file} runtimes[0].uid: must be a non-root UID: pods never run an image as root`]);
  });
});
