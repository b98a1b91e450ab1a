import { InputFileError } from "../inputError";
import type { DataAtRisk } from "./diff";
import type { PolicyViolation } from "./document";

/**
 * What a delete or replacement loses, per resource type, and the plan-level gate that blocks it in
 * prod. A CrossGuard policy sees only the resources the program declares, never what a change deletes,
 * so the gate runs on the diff against the baseline (`--diff`), like cost-ceiling runs on the estimate.
 */

export interface DataHoldingType {
  /** Short name: "S3 bucket". */
  readonly kind: string;
  /** What goes with it, in one phrase. */
  readonly loses: string;
}

/**
 * Resource types whose deletion or replacement loses stored data (or, for KMS keys, the ability to
 * read data encrypted with them; for DNS records, the answers clients and certificate renewals need).
 */
export const DATA_HOLDING: Readonly<Record<string, DataHoldingType>> = {
  "aws:s3/bucket:Bucket": { kind: "S3 bucket", loses: "every object and object version in the bucket" },
  "aws:s3/bucketV2:BucketV2": { kind: "S3 bucket", loses: "every object and object version in the bucket" },
  // KMS schedules deletion after a 7 to 30 day window; after it, what the key encrypted is unreadable.
  "aws:kms/key:Key": { kind: "KMS key", loses: "the only way to decrypt what it encrypted (objects, logs, Kubernetes Secrets) once its deletion window ends" },
  "aws:cloudwatch/logGroup:LogGroup": { kind: "log group", loses: "every log event stored in it (EKS audit, VPC flow and access logs)" },
  "aws:eks/cluster:Cluster": { kind: "EKS cluster", loses: "its etcd: every Kubernetes object and Secret, and the workloads on it until rebuilt" },
  "aws:ebs/volume:Volume": { kind: "EBS volume", loses: "the blocks on the volume" },
  "aws:efs/fileSystem:FileSystem": { kind: "EFS file system", loses: "every file on it" },
  "aws:dynamodb/table:Table": { kind: "DynamoDB table", loses: "every item in the table" },
  "aws:rds/instance:Instance": { kind: "RDS instance", loses: "the database and its automated backups" },
  "aws:rds/cluster:Cluster": { kind: "RDS cluster", loses: "the database and its automated backups" },
  "aws:ecr/repository:Repository": { kind: "ECR repository", loses: "every image in the repository" },
  "aws:secretsmanager/secret:Secret": { kind: "secret", loses: "the secret's value and versions once its recovery window ends" },
  "aws:route53/record:Record": { kind: "DNS record", loses: "the name's answers: clients and certificate validations that resolve it fail until it exists again" },
  "kubernetes:core/v1:PersistentVolumeClaim": { kind: "persistent volume claim", loses: "the volume behind it when its reclaim policy is Delete" },
  "kubernetes:core/v1:PersistentVolume": { kind: "persistent volume", loses: "the volume's data when its reclaim policy is Delete" },
};

/** What a delete or replacement of a resource with these options loses, in one phrase. */
export function lossPhrase(type: string, options: { readonly protect: boolean; readonly retainOnDelete: boolean }): string {
  const holding = DATA_HOLDING[type];
  if (holding && options.retainOnDelete) return `nothing yet: the ${holding.kind} is left outside the stack, unmanaged, with its data`;
  if (holding) return holding.loses;
  if (options.retainOnDelete) return "nothing: left running outside the stack, unmanaged (and billed)";
  return "no stored data, but it is protected: pulumi up refuses until the protection is lifted";
}

/** The plan's own check (not a pack policy: the pack config cannot lower it). "data-loss" in the name puts it under the prod lock. */
export const DATA_LOSS_POLICY = "data-loss-not-allowed";

/** The stack config key, in the blueprint's namespace, of the allow list; each project's file may carry entries for its own resources. */
export const DATA_LOSS_ALLOW_LIST_KEY = "dataLossAllowList";

