import { policyDocument, PolicyDocument, PolicyStatement } from "./iam";

/**
 * NLB access logs to S3, as plain data. Facts from the ELB user guide, "Enable access logs for your
 * Network Load Balancer" (docs.aws.amazon.com/elasticloadbalancing/latest/network/enable-access-logs.html)
 * and "Access logs for your Network Load Balancer" (load-balancer-access-logs.html), read 2026-11-25:
 * - logs are written only for TLS listeners (ours is TLS, port 443);
 * - the bucket is in the load balancer's region; the prefix must not contain `AWSLogs` (ELB appends
 *   `AWSLogs/<account>/elasticloadbalancing/<region>/...`);
 * - `delivery.logs.amazonaws.com` writes them: s3:GetBucketAcl on the bucket and s3:PutObject on
 *   `<bucket>/<prefix>/AWSLogs/<account>/*` with the `bucket-owner-full-control` ACL, both limited by
 *   aws:SourceAccount and aws:SourceArn `arn:aws:logs:<region>:<account>:*`;
 * - encryption SSE-S3 or SSE-KMS with a customer managed key (an AWS managed key is not supported),
 *   whose key policy lets the service encrypt and decrypt. The CloudWatch Logs guide for vended logs
 *   to S3 ("Logs sent to Amazon S3", AWS-logs-infrastructure-S3, read 2026-11-25) gives that key
 *   statement with the same aws:SourceAccount / aws:SourceArn conditions, and warns that with an S3
 *   Bucket Key the key policy "no longer works as expected for all requests": so no bucket key here.
 * - A bucket with Object Ownership BucketOwnerEnforced accepts PUTs that carry the
 *   `bucket-owner-full-control` canned ACL (S3 user guide, object-ownership-error-responses, read
 *   2026-11-25), so ACLs stay disabled.
 */

export const NLB_LOG_DELIVERY_SERVICE = "delivery.logs.amazonaws.com";

/** Default key prefix of the logs in the bucket. */
export const NLB_ACCESS_LOG_PREFIX = "nlb";

/** Problems of an access-log prefix as ELB would see it; empty when valid. */
export function accessLogPrefixProblems(prefix: string): string[] {
  const problems: string[] = [];
  if (!/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/.test(prefix)) problems.push(`"${prefix}" must be one or more path segments of letters, digits and !_.*'()- separated by single slashes, without a leading or trailing slash`);
  if (prefix.includes("AWSLogs")) problems.push(`"${prefix}" must not contain AWSLogs (ELB appends AWSLogs/<account>/... itself)`);
  return problems;
}

/** The confused-deputy conditions of every grant to the log delivery service: this account's deliveries in this region. */
function deliveryConditions(accountId: string, region: string): PolicyStatement["Condition"] {
  return { StringEquals: { "aws:SourceAccount": accountId }, ArnLike: { "aws:SourceArn": `arn:aws:logs:${region}:${accountId}:*` } };
}

/**
 * Bucket policy of an NLB access-log bucket: TLS only, and the log delivery service may check the
 * bucket ACL and write under `<prefix>/AWSLogs/<account>/` only, for this account's load balancers
 * of this region.
 */
export function nlbAccessLogBucketPolicy(bucketArn: string, prefix: string, accountId: string, region: string): PolicyDocument {
  const conditions = deliveryConditions(accountId, region)!;
  return policyDocument(
    { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: { AWS: "*" }, Action: "s3:*", Resource: [bucketArn, `${bucketArn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } },
    { Sid: "AWSLogDeliveryAclCheck", Effect: "Allow", Principal: { Service: NLB_LOG_DELIVERY_SERVICE }, Action: "s3:GetBucketAcl", Resource: bucketArn, Condition: conditions },
    {
      Sid: "AWSLogDeliveryWrite",
      Effect: "Allow",
      Principal: { Service: NLB_LOG_DELIVERY_SERVICE },
      Action: "s3:PutObject",
      Resource: `${bucketArn}/${prefix}/AWSLogs/${accountId}/*`,
      Condition: { ...conditions, StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", ...conditions.StringEquals } },
    },
  );
}

/**
 * Key policy of the customer managed key encrypting an NLB access-log bucket: the account
 * administers it (IAM policies apply), and the log delivery service may use it for this account's
 * deliveries in this region only.
 */
export function nlbAccessLogKeyPolicy(accountId: string, region: string): PolicyDocument {
  return policyDocument(
    { Sid: "AccountAdmin", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" },
    {
      Sid: "AWSLogDeliveryUseKey",
      Effect: "Allow",
      Principal: { Service: NLB_LOG_DELIVERY_SERVICE },
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      Resource: "*",
      Condition: deliveryConditions(accountId, region),
    },
  );
}
