import { describe, expect, it } from "vitest";
import { validatedDomain, validationOwners } from "../../lib/certificates";
import { flowLogTrust, isAllowed, podIdentityTrust, replicationTrust } from "../../lib/iam";
import { MOCK_ACCOUNT_ID, PlanMocks } from "../../tools/engine/mocks";

describe("validationOwners: one record per validated domain", () => {
  const regions = [
    { region: "us-east-1", domains: ["*.use1.example.com", "*.example.com"] },
    { region: "us-west-2", domains: ["*.usw2.example.com", "*.example.com"] },
  ];

  it("declares the domain both certificates name once, for both, and each regional domain for its region", () => {
    expect(validationOwners(regions)).toEqual([
      { domain: "*.use1.example.com", source: "us-east-1", regions: ["us-east-1"], shared: false, recordName: "acm-validation-use1.example.com" },
      { domain: "*.example.com", source: "us-east-1", regions: ["us-east-1", "us-west-2"], shared: true, recordName: "acm-validation-example.com" },
      { domain: "*.usw2.example.com", source: "us-west-2", regions: ["us-west-2"], shared: false, recordName: "acm-validation-usw2.example.com" },
    ]);
  });

  it("keeps a record's name when the region that supplied it goes: removing a region never replaces the shared record", () => {
    const before = validationOwners(regions).find((o) => o.domain === "*.example.com")!;
    const after = validationOwners(regions.slice(1)).find((o) => o.domain === "*.example.com")!;
    expect([after.recordName, after.source, after.shared]).toEqual([before.recordName, "us-west-2", false]);
  });

  it("treats a wildcard and its base as one validated domain", () => {
    expect(validatedDomain("*.Example.com")).toBe("example.com");
    expect(validationOwners([{ region: "us-east-1", domains: ["example.com", "*.example.com"] }])).toHaveLength(1);
  });
});

describe("offline plan mock of aws:acm/certificate:Certificate", () => {
  const cert = (name: string, region: string, domainName: string, sans: string[]) => {
    const mocks = new PlanMocks();
    const providerId = mocks.newResource({ type: "pulumi:providers:aws", name: `aws-${region}`, inputs: { region }, custom: true, id: "" }).id!;
    const { state } = mocks.newResource({ type: "aws:acm/certificate:Certificate", name, inputs: { domainName, subjectAlternativeNames: sans }, custom: true, id: "", provider: `urn:pulumi:s::p::pulumi:providers:aws::aws-${region}::${providerId}` });
    return state.domainValidationOptions as { domainName: string; resourceRecordName: string; resourceRecordValue: string }[];
  };

  it("gives every certificate of the account the same record for the same domain, in any region, as ACM does", () => {
    const east = cert("use1-cert", "us-east-1", "*.use1.example.com", ["*.example.com"]);
    const west = cert("usw2-cert", "us-west-2", "*.usw2.example.com", ["*.example.com"]);
    const shared = (opts: typeof east) => opts.find((o) => o.domainName === "*.example.com")!;
    expect(shared(east)).toEqual(shared(west));
    expect(shared(east).resourceRecordName).toMatch(/^_[0-9a-f]{32}\.example\.com\.$/);
    expect(east[0].resourceRecordName).not.toBe(west[0].resourceRecordName);
    // A wildcard is validated by its base domain's record.
    expect(cert("apex", "us-east-1", "example.com", [])[0].resourceRecordValue).toBe(shared(east).resourceRecordValue);
  });
});

describe("confused-deputy trust policies", () => {
  const scope = { accountId: MOCK_ACCOUNT_ID, region: "us-east-1", clusterName: "llm-prod-use1" };
  const assume = (context: Record<string, string>) => ({ action: "sts:AssumeRole", resource: "*", context });

  it("Pod Identity: only for a pod identity association of this cluster in this account", () => {
    const doc = podIdentityTrust(scope);
    const ours = { "aws:SourceAccount": MOCK_ACCOUNT_ID, "aws:SourceArn": `arn:aws:eks:us-east-1:${MOCK_ACCOUNT_ID}:podidentityassociation/llm-prod-use1/a-1`, "aws:RequestTag/eks-cluster-arn": `arn:aws:eks:us-east-1:${MOCK_ACCOUNT_ID}:cluster/llm-prod-use1` };
    expect(isAllowed(doc, assume(ours))).toBe(true);
    expect(isAllowed(doc, assume({ ...ours, "aws:SourceAccount": "999999999999" }))).toBe(false);
    expect(isAllowed(doc, assume({ ...ours, "aws:SourceArn": `arn:aws:eks:us-east-1:${MOCK_ACCOUNT_ID}:podidentityassociation/other/a-1` }))).toBe(false);
    expect(isAllowed(doc, assume({ ...ours, "aws:RequestTag/eks-cluster-arn": `arn:aws:eks:us-east-1:${MOCK_ACCOUNT_ID}:cluster/other` }))).toBe(false);
  });

  it("flow logs and replication: only for this account's flow logs and the source bucket", () => {
    const flow = flowLogTrust(MOCK_ACCOUNT_ID, "us-east-1");
    expect(isAllowed(flow, assume({ "aws:SourceAccount": MOCK_ACCOUNT_ID, "aws:SourceArn": `arn:aws:ec2:us-east-1:${MOCK_ACCOUNT_ID}:vpc-flow-log/fl-1` }))).toBe(true);
    expect(isAllowed(flow, assume({ "aws:SourceAccount": "999999999999", "aws:SourceArn": `arn:aws:ec2:us-east-1:999999999999:vpc-flow-log/fl-1` }))).toBe(false);
    const replication = replicationTrust(MOCK_ACCOUNT_ID, "arn:aws:s3:::models-use1");
    expect(isAllowed(replication, assume({ "aws:SourceAccount": MOCK_ACCOUNT_ID, "aws:SourceArn": "arn:aws:s3:::models-use1" }))).toBe(true);
    expect(isAllowed(replication, assume({ "aws:SourceAccount": "999999999999", "aws:SourceArn": "arn:aws:s3:::models-use1" }))).toBe(false);
    expect(isAllowed(replication, assume({ "aws:SourceAccount": MOCK_ACCOUNT_ID, "aws:SourceArn": "arn:aws:s3:::someone-elses" }))).toBe(false);
  });
});
