import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { dataRetentionViolations } from "../../lib/plan/retention";
import { trustPolicyProblems } from "../../policies/rules/hardening";
import { evaluate, recordStack } from "./harness";

const ROLE = "aws:iam/role:Role";
const RECORD = "aws:route53/record:Record";
const trustOf = (r: PlanResource) => JSON.parse(String(r.inputs.assumeRolePolicy)) as { Statement: { Principal?: { Service?: string }; Condition?: Record<string, Record<string, string>> }[] };
const rolesTrusting = (rs: readonly PlanResource[], service: string) => rs.filter((r) => r.type === ROLE && trustOf(r).Statement.some((st) => st.Principal?.Service === service));
const setTrust = (r: PlanResource, edit: (doc: ReturnType<typeof trustOf>) => void) => {
  const doc = trustOf(r);
  edit(doc);
  (r.inputs as Record<string, unknown>).assumeRolePolicy = JSON.stringify(doc);
};
const options = (r: PlanResource) => r.options as { protect: boolean; retainOnDelete: boolean };
const messages = (vs: { message: string }[]) => vs.map((v) => v.message);

let prod: PlanResource[];
beforeAll(async () => {
  prod = await recordStack("prod");
}, 300_000);

describe("trust-policies-scoped", () => {
  it("passes on prod, where every Pod Identity, flow-log and replication role names this account and its resource", async () => {
    expect(rolesTrusting(prod, "pods.eks.amazonaws.com").length).toBeGreaterThanOrEqual(3 * 6);
    expect(rolesTrusting(prod, "vpc-flow-logs.amazonaws.com").length).toBe(3);
    expect(rolesTrusting(prod, "s3.amazonaws.com").length).toBe(1);
    expect(await evaluate(prod, { policy: "trust-policies-scoped" })).toEqual([]);
  });

  it("ties each Pod Identity role to its own cluster", () => {
    for (const role of rolesTrusting(prod, "pods.eks.amazonaws.com")) {
      const { Condition } = trustOf(role).Statement[0];
      const clusterArn = Condition!.StringEquals["aws:RequestTag/eks-cluster-arn"];
      expect(clusterArn).toMatch(/^arn:aws:eks:us-(east|west)-[12]:123456789012:cluster\/[\w-]+$/);
      expect(Condition!.StringEquals["aws:SourceAccount"]).toBe("123456789012");
      expect(Condition!.ArnLike["aws:SourceArn"]).toBe(`${clusterArn.replace(":cluster/", ":podidentityassociation/")}/*`);
    }
  });

  it("fails on a role re-created without the conditions, one per service", async () => {
    const violations = await evaluate(prod, {
      policy: "trust-policies-scoped",
      mutate: (rs) => {
        for (const service of ["pods.eks.amazonaws.com", "vpc-flow-logs.amazonaws.com", "s3.amazonaws.com"]) setTrust(rolesTrusting(rs, service)[0], (doc) => delete doc.Statement[0].Condition);
      },
    });
    const msgs = messages(violations);
    for (const service of ["pods.eks.amazonaws.com", "vpc-flow-logs.amazonaws.com", "s3.amazonaws.com"]) {
      expect(msgs).toContain(`statement 0 trusts ${service} without StringEquals aws:SourceAccount = <this account> (found []): any account's resource could make the service assume it`);
    }
    expect(msgs.filter((m) => m.includes("without one aws:SourceArn condition"))).toHaveLength(3);
  });

  it("fails on a source ARN of another account or resource type, and on a service it does not know", () => {
    const scoped = (sourceArn: string, service = "vpc-flow-logs.amazonaws.com") =>
      JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" }, ArnLike: { "aws:SourceArn": sourceArn } } }] });
    expect(trustPolicyProblems(scoped("arn:aws:ec2:us-east-1:123456789012:vpc-flow-log/*"))).toEqual([]);
    expect(trustPolicyProblems(scoped("arn:aws:ec2:us-east-1:999999999999:vpc-flow-log/*"))).toEqual([
      'statement 0 trusts vpc-flow-logs.amazonaws.com: aws:SourceArn "arn:aws:ec2:us-east-1:999999999999:vpc-flow-log/*" names account 999999999999, aws:SourceAccount 123456789012',
    ]);
    expect(trustPolicyProblems(scoped("arn:aws:eks:us-east-1:123456789012:cluster/c", "pods.eks.amazonaws.com"))).toEqual([
      'statement 0 trusts pods.eks.amazonaws.com with aws:SourceArn "arn:aws:eks:us-east-1:123456789012:cluster/c", which is not arn:aws:eks:<region>:<account>:podidentityassociation/<cluster>/*',
    ]);
    expect(trustPolicyProblems(scoped("arn:aws:lambda:us-east-1:123456789012:function:f", "lambda.amazonaws.com"))[0]).toMatch(/^statement 0 trusts lambda\.amazonaws\.com, which this rule does not know; add it to SCOPED_SERVICES/);
    expect(trustPolicyProblems("{not json")).toEqual(["the trust policy is not valid JSON"]);
  });
});

