import * as codebuild from "@pulumi/aws/codebuild";
import * as ec2 from "@pulumi/aws/ec2";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as iam from "@pulumi/aws/iam";
import * as vpc from "@pulumi/aws/vpc";
import * as pulumi from "@pulumi/pulumi";
import { retainedLogGroup } from "./retainedLogGroup";
import { parseIpv4Cidr } from "../lib/cidr";
import {
  CONNECTION_ARN,
  controlPlaneIngress,
  CURATED_IMAGE,
  DEFAULT_RUNNER_IMAGE,
  GITHUB_REPOSITORY,
  RegionCiSubnets,
  RUNNER_WEBHOOK_EVENT,
  runnerLabel,
  runnerProjectName,
  runnerServicePolicy,
} from "../lib/ci";
import { serviceTrust } from "../lib/iam";

/**
 * CodeBuild compute types for Linux containers (CodeBuild User Guide, "Build environment compute
 * modes and types", and @pulumi/aws 7.48.0 codebuild ProjectEnvironment.computeType, read 2026-11-25).
 */
export const RUNNER_COMPUTE_TYPES = ["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE"] as const;
export type RunnerComputeType = (typeof RUNNER_COMPUTE_TYPES)[number];

export interface CiRunnersArgs {
  /** AWS region code; must match the aws provider passed in opts. */
  readonly region: string;
  /** Prefix and stack the project name derives from (lib/ci.ts runnerProjectName): `<namePrefix>-<stack>-runner-<region code>`. */
  readonly namePrefix: string;
  readonly stack: string;
  /** The region's VPC (RegionNetwork.vpcId). */
  readonly vpcId: pulumi.Input<string>;
  /** The region's CI subnets (RegionNetwork.ciSubnetIds); the runners' ENIs go there and nowhere else. */
  readonly ciSubnetIds: readonly pulumi.Input<string>[];
  /** Every other region's CI subnet blocks (RegionNetwork.ciSubnetCidrs), admitted to this region's API over peering. @default [] */
  readonly peerCiSubnets?: readonly RegionCiSubnets[];
  /** The repository whose workflow jobs the runners take, `owner/name`. */
  readonly githubRepository: string;
  /**
   * CodeConnections GitHub App connection the project authenticates with (created once per account,
   * completed in the console, its ARN given in config). No token is stored in the stack.
   */
  readonly githubConnectionArn: string;
  /** Curated CodeBuild image, pinned by name and version. @default "aws/codebuild/amazonlinux-x86_64-standard:5.0" */
  readonly image?: string;
  /** @default "BUILD_GENERAL1_MEDIUM" */
  readonly computeType?: RunnerComputeType;
  /** Minutes a job may run; a serving rollout across regions waits for model startup. @default 120 */
  readonly buildTimeoutMinutes?: number;
  /** Retention of the runners' build logs. @default 365 */
  readonly logRetentionDays?: number;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/** Validates args before any child exists; returns every problem at once. */
export function ciRunnersProblems(args: CiRunnersArgs): string[] {
  const problems: string[] = [];
  try {
    runnerProjectName(args.namePrefix, args.stack, args.region);
  } catch (err) {
    problems.push(`namePrefix/stack: ${(err as Error).message}`);
  }
  if (args.ciSubnetIds.length === 0) problems.push("ciSubnetIds: is empty; the runners need the region's CI subnets (RegionNetwork.ciSubnetIds)");
  for (const [i, peer] of (args.peerCiSubnets ?? []).entries()) {
    if (peer.region === args.region) problems.push(`peerCiSubnets[${i}].region: "${peer.region}" is this runner's own region; list only the other regions`);
    for (const [j, cidr] of peer.ciSubnetCidrs.entries()) {
      try {
        parseIpv4Cidr(cidr);
      } catch (err) {
        problems.push(`peerCiSubnets[${i}].ciSubnetCidrs[${j}]: ${(err as Error).message}`);
      }
      if (cidr.endsWith("/0")) problems.push(`peerCiSubnets[${i}].ciSubnetCidrs[${j}]: "${cidr}" would open the Kubernetes API to every address`);
    }
  }
  if (!GITHUB_REPOSITORY.test(args.githubRepository)) problems.push(`githubRepository: "${args.githubRepository}" is not a GitHub repository; write it as owner/name, e.g. acme/llm-blueprint`);
  if (!CONNECTION_ARN.test(args.githubConnectionArn)) {
    problems.push(`githubConnectionArn: "${args.githubConnectionArn}" is not a CodeConnections connection ARN; expected arn:aws:codeconnections:<region>:<account>:connection/<uuid>`);
  }
  const image = args.image ?? DEFAULT_RUNNER_IMAGE;
  if (!CURATED_IMAGE.test(image)) problems.push(`image: "${image}" is not a curated CodeBuild image pinned by version, e.g. ${DEFAULT_RUNNER_IMAGE}`);
  const computeType = args.computeType ?? "BUILD_GENERAL1_MEDIUM";
  if (!(RUNNER_COMPUTE_TYPES as readonly string[]).includes(computeType)) problems.push(`computeType: "${computeType}" is not one of ${RUNNER_COMPUTE_TYPES.join(", ")}`);
  const timeout = args.buildTimeoutMinutes ?? 120;
  // CodeBuild accepts 5 to 2160 minutes (@pulumi/aws 7.48.0 codebuild Project.buildTimeout).
  if (!Number.isInteger(timeout) || timeout < 5 || timeout > 2160) problems.push(`buildTimeoutMinutes: ${timeout} must be a whole number of minutes from 5 to 2160`);
  const days = args.logRetentionDays ?? 365;
  if (!Number.isInteger(days) || days < 1) problems.push(`logRetentionDays: ${days} must be a positive whole number of days`);
  return problems;
}

/**
 * One region's in-VPC GitHub Actions runners: a CodeBuild project in the CI subnets started by the
 * repository's WORKFLOW_JOB_QUEUED webhook, a runner security group (HTTPS out, nothing in), and the
 * control-plane security group the region's EKS cluster takes as an extra group: TCP 443 from the
 * runners and from the other regions' CI subnets, nothing else. EKS puts extra groups on the
 * control-plane ENIs only, never on nodes, and nodes keep reaching the API through the cluster
 * security group EKS creates (Amazon EKS User Guide, sec-group-reqs.html, read 2026-11-25); the
 * group needs no egress rule because security groups are stateful.
 */
export class CiRunners extends pulumi.ComponentResource {
  /** CodeBuild project name. */
  readonly projectName: string;
  /** The `runs-on` label a workflow job uses to run here. */
  readonly runnerLabel: string;
  readonly runnerSecurityGroupId: pulumi.Output<string>;
  /** Extra security group for the region's EKS cluster (vpcConfig.securityGroupIds). */
  readonly controlPlaneSecurityGroupId: pulumi.Output<string>;
  readonly serviceRoleArn: pulumi.Output<string>;
  readonly project: codebuild.Project;

