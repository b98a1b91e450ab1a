/**
 * In-VPC CI runners: CodeBuild projects acting as GitHub Actions runners, one per region, in that
 * region's CI subnets. Names, the `runs-on` label, the runner role's policy and the control-plane
 * ingress table, as plain data.
 */
import { parseIpv4Cidr } from "./cidr";
import { policyDocument, PolicyDocument } from "./iam";
import { regionCode } from "./naming";

/**
 * CodeBuild project names: 2 to 150 characters, a letter or digit then letters, digits, - or _
 * (CodeBuild API Reference, CreateProject/PublicProject `name`, read 2026-11-25).
 */
export const CODEBUILD_PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,149}$/;

/** The only port the Kubernetes API listens on behind the EKS endpoint. */
export const KUBERNETES_API_PORT = 443;

/**
 * The webhook event that makes a CodeBuild project a GitHub Actions runner (CodeBuild User Guide,
 * "About the CodeBuild-hosted GitHub Actions runner" and "Troubleshoot the webhook", read 2026-11-25).
 */
export const RUNNER_WEBHOOK_EVENT = "WORKFLOW_JOB_QUEUED";

/**
 * Curated CodeBuild image the runners start from, pinned by name and major version: Amazon Linux
 * 2023 x86_64 standard 5.0, with the AWS CLI v2, kubectl and git (aws/aws-codebuild-docker-images
 * al/x86_64/standard/5.0/Dockerfile, read 2026-11-25).
 */
export const DEFAULT_RUNNER_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0";

/** A curated CodeBuild image name with an explicit version, e.g. aws/codebuild/amazonlinux-x86_64-standard:5.0. */
export const CURATED_IMAGE = /^aws\/codebuild\/[a-z0-9][a-z0-9._-]*:[0-9]+\.[0-9]+(-[0-9.]+)?$/;

/** GitHub `owner/name`: owners are letters, digits and single hyphens; repository names add . and _. */
export const GITHUB_REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/[A-Za-z0-9._-]{1,100}$/;

/** A CodeConnections (or older CodeStar Connections) connection ARN. */
export const CONNECTION_ARN = /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:[0-9]{12}:connection\/[0-9a-f-]{36}$/;

/**
 * The runner project of one stack in one region, e.g. `llm-prod-runner-use1`. Validated rather than
 * truncated: a shortened name could collide with another stack's runner and route its jobs there.
 */
export function runnerProjectName(namePrefix: string, stack: string, region: string): string {
  const name = `${namePrefix}-${stack}-runner-${regionCode(region)}`;
  if (!CODEBUILD_PROJECT_NAME.test(name)) {
    throw new Error(
      `runner project name "${name}" (from namePrefix "${namePrefix}", stack "${stack}", region "${region}") is not a CodeBuild project name: 2-150 characters, a letter or digit first, then letters, digits, - or _`,
    );
  }
  return name;
}

/**
 * The `runs-on` label that sends a GitHub Actions job to this project: `codebuild-<project>-` plus
 * the run id and attempt, so each job gets a runner of its own (CodeBuild User Guide, "Label
 * overrides supported with the CodeBuild-hosted GitHub Actions runner", read 2026-11-25). The `${{ }}`
 * are GitHub expressions, written literally into the workflow.
 */
export function runnerLabel(projectName: string): string {
  return `codebuild-${projectName}-\${{ github.run_id }}-\${{ github.run_attempt }}`;
}

export interface RunnerPolicyInputs {
  readonly region: string;
  readonly accountId: string;
  /** ARN of the project's own log group (no `:*`). */
  readonly logGroupArn: string;
  /** ARNs of the CI subnets the project's ENIs are created in. */
  readonly ciSubnetArns: readonly string[];
  /** The GitHub connection the project authenticates with. */
  readonly connectionArn: string;
}

