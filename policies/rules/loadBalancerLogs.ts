import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { arr, at, byType, list, obj, statementsOf, str, TYPES } from "./common";

/**
 * Internet-facing load balancers log to a bucket that keeps the trace (issue 14, Access): abuse of a
 * public model endpoint can only be traced if the NLB's access logs are on and land in a bucket of
 * this plan that is versioned, encrypted, closed to the public and protected from deletion.
 *
 * What ELB needs of the bucket (ELB user guide "Enable access logs for your Network Load Balancer",
 * read 2026-11-25): the load balancer's region; a bucket policy letting delivery.logs.amazonaws.com put
 * objects under `<prefix>/AWSLogs/<account>/`; SSE-S3, or SSE-KMS with a customer managed key (an AWS
 * managed key is not supported) whose key policy lets the service use it. The CloudWatch Logs guide
 * for vended logs to S3 adds that with an S3 Bucket Key the key policy does not work as expected for
 * all requests. Details and the builders the platform uses: lib/nlbAccessLogs.ts.
 */

const LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer";
const DELIVERY = "delivery.logs.amazonaws.com";

function attachedTo(resources: readonly PolicyResource[], type: string, bucket: PolicyResource): PolicyResource[] {
  return byType(resources, type).filter((r) => (r.propertyDependencies.bucket ?? []).some((d) => d.urn === bucket.urn));
}

/** The access-log bucket of a load balancer: by property dependency, else by name among the plan's buckets. */
function logBucketOf(resources: readonly PolicyResource[], lb: PolicyResource, name: string | undefined): PolicyResource | undefined {
  const buckets = byType(resources, TYPES.bucket);
  const byDependency = (lb.propertyDependencies.accessLogs ?? []).map((d) => buckets.find((b) => b.urn === d.urn)).find((b) => b !== undefined);
  return byDependency ?? (name === undefined ? undefined : buckets.find((b) => str(b.props.bucket) === name));
}

const serviceOf = (st: { Principal?: unknown }) => [obj(st.Principal).Service].flat().filter((s): s is string => typeof s === "string");

