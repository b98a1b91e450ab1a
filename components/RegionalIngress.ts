import * as eks from "@pulumi/aws/eks";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as iam from "@pulumi/aws/iam";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AWS_LOAD_BALANCER_CONTROLLER_CHART } from "../lib/baseline";
import { pinnedRelease } from "../lib/helm";
import { podIdentityTrust, policyDocument, PolicyDocument } from "../lib/iam";
import { ENVOY_GATEWAY_NAMESPACE, GATEWAY_SERVICE, OFFLOAD_PORT } from "./ServingAddons";

export const LBC_SERVICE_ACCOUNT = "aws-load-balancer-controller";

export interface RegionalIngressArgs {
  readonly region: string;
  /** EKS cluster name, for the controller. */
  readonly clusterName: pulumi.Input<string>;
  readonly vpcId: pulumi.Input<string>;
  /** The gateway target group of this region's NLB (platform's RegionalEntry.targetGroup). */
  readonly targetGroupArn: pulumi.Input<string>;
  /** The gateway's controller and Gateway (ServingAddons.ready). @default [] */
  readonly waitFor?: pulumi.Input<pulumi.Resource>[];
  /** @default {} */
  readonly tags?: Record<string, string>;
}
/**
 * What the load balancer controller may do here: read load balancing and network state, and
 * register or deregister targets in this region's target group only. It creates nothing.
 */
export function targetRegistrationPolicy(targetGroupArn: string): PolicyDocument {
  return policyDocument(
    {
      Sid: "Read",
      Effect: "Allow",
      Action: [
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:DescribeTags",
        "ec2:DescribeInstances",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "ec2:DescribeAvailabilityZones",
      ],
      Resource: "*",
    },
    { Sid: "RegisterGatewayPods", Effect: "Allow", Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"], Resource: targetGroupArn },
  );
}

/**
 * The in-cluster half of a region's public entry, owned by the serving project: the AWS Load
 * Balancer Controller (pinned, Pod Identity, register-only IAM on this region's target group) and the
 * TargetGroupBinding that fills platform's NLB target group with the gateway's pods. The load
 * balancer itself is platform's RegionalEntry, so its DNS name and deletion protection are declared
 * there, not left to a controller.
 */
export class RegionalIngress extends pulumi.ComponentResource {
  constructor(name: string, args: RegionalIngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-blueprint:traffic:RegionalIngress", name, {}, opts);
    const tags = args.tags ?? {};
    const waitFor = args.waitFor ?? [];

    // Pod Identity roles of this cluster only (lib/iam.ts podIdentityTrust).
    const podTrust = pulumi
      .all([getCallerIdentityOutput({}, { parent: this }).accountId, args.clusterName])
      .apply(([accountId, clusterName]) => JSON.stringify(podIdentityTrust({ accountId, region: args.region, clusterName })));
    const role = new iam.Role(`${name}-lbc`, { assumeRolePolicy: podTrust, tags }, { parent: this });
    new iam.RolePolicy(`${name}-lbc`, { role: role.name, policy: pulumi.output(args.targetGroupArn).apply((arn) => JSON.stringify(targetRegistrationPolicy(arn))) }, { parent: this });
    const association = new eks.PodIdentityAssociation(
      `${name}-lbc`,
      { clusterName: args.clusterName, namespace: "kube-system", serviceAccount: LBC_SERVICE_ACCOUNT, roleArn: role.arn, tags },
      { parent: this },
    );
    const controller = pinnedRelease(
      `${name}-lbc`,
      AWS_LOAD_BALANCER_CONTROLLER_CHART,
      "kube-system",
      {
        clusterName: args.clusterName,
        region: args.region,
        vpcId: args.vpcId,
        serviceAccount: { create: true, name: LBC_SERVICE_ACCOUNT },
        // Only TargetGroupBindings here: leave LoadBalancer Services to whoever owns them.
        enableServiceMutatorWebhook: false,
        enableShield: false,
        enableWaf: false,
        enableWafv2: false,
        replicaCount: 2,
        nodeSelector: { "node.role": "system" },
      },
      { parent: this, dependsOn: [association, ...waitFor] },
    );
    new k8s.apiextensions.CustomResource(
      `${name}-binding`,
      {
        apiVersion: "elbv2.k8s.aws/v1beta1",
        kind: "TargetGroupBinding",
        metadata: { name: GATEWAY_SERVICE, namespace: ENVOY_GATEWAY_NAMESPACE },
        spec: { serviceRef: { name: GATEWAY_SERVICE, port: OFFLOAD_PORT }, targetGroupARN: args.targetGroupArn, targetType: "ip" },
      },
      { parent: this, dependsOn: [controller] },
    );

    this.registerOutputs({ targetGroupArn: args.targetGroupArn });
  }
}
