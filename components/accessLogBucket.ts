import * as s3 from "@pulumi/aws/s3";
import type * as awsInputs from "@pulumi/aws/types/input";
import * as pulumi from "@pulumi/pulumi";

export interface AccessLogBucketArgs {
  /** Physical bucket name. @default a name Pulumi generates */
  readonly bucketName?: pulumi.Input<string>;
  /**
   * Default encryption. S3 server access logging cannot write to an SSE-KMS bucket (it needs SSE-S3);
   * NLB access logs can use a customer-managed key whose policy admits the log delivery service.
   */
  readonly encryption: awsInputs.s3.BucketServerSideEncryptionConfigurationRule;
  /** Days a log object is kept. */
  readonly expirationDays: number;
  readonly tags: Record<string, string>;
}

export interface AccessLogBucket {
  readonly bucket: s3.Bucket;
  readonly publicAccessBlock: s3.BucketPublicAccessBlock;
  readonly ownership: s3.BucketOwnershipControls;
  readonly encryption: s3.BucketServerSideEncryptionConfiguration;
  readonly versioning: s3.BucketVersioning;
}

/**
 * A bucket that receives access logs (S3 server access logs, NLB access logs): never public, owner-enforced,
 * encrypted, versioned so an overwritten or deleted log (the trace of an abuse) can still be read back for 30
 * days, and expired after `expirationDays`. Every child is named `name`. The bucket is protected and kept on
 * delete; its settings are kept on delete too, since deleting one (a destroy or a refactor) would lift the
 * public-access block or suspend versioning on a bucket that stays. The bucket policy is the caller's: who may
 * write depends on the log source.
 */
export function accessLogBucket(name: string, args: AccessLogBucketArgs, parent: pulumi.Resource): AccessLogBucket {
  const attached = { parent, retainOnDelete: true };
  const bucket = new s3.Bucket(name, { bucket: args.bucketName, tags: args.tags }, { parent, protect: true, retainOnDelete: true });
  const publicAccessBlock = new s3.BucketPublicAccessBlock(name, { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, attached);
  const ownership = new s3.BucketOwnershipControls(name, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, attached);
  const encryption = new s3.BucketServerSideEncryptionConfiguration(name, { bucket: bucket.id, rules: [args.encryption] }, attached);
  const versioning = new s3.BucketVersioning(name, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, attached);
  new s3.BucketLifecycleConfiguration(
    name,
    {
      bucket: bucket.id,
      rules: [
        {
          id: "expire-access-logs",
          status: "Enabled",
          filter: { prefix: "" },
          expiration: { days: args.expirationDays },
          // A deleted or overwritten log stays readable 30 days as a noncurrent version, then goes, so
          // versioning does not keep logs forever.
          noncurrentVersionExpiration: { noncurrentDays: 30 },
        },
      ],
    },
    { ...attached, dependsOn: [versioning] },
  );
  return { bucket, publicAccessBlock, ownership, encryption, versioning };
}
