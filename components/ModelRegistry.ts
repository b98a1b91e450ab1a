import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as iam from "@pulumi/aws/iam";
import * as kms from "@pulumi/aws/kms";
import * as s3 from "@pulumi/aws/s3";
import * as pulumi from "@pulumi/pulumi";
import { accessLogBucket } from "./accessLogBucket";
import { policyDocument, PolicyDocument, replicationTrust } from "../lib/iam";

/** A bucket in another region that receives this registry's artifacts. */
export interface ReplicaTarget {
  readonly region: string;
  readonly bucketArn: pulumi.Input<string>;
  /** KMS key in the destination region that replicas are encrypted with. */
  readonly kmsKeyArn: pulumi.Input<string>;
}

export interface ModelRegistryArgs {
  /** Region of the bucket; must match the aws provider passed in opts. */
  readonly region: string;
  /**
   * Prefix of account-unique names (the KMS alias), so several stacks can share an account and
   * region. @default "<project>-<stack>"
   */
  readonly namePrefix?: string;
  /** Default Object Lock retention; turns Object Lock on at creation (it cannot be turned on later). @default off */
  readonly objectLock?: { readonly mode: "GOVERNANCE" | "COMPLIANCE"; readonly days: number };
  /** Days before superseded object versions expire. @default 90 */
  readonly noncurrentVersionDays?: number;
  /** Days server access logs are kept. @default 365 */
  readonly accessLogDays?: number;
  /** Physical bucket names. Set them (as the blueprint does) so names are known at preview. @default autonamed */
  readonly bucketName?: pulumi.Input<string>;
  readonly accessLogBucketName?: pulumi.Input<string>;
  /** Regions to replicate to (set on the primary region's registry only). @default [] */
  readonly replicateTo?: readonly ReplicaTarget[];
  /** Key prefix that is replicated. @default "models/" */
  readonly replicatedPrefix?: string;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/** Denies any request that does not use TLS. */
export function tlsOnlyStatement(bucketArn: string) {
  return { Sid: "DenyInsecureTransport", Effect: "Deny" as const, Principal: { AWS: "*" }, Action: "s3:*", Resource: [bucketArn, `${bucketArn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } };
}

/**
 * What S3 replication may do: read versions from the source, write replicas to the destinations,
 * decrypt with the source key and encrypt with each destination key, through S3 only.
 */
export function replicationPolicy(
  sourceRegion: string,
  sourceBucketArn: string,
  sourceKeyArn: string,
  targets: readonly { region: string; bucketArn: string; kmsKeyArn: string }[],
): PolicyDocument {
  return policyDocument(
    { Sid: "SourceBucket", Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: sourceBucketArn },
    { Sid: "SourceVersions", Effect: "Allow", Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold"], Resource: `${sourceBucketArn}/*` },
    { Sid: "WriteReplicas", Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"], Resource: targets.map((t) => `${t.bucketArn}/*`) },
    { Sid: "DecryptSource", Effect: "Allow", Action: "kms:Decrypt", Resource: sourceKeyArn, Condition: { StringEquals: { "kms:ViaService": `s3.${sourceRegion}.amazonaws.com` } } },
    ...targets.map((t, i) => ({
      Sid: `EncryptReplica${i}`,
      Effect: "Allow" as const,
      Action: ["kms:Encrypt", "kms:GenerateDataKey"],
      Resource: t.kmsKeyArn,
      Condition: { StringEquals: { "kms:ViaService": `s3.${t.region}.amazonaws.com` } },
    })),
  );
}

/**
 * The model artifact registry of one region: a versioned S3 bucket encrypted with its own
 * rotating KMS key (bucket key on), all public access blocked, TLS only, access-logged, noncurrent
 * versions expired, optional Object Lock, and, on the primary, replication with Replication Time
 * Control to every other region. The bucket, its key and its logs are protected and retained: a
 * `pulumi destroy` never deletes model artifacts.
 */
export class ModelRegistry extends pulumi.ComponentResource {
  readonly bucket: s3.Bucket;
  readonly kmsKey: kms.Key;
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  readonly kmsKeyArn: pulumi.Output<string>;

  constructor(name: string, args: ModelRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.replicateTo?.some((t) => t.region === args.region)) throw new Error(`ModelRegistry ${name}: replicateTo must not include its own region ${args.region}`);
    super("llm-blueprint:registry:ModelRegistry", name, {}, opts);
    const tags = args.tags ?? {};
    // Data-bearing resources: refuse deletion in Pulumi, and keep them in AWS if removed from the program.
    const keep = { parent: this, protect: true, retainOnDelete: true };
    // A bucket's safety settings are separate resources; deleting one (on destroy or a refactor)
    // would suspend versioning or lift the public-access block on a bucket that stays. Keep them too.
    const attached = { parent: this, retainOnDelete: true };

    this.kmsKey = new kms.Key(`${name}-key`, { description: `Model registry encryption (${args.region})`, enableKeyRotation: true, deletionWindowInDays: 30, tags }, keep);
    const prefix = args.namePrefix ?? `${pulumi.getProject()}-${pulumi.getStack()}`;
    new kms.Alias(`${name}-key`, { name: `alias/${prefix}/model-registry/${args.region}`, targetKeyId: this.kmsKey.keyId }, { parent: this });

    // Access logs: S3 server access logging cannot target an SSE-KMS bucket, so this one uses SSE-S3.
    const { bucket: logs } = accessLogBucket(
      `${name}-access-logs`,
      { bucketName: args.accessLogBucketName, encryption: { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }, expirationDays: args.accessLogDays ?? 365, tags },
      this,
    );

    this.bucket = new s3.Bucket(`${name}-models`, { bucket: args.bucketName, objectLockEnabled: args.objectLock ? true : undefined, tags }, keep);
    const bucketId = this.bucket.id;
    new s3.BucketPublicAccessBlock(`${name}-models`, { bucket: bucketId, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, attached);
    new s3.BucketOwnershipControls(`${name}-models`, { bucket: bucketId, rule: { objectOwnership: "BucketOwnerEnforced" } }, attached);
    const versioning = new s3.BucketVersioning(`${name}-models`, { bucket: bucketId, versioningConfiguration: { status: "Enabled" } }, attached);
    new s3.BucketServerSideEncryptionConfiguration(
      `${name}-models`,
      { bucket: bucketId, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: this.kmsKey.arn }, bucketKeyEnabled: true }] },
      attached,
    );
    new s3.BucketPolicy(`${name}-models`, { bucket: bucketId, policy: this.bucket.arn.apply((arn) => JSON.stringify(policyDocument(tlsOnlyStatement(arn)))) }, attached);
    new s3.BucketLogging(`${name}-models`, { bucket: bucketId, targetBucket: logs.id, targetPrefix: "models/" }, attached);
    new s3.BucketPolicy(
      `${name}-access-logs`,
      {
        bucket: logs.id,
        policy: pulumi.all([logs.arn, this.bucket.arn]).apply(([logsArn, sourceArn]) =>
          JSON.stringify(
            policyDocument(tlsOnlyStatement(logsArn), {
              Sid: "S3ServerAccessLogs",
              Effect: "Allow",
              Principal: { Service: "logging.s3.amazonaws.com" },
              Action: "s3:PutObject",
              Resource: `${logsArn}/*`,
              Condition: { ArnLike: { "aws:SourceArn": sourceArn } },
            }),
          ),
        ),
      },
      attached,
    );
    new s3.BucketLifecycleConfiguration(
      `${name}-models`,
      {
        bucket: bucketId,
        rules: [
          { id: "expire-noncurrent-versions", status: "Enabled", filter: { prefix: "" }, noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionDays ?? 90 } },
          { id: "abort-incomplete-uploads", status: "Enabled", filter: { prefix: "" }, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
        ],
      },
      { ...attached, dependsOn: [versioning] },
    );
    if (args.objectLock) {
      new s3.BucketObjectLockConfiguration(
        `${name}-models`,
        { bucket: bucketId, objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } } },
        { ...attached, dependsOn: [versioning] },
      );
    }

