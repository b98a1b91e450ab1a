import { beforeAll, describe, expect, it } from "vitest";
import { CiRunnersArgs, ciRunnersProblems } from "../../components/CiRunners";
import { isAllowed, PolicyDocument } from "../../lib/iam";
import { PlanResource } from "../../lib/plan/document";
import { input, ofType, one, plan, resourcesWithoutExplicitProvider } from "../harness";
import { CONNECTION_ARN, twoRegionRunners } from "./ciPlan";

const args: CiRunnersArgs = {
  region: "us-east-1",
  namePrefix: "llm",
  stack: "prod",
  vpcId: "vpc-1",
  ciSubnetIds: ["subnet-a", "subnet-b"],
  peerCiSubnets: [{ region: "us-west-2", ciSubnetCidrs: ["10.1.255.128/26"] }],
  githubRepository: "acme/llm-blueprint",
  githubConnectionArn: CONNECTION_ARN,
};

describe("CiRunners validation", () => {
  it("accepts a complete set of args", () => {
    expect(ciRunnersProblems(args)).toEqual([]);
  });

  it("reports every bad arg at once, by name", () => {
    expect(
      ciRunnersProblems({
        ...args,
        ciSubnetIds: [],
        peerCiSubnets: [{ region: "us-east-1", ciSubnetCidrs: ["0.0.0.0/0", "10.1.0.1/26"] }],
        githubRepository: "https://github.com/acme/llm-blueprint",
        githubConnectionArn: "ghp_abc",
        image: "aws/codebuild/amazonlinux-x86_64-standard:latest",
        buildTimeoutMinutes: 3,
      }),
    ).toEqual([
      expect.stringMatching(/^ciSubnetIds: is empty/),
      expect.stringMatching(/^peerCiSubnets\[0\]\.region: "us-east-1" is this runner's own region/),
      expect.stringMatching(/^peerCiSubnets\[0\]\.ciSubnetCidrs\[0\]: "0.0.0.0\/0" would open the Kubernetes API to every address/),
      expect.stringMatching(/^peerCiSubnets\[0\]\.ciSubnetCidrs\[1\]: "10.1.0.1\/26" has host bits set/),
      expect.stringMatching(/^githubRepository: "https:\/\/github.com\/acme\/llm-blueprint" is not a GitHub repository; write it as owner\/name/),
      expect.stringMatching(/^githubConnectionArn: "ghp_abc" is not a CodeConnections connection ARN/),
      expect.stringMatching(/^image: "aws\/codebuild\/amazonlinux-x86_64-standard:latest" is not a curated CodeBuild image pinned by version/),
      expect.stringMatching(/^buildTimeoutMinutes: 3 must be a whole number of minutes from 5 to 2160/),
    ]);
  });
});

describe("CiRunners in the two-region plan", () => {
  let resources: PlanResource[];
  const inRegion = (type: string, region: string) => ofType(resources, type).filter((r) => r.name.startsWith(`${region}-runners`));
  beforeAll(async () => {
    resources = await plan(twoRegionRunners);
  });

  it("runs an unprivileged, pinned runner project in the CI subnets behind the runner group, started by workflow jobs only", () => {
    const project = one(resources, "aws:codebuild/project:Project", "us-east-1-runners");
    expect(input(project, "name")).toBe("llm-test-runner-use1");
    expect(input(project, "environment")).toMatchObject({ image: "aws/codebuild/amazonlinux-x86_64-standard:5.0", computeType: "BUILD_GENERAL1_MEDIUM", privilegedMode: false, type: "LINUX_CONTAINER" });
    expect(input(project, "source")).toMatchObject({ type: "GITHUB", location: "https://github.com/acme/llm-blueprint.git", auth: { type: "CODECONNECTIONS", resource: CONNECTION_ARN } });
    expect(input(project, "source.buildspec")).toBeUndefined();
    const ciSubnets = ofType(resources, "aws:ec2/subnet:Subnet").filter((s) => s.name.startsWith("us-east-1-network-ci-"));
    expect(project.propertyDependencies?.vpcConfig).toEqual(expect.arrayContaining(ciSubnets.map((s) => s.urn)));
    const runnerSg = one(resources, "aws:ec2/securityGroup:SecurityGroup", "us-east-1-runners-runner");
    expect(project.propertyDependencies?.vpcConfig).toContain(runnerSg.urn);
    const hook = one(resources, "aws:codebuild/webhook:Webhook", "us-east-1-runners");
    expect(input(hook, "filterGroups")).toEqual([{ filters: [{ type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" }] }]);
  });

  it("publishes the runs-on label and the groups the cluster and workflows need", () => {
    const component = one(resources, "llm-blueprint:ci:CiRunners", "us-west-2-runners");
    expect(component.outputs).toMatchObject({ projectName: "llm-test-runner-usw2", runnerLabel: "codebuild-llm-test-runner-usw2-${{ github.run_id }}-${{ github.run_attempt }}" });
    expect(Object.keys(component.outputs ?? {}).sort()).toEqual(["controlPlaneSecurityGroupId", "projectName", "runnerLabel", "runnerSecurityGroupId", "serviceRoleArn"]);
  });

  it("lets the runners out on 443 only and in not at all", () => {
    const runnerSg = one(resources, "aws:ec2/securityGroup:SecurityGroup", "us-east-1-runners-runner");
    const rulesOn = (type: string) => ofType(resources, type).filter((r) => r.propertyDependencies?.securityGroupId?.includes(runnerSg.urn));
    expect(rulesOn("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).toEqual([]);
    expect(rulesOn("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map((r) => r.inputs)).toEqual([expect.objectContaining({ ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" })]);
    expect(input(runnerSg, "ingress")).toBeUndefined();
  });

  it("admits only the region's runners and the other region's CI subnets to the control plane, on 443", () => {
    const cp = one(resources, "aws:ec2/securityGroup:SecurityGroup", "us-east-1-runners-control-plane");
    const rules = ofType(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.propertyDependencies?.securityGroupId?.includes(cp.urn));
    const runnerSg = one(resources, "aws:ec2/securityGroup:SecurityGroup", "us-east-1-runners-runner");
    const westCi = ofType(resources, "aws:ec2/subnet:Subnet").filter((s) => s.name.startsWith("us-west-2-network-ci-")).map((s) => input(s, "cidrBlock"));
    expect(rules.filter((r) => r.propertyDependencies?.referencedSecurityGroupId?.includes(runnerSg.urn))).toHaveLength(1);
    expect(rules.map((r) => input(r, "cidrIpv4")).filter(Boolean).sort()).toEqual([...westCi].sort());
    for (const r of rules) expect(r.inputs).toMatchObject({ ipProtocol: "tcp", fromPort: 443, toPort: 443 });
    expect(rules).toHaveLength(1 + westCi.length);
    const egress = ofType(resources, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter((r) => r.propertyDependencies?.securityGroupId?.includes(cp.urn));
    expect(egress).toEqual([]);
  });

  it("gives the service role its log group, VPC ENIs in the CI subnets and the connection, and nothing on EKS, S3 or IAM", () => {
    const [rolePolicy] = inRegion("aws:iam/rolePolicy:RolePolicy", "us-east-1");
    const doc = JSON.parse(input(rolePolicy, "policy") as string) as PolicyDocument;
    const logGroup = one(resources, "aws:cloudwatch/logGroup:LogGroup", "us-east-1-runners");
    expect(input(logGroup, "name")).toBe("/aws/codebuild/llm-test-runner-use1");
    expect(doc.Statement.map((s) => s.Sid)).toEqual(["WriteOwnBuildLogs", "VpcNetworkInterfaces", "VpcNetworkInterfacePermissionInCiSubnets", "GitHubConnection"]);
    const subnetArns = doc.Statement[2].Condition?.ArnEquals["ec2:Subnet"];
    expect(subnetArns).toHaveLength(2);
    for (const arn of [subnetArns].flat()) expect(arn).toMatch(/^arn:aws:ec2:us-east-1:123456789012:subnet\/subnet-/);
    for (const action of ["eks:DescribeCluster", "s3:PutObject", "iam:PassRole"]) expect(isAllowed(doc, { action, resource: "*" })).toBe(false);
    const role = one(resources, "aws:iam/role:Role", "us-east-1-runners");
    expect(JSON.parse(input(role, "assumeRolePolicy") as string)).toMatchObject({ Statement: [{ Principal: { Service: "codebuild.amazonaws.com" } }] });
  });

  it("creates the project after the role's policy, and keeps encrypted build logs for a year past a destroy", () => {
    const project = one(resources, "aws:codebuild/project:Project", "us-east-1-runners");
    const [rolePolicy] = inRegion("aws:iam/rolePolicy:RolePolicy", "us-east-1");
    expect(project.options.dependsOn).toContain(rolePolicy.urn);
    const logGroup = one(resources, "aws:cloudwatch/logGroup:LogGroup", "us-east-1-runners");
    expect(input(logGroup, "retentionInDays")).toBe(365);
    expect(input(logGroup, "kmsKeyId")).toBeTruthy();
    expect(logGroup.options.retainOnDelete).toBe(true);
    expect(one(resources, "aws:kms/key:Key", "us-east-1-runners").options.retainOnDelete).toBe(true);
  });

  it("uses the explicit regional provider for every resource", () => {
    expect(resourcesWithoutExplicitProvider(resources)).toEqual([]);
  });
});
