import { describe, expect, it } from "vitest";
import { isAllowed } from "../../lib/iam";
import { accessLogPrefixProblems, nlbAccessLogBucketPolicy, nlbAccessLogKeyPolicy } from "../../lib/nlbAccessLogs";

const BUCKET = "arn:aws:s3:::p-prod-123456789012-use1-nlb-logs";
const delivery = (extra: Record<string, string> = {}) => ({ "aws:SecureTransport": "true", "aws:SourceAccount": "123456789012", "aws:SourceArn": "arn:aws:logs:us-east-1:123456789012:delivery-source/x", ...extra });

describe("NLB access-log bucket policy", () => {
  const doc = nlbAccessLogBucketPolicy(BUCKET, "nlb", "123456789012", "us-east-1");
  const put = (key: string, context: Record<string, string>) => isAllowed(doc, { action: "s3:PutObject", resource: `${BUCKET}/${key}`, context });

  it("lets this account's log deliveries of this region write under <prefix>/AWSLogs/<account>/ with the owner-full-control ACL", () => {
    expect(put("nlb/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/25/x.log.gz", delivery({ "s3:x-amz-acl": "bucket-owner-full-control" }))).toBe(true);
    expect(isAllowed(doc, { action: "s3:GetBucketAcl", resource: BUCKET, context: delivery() })).toBe(true);
  });

  it("refuses another account, another region's deliveries, another prefix, no ACL, and plain HTTP", () => {
    const key = "nlb/AWSLogs/123456789012/x.log.gz";
    const acl = { "s3:x-amz-acl": "bucket-owner-full-control" };
    expect(put(key, delivery({ ...acl, "aws:SourceAccount": "999999999999" }))).toBe(false);
    expect(put(key, delivery({ ...acl, "aws:SourceArn": "arn:aws:logs:us-west-2:123456789012:x" }))).toBe(false);
    expect(put("other/AWSLogs/123456789012/x.log.gz", delivery(acl))).toBe(false);
    expect(put("nlb/AWSLogs/999999999999/x.log.gz", delivery(acl))).toBe(false);
    expect(put(key, delivery())).toBe(false);
    expect(put(key, delivery({ ...acl, "aws:SecureTransport": "false" }))).toBe(false);
    expect(isAllowed(doc, { action: "s3:GetObject", resource: `${BUCKET}/${key}`, context: delivery() })).toBe(false);
  });
});

describe("NLB access-log key policy", () => {
  const doc = nlbAccessLogKeyPolicy("123456789012", "us-east-1");
  it("lets the account administer the key and the log delivery service use it for this account's deliveries only", () => {
    expect(doc.Statement[0]).toEqual({ Sid: "AccountAdmin", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" });
    expect(doc.Statement[1].Principal).toEqual({ Service: "delivery.logs.amazonaws.com" });
    expect(isAllowed({ ...doc, Statement: [doc.Statement[1]] }, { action: "kms:GenerateDataKey", resource: "*", context: delivery() })).toBe(true);
    expect(isAllowed({ ...doc, Statement: [doc.Statement[1]] }, { action: "kms:GenerateDataKey", resource: "*", context: delivery({ "aws:SourceAccount": "999999999999" }) })).toBe(false);
    expect(isAllowed({ ...doc, Statement: [doc.Statement[1]] }, { action: "kms:ScheduleKeyDeletion", resource: "*", context: delivery() })).toBe(false);
  });
});

describe("access-log prefix", () => {
  it("accepts path segments and refuses AWSLogs, slashes at the ends and empty segments", () => {
    expect(accessLogPrefixProblems("nlb")).toEqual([]);
    expect(accessLogPrefixProblems("entry/nlb")).toEqual([]);
    expect(accessLogPrefixProblems("x/AWSLogs")).toEqual(['"x/AWSLogs" must not contain AWSLogs (ELB appends AWSLogs/<account>/... itself)']);
    expect(accessLogPrefixProblems("/nlb/")).toEqual([
      `"/nlb/" must be one or more path segments of letters, digits and !_.*'()- separated by single slashes, without a leading or trailing slash`,
    ]);
    expect(accessLogPrefixProblems("a//b")).toHaveLength(1);
  });
});
