import { beforeAll, describe, expect, it } from "vitest";
import { ModelRegistry, replicationPolicy } from "../../components/ModelRegistry";
import { isAllowed } from "../../lib/iam";
import { PlanResource } from "../../lib/plan/document";
import { input, ofType, plan, regionProvider, resourcesWithoutExplicitProvider } from "../harness";

const byParentName = (resources: PlanResource[], type: string, name: string) => {
  const parent = resources.find((r) => r.type === "llm-blueprint:registry:ModelRegistry" && r.name === name)!;
  return ofType(resources, type).filter((r) => r.parent === parent.urn);
};

describe("ModelRegistry", () => {
  let resources: PlanResource[];
  beforeAll(async () => {
    resources = await plan(() => {
      const west = new ModelRegistry("usw2", { region: "us-west-2" }, { provider: regionProvider("us-west-2") });
      new ModelRegistry(
        "use1",
        { region: "us-east-1", objectLock: { mode: "GOVERNANCE", days: 30 }, replicateTo: [{ region: "us-west-2", bucketArn: west.bucketArn, kmsKeyArn: west.kmsKeyArn }] },
        { provider: regionProvider("us-east-1") },
      );
    });
  });

  const modelBucket = (name: string) => byParentName(resources, "aws:s3/bucket:Bucket", name).find((b) => b.name.endsWith("-models"))!;
  const forBucket = (type: string, name: string) => byParentName(resources, type, name).find((r) => r.name === `${name}-models`)!;

  it("versions the bucket, encrypts it with its own rotating key and a bucket key, and blocks all public access", () => {
    for (const name of ["use1", "usw2"]) {
      expect(input(forBucket("aws:s3/bucketVersioning:BucketVersioning", name), "versioningConfiguration.status")).toBe("Enabled");
      const [rule] = input(forBucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", name), "rules") as {
        applyServerSideEncryptionByDefault: { sseAlgorithm: string; kmsMasterKeyId: string };
        bucketKeyEnabled: boolean;
      }[];
      expect(rule.applyServerSideEncryptionByDefault.sseAlgorithm).toBe("aws:kms");
      expect(rule.applyServerSideEncryptionByDefault.kmsMasterKeyId).toMatch(/^arn:aws:kms:/);
      expect(rule.bucketKeyEnabled).toBe(true);
      const [key] = byParentName(resources, "aws:kms/key:Key", name);
      expect(input(key, "enableKeyRotation")).toBe(true);
      expect(forBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name).inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
    }
  });

  it("never loses artifacts on destroy: bucket, key and logs are protected and retained, with no forceDestroy", () => {
    for (const name of ["use1", "usw2"]) {
      const keepers = [...byParentName(resources, "aws:s3/bucket:Bucket", name), ...byParentName(resources, "aws:kms/key:Key", name)];
      expect(keepers).toHaveLength(3);
      for (const r of keepers) {
        expect(r.options.protect, r.urn).toBe(true);
        expect(r.options.retainOnDelete, r.urn).toBe(true);
        expect(input(r, "forceDestroy")).toBeUndefined();
      }
    }
  });

  it("keeps every bucket setting on destroy, so a teardown cannot suspend versioning or lift the public-access block", () => {
    const s3 = resources.filter((r) => r.type.startsWith("aws:s3/") && r.type !== "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
    expect(s3.length).toBeGreaterThan(20);
    for (const r of s3) expect(r.options.retainOnDelete, r.urn).toBe(true);
  });

  it("lets the replication configuration go with its role (neither retained), so a primary-region change leaves no configuration naming a deleted role", () => {
    const replication = resources.filter((r) => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
    expect(replication.length).toBeGreaterThan(0);
    for (const config of replication) {
      const role = resources.find((r) => r.urn === config.propertyDependencies!.role[0])!;
      expect([config.options.retainOnDelete, role.type, role.options.retainOnDelete]).toEqual([false, "aws:iam/role:Role", false]);
    }
  });

  it("versions the access-log bucket and expires the versions its log expiry leaves behind", () => {
    const versioning = resources.filter((r) => r.type === "aws:s3/bucketVersioning:BucketVersioning" && r.name.endsWith("-access-logs"));
    expect(versioning.length).toBeGreaterThan(0);
    for (const v of versioning) expect(input(v, "versioningConfiguration")).toEqual({ status: "Enabled" });
    const lifecycle = resources.filter((r) => r.type === "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration" && r.name.endsWith("-access-logs"));
    for (const l of lifecycle) expect(input(l, "rules")).toEqual([expect.objectContaining({ expiration: { days: 365 }, noncurrentVersionExpiration: { noncurrentDays: 30 } })]);
  });

  it("denies requests without TLS, logs access, and expires only noncurrent versions", () => {
    const policy = JSON.parse(input(forBucket("aws:s3/bucketPolicy:BucketPolicy", "use1"), "policy") as string);
    expect(policy.Statement).toContainEqual(expect.objectContaining({ Effect: "Deny", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }));
    const logging = forBucket("aws:s3/bucketLogging:BucketLogging", "use1");
    expect(String(input(logging, "targetBucket"))).toMatch(/^use1-access-logs-/);
    const rules = input(forBucket("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "use1"), "rules") as Record<string, unknown>[];
    expect(rules).toContainEqual(expect.objectContaining({ noncurrentVersionExpiration: { noncurrentDays: 90 } }));
    expect(rules.some((r) => "expiration" in r)).toBe(false);
  });

  it("turns Object Lock on only where asked", () => {
    expect(input(modelBucket("use1"), "objectLockEnabled")).toBe(true);
    expect(input(forBucket("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "use1"), "rule.defaultRetention")).toEqual({ mode: "GOVERNANCE", days: 30 });
    expect(input(modelBucket("usw2"), "objectLockEnabled")).toBeUndefined();
    expect(byParentName(resources, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "usw2")).toEqual([]);
  });

  it("replicates the primary to the other region with RTC and metrics, re-encrypting with the destination key", () => {
    const [replication] = byParentName(resources, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "use1");
    expect(byParentName(resources, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "usw2")).toEqual([]);
    const [rule] = input(replication, "rules") as { destination: Record<string, unknown>; status: string }[];
    const [westKey] = byParentName(resources, "aws:kms/key:Key", "usw2");
    expect(rule.status).toBe("Enabled");
    expect(String(rule.destination.bucket)).toMatch(/^arn:aws:s3:::usw2-models-/);
    expect(rule.destination.encryptionConfiguration).toEqual({ replicaKmsKeyId: expect.stringMatching(/^arn:aws:kms:us-west-2:/) });
    expect(rule.destination.replicationTime).toEqual({ status: "Enabled", time: { minutes: 15 } });
    expect(rule.destination.metrics).toEqual({ status: "Enabled", eventThreshold: { minutes: 15 } });
    expect(replication.options.dependsOn).toContain(forBucket("aws:s3/bucketVersioning:BucketVersioning", "use1").urn);
    expect(westKey.options.protect).toBe(true);
  });

  it("lets the replication role write replicas only to the destinations", () => {
    const doc = replicationPolicy("us-east-1", "arn:aws:s3:::src", "arn:aws:kms:us-east-1:1:key/s", [{ region: "us-west-2", bucketArn: "arn:aws:s3:::dst", kmsKeyArn: "arn:aws:kms:us-west-2:1:key/d" }]);
    expect(isAllowed(doc, { action: "s3:ReplicateObject", resource: "arn:aws:s3:::dst/models/x" })).toBe(true);
    expect(isAllowed(doc, { action: "s3:ReplicateObject", resource: "arn:aws:s3:::src/models/x" })).toBe(false);
    expect(isAllowed(doc, { action: "s3:DeleteBucket", resource: "arn:aws:s3:::dst" })).toBe(false);
    expect(isAllowed(doc, { action: "kms:Encrypt", resource: "arn:aws:kms:us-west-2:1:key/d", context: { "kms:ViaService": "s3.us-west-2.amazonaws.com" } })).toBe(true);
    expect(isAllowed(doc, { action: "kms:Decrypt", resource: "arn:aws:kms:us-west-2:1:key/d", context: { "kms:ViaService": "s3.us-west-2.amazonaws.com" } })).toBe(false);
  });

  it("names its key alias per stack and region, so stacks can share an account", () => {
    const aliases = ofType(resources, "aws:kms/alias:Alias").map((a) => input(a, "name"));
    expect(aliases.sort()).toEqual(["alias/llm-blueprint-test/model-registry/us-east-1", "alias/llm-blueprint-test/model-registry/us-west-2"]);
  });

  it("uses the explicit regional provider everywhere", () => {
    expect(resourcesWithoutExplicitProvider(resources)).toEqual([]);
  });
});
