import { describe, expect, it } from "vitest";
import { controlPlaneIngress, CURATED_IMAGE, DEFAULT_RUNNER_IMAGE, GITHUB_REPOSITORY, runnerLabel, runnerProjectName, runnerServicePolicy } from "../../lib/ci";
import { isAllowed } from "../../lib/iam";

const CONNECTION = "arn:aws:codeconnections:us-east-1:123456789012:connection/0b3c8a4e-1f2d-4c5b-9a8e-7d6c5b4a3f2e";
const SUBNETS = ["arn:aws:ec2:us-east-1:123456789012:subnet/subnet-aaa", "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-bbb"];
const LOGS = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/llm-prod-runner-use1";
const policy = runnerServicePolicy({ region: "us-east-1", accountId: "123456789012", logGroupArn: LOGS, ciSubnetArns: SUBNETS, connectionArn: CONNECTION });

describe("runner names and labels", () => {
  it("names one project per stack and region within CodeBuild's name rules", () => {
    expect(runnerProjectName("llm", "prod", "us-east-1")).toBe("llm-prod-runner-use1");
    expect(runnerProjectName("llm", "prod", "eu-central-1")).toBe("llm-prod-runner-euc1");
    expect(() => runnerProjectName("llm.blue", "prod", "us-east-1")).toThrow('runner project name "llm.blue-prod-runner-use1"');
    expect(() => runnerProjectName("x".repeat(140), "prod", "us-east-1")).toThrow("2-150 characters");
  });

  it("sends a job to its own runner with the run id and attempt in the label", () => {
    expect(runnerLabel("llm-prod-runner-use1")).toBe("codebuild-llm-prod-runner-use1-${{ github.run_id }}-${{ github.run_attempt }}");
  });

  it("accepts owner/name repositories and pinned curated images only", () => {
    expect(GITHUB_REPOSITORY.test("acme/llm-blueprint")).toBe(true);
    for (const bad of ["acme", "acme/", "-acme/x", "acme/x/y", "https://github.com/acme/x"]) expect(GITHUB_REPOSITORY.test(bad)).toBe(false);
    expect(CURATED_IMAGE.test(DEFAULT_RUNNER_IMAGE)).toBe(true);
    for (const bad of ["aws/codebuild/amazonlinux-x86_64-standard", "aws/codebuild/amazonlinux-x86_64-standard:latest", "ubuntu:22.04"]) expect(CURATED_IMAGE.test(bad)).toBe(false);
  });
});

describe("runner service role policy", () => {
  it("writes only its own log group", () => {
    expect(isAllowed(policy, { action: "logs:PutLogEvents", resource: `${LOGS}:log-stream:build-1` })).toBe(true);
    expect(isAllowed(policy, { action: "logs:PutLogEvents", resource: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/eks/other/cluster:log-stream:x" })).toBe(false);
  });

  it("lets CodeBuild attach ENIs in the CI subnets only", () => {
    const eni = "arn:aws:ec2:us-east-1:123456789012:network-interface/eni-1";
    const ctx = (subnet: string, service = "codebuild.amazonaws.com") => ({ "ec2:Subnet": subnet, "ec2:AuthorizedService": service });
    expect(isAllowed(policy, { action: "ec2:CreateNetworkInterfacePermission", resource: eni, context: ctx(SUBNETS[1]) })).toBe(true);
    expect(isAllowed(policy, { action: "ec2:CreateNetworkInterfacePermission", resource: eni, context: ctx("arn:aws:ec2:us-east-1:123456789012:subnet/subnet-private") })).toBe(false);
    expect(isAllowed(policy, { action: "ec2:CreateNetworkInterfacePermission", resource: eni, context: ctx(SUBNETS[0], "lambda.amazonaws.com") })).toBe(false);
    expect(isAllowed(policy, { action: "ec2:CreateNetworkInterfacePermission", resource: "arn:aws:ec2:us-west-2:123456789012:network-interface/eni-1", context: ctx(SUBNETS[0]) })).toBe(false);
  });

  it("grants nothing on EKS, S3 or IAM: jobs assume their own roles through OIDC", () => {
    for (const action of ["eks:DescribeCluster", "s3:GetObject", "iam:PassRole", "sts:AssumeRole", "ec2:AuthorizeSecurityGroupIngress"]) {
      expect(isAllowed(policy, { action, resource: "*" })).toBe(false);
    }
    const actions = policy.Statement.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a === "*" || a.endsWith(":*"))).toEqual([]);
  });

  it("reads the GitHub connection token from that connection only, and refuses a bad ARN or no subnets", () => {
    expect(isAllowed(policy, { action: "codeconnections:GetConnectionToken", resource: CONNECTION })).toBe(true);
    expect(isAllowed(policy, { action: "codeconnections:GetConnectionToken", resource: CONNECTION.replace("0b3c", "ffff") })).toBe(false);
    expect(() => runnerServicePolicy({ region: "us-east-1", accountId: "1", logGroupArn: LOGS, ciSubnetArns: SUBNETS, connectionArn: "ghp_token" })).toThrow('"ghp_token" is not a CodeConnections connection ARN');
    expect(() => runnerServicePolicy({ region: "us-east-1", accountId: "1", logGroupArn: LOGS, ciSubnetArns: [], connectionArn: CONNECTION })).toThrow("ciSubnetArns is empty");
  });
});

describe("control-plane ingress table", () => {
  const regions = [
    { region: "us-east-1", ciSubnetCidrs: ["10.0.255.128/26", "10.0.255.192/26"] },
    { region: "us-west-2", ciSubnetCidrs: ["10.1.255.128/26", "10.1.255.192/26"] },
    { region: "us-east-2", ciSubnetCidrs: ["10.2.255.128/26", "10.2.255.192/26"] },
  ];

  it("admits the region's runners by group and every other region's CI subnets by CIDR, on 443 only", () => {
    const rules = controlPlaneIngress("us-west-2", regions);
    expect(rules.map((r) => (r.kind === "runnerSecurityGroup" ? `sg:${r.region}` : `${r.region}:${r.cidr}`))).toEqual([
      "sg:us-west-2",
      "us-east-1:10.0.255.128/26",
      "us-east-1:10.0.255.192/26",
      "us-east-2:10.2.255.128/26",
      "us-east-2:10.2.255.192/26",
    ]);
    expect(new Set(rules.map((r) => r.port))).toEqual(new Set([443]));
  });

  it("refuses an unknown or repeated region and a malformed CIDR", () => {
    expect(() => controlPlaneIngress("eu-west-1", regions)).toThrow('region "eu-west-1" is not one of us-east-1, us-west-2, us-east-2');
    expect(() => controlPlaneIngress("us-east-1", [...regions, regions[0]])).toThrow("regions repeat");
    expect(() => controlPlaneIngress("us-east-1", [regions[0], { region: "us-west-2", ciSubnetCidrs: ["10.1.255.130/26"] }])).toThrow("has host bits set");
  });
});
