import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { InputFileError } from "../../lib/inputError";
import { APPROVALS_FILE, buildPolicies, loadApprovals, PACK_NAME } from "../../policies/pack";
import { APPROVAL_STATUSES } from "../../policies/approvalsSchema";
import { approvedModelVersions } from "../../policies/rules/governance";
import { evaluatePolicies, PackConfigError } from "../../lib/plan/policy";
import { recordStack } from "./harness";

type Doc = { models: Record<string, unknown>[]; runtimeImages: Record<string, unknown>[] };
const committed = (): Doc => JSON.parse(fs.readFileSync(APPROVALS_FILE, "utf8")) as Doc;
/** The message `f` is refused with; fails unless it is an InputFileError naming `file`. */
function rejectionOf(f: () => unknown, file: string): string {
  try {
    f();
  } catch (err) {
    expect(InputFileError.isInstance(err)).toBe(true);
    expect((err as InputFileError).file).toContain(path.basename(file));
    return (err as Error).message;
  }
  throw new Error("expected the approvals file to be refused");
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "approvals-"));

/** Writes `text` (or a mutated copy of the committed record) to a file and returns loadApprovals' error message. */
function problemsOf(mutate: ((d: Doc) => void) | string, name = "approvals.json"): string {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}-${name}`);
  if (typeof mutate === "string") fs.writeFileSync(file, mutate);
  else {
    const d = committed();
    mutate(d);
    fs.writeFileSync(file, JSON.stringify(d, null, 2));
  }
  return rejectionOf(() => loadApprovals(file), file);
}

const M0 = "models[0] (llama-3.1-70b-instruct@1605565b)";
const R0 = "runtimeImages[0] (docker.io/vllm/vllm-openai:v0.27.1)";

describe("the committed approvals record", () => {
  it("passes the schema: known statuses, facts for every runtime image", () => {
    const a = loadApprovals();
    expect(a.models.length).toBeGreaterThan(0);
    for (const m of a.models) expect(APPROVAL_STATUSES).toContain(m.status);
    for (const r of a.runtimeImages) expect(r.facts.verifiedFrom.length).toBeGreaterThan(10);
  });
});

describe("a malformed approvals file is refused, naming the file, the entry and the key", () => {
  it.each<[string, (d: Doc) => void, string]>([
    ["a misspelt status", (d) => void (d.models[0].status = "aproved"), `${M0}.status: "aproved" is not an approval status; allowed: candidate, approved, revoked`],
    ["an unknown status word", (d) => void (d.models[0].status = "rejected"), `${M0}.status: "rejected" is not an approval status; allowed: candidate, approved, revoked`],
    ["a missing status", (d) => void delete d.models[0].status, `${M0}.status: is required; allowed: candidate, approved, revoked`],
    ["a short artifact digest", (d) => void (d.models[0].artifactDigest = "sha256:6b1e"), `${M0}.artifactDigest: must be "sha256:" followed by 64 lower-case hex digits`],
    ["an approval date that is not a date", (d) => void (d.models[0].approvedAt = "last tuesday"), `${M0}.approvedAt: must be an ISO 8601 date-time with a zone`],
    ["an approver that is not an address", (d) => void (d.models[0].approvedBy = "bob"), `${M0}.approvedBy: must be the approver's e-mail address`],
    ["no evaluation record", (d) => void delete d.models[0].evaluation, `${M0}.evaluation: is required (expected object)`],
    ["an unknown key", (d) => void (d.models[0].approvedby = "x@example.com"), `${M0}: unknown key "approvedby"; allowed keys: name, revision`],
    ["a revocation without a reason", (d) => void (d.models[1].status = "revoked"), "models[1] (llama-3.1-8b-instruct@0e9e39f2).revokedReason: is required when status is revoked"],
    ["the same version twice", (d) => void d.models.push(d.models[0]), "models[3] (llama-3.1-70b-instruct@1605565b): llama-3.1-70b-instruct@1605565b47bb9346c5515c34102e054115b4f98b is already listed as models[0]"],
    ["a runtime image without facts", (d) => void delete d.runtimeImages[0].facts, `${R0}.facts: is required (expected object)`],
    ["a uid written as text", (d) => void ((d.runtimeImages[0].facts as Record<string, unknown>).uid = "2000"), `${R0}.facts.uid: expected number, got string "2000"`],
    ["an unknown fact", (d) => void ((d.runtimeImages[0].facts as Record<string, unknown>).shell = "/bin/sh"), `${R0}.facts: unknown key "shell"`],
    ["a runtime digest in the wrong format", (d) => void (d.runtimeImages[0].digest = "0a51ea5b"), `${R0}.digest: must be "sha256:" followed by 64 lower-case hex digits`],
    ["an unknown top-level key", (d) => void ((d as Record<string, unknown>).model = []), '<root>: unknown key "model"; allowed keys: models, runtimeImages'],
  ])("%s", (_, mutate, expected) => {
    const message = problemsOf(mutate);
    expect(message).toMatch(/^Invalid approvals file \S+approvals\.json \(\d+ problems?\); nothing in it is approved until it is fixed:/);
    expect(message).toContain(`  - ${expected}`);
  });

  it("a JSON syntax error names the file, line and column and shows the line, without a stack trace", () => {
    const text = JSON.stringify(committed(), null, 2).replace('"status": "approved",', '"status": "approved"');
    const message = problemsOf(text, "syntax.json");
    const line = text.split("\n").findIndex((l) => l.includes('"approvedBy"')) + 1;
    expect(message).toMatch(new RegExp(`^\\S+syntax\\.json:${line}:\\d+: JSON syntax error: `));
    expect(message).toContain('"approvedBy": "ml-governance@example.com"');
    expect(message).not.toMatch(/\n\s+at /);
  });

  it("a missing file is an error, not an empty list", () => {
    expect(rejectionOf(() => loadApprovals(path.join(dir, "nope.json")), "nope.json")).toMatch(/^cannot read the approvals file \S+nope\.json: it does not exist$/);
  });
});