    const targets = args.replicateTo ?? [];
    if (targets.length > 0) {
      const replicated = args.replicatedPrefix ?? "models/";
      const account = getCallerIdentityOutput({}, { parent: this }).accountId;
      const role = new iam.Role(
        `${name}-replication`,
        { assumeRolePolicy: pulumi.all([account, this.bucket.arn]).apply(([id, arn]) => JSON.stringify(replicationTrust(id, arn))), tags },
        { parent: this },
      );
      new iam.RolePolicy(
        `${name}-replication`,
        {
          role: role.name,
          policy: pulumi
            .all([this.bucket.arn, this.kmsKey.arn, pulumi.all(targets.map((t) => pulumi.all([t.bucketArn, t.kmsKeyArn])))])
            .apply(([arn, key, resolved]) => JSON.stringify(replicationPolicy(args.region, arn, key, resolved.map(([bucketArn, kmsKeyArn], i) => ({ region: targets[i].region, bucketArn, kmsKeyArn }))))),
        },
        { parent: this },
      );
      // Not retained, unlike the other bucket settings: it goes with its role (a primary-region change
      // removes both), never left behind naming a deleted role. Deleting it loses no data.
      new s3.BucketReplicationConfig(
        `${name}-replication`,
        {
          bucket: bucketId,
          role: role.arn,
          rules: targets.map((t, i) => ({
            id: `to-${t.region}`,
            priority: i + 1,
            status: "Enabled",
            filter: { prefix: replicated },
            deleteMarkerReplication: { status: "Enabled" },
            sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
            destination: {
              bucket: t.bucketArn,
              storageClass: "STANDARD",
              encryptionConfiguration: { replicaKmsKeyId: t.kmsKeyArn },
              // Replication Time Control: 99.99% of objects within 15 minutes, with metrics to alarm on.
              replicationTime: { status: "Enabled", time: { minutes: 15 } },
              metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
            },
          })),
        },
        { parent: this, dependsOn: [versioning] },
      );
    }

    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;
    this.kmsKeyArn = this.kmsKey.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, kmsKeyArn: this.kmsKeyArn, replicatesTo: targets.map((t) => t.region) });
  }
}