/** Problems of one load balancer's access-log bucket (empty when it keeps the trace). */
function bucketProblems(resources: readonly PolicyResource[], lb: PolicyResource, bucket: PolicyResource, prefix: string | undefined): string[] {
  const problems: string[] = [];
  const label = `access-log bucket ${str(bucket.props.bucket) ?? bucket.name}`;
  const lbRegion = str(lb.provider?.props.region);
  const bucketRegion = str(bucket.provider?.props.region);
  if (lbRegion && bucketRegion && lbRegion !== bucketRegion) problems.push(`${label} is in ${bucketRegion}, the load balancer in ${lbRegion}; ELB writes only to a bucket of its own region`);
  if (bucket.opts.protect !== true) problems.push(`${label} is not protected (protect: true); a rename or destroy would delete the logs`);
  if (bucket.props.forceDestroy === true) problems.push(`${label} has forceDestroy, which empties it on delete`);
  const versioned = attachedTo(resources, TYPES.bucketVersioning, bucket).some((v) => at(v.props, "versioningConfiguration.status") === "Enabled");
  if (!versioned) problems.push(`${label} is not versioned (BucketVersioning status Enabled); an overwritten or deleted log would be gone`);
  const [pab] = attachedTo(resources, TYPES.bucketPab, bucket);
  const blocks = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
  const open = pab ? blocks.filter((k) => pab.props[k] !== true) : blocks;
  if (open.length > 0) problems.push(`${label} does not block public access (${open.join(", ")} not true)`);

  const sseConfigs = attachedTo(resources, TYPES.bucketSse, bucket);
  const rules = sseConfigs.flatMap((c) => arr(c.props.rules).map((r) => ({ rule: obj(r), config: c })));
  if (rules.length === 0) problems.push(`${label} has no default encryption; use SSE-S3 (AES256) or SSE-KMS with a customer managed key`);
  for (const { rule, config } of rules) {
    const algorithm = str(at(rule, "applyServerSideEncryptionByDefault.sseAlgorithm"));
    if (algorithm === "AES256") continue;
    if (algorithm !== "aws:kms") {
      problems.push(`${label} is encrypted with "${algorithm ?? "(none)"}"; ELB access logs support AES256 (SSE-S3) or aws:kms with a customer managed key`);
      continue;
    }
    const keyId = str(at(rule, "applyServerSideEncryptionByDefault.kmsMasterKeyId"));
    const keyDeps = (config.propertyDependencies.rules ?? []).filter((d) => d.type === TYPES.kmsKey);
    if (keyDeps.length === 0 && (keyId === undefined || keyId.includes("alias/aws/s3"))) problems.push(`${label} uses the AWS managed key aws/s3; NLB access logs need a customer managed key`);
    if (rule.bucketKeyEnabled === true) problems.push(`${label} has an S3 Bucket Key on; the key policy granting ${DELIVERY} does not hold for every request with it, so turn bucketKeyEnabled off`);
    for (const key of keyDeps) {
      const grantsDelivery = statementsOf(key.props.policy).some(
        (st) => st.Effect === "Allow" && serviceOf(st as { Principal?: unknown }).includes(DELIVERY) && list(st.Action).some((a) => a === "kms:GenerateDataKey*" || a === "kms:GenerateDataKey" || a === "kms:*"),
      );
      if (!grantsDelivery) problems.push(`${label} is encrypted with KMS key ${key.name}, whose key policy does not let ${DELIVERY} generate data keys; ELB could not write the logs`);
    }
  }

  const arn = str(bucket.props.arn) ?? (str(bucket.props.bucket) ? `arn:aws:s3:::${str(bucket.props.bucket)}` : undefined);
  const writePath = `${prefix ? `/${prefix}` : ""}/AWSLogs/`;
  const statements = attachedTo(resources, TYPES.bucketPolicy, bucket).flatMap((p) => statementsOf(p.props.policy));
  const write = statements.find(
    (st) => st.Effect === "Allow" && serviceOf(st as { Principal?: unknown }).includes(DELIVERY) && list(st.Action).includes("s3:PutObject") && list(st.Resource).some((r) => r.includes(writePath) && (!arn || r.startsWith(arn))),
  );
  if (!write) problems.push(`${label} has no bucket policy statement letting ${DELIVERY} s3:PutObject under ${arn ?? "<bucket>"}${writePath}<account>/*; ELB could not write the logs`);
  else if (!str(at(write.Condition, "StringEquals.aws:SourceAccount")) && arr(at(write.Condition, "StringEquals.aws:SourceAccount")).length === 0) {
    problems.push(`${label}: the ${DELIVERY} write grant has no aws:SourceAccount condition; any account's load balancer could write into it`);
  }
  return problems;
}

export const loadBalancerAccessLogs: StackValidationPolicy = {
  name: "load-balancer-access-logs",
  description:
    "Every internet-facing load balancer has access logs on, written to a bucket of this plan in its region that is versioned, encrypted (SSE-S3 or a customer managed KMS key), public-access-blocked, protected, and writable by the log delivery service only for this account.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    // internal unset is internet-facing (the ELB default): fail closed.
    const facing = byType(args.resources, LOAD_BALANCER).filter((lb) => lb.props.internal !== true);
    if (facing.length === 0) args.notApplicable("no internet-facing load balancers");
    for (const lb of facing) {
      const label = `internet-facing load balancer ${lb.name}`;
      const logs = obj(lb.props.accessLogs);
      if (logs.enabled !== true) {
        report(`${label} has access logs off (accessLogs.enabled must be true): abuse of its public endpoint could not be traced`, lb.urn);
        continue;
      }
      const name = str(logs.bucket);
      const bucket = logBucketOf(args.resources, lb, name);
      if (!bucket) {
        report(`${label} logs to bucket ${name ?? "(none)"}, which is no bucket of this plan; its versioning, encryption and protection cannot be checked`, lb.urn);
        continue;
      }
      for (const problem of bucketProblems(args.resources, lb, bucket, str(logs.prefix))) report(`${label}: ${problem}`, bucket.urn);
    }
  },
};
