import { z } from "zod";
import { InputFileError } from "../lib/inputError";
import type { Approvals } from "./rules/approvals";

/**
 * Schema of the approvers' record (policies/approvals.json). Fail closed: every object is strict,
 * the status is one of three words, and a file that does not match grants nothing; it is refused
 * with the file, the entry and the key.
 */

export const APPROVAL_STATUSES = ["candidate", "approved", "revoked"] as const;

/** A strict object whose unknown-key error lists the keys that are allowed. */
function strictObject<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (iss) => (iss.code === "unrecognized_keys" ? `unknown key${iss.keys.length > 1 ? "s" : ""} ${iss.keys.map((k) => `"${k}"`).join(", ")}; allowed keys: ${allowed}` : undefined),
  });
}

const sha256 = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" followed by 64 lower-case hex digits');
/** Who approved: an address the approval can be traced back to. */
const approver = z.email("must be the approver's e-mail address (a person or a team list)");
const instant = z.iso.datetime({ offset: true, message: "must be an ISO 8601 date-time with a zone, such as 2026-11-20T14:02:00Z" });

const status = z.enum(APPROVAL_STATUSES, {
  error: (iss) => (iss.input === undefined ? `is required; allowed: ${APPROVAL_STATUSES.join(", ")}` : `${JSON.stringify(iss.input)} is not an approval status; allowed: ${APPROVAL_STATUSES.join(", ")}`),
});

const profileSchema = strictObject({
  tensorParallelSize: z.number().int().min(1).max(8),
  maxModelLen: z.number().int().min(256),
  gpuMemoryUtilization: z.number().gt(0).max(1),
  maxNumSeqs: z.number().int().min(1),
  extraArgs: z.array(z.string().regex(/^--[a-z0-9-]+(=.+)?$/, "must be a vLLM flag such as --enable-prefix-caching")).optional(),
});

export const approvedModelSchema = strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,62}$/, "must be lower-case letters, digits, dots and dashes, as in the catalog"),
  revision: z.string().regex(/^[0-9a-f]{40}$/, "must be the full 40-character commit SHA"),
  artifactDigest: sha256,
  status,
  approvedBy: approver,
  approvedAt: instant,
  /** Where the evaluation this approval rests on lives, and its verdict. */
  evaluation: strictObject({
    report: z.string().regex(/^(s3|https):\/\/\S+$/, "must be the s3:// or https:// location of the evaluation report"),
    summary: z.string().min(1, "must say what the evaluation found"),
  }),
  revokedReason: z.string().min(1).optional(),
  profiles: z.record(z.string().regex(/^[a-z0-9]+$/, "must be a GPU class such as h100 or l4"), profileSchema),
});

/** Facts of an approved runtime image, as read from its Dockerfile at the pinned tag (see RuntimeImageFacts). */
export const runtimeImageFactsSchema = strictObject({
  user: z.string().min(1),
  uid: z.number().int().min(0),
  gid: z.number().int().min(0),
  home: z.string().regex(/^\//, "must be an absolute path"),
  entrypoint: z.array(z.string().min(1)).min(1, "must be the image's exec-form ENTRYPOINT, at least one element"),
  port: z.number().int().min(1).max(65535),
  verifiedFrom: z.string().min(10, "must say where the facts were read: repository, path, tag and date"),
});

export const approvedRuntimeSchema = strictObject({
  image: z.string().regex(/^[a-z0-9][a-z0-9./_-]*:[\w.-]+$/, "must be <repository>:<tag>, without the digest (that goes in digest)"),
  digest: sha256,
  approvedBy: approver,
  approvedAt: instant,
  facts: runtimeImageFactsSchema,
});

export const approvalsSchema = strictObject({
  models: z.array(approvedModelSchema),
  runtimeImages: z.array(approvedRuntimeSchema),
}).superRefine((doc, ctx) => {
  const seen = new Map<string, number>();
  doc.models.forEach((m, i) => {
    const id = `${m.name}@${m.revision}`;
    const first = seen.get(id);
    if (first !== undefined) ctx.addIssue({ code: "custom", path: ["models", i], message: `${id} is already listed as models[${first}]; one entry per version` });
    else seen.set(id, i);
    if (m.status === "revoked" && !m.revokedReason) ctx.addIssue({ code: "custom", path: ["models", i, "revokedReason"], message: "is required when status is revoked: say why, it is shown in the violation" });
    if (m.status !== "revoked" && m.revokedReason) ctx.addIssue({ code: "custom", path: ["models", i, "revokedReason"], message: `only applies to status revoked (this entry is ${m.status})` });
  });
  const images = new Map<string, number>();
  doc.runtimeImages.forEach((r, i) => {
    const first = images.get(r.digest);
    if (first !== undefined) ctx.addIssue({ code: "custom", path: ["runtimeImages", i, "digest"], message: `${r.digest} is already listed as runtimeImages[${first}]` });
    else images.set(r.digest, i);
  });
});

/** JSON Schema of one model approval, for the policies' configSchema (pack config overrides are checked the same way). */
export const approvedModelJsonSchema = z.toJSONSchema(approvedModelSchema, { io: "input" }) as Record<string, unknown>;
export const approvedRuntimeJsonSchema = z.toJSONSchema(approvedRuntimeSchema, { io: "input" }) as Record<string, unknown>;
/** The same entry schemas without the dialect key, for a policy's configSchema `items` (pack config overrides). */
const withoutDialect = (schema: Record<string, unknown>) => Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema"));
export const approvedModelItemSchema = withoutDialect(approvedModelJsonSchema);
export const approvedRuntimeItemSchema = withoutDialect(approvedRuntimeJsonSchema);

/** `models[1] (llama-3.1-8b-instruct@0e9e39f2…) status` from an issue path, naming the entry by what it approves. */
function entryPath(doc: unknown, path: readonly PropertyKey[]): string {
  let out = "";
  let node: unknown = doc;
  path.forEach((seg, i) => {
    out += typeof seg === "number" ? `[${seg}]` : `${out ? "." : ""}${String(seg)}`;
    node = node && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[seg] : undefined;
    if (i === 1 && typeof seg === "number" && node && typeof node === "object") {
      const e = node as Record<string, unknown>;
      const label = path[0] === "models" ? (typeof e.name === "string" ? `${e.name}@${typeof e.revision === "string" ? e.revision.slice(0, 8) : "?"}` : undefined) : typeof e.image === "string" ? e.image : undefined;
      if (label) out += ` (${label})`;
    }
  });
  return out || "<root>";
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Validates a parsed approvals document.
 * @throws InputFileError listing every problem as `<file>: <entry> <key>: <message>`.
 */
export function parseApprovals(doc: unknown, shownAs: string): Approvals {
  const result = approvalsSchema.safeParse(doc, { reportInput: true });
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === "invalid_type") message = issue.input === undefined ? `is required (expected ${issue.expected})` : `expected ${issue.expected}, got ${describe(issue.input)}`;
    return `  - ${entryPath(doc, issue.path)}: ${message}`;
  });
  const n = lines.length;
  throw new InputFileError(
    shownAs,
    [`Invalid approvals file ${shownAs} (${n} problem${n === 1 ? "" : "s"}); nothing in it is approved until it is fixed:`, ...lines].join("\n"),
  );
}