export interface DataLossAllowEntry {
  readonly urn: string;
  readonly reason: string;
}

/** One project's allow list as its stack file holds it. */
export interface AllowListSource {
  /** The stack file, as messages name it. */
  readonly file: string;
  /** The Pulumi project whose file it is; its entries may name only its own resources. */
  readonly project: string;
  /** The config value: a list of `{ urn, reason }` (JSON text, as the engine passes structured values), or undefined. */
  readonly raw: unknown;
}

function parseEntries(source: AllowListSource, key: string): DataLossAllowEntry[] {
  if (source.raw === undefined) return [];
  let value: unknown = source.raw;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      throw new InputFileError(source.file, `${source.file}: ${key} must be a list of { urn, reason }, got ${JSON.stringify(source.raw)}`);
    }
  }
  if (!Array.isArray(value)) throw new InputFileError(source.file, `${source.file}: ${key} must be a list of { urn, reason }, got ${JSON.stringify(value)}`);
  return value.map((e: unknown, i) => {
    const entry = e as Partial<DataLossAllowEntry> | null;
    if (!entry || typeof entry.urn !== "string" || !entry.urn.startsWith("urn:pulumi:") || typeof entry.reason !== "string" || entry.reason.trim() === "") {
      throw new InputFileError(source.file, `${source.file}: ${key}[${i}] must be { urn: "urn:pulumi:...", reason: "<why this data may go>" }, got ${JSON.stringify(e)}`);
    }
    const project = entry.urn.split("::")[1];
    if (project !== source.project) {
      throw new InputFileError(source.file, `${source.file}: ${key}[${i}] names ${entry.urn}, a resource of ${project ?? "no project"}; list it in the stack file of that project (this file is ${source.project}'s)`);
    }
    return { urn: entry.urn, reason: entry.reason };
  });
}

/**
 * The data-loss gate: in prod, every data-at-risk change against the baseline that no allow-list
 * entry names is a mandatory violation. Fails closed: an entry that names a resource this change does
 * not put at risk (stale, misspelt, or meant for another change) is a config error (exit 2), in any
 * environment, so an allow list never outlives the change it was written for.
 */
export function dataLossViolations(
  risks: readonly DataAtRisk[],
  sources: readonly AllowListSource[],
  opts: { readonly prod: boolean; readonly packName: string; readonly baseLabel: string; readonly namespace: string },
): PolicyViolation[] {
  const key = `${opts.namespace}:${DATA_LOSS_ALLOW_LIST_KEY}`;
  const atRisk = new Set(risks.map((r) => r.urn));
  const allowed = new Map<string, string>();
  for (const source of sources) {
    for (const [i, entry] of parseEntries(source, key).entries()) {
      if (!atRisk.has(entry.urn)) {
        throw new InputFileError(
          source.file,
          `${source.file}: ${key}[${i}] allows ${entry.urn}, which this change against ${opts.baseLabel} does not delete or replace ` +
            `(${risks.length === 0 ? "nothing is at risk" : `at risk: ${risks.length} resource(s), listed under "data at risk"`}); remove the entry once its change is deployed`,
        );
      }
      allowed.set(entry.urn, entry.reason);
    }
  }
  if (!opts.prod) return [];
  return risks
    .filter((r) => !allowed.has(r.urn))
    .map((r) => ({
      policy: DATA_LOSS_POLICY,
      policyPack: opts.packName,
      enforcementLevel: "mandatory" as const,
      urn: r.urn,
      message:
        `prod change against ${opts.baseLabel} would ${r.action} ${r.type.split(":").pop()} ${r.name} (${r.region}${r.project ? `, ${r.project}` : ""}): ` +
        `${r.reasons.join(", ")}; loses ${r.lost}. If that is intended, name it in ${key} of its project's stack file: { urn: "${r.urn}", reason: "<why>" }`,
    }));
}
