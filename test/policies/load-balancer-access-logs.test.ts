import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { dataRetentionViolations } from "../../lib/plan/retention";
import { evaluate, recordStack } from "./harness";

const POLICY = "load-balancer-access-logs";
const LB = "aws:lb/loadBalancer:LoadBalancer";
const BUCKET = "aws:s3/bucket:Bucket";
const VERSIONING = "aws:s3/bucketVersioning:BucketVersioning";
const SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";
const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const KMS_KEY = "aws:kms/key:Key";

const inputs = (r: PlanResource) => r.inputs as Record<string, unknown>;
const messages = (vs: { message: string }[]) => vs.map((v) => v.message);
const loadBalancers = (rs: PlanResource[]) => rs.filter((r) => r.type === LB);
/** The log bucket of a load balancer, by the property dependency the plan records. */
const logBucketOf = (rs: PlanResource[], lb: PlanResource) => rs.find((r) => r.type === BUCKET && lb.propertyDependencies!.accessLogs.includes(r.urn))!;
const attached = (rs: PlanResource[], type: string, bucket: PlanResource) => rs.filter((r) => r.type === type && (r.propertyDependencies?.bucket ?? []).includes(bucket.urn));
const usEast1 = (rs: PlanResource[]) => loadBalancers(rs).find((r) => r.name === "us-east-1-entry-nlb")!;

let prod: PlanResource[];
let staging: PlanResource[];
beforeAll(async () => {
  prod = await recordStack("prod");
  staging = await recordStack("staging");
}, 300_000);

describe("load-balancer-access-logs on the committed stacks", () => {
  it("passes on prod and staging, where every regional NLB logs to its own region's bucket", async () => {
    for (const rs of [prod, staging]) {
      expect(loadBalancers(rs).length).toBeGreaterThan(0);
      for (const lb of loadBalancers(rs)) {
        const bucket = logBucketOf(rs, lb);
        expect(inputs(lb).accessLogs).toEqual({ bucket: inputs(bucket).bucket, prefix: "nlb", enabled: true });
        expect(bucket.provider).toBe(lb.provider);
      }
      expect(await evaluate(rs, { policy: POLICY })).toEqual([]);
    }
    expect(loadBalancers(prod)).toHaveLength(3);
  });

  it("names each bucket like the registry's, kind nlb-logs, within 63 characters", () => {
    for (const lb of loadBalancers(prod)) {
      const name = String(inputs(logBucketOf(prod, lb)).bucket);
      expect(name).toMatch(/^[a-z0-9-]+-123456789012-use[12]-nlb-logs$|^[a-z0-9-]+-123456789012-usw2-nlb-logs$/);
      expect(name.length).toBeLessThanOrEqual(63);
    }
  });

  it("keeps bucket and key on delete, and the bucket's settings with them", () => {
    const lb = usEast1(prod);
    const bucket = logBucketOf(prod, lb);
    expect(bucket.options).toMatchObject({ protect: true, retainOnDelete: true });
    const [sse] = attached(prod, SSE, bucket);
    const key = prod.find((r) => r.type === KMS_KEY && sse.propertyDependencies!.rules.includes(r.urn))!;
    expect(key.options).toMatchObject({ protect: true, retainOnDelete: true });
    expect(inputs(key).enableKeyRotation).toBe(true);
    for (const settings of prod.filter((r) => (r.propertyDependencies?.bucket ?? []).includes(bucket.urn))) expect(settings.options.retainOnDelete).toBe(true);
    expect(dataRetentionViolations(prod, "p")).toEqual([]);
  });

  it("waits for the bucket policy, encryption and ownership before turning logging on", () => {
    const lb = usEast1(prod);
    const bucket = logBucketOf(prod, lb);
    const onBucket = (type: string) => attached(prod, type, bucket).map((r) => r.urn);
    for (const type of [BUCKET_POLICY, SSE, "aws:s3/bucketOwnershipControls:BucketOwnershipControls"]) {
      expect(lb.options.dependsOn).toEqual(expect.arrayContaining(onBucket(type)));
    }
  });
});