describe("eks-cluster-protected", () => {
  it("passes on prod and fails on a cluster re-created without protect", async () => {
    expect(await evaluate(prod, { policy: "eks-cluster-protected" })).toEqual([]);
    const violations = await evaluate(prod, { policy: "eks-cluster-protected", mutate: (rs) => rs.filter((r) => r.type === "aws:eks/cluster:Cluster").slice(0, 1).forEach((r) => (options(r).protect = false)) });
    expect(messages(violations)).toEqual([expect.stringMatching(/^cluster [\w-]+ is not protected \(protect: true\); a rename or region change would delete it with its workloads$/)]);
  });
});

describe("dns-record-single-owner", () => {
  it("passes on prod: the shared ACM validation record is declared once, with no allowOverwrite", async () => {
    const validation = prod.filter((r) => r.type === RECORD && r.name.startsWith("acm-validation-"));
    // Three regional names and the one *.<zone> all three certificates share, each its own record set.
    expect(validation.map((r) => String(r.inputs.name).split(".").slice(1, 2)[0]).sort()).toEqual(["inference", "use1", "use2", "usw2"]);
    expect(new Set(validation.map((r) => r.inputs.name)).size).toBe(4);
    expect(prod.filter((r) => r.type === RECORD && r.inputs.allowOverwrite !== undefined)).toEqual([]);
    expect(await evaluate(prod, { policy: "dns-record-single-owner" })).toEqual([]);
  });

  it("fails on the old layout: each region declaring the shared record with allowOverwrite", async () => {
    const violations = await evaluate(prod, {
      policy: "dns-record-single-owner",
      mutate: (rs) => {
        const validation = rs.filter((r) => r.type === RECORD && r.name.startsWith("acm-validation-"));
        const shared = validation.find((r) => !/\.(use1|usw2|use2)\./.test(String(r.inputs.name)))!;
        (shared.inputs as Record<string, unknown>).allowOverwrite = true;
        for (const region of ["us-west-2", "us-east-2"]) rs.push({ ...structuredClone(shared), urn: `${shared.urn}-${region}`, name: `${region}-entry-cert-validation-1` });
      },
    });
    const msgs = messages(violations);
    expect(msgs.filter((m) => m.includes("sets allowOverwrite"))).toHaveLength(3);
    expect(msgs.filter((m) => / is declared by 3 resources \(.*\); removing any one deletes it for the others: declare it once$/.test(m))).toHaveLength(1);
  });
});

describe("s3-bucket-baseline: access-log buckets are versioned", () => {
  it("fails on an access-log bucket re-created without versioning", async () => {
    expect(await evaluate(prod, { policy: "s3-bucket-baseline" })).toEqual([]);
    const violations = await evaluate(prod, {
      policy: "s3-bucket-baseline",
      mutate: (rs) => {
        const i = rs.findIndex((r) => r.type === "aws:s3/bucketVersioning:BucketVersioning" && r.name.endsWith("-access-logs"));
        rs.splice(i, 1);
      },
    });
    expect(messages(violations)).toEqual([expect.stringMatching(/^bucket [\w-]+-access-logs: versioning is not enabled \(access logs must survive an overwrite or delete\)$/)]);
  });
});