/**
 * What the CodeBuild service role needs to run a runner build in a VPC, and nothing else: jobs
 * assume their deploy/preview/drift roles themselves through GitHub OIDC, so no EKS, S3 or IAM here.
 * - its own log group (CodeBuild User Guide, "Allow CodeBuild to interact with other AWS services":
 *   logs:CreateLogGroup/CreateLogStream/PutLogEvents; scoped here to the one group the stack creates);
 * - the VPC network-interface actions, with CreateNetworkInterfacePermission limited to CodeBuild
 *   and the CI subnets (CodeBuild User Guide, "Allow CodeBuild access to AWS services required to
 *   create a VPC network interface", awsdocs/aws-codebuild-user-guide
 *   doc_source/auth-and-access-control-iam-identity-based-access-control.md, read 2026-11-25; the
 *   Describe* and Create/DeleteNetworkInterface actions are granted on "*" there);
 * - the GitHub connection's token (CodeBuild User Guide, "GitHub App connections", step 2, read 2026-11-25).
 */
export function runnerServicePolicy(p: RunnerPolicyInputs): PolicyDocument {
  if (p.ciSubnetArns.length === 0) throw new Error("runner service policy: ciSubnetArns is empty; the role would be allowed no subnet");
  const connection = CONNECTION_ARN.exec(p.connectionArn);
  if (!connection) throw new Error(`runner service policy: "${p.connectionArn}" is not a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<uuid>)`);
  const connectionService = connection[1];
  return policyDocument(
    {
      Sid: "WriteOwnBuildLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [p.logGroupArn, `${p.logGroupArn}:log-stream:*`],
    },
    {
      Sid: "VpcNetworkInterfaces",
      Effect: "Allow",
      Action: [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeVpcs",
      ],
      Resource: "*",
    },
    {
      Sid: "VpcNetworkInterfacePermissionInCiSubnets",
      Effect: "Allow",
      Action: "ec2:CreateNetworkInterfacePermission",
      Resource: `arn:aws:ec2:${p.region}:${p.accountId}:network-interface/*`,
      Condition: {
        StringEquals: { "ec2:AuthorizedService": "codebuild.amazonaws.com" },
        ArnEquals: { "ec2:Subnet": [...p.ciSubnetArns] },
      },
    },
    {
      Sid: "GitHubConnection",
      Effect: "Allow",
      Action: [`${connectionService}:GetConnectionToken`, `${connectionService}:GetConnection`],
      Resource: p.connectionArn,
    },
  );
}

/** One ingress rule of a control-plane security group: TCP 443 from a security group or a CIDR. */
export type ControlPlaneIngress =
  | { readonly kind: "runnerSecurityGroup"; readonly region: string; readonly port: number; readonly description: string }
  | { readonly kind: "peerCiCidr"; readonly region: string; readonly cidr: string; readonly port: number; readonly description: string };

export interface RegionCiSubnets {
  readonly region: string;
  readonly ciSubnetCidrs: readonly string[];
}

/**
 * Who may reach region `region`'s Kubernetes API: its own runners by security-group reference, and
 * every other region's CI subnets by CIDR, on 443 only. Security groups cannot be referenced across
 * an inter-region peering ("You can't reference the security group of a peer VPC that's in a
 * different Region. Instead, use the CIDR block of the peer VPC.", Amazon VPC Peering Guide,
 * vpc-peering-security-groups.html, read 2026-11-25), so peers are admitted by their CI subnets
 * only, never their whole VPC.
 */
export function controlPlaneIngress(region: string, regions: readonly RegionCiSubnets[]): ControlPlaneIngress[] {
  const names = regions.map((r) => r.region);
  if (!names.includes(region)) throw new Error(`control-plane ingress: region "${region}" is not one of ${names.join(", ")}`);
  if (new Set(names).size !== names.length) throw new Error(`control-plane ingress: regions repeat: ${names.join(", ")}`);
  const peers = regions.filter((r) => r.region !== region);
  for (const peer of peers) for (const cidr of peer.ciSubnetCidrs) parseIpv4Cidr(cidr);
  return [
    { kind: "runnerSecurityGroup", region, port: KUBERNETES_API_PORT, description: `Kubernetes API from the ${region} CI runners` },
    ...peers.flatMap((peer) =>
      peer.ciSubnetCidrs.map((cidr): ControlPlaneIngress => ({ kind: "peerCiCidr", region: peer.region, cidr, port: KUBERNETES_API_PORT, description: `Kubernetes API from the ${peer.region} CI runners (${cidr}, over peering)` })),
    ),
  ];
}