describe("anything not exactly approved grants nothing beyond its status", () => {
  it("a status that reaches the policy unchecked is a violation, not an approval", async () => {
    const resources = await recordStack("dev");
    const approvals = loadApprovals();
    const bogus = { ...approvals, models: approvals.models.map((m) => ({ ...m, status: "aproved" as never })) };
    const violations = await evaluatePolicies(resources, [approvedModelVersions(bogus)], { packName: PACK_NAME });
    expect(violations.length).toBeGreaterThan(0);
    for (const v of violations) expect(v.message).toMatch(/whose approval status "aproved" is not one of candidate, approved, revoked; it grants nothing/);
  });

  it("a candidate serving as stable is a violation", async () => {
    const resources = await recordStack("dev");
    const approvals = loadApprovals();
    const candidates = { ...approvals, models: approvals.models.map((m) => ({ ...m, status: "candidate" as const })) };
    const violations = await evaluatePolicies(resources, [approvedModelVersions(candidates)], { packName: PACK_NAME });
    expect(violations.some((v) => /runs candidate \S+ as the rollout target of Canary chat-small\/chat-small \(Flagger would send it live traffic from the first step\); a candidate may only shadow until approved/.test(v.message))).toBe(true);
  });

  it("a pack config override with a misspelt status is refused before any policy runs", async () => {
    const models = committed().models.map((m) => ({ ...m, status: "aproved" }));
    const run = evaluatePolicies([], buildPolicies(), { packName: PACK_NAME, config: { "approved-model-versions": { models } }, configSource: "policies/config/test.json" });
    await expect(run).rejects.toSatisfy((err: unknown) => PackConfigError.isInstance(err));
    await expect(run).rejects.toThrow('  - approved-model-versions.models[0].status: "aproved" is not allowed; allowed: "candidate", "approved", "revoked" (did you mean "approved"?)');
  });
});