describe("data-retained-on-delete (plan-level: retainOnDelete is not sent to analyzers)", () => {
  it("passes on prod: every log group and its key are retained, and the replication configuration goes with its role", () => {
    expect(prod.filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup").length).toBeGreaterThanOrEqual(3 * 3);
    const replication = prod.find((r) => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig")!;
    expect(replication.options.retainOnDelete).toBe(false);
    expect(dataRetentionViolations(prod, "llm-blueprint")).toEqual([]);
  });

  it("fails on the control-plane and flow-log groups re-created without retainOnDelete, and on a retained group whose key is not", () => {
    const rs = structuredClone(prod) as PlanResource[];
    const groups = rs.filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup");
    const controlPlane = groups.find((g) => /^\/aws\/eks\/.+\/cluster$/.test(String(g.inputs.name)))!;
    const flowLogs = groups.find((g) => /^\/aws\/vpc\/.+\/flow-logs$/.test(String(g.inputs.name)))!;
    options(controlPlane).retainOnDelete = false;
    options(flowLogs).retainOnDelete = false;
    const keyOfRetained = rs.find((r) => r.urn === groups.find((g) => g !== controlPlane && g !== flowLogs)!.propertyDependencies!.kmsKeyId[0])!;
    options(keyOfRetained).retainOnDelete = false;
    const msgs = messages(dataRetentionViolations(rs, "llm-blueprint"));
    expect(msgs).toContain(`log group ${String(controlPlane.inputs.name)} is not retained on delete (retainOnDelete: true): removing or renaming its owner would delete the logs`);
    expect(msgs).toContain(`log group ${String(flowLogs.inputs.name)} is not retained on delete (retainOnDelete: true): removing or renaming its owner would delete the logs`);
    expect(msgs.filter((m) => m.endsWith(`but its KMS key ${keyOfRetained.name} is not: the logs left behind could not be decrypted`))).toHaveLength(1);
  });

  it("fails on a bucket (registry, access logs, NLB logs) not retained on delete, and on a retained bucket whose encryption key is not", () => {
    const rs = structuredClone(prod) as PlanResource[];
    const buckets = rs.filter((r) => r.type === "aws:s3/bucket:Bucket");
    expect(buckets.length).toBeGreaterThanOrEqual(3 * 3);
    const nlbLogs = buckets.find((b) => b.name.includes("entry"))!;
    options(nlbLogs).retainOnDelete = false;
    const sse = rs.find((r) => r.type === "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration" && r.name.includes("registry-models"))!;
    const registryKey = rs.find((r) => Object.values(sse.propertyDependencies ?? {}).flat().includes(r.urn) && r.type === "aws:kms/key:Key")!;
    options(registryKey).retainOnDelete = false;
    const msgs = messages(dataRetentionViolations(rs, "llm-blueprint"));
    expect(msgs.filter((m) => m.includes("is not retained on delete (retainOnDelete: true): dropping it from the program would delete what it holds"))).toHaveLength(1);
    expect(msgs.filter((m) => m.endsWith(`but its KMS key ${registryKey.name} is not: the objects left behind could not be decrypted`))).toHaveLength(1);
  });

  it("fails on the old replication configuration: retained while its role is not", () => {
    const rs = structuredClone(prod) as PlanResource[];
    const replication = rs.find((r) => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig")!;
    options(replication).retainOnDelete = true;
    const role = rs.find((r) => r.urn === replication.propertyDependencies!.role[0])!;
    expect(messages(dataRetentionViolations(rs, "llm-blueprint"))).toEqual([
      `replication configuration ${replication.name} is retained on delete but its role ${role.name} is not: a primary-region change would leave the configuration naming a deleted role; let the configuration go with its role (no retainOnDelete) or retain both`,
    ]);
    options(role).retainOnDelete = true;
    expect(dataRetentionViolations(rs, "llm-blueprint")).toEqual([]);
  });
});
