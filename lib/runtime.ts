import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/**
 * The approved vLLM runtime images (models/runtimes.yaml) and what the pods depend on in each: the
 * user it runs as, its home, entrypoint, port and size. Keyed by digest, because a tag can move.
 */

export const RUNTIMES_FILE = path.join(__dirname, "..", "models", "runtimes.yaml");

const sha256 = z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 hex digits>");

export const runtimeImageSchema = z.strictObject({
  /** `<repository>:<tag>` the digest was published as. */
  image: z.string().regex(/^[a-z0-9][a-z0-9./_-]*:[\w.-]+$/, "must be <repository>:<tag>, without the digest"),
  digest: sha256,
  /** User the image runs as by default (its last USER instruction; "root" when it sets none). */
  imageUser: z.string().min(1),
  /** User the pods run as: the image's USER, or the non-root user it ships when its default is root. */
  user: z.string().min(1),
  uid: z.number().int().min(1, "must be a non-root UID: pods never run an image as root"),
  /** Primary group of that user in the image's /etc/passwd (pods pick their own non-zero group). */
  gid: z.number().int().min(0),
  /** HOME of that user in the image; the pod mounts its sized cache volume there. */
  home: z.string().regex(/^\/[^\s]*$/, "must be an absolute path"),
  /** WORKDIR of the image (the server's working directory; not written to). */
  workdir: z.string().regex(/^\/[^\s]*$/, "must be an absolute path"),
  /** ENTRYPOINT, exec form; the pod passes only args. */
  entrypoint: z.array(z.string().min(1)).min(1),
  /** Port the OpenAI-compatible server listens on. */
  port: z.number().int().min(1024, "must be 1024 or higher: the server runs without privileges").max(65535),
  /** Compressed image size, for the pull term of the startup budget. */
  compressedSizeGiB: z.number().positive(),
  /** Repository, path, tag or commit, and date the facts were read. */
  verifiedFrom: z.string().min(20),
});

export const runtimesSchema = z.strictObject({ runtimes: z.array(runtimeImageSchema).min(1) }).superRefine((doc, ctx) => {
  const seen = new Set<string>();
  doc.runtimes.forEach((r, i) => {
    if (seen.has(r.digest)) ctx.addIssue({ code: "custom", path: ["runtimes", i, "digest"], message: `${r.digest} is listed twice` });
    seen.add(r.digest);
  });
});

export type RuntimeImage = z.output<typeof runtimeImageSchema>;

/** Reads and validates a runtimes file; problems are "<file> <key path>: <message>" lines. */
export function readRuntimes(file = RUNTIMES_FILE): { runtimes?: RuntimeImage[]; problems: string[] } {
  let doc: unknown;
  try {
    doc = parseYaml(fs.readFileSync(file, "utf8"));
  } catch (err) {
    return { problems: [`cannot read ${file}: ${(err as Error).message.split("\n")[0]}`] };
  }
  const result = runtimesSchema.safeParse(doc);
  if (result.success) return { runtimes: result.data.runtimes, problems: [] };
  return { problems: result.error.issues.map((i) => `${file} ${i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "")}: ${i.message}`) };
}

/** The runtime record of an image reference pinned by digest; undefined when none is recorded. */
export function findRuntime(runtimes: readonly RuntimeImage[], image: string): RuntimeImage | undefined {
  const digest = /@(sha256:[0-9a-f]{64})$/.exec(image)?.[1];
  return digest ? runtimes.find((r) => r.digest === digest) : undefined;
}

let loaded: RuntimeImage[] | undefined;

/** The runtime record of `image` from models/runtimes.yaml; throws (file problems or no record) rather than guess. */
export function runtimeOf(image: string): RuntimeImage {
  if (!loaded) {
    const { runtimes, problems } = readRuntimes();
    if (!runtimes) throw new Error(`runtime images: ${problems.join("; ")}`);
    loaded = runtimes;
  }
  const found = findRuntime(loaded, image);
  if (!found) throw new Error(`image ${image} has no record in ${path.relative(process.cwd(), RUNTIMES_FILE)}; record its user, UID, home, entrypoint and port (read from its Dockerfile at the pinned tag) under its digest`);
  return found;
}