  constructor(name: string, args: CiRunnersArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = ciRunnersProblems(args);
    if (problems.length > 0) throw new Error(`CiRunners ${name}: invalid args:\n  - ${problems.join("\n  - ")}`);
    super("llm-blueprint:ci:CiRunners", name, {}, opts);

    const tags = { ...(args.tags ?? {}) };
    const tagged = (resourceName: string) => ({ ...tags, Name: resourceName });
    const projectName = runnerProjectName(args.namePrefix, args.stack, args.region);
    const account = getCallerIdentityOutput({}, { parent: this }).accountId;

    const runnerSg = new ec2.SecurityGroup(
      `${name}-runner`,
      { vpcId: args.vpcId, description: `CodeBuild GitHub Actions runners ${projectName}: HTTPS out, nothing in`, tags: tagged(`${name}-runner`) },
      { parent: this },
    );
    // GitHub, the AWS APIs (through NAT) and every region's Kubernetes API (through peering) are all HTTPS.
    new vpc.SecurityGroupEgressRule(
      `${name}-runner-https-out`,
      { securityGroupId: runnerSg.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", description: "HTTPS to GitHub, AWS APIs and the Kubernetes APIs", tags },
      { parent: this },
    );

    const controlPlaneSg = new ec2.SecurityGroup(
      `${name}-control-plane`,
      { vpcId: args.vpcId, description: `EKS control plane in ${args.region}: Kubernetes API from the CI runners only`, tags: tagged(`${name}-control-plane`) },
      { parent: this },
    );
    const ingress = controlPlaneIngress(args.region, [{ region: args.region, ciSubnetCidrs: [] }, ...(args.peerCiSubnets ?? [])]);
    for (const rule of ingress) {
      const ruleName = rule.kind === "runnerSecurityGroup" ? `${name}-api-from-runners` : `${name}-api-from-${rule.region}-${rule.cidr.replace(/[./]/g, "-")}`;
      new vpc.SecurityGroupIngressRule(
        ruleName,
        {
          securityGroupId: controlPlaneSg.id,
          ipProtocol: "tcp",
          fromPort: rule.port,
          toPort: rule.port,
          ...(rule.kind === "runnerSecurityGroup" ? { referencedSecurityGroupId: runnerSg.id } : { cidrIpv4: rule.cidr }),
          description: rule.description,
          tags,
        },
        { parent: this },
      );
    }

    const logGroupName = `/aws/codebuild/${projectName}`;
    // Build logs may show deploy output; their key, like every key of the stack, outlives a destroy.
    const { group: logGroup } = retainedLogGroup(
      {
        keyResourceName: `${name}-logs`,
        groupResourceName: `${name}-logs`,
        logGroupName,
        description: `CodeBuild runner log encryption for ${projectName}`,
        region: args.region,
        accountId: account,
        retentionInDays: args.logRetentionDays ?? 365,
        tags,
      },
      this,
    );

    const role = new iam.Role(`${name}-service`, { assumeRolePolicy: JSON.stringify(serviceTrust("codebuild.amazonaws.com")), tags }, { parent: this });
    const subnetArns = pulumi.all([account, ...args.ciSubnetIds]).apply(([id, ...subnets]) => subnets.map((s) => `arn:aws:ec2:${args.region}:${id}:subnet/${s}`));
    const rolePolicy = new iam.RolePolicy(
      `${name}-service`,
      {
        role: role.id,
        policy: pulumi
          .all([account, logGroup.arn, subnetArns])
          .apply(([accountId, logGroupArn, ciSubnetArns]) =>
            JSON.stringify(runnerServicePolicy({ region: args.region, accountId, logGroupArn: logGroupArn.replace(/:\*$/, ""), ciSubnetArns, connectionArn: args.githubConnectionArn })),
          ),
      },
      { parent: this },
    );

    // A VPC project is validated against its role's EC2 permissions when it is created, so the
    // policy must exist first (aws/aws-cdk#2662, "correctly handle permissions for Projects inside VPC").
    this.project = new codebuild.Project(
      `${name}-project`,
      {
        name: projectName,
        description: `GitHub Actions runners for ${args.githubRepository} in ${args.region}`,
        serviceRole: role.arn,
        // Runner builds take the job from GitHub; the project's own buildspec is not run unless a
        // job asks with the buildspec-override label (CodeBuild User Guide, label overrides, read 2026-11-25).
        source: { type: "GITHUB", location: `https://github.com/${args.githubRepository}.git`, auth: { type: "CODECONNECTIONS", resource: args.githubConnectionArn } },
        artifacts: { type: "NO_ARTIFACTS" },
        environment: {
          type: "LINUX_CONTAINER",
          computeType: args.computeType ?? "BUILD_GENERAL1_MEDIUM",
          image: args.image ?? DEFAULT_RUNNER_IMAGE,
          imagePullCredentialsType: "CODEBUILD",
          privilegedMode: false,
        },
        buildTimeout: args.buildTimeoutMinutes ?? 120,
        vpcConfig: { vpcId: args.vpcId, subnets: [...args.ciSubnetIds], securityGroupIds: [runnerSg.id] },
        logsConfig: { cloudwatchLogs: { status: "ENABLED", groupName: logGroup.name }, s3Logs: { status: "DISABLED" } },
        tags,
      },
      { parent: this, dependsOn: [rolePolicy] },
    );

    new codebuild.Webhook(
      `${name}-webhook`,
      { projectName: this.project.name, buildType: "BUILD", filterGroups: [{ filters: [{ type: "EVENT", pattern: RUNNER_WEBHOOK_EVENT }] }] },
      { parent: this },
    );

    this.projectName = projectName;
    this.runnerLabel = runnerLabel(projectName);
    this.runnerSecurityGroupId = runnerSg.id;
    this.controlPlaneSecurityGroupId = controlPlaneSg.id;
    this.serviceRoleArn = role.arn;
    this.registerOutputs({
      projectName: this.projectName,
      runnerLabel: this.runnerLabel,
      runnerSecurityGroupId: this.runnerSecurityGroupId,
      controlPlaneSecurityGroupId: this.controlPlaneSecurityGroupId,
      serviceRoleArn: this.serviceRoleArn,
    });
  }
}
