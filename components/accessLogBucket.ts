import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface AccessLogBucketArgs {
  /** Physical bucket name. @default a name Pulumi generates */
  readonly bucketName?: pulumi.Input<string>;
  /**
   * Default encryption. S3 server access logging cannot write to an SSE-KMS bucket (it needs SSE-S3);
   * NLB access logs can use a customer-managed key whose policy admits the log delivery service.
   */
  readonly encryption: aws.types.input.s3.BucketServerSideEncryptionConfigurationRule;
  /** Days a log object is kept. */
  readonly expirationDays: number;
  readonly tags: Record<string, string>;
}

export interface AccessLogBucket {
  readonly bucket: aws.s3.Bucket;
  readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
  readonly ownership: aws.s3.BucketOwnershipControls;
  readonly encryption: aws.s3.BucketServerSideEncryptionConfiguration;
  readonly versioning: aws.s3.BucketVersioning;
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
  const bucket = new aws.s3.Bucket(name, { bucket: args.bucketName, tags: args.tags }, { parent, protect: true, retainOnDelete: true });
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(name, { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, attached);
  const ownership = new aws.s3.BucketOwnershipControls(name, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, attached);
  const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(name, { bucket: bucket.id, rules: [args.encryption] }, attached);
  const versioning = new aws.s3.BucketVersioning(name, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, attached);
  new aws.s3.BucketLifecycleConfiguration(
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
