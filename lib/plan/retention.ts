import type { PlanResource, PolicyViolation } from "./document";

/**
 * Plan-level check "data-retained-on-delete": what CrossGuard cannot see. The analyzer's resource
 * options carry `protect` but not `retainOnDelete` (@pulumi/policy 1.21.0 PolicyResourceOptions), so
 * this reads the recorded plan like cost-ceiling does, and the pack config cannot lower it.
 *
 * - Every CloudWatch log group (control-plane audit, flow logs, container and runner logs) is retained
 *   on delete: a rename or region change must not take the evidence with it.
 * - The KMS key of a retained log group is retained too, or the logs that stay become unreadable.
 * - Every S3 bucket (model registries, their access logs, NLB access logs) and the KMS key that
 *   encrypts it by default is retained on delete: `protect` stops a `pulumi destroy`, but a bucket
 *   dropped from the program is deleted unless it is also retained.
 * - A retained S3 replication configuration has a retained role: otherwise removing it from the
 *   program (a primary-region change) deletes the role and leaves the configuration naming it, and
 *   every new object fails to replicate.
 */
export const DATA_RETAINED_POLICY = "data-retained-on-delete";

const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const KMS_KEY = "aws:kms/key:Key";
const REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig";
const ROLE = "aws:iam/role:Role";
const BUCKET = "aws:s3/bucket:Bucket";
const BUCKET_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";

export function dataRetentionViolations(resources: readonly PlanResource[], packName: string): PolicyViolation[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const violations: PolicyViolation[] = [];
  const report = (urn: string, message: string) => violations.push({ policy: DATA_RETAINED_POLICY, policyPack: packName, enforcementLevel: "mandatory", urn, message });
  const sources = (r: PlanResource, prop: string) => (r.propertyDependencies?.[prop] ?? []).map((u) => byUrn.get(u)).filter((x): x is PlanResource => x !== undefined);

  for (const group of resources.filter((r) => r.type === LOG_GROUP)) {
    const label = `log group ${typeof group.inputs.name === "string" ? group.inputs.name : group.name}`;
    if (!group.options.retainOnDelete) {
      report(group.urn, `${label} is not retained on delete (retainOnDelete: true): removing or renaming its owner would delete the logs`);
      continue;
    }
    for (const key of sources(group, "kmsKeyId").filter((k) => k.type === KMS_KEY)) {
      if (!key.options.retainOnDelete) report(key.urn, `${label} is retained but its KMS key ${key.name} is not: the logs left behind could not be decrypted`);
    }
  }
  for (const bucket of resources.filter((r) => r.type === BUCKET)) {
    const label = `bucket ${typeof bucket.inputs.bucket === "string" ? bucket.inputs.bucket : bucket.name}`;
    if (!bucket.options.retainOnDelete) {
      report(bucket.urn, `${label} is not retained on delete (retainOnDelete: true): dropping it from the program would delete what it holds`);
      continue;
    }
    // The key its default encryption names (a configuration that depends on the bucket and on a key).
    const keys = resources
      .filter((r) => r.type === BUCKET_SSE && sources(r, "bucket").some((b) => b.urn === bucket.urn))
      .flatMap((sse) => Object.keys(sse.propertyDependencies ?? {}).flatMap((prop) => sources(sse, prop)))
      .filter((k) => k.type === KMS_KEY);
    for (const key of keys.filter((k) => !k.options.retainOnDelete)) report(key.urn, `${label} is retained but its KMS key ${key.name} is not: the objects left behind could not be decrypted`);
  }
  for (const config of resources.filter((r) => r.type === REPLICATION && r.options.retainOnDelete)) {
    const roles = sources(config, "role").filter((r) => r.type === ROLE);
    if (roles.length === 0) report(config.urn, `replication configuration ${config.name} is retained on delete but its role comes from no resource of this plan; retain neither, or name a role that outlives it`);
    for (const role of roles.filter((r) => !r.options.retainOnDelete)) {
      report(config.urn, `replication configuration ${config.name} is retained on delete but its role ${role.name} is not: a primary-region change would leave the configuration naming a deleted role; let the configuration go with its role (no retainOnDelete) or retain both`);
    }
  }
  return violations;
}
