import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as ec2 from "@pulumi/aws/ec2";
import * as eks from "@pulumi/aws/eks";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as iam from "@pulumi/aws/iam";
import * as sqs from "@pulumi/aws/sqs";
import * as pulumi from "@pulumi/pulumi";
import { managedPolicyArn, podIdentityTrust, serviceTrust } from "../lib/iam";
import { DISCOVERY_TAG, INTERRUPTION_RULES, interruptionQueuePolicy, KARPENTER_NAMESPACE, KARPENTER_SERVICE_ACCOUNT, karpenterControllerPolicy } from "../lib/karpenter";

export interface KarpenterAwsArgs {
  /** The EKS cluster (an Output of the cluster resource, so everything here waits for it). */
  readonly clusterName: pulumi.Input<string>;
  /** The same name as plain text: IAM conditions and the queue name cannot wait for the cluster. */
  readonly clusterNameLiteral: string;
  readonly region: string;
  /** Private node subnets Karpenter's subnet selector must find (by the karpenter.sh/discovery tag). */
  readonly nodeSubnetIds: pulumi.Input<string>[];
  /**
   * Tag the node subnets here. Turn it off when the subnets' own resource already carries the tag
   * (RegionNetwork does): two resources managing one tag key diff against each other forever. @default true
   */
  readonly tagNodeSubnets?: boolean;
  /** The node security group (the cluster security group EKS creates), tagged for the security group selector. */
  readonly nodeSecurityGroupId: pulumi.Input<string>;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/** The interruption queue's name: the cluster's, as in the reference template, within SQS's 80 characters. */
export const interruptionQueueName = (clusterName: string): string => clusterName.slice(0, 80);

/**
 * The AWS half of Karpenter (no Kubernetes provider needed, so it lives in the platform project):
 * the node role with its EC2_LINUX access entry, the controller role (Pod Identity, scoped like the
 * reference controller policy of the pinned version, lib/karpenter.ts), the interruption queue
 * (SQS-managed SSE, TLS only) fed by the EventBridge rules of the reference template, and the
 * discovery tags on the node subnets and security group. KarpenterGpuPools is the Kubernetes half.
 */
export class KarpenterAws extends pulumi.ComponentResource {
  readonly nodeRole: iam.Role;
  readonly controllerRole: iam.Role;
  readonly queue: sqs.Queue;
  /** The node role's access entry; nodes cannot join before it exists. */
  readonly nodeAccessEntry: eks.AccessEntry;
  /** The controller's Pod Identity association; the Helm release waits for it. */
  readonly podIdentityAssociation: eks.PodIdentityAssociation;

  constructor(name: string, args: KarpenterAwsArgs, opts?: pulumi.ComponentResourceOptions) {
    if (!/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(args.clusterNameLiteral)) {
      throw new Error(`KarpenterAws ${name}: clusterNameLiteral "${args.clusterNameLiteral}" must be an EKS cluster name (1-100 letters, digits, - or _)`);
    }
    if (args.nodeSubnetIds.length === 0) throw new Error(`KarpenterAws ${name}: nodeSubnetIds is empty; Karpenter needs the private node subnets to launch into`);
    super("llm-blueprint:capacity:KarpenterAws", name, {}, opts);
    const tags = args.tags ?? {};
    const account = getCallerIdentityOutput({}, { parent: this }).accountId;

    // Nodes get what the kubelet and image pulls need; the CNI has its own Pod Identity role (GpuCluster).
    this.nodeRole = new iam.Role(`${name}-node`, { assumeRolePolicy: JSON.stringify(serviceTrust("ec2.amazonaws.com")), tags }, { parent: this });
    const nodePolicies = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore"].map(
      (p) => new iam.RolePolicyAttachment(`${name}-node-${p}`, { role: this.nodeRole.name, policyArn: managedPolicyArn(p) }, { parent: this }),
    );
    // Karpenter's nodes are not a managed node group, so EKS does not add the node role's entry itself.
    this.nodeAccessEntry = new eks.AccessEntry(`${name}-node`, { clusterName: args.clusterName, principalArn: this.nodeRole.arn, type: "EC2_LINUX", tags }, { parent: this, dependsOn: nodePolicies });

    this.queue = new sqs.Queue(
      `${name}-interruption`,
      { name: interruptionQueueName(args.clusterNameLiteral), messageRetentionSeconds: 300, sqsManagedSseEnabled: true, tags },
      { parent: this },
    );
    new sqs.QueuePolicy(`${name}-interruption`, { queueUrl: this.queue.url, policy: this.queue.arn.apply((arn) => JSON.stringify(interruptionQueuePolicy(arn))) }, { parent: this });
    for (const rule of INTERRUPTION_RULES) {
      const r = new cloudwatch.EventRule(
        `${name}-${rule.name}`,
        { description: `Karpenter interruption handling of ${args.clusterNameLiteral}: ${rule.detailType}`, eventPattern: JSON.stringify({ source: [rule.source], "detail-type": [rule.detailType] }), tags },
        { parent: this },
      );
      new cloudwatch.EventTarget(`${name}-${rule.name}`, { rule: r.name, targetId: "KarpenterInterruptionQueueTarget", arn: this.queue.arn }, { parent: this });
    }

    this.controllerRole = new iam.Role(
      `${name}-controller`,
      { assumeRolePolicy: account.apply((accountId) => JSON.stringify(podIdentityTrust({ accountId, region: args.region, clusterName: args.clusterNameLiteral }))), tags },
      { parent: this },
    );
    const controllerPolicy = new iam.RolePolicy(
      `${name}-controller`,
      {
        role: this.controllerRole.name,
        policy: pulumi
          .all([account, this.nodeRole.arn, this.queue.arn])
          .apply(([accountId, nodeRoleArn, queueArn]) => JSON.stringify(karpenterControllerPolicy({ region: args.region, accountId, clusterName: args.clusterNameLiteral, nodeRoleArn, queueArn }))),
      },
      { parent: this },
    );
    this.podIdentityAssociation = new eks.PodIdentityAssociation(
      `${name}-controller`,
      { clusterName: args.clusterName, namespace: KARPENTER_NAMESPACE, serviceAccount: KARPENTER_SERVICE_ACCOUNT, roleArn: this.controllerRole.arn, tags },
      { parent: this, dependsOn: [controllerPolicy] },
    );

    // Discovery tags: the node classes select subnets and the security group by them.
    if (args.tagNodeSubnets ?? true) {
      args.nodeSubnetIds.forEach((subnetId, i) => new ec2.Tag(`${name}-subnet-${i}`, { resourceId: subnetId, key: DISCOVERY_TAG, value: args.clusterNameLiteral }, { parent: this }));
    }
    // The cluster security group is EKS's, not a resource of this program, so it is tagged here.
    new ec2.Tag(`${name}-security-group`, { resourceId: args.nodeSecurityGroupId, key: DISCOVERY_TAG, value: args.clusterNameLiteral }, { parent: this });

    this.registerOutputs({ nodeRoleName: this.nodeRole.name, controllerRoleArn: this.controllerRole.arn, interruptionQueueName: this.queue.name });
  }
}
