import { InputFileError, readYamlFile } from "./inputFile";
import { z } from "zod";
import { GPU_CLASSES } from "./gpu";
import { BYTES_PER_PARAM, WeightFormat } from "./sizing";

/**
 * The model catalog (models/catalog.yaml): every servable model version as an immutable tuple.
 * Stack files refer to versions as `name@revision`; nothing floats to "latest".
 */

const servingProfileSchema = z.strictObject({
  tensorParallelSize: z.number().int().min(1).max(8),
  maxModelLen: z.number().int().min(256),
  gpuMemoryUtilization: z.number().gt(0.5).max(0.98),
  maxNumSeqs: z.number().int().min(1).max(4096),
  /** Extra vLLM flags, verbatim. Flags the profile already sets are refused. */
  extraArgs: z.array(z.string().regex(/^--[a-z0-9-]+(=.+)?$/, "must be a vLLM flag such as --enable-prefix-caching")).default([]),
  /**
   * The server needs the Hugging Face Hub at runtime (files not mirrored into the registry). The
   * token comes from the stack secret `huggingFaceToken` and is mounted as a file. @default false
   */
  huggingFaceToken: z.boolean().default(false),
  /**
   * Size of the pod's cache volume, mounted at the runtime user's HOME and holding every compile and
   * JIT cache (torch.compile/inductor, Triton, FlashInfer, DeepGEMM, CUDA). Weights are streamed to
   * GPU memory and never land there. A pod that outgrows it is evicted, so size it with room. @default 50
   */
  cacheGiB: z.number().int().min(10, "must be at least 10 GiB: the JIT caches alone reach several GiB").max(500).default(50),
});

export const modelVersionSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,62}$/, "must be lower-case letters, digits, dots and dashes"),
  /** Source revision: the full commit SHA of the weights repository. */
  revision: z.string().regex(/^[0-9a-f]{40}$/, "must be a full 40-character commit SHA"),
  /** sha256 of the artifact manifest uploaded to the registry bucket. */
  artifactDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 hex digits>"),
  parametersBillions: z.number().positive(),
  weightFormat: z.enum(Object.keys(BYTES_PER_PARAM) as [WeightFormat, ...WeightFormat[]]),
  /** 2 x layers x KV heads x head dim x KV dtype bytes, from the model's config.json. */
  kvCacheBytesPerToken: z.number().int().positive(),
  license: z.string().min(1),
  profiles: z.partialRecord(z.enum(GPU_CLASSES), servingProfileSchema),
});

export const catalogSchema = z.strictObject({ models: z.array(modelVersionSchema).min(1) }).superRefine((c, ctx) => {
  const seen = new Set<string>();
  c.models.forEach((m, i) => {
    const id = `${m.name}@${m.revision}`;
    if (seen.has(id)) ctx.addIssue({ code: "custom", path: ["models", i], message: `${id} is listed twice` });
    seen.add(id);
    if (Object.keys(m.profiles).length === 0) ctx.addIssue({ code: "custom", path: ["models", i, "profiles"], message: "needs a serving profile for at least one GPU class (h100, l4)" });
  });
});

export type ModelVersion = z.output<typeof modelVersionSchema>;
export type ServingProfile = z.output<typeof servingProfileSchema>;
export type Catalog = z.output<typeof catalogSchema>;

export function versionId(m: Pick<ModelVersion, "name" | "revision">): string {
  return `${m.name}@${m.revision}`;
}

/** Key prefix of a version's artifacts in every registry bucket. */
export function artifactPrefix(m: Pick<ModelVersion, "name" | "revision">): string {
  return `models/${m.name}/${m.revision}/`;
}

/** Reads and validates a catalog file; problems are "<key path>: <message>" lines. */
export function readCatalog(file: string): { catalog?: Catalog; problems: string[] } {
  let doc: unknown;
  try {
    doc = readYamlFile(file);
  } catch (err) {
    // Syntax errors carry file, line, column and the offending line (lib/inputFile.ts).
    return { problems: [InputFileError.isInstance(err) ? err.message : `cannot read ${file}: ${(err as Error).message.split("\n")[0]}`] };
  }
  const result = catalogSchema.safeParse(doc);
  if (result.success) return { catalog: result.data, problems: [] };
  return {
    problems: result.error.issues.map((i) => `${file} ${i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "")}: ${i.message}`),
  };
}

/** Resolves `name@revision` against the catalog; an unknown or partial reference is an error. */
export function findVersion(catalog: Catalog, ref: string): ModelVersion | undefined {
  const [name, revision] = ref.split("@");
  return catalog.models.find((m) => m.name === name && m.revision === revision);
}