describe("load-balancer-access-logs on defects", () => {
  it("fails when an internet-facing NLB has access logs off", async () => {
    const violations = await evaluate(prod, { policy: POLICY, mutate: (rs) => void ((inputs(usEast1(rs)).accessLogs as Record<string, unknown>).enabled = false) });
    expect(messages(violations)).toEqual(["internet-facing load balancer us-east-1-entry-nlb has access logs off (accessLogs.enabled must be true): abuse of its public endpoint could not be traced"]);
  });

  it("fails when the access-log settings are gone altogether, and when internal is unset (internet-facing by default)", async () => {
    const violations = await evaluate(prod, {
      policy: POLICY,
      mutate: (rs) => {
        delete inputs(usEast1(rs)).accessLogs;
        delete inputs(usEast1(rs)).internal;
      },
    });
    expect(messages(violations)).toEqual(["internet-facing load balancer us-east-1-entry-nlb has access logs off (accessLogs.enabled must be true): abuse of its public endpoint could not be traced"]);
  });

  it("passes an internal load balancer without logs", async () => {
    const violations = await evaluate(prod, {
      policy: POLICY,
      mutate: (rs) => {
        inputs(usEast1(rs)).internal = true;
        delete inputs(usEast1(rs)).accessLogs;
      },
    });
    expect(violations).toEqual([]);
  });

  it("fails when the log bucket is not versioned", async () => {
    const violations = await evaluate(prod, {
      policy: POLICY,
      mutate: (rs) => {
        const [versioning] = attached(rs, VERSIONING, logBucketOf(rs, usEast1(rs)));
        (inputs(versioning).versioningConfiguration as Record<string, unknown>).status = "Suspended";
      },
    });
    expect(messages(violations)).toEqual([expect.stringMatching(/^internet-facing load balancer us-east-1-entry-nlb: access-log bucket \S+-use1-nlb-logs is not versioned \(BucketVersioning status Enabled\)/)]);
  });

  it("fails when the log bucket is not protected", async () => {
    const violations = await evaluate(prod, { policy: POLICY, mutate: (rs) => void ((logBucketOf(rs, usEast1(rs)).options as { protect: boolean }).protect = false) });
    expect(messages(violations)).toEqual([expect.stringMatching(/access-log bucket \S+-use1-nlb-logs is not protected \(protect: true\); a rename or destroy would delete the logs$/)]);
  });

  it("fails on a bucket outside the plan (by name, with no dependency to follow)", async () => {
    const violations = await evaluate(prod, {
      policy: POLICY,
      mutate: (rs) => {
        const lb = usEast1(rs);
        (inputs(lb).accessLogs as Record<string, unknown>).bucket = "someone-elses-bucket";
        delete lb.propertyDependencies!.accessLogs;
      },
    });
    expect(messages(violations)).toEqual(["internet-facing load balancer us-east-1-entry-nlb logs to bucket someone-elses-bucket, which is no bucket of this plan; its versioning, encryption and protection cannot be checked"]);
  });

  it("finds the bucket by name when the dependency is not recorded", async () => {
    const violations = await evaluate(prod, { policy: POLICY, mutate: (rs) => void delete usEast1(rs).propertyDependencies!.accessLogs });
    expect(violations).toEqual([]);
  });

  it("fails on unencrypted, AWS-managed-key and bucket-key encryption", async () => {
    const withSse = (edit: (rule: Record<string, unknown>, config: PlanResource) => void) => (rs: PlanResource[]) => {
      const [sse] = attached(rs, SSE, logBucketOf(rs, usEast1(rs)));
      edit((inputs(sse).rules as Record<string, unknown>[])[0], sse);
    };
    const none = await evaluate(prod, { policy: POLICY, mutate: (rs) => void rs.splice(rs.indexOf(attached(rs, SSE, logBucketOf(rs, usEast1(rs)))[0]), 1) });
    expect(messages(none)).toEqual([expect.stringMatching(/has no default encryption; use SSE-S3 \(AES256\) or SSE-KMS with a customer managed key$/)]);
    const awsManaged = await evaluate(prod, {
      policy: POLICY,
      mutate: withSse((rule, config) => {
        rule.applyServerSideEncryptionByDefault = { sseAlgorithm: "aws:kms" };
        delete config.propertyDependencies!.rules;
      }),
    });
    expect(messages(awsManaged)).toEqual([expect.stringMatching(/uses the AWS managed key aws\/s3; NLB access logs need a customer managed key$/)]);
    const bucketKey = await evaluate(prod, { policy: POLICY, mutate: withSse((rule) => void (rule.bucketKeyEnabled = true)) });
    expect(messages(bucketKey)).toEqual([expect.stringMatching(/has an S3 Bucket Key on; .* turn bucketKeyEnabled off$/)]);
    const sseS3 = await evaluate(prod, { policy: POLICY, mutate: withSse((rule) => void (rule.applyServerSideEncryptionByDefault = { sseAlgorithm: "AES256" })) });
    expect(sseS3).toEqual([]);
  });

  it("fails when the key or bucket policy does not let the log delivery service write, or lets any account", async () => {
    const keyOf = (rs: PlanResource[]) => {
      const [sse] = attached(rs, SSE, logBucketOf(rs, usEast1(rs)));
      return rs.find((r) => r.type === KMS_KEY && sse.propertyDependencies!.rules.includes(r.urn))!;
    };
    const noKeyGrant = await evaluate(prod, {
      policy: POLICY,
      mutate: (rs) => {
        const key = keyOf(rs);
        const doc = JSON.parse(String(inputs(key).policy)) as { Statement: { Sid: string }[] };
        doc.Statement = doc.Statement.filter((s) => s.Sid !== "AWSLogDeliveryUseKey");
        inputs(key).policy = JSON.stringify(doc);
      },
    });
    expect(messages(noKeyGrant)).toEqual([expect.stringMatching(/whose key policy does not let delivery\.logs\.amazonaws\.com generate data keys; ELB could not write the logs$/)]);

    const editWrite = (edit: (st: Record<string, unknown>) => void) => (rs: PlanResource[]) => {
      const [policy] = attached(rs, BUCKET_POLICY, logBucketOf(rs, usEast1(rs)));
      const doc = JSON.parse(String(inputs(policy).policy)) as { Statement: Record<string, unknown>[] };
      edit(doc.Statement.find((s) => s.Sid === "AWSLogDeliveryWrite")!);
      inputs(policy).policy = JSON.stringify(doc);
    };
    const wrongPrefix = await evaluate(prod, { policy: POLICY, mutate: editWrite((st) => void (st.Resource = String(st.Resource).replace("/nlb/", "/other/"))) });
    expect(messages(wrongPrefix)).toEqual([expect.stringMatching(/has no bucket policy statement letting delivery\.logs\.amazonaws\.com s3:PutObject under arn:aws:s3:::\S+-use1-nlb-logs\/nlb\/AWSLogs\/<account>\/\*/)]);
    const anyAccount = await evaluate(prod, { policy: POLICY, mutate: editWrite((st) => void delete st.Condition) });
    expect(messages(anyAccount)).toEqual([expect.stringMatching(/the delivery\.logs\.amazonaws\.com write grant has no aws:SourceAccount condition; any account's load balancer could write into it$/)]);
  });

  it("keeps s3-bucket-baseline clean: NLB log buckets are log buckets (not replicated), still versioned", async () => {
    expect(await evaluate(prod, { policy: "s3-bucket-baseline" })).toEqual([]);
    const violations = await evaluate(prod, {
      policy: "s3-bucket-baseline",
      mutate: (rs) => {
        const [versioning] = attached(rs, VERSIONING, logBucketOf(rs, usEast1(rs)));
        (inputs(versioning).versioningConfiguration as Record<string, unknown>).status = "Suspended";
      },
    });
    expect(messages(violations)).toEqual(["bucket us-east-1-entry-access-logs: versioning is not enabled (access logs must survive an overwrite or delete)"]);
  });
});
