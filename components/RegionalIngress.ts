import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AWS_LOAD_BALANCER_CONTROLLER_CHART, TLS_POLICY } from "../lib/baseline";
import { pinnedRelease } from "../lib/helm";
import { podIdentityTrust, policyDocument, PolicyDocument } from "../lib/iam";
import { regionCode } from "../lib/naming";
import { regionalName } from "../lib/traffic";
import { ENVOY_GATEWAY_NAMESPACE, GATEWAY_SERVICE, OFFLOAD_PORT } from "./ServingAddons";

export const LBC_SERVICE_ACCOUNT = "aws-load-balancer-controller";

export interface RegionalIngressArgs {
  readonly region: string;
  /** EKS cluster name, for the controller. */
  readonly clusterName: pulumi.Input<string>;
  readonly vpcId: pulumi.Input<string>;
  readonly vpcCidr: string;
  /** Public subnets the load balancer lives in (RegionNetwork.publicSubnetIds). */
  readonly publicSubnetIds: pulumi.Input<string>[];
  /** The cluster security group (on the nodes and pods), opened to the load balancer on the offload port. */
  readonly clusterSecurityGroupId: pulumi.Input<string>;
  readonly zoneId: string;
  readonly zoneName: string;
  /** Served models in this region; each gets `<endpoint>.<region code>.<zone>`. */
  readonly endpoints: readonly string[];
  /** Client CIDRs allowed on 443. @default ["0.0.0.0/0"] */
  readonly allowedCidrs?: readonly string[];
  /** @default true */
  readonly deletionProtection?: boolean;
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
 * A region's public entry: an internet-facing NLB in the public subnets terminating TLS with a
 * DNS-validated ACM certificate, whose target group the AWS Load Balancer Controller (pinned, Pod
 * Identity, register-only IAM) fills with the gateway's pods; and per served model a regional
 * alias record with target health evaluation. The load balancer is a Pulumi resource, so its DNS
 * name is known to the records and its deletion protection is declared, not left to a controller.
 */
export class RegionalIngress extends pulumi.ComponentResource {
  readonly loadBalancer: aws.lb.LoadBalancer;
  readonly certificateArn: pulumi.Output<string>;
  /** Regional record name per endpoint. */
  readonly regionalNames: Record<string, string>;

  constructor(name: string, args: RegionalIngressArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.endpoints.length === 0) throw new Error(`RegionalIngress ${name}: no endpoints to expose`);
    super("llm-blueprint:traffic:RegionalIngress", name, {}, opts);
    const tags = args.tags ?? {};
    const rc = regionCode(args.region);
    const waitFor = args.waitFor ?? [];

    // One certificate covers the regional names and the global names that resolve here.
    const certificate = new aws.acm.Certificate(
      `${name}-cert`,
      { domainName: `*.${rc}.${args.zoneName}`, subjectAlternativeNames: [`*.${args.zoneName}`], validationMethod: "DNS", keyAlgorithm: "EC_prime256v1", tags },
      { parent: this },
    );
    // Two names, two validation records. ACM's record for *.<zone> is the same in every region of
    // the account, so the regions share it (allowOverwrite).
    const validationRecords = [0, 1].map((i) => {
      const option = certificate.domainValidationOptions.apply((o) => o[i]);
      return new aws.route53.Record(
        `${name}-cert-validation-${i}`,
        { zoneId: args.zoneId, name: option.resourceRecordName, type: option.resourceRecordType, records: [option.resourceRecordValue], ttl: 300, allowOverwrite: true },
        { parent: this },
      );
    });
    const validation = new aws.acm.CertificateValidation(
      `${name}-cert`,
      { certificateArn: certificate.arn, validationRecordFqdns: validationRecords.map((r) => r.fqdn) },
      { parent: this },
    );
    this.certificateArn = validation.certificateArn;

    const sg = new aws.ec2.SecurityGroup(`${name}-nlb`, { vpcId: args.vpcId, description: `Regional inference NLB (${args.region})`, tags: { ...tags, Name: `${name}-nlb` } }, { parent: this });
    (args.allowedCidrs ?? ["0.0.0.0/0"]).forEach((cidr, i) => {
      new aws.vpc.SecurityGroupIngressRule(`${name}-nlb-in-${i}`, { securityGroupId: sg.id, cidrIpv4: cidr, ipProtocol: "tcp", fromPort: 443, toPort: 443, tags }, { parent: this });
    });
    // The NLB reaches the proxy pods on the pod port itself: with targetType ip the AWS Load Balancer
    // Controller registers each endpoint's port, i.e. the Service's targetPort resolved on the pod,
    // not the target group's port (kubernetes-sigs/aws-load-balancer-controller v2.14.1, the app of
    // chart 1.14.1: pkg/targetgroupbinding/resource_manager.go -> pkg/backend/endpoint_resolver.go
    // ResolvePodEndpoints, pkg/k8s/service_utils.go LookupServicePort; read 2026-11-25). OFFLOAD_PORT
    // is at least 1024, so Envoy Gateway does not shift it and listener, Service, container and
    // target ports are one number.
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-nlb-out`,
      { securityGroupId: sg.id, cidrIpv4: args.vpcCidr, ipProtocol: "tcp", fromPort: OFFLOAD_PORT, toPort: OFFLOAD_PORT, tags },
      { parent: this },
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-pods-from-nlb`,
      { securityGroupId: args.clusterSecurityGroupId, referencedSecurityGroupId: sg.id, ipProtocol: "tcp", fromPort: OFFLOAD_PORT, toPort: OFFLOAD_PORT, tags },
      { parent: this },
    );

    this.loadBalancer = new aws.lb.LoadBalancer(
      `${name}-nlb`,
      {
        loadBalancerType: "network",
        internal: false,
        subnets: args.publicSubnetIds,
        securityGroups: [sg.id],
        enableCrossZoneLoadBalancing: true,
        enableDeletionProtection: args.deletionProtection ?? true,
        tags,
      },
      { parent: this },
    );
    const targetGroup = new aws.lb.TargetGroup(
      `${name}-gateway`,
      {
        port: OFFLOAD_PORT,
        protocol: "TCP",
        targetType: "ip",
        vpcId: args.vpcId,
        deregistrationDelay: 30,
        // The registered (pod) port: a proxy that is not listening on it leaves the target group.
        healthCheck: { protocol: "TCP", port: "traffic-port", interval: 10, healthyThreshold: 2, unhealthyThreshold: 2 },
        tags,
      },
      { parent: this },
    );
    // A TLS listener's idle timeout is fixed at 350 s (tcpIdleTimeoutSeconds applies to TCP listeners
    // only); the route timeout stays below it (traffic.requestTimeoutSeconds).
    new aws.lb.Listener(
      `${name}-tls`,
      {
        loadBalancerArn: this.loadBalancer.arn,
        port: 443,
        protocol: "TLS",
        sslPolicy: TLS_POLICY,
        certificateArn: this.certificateArn,
        defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
        tags,
      },
      { parent: this },
    );

    const role = new aws.iam.Role(`${name}-lbc`, { assumeRolePolicy: JSON.stringify(podIdentityTrust()), tags }, { parent: this });
    new aws.iam.RolePolicy(`${name}-lbc`, { role: role.name, policy: targetGroup.arn.apply((arn) => JSON.stringify(targetRegistrationPolicy(arn))) }, { parent: this });
    const association = new aws.eks.PodIdentityAssociation(
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
        spec: { serviceRef: { name: GATEWAY_SERVICE, port: OFFLOAD_PORT }, targetGroupARN: targetGroup.arn, targetType: "ip" },
      },
      { parent: this, dependsOn: [controller] },
    );

    this.regionalNames = {};
    for (const endpoint of args.endpoints) {
      const fqdn = regionalName(endpoint, args.region, args.zoneName);
      this.regionalNames[endpoint] = fqdn;
      new aws.route53.Record(
        `${name}-${endpoint}`,
        { zoneId: args.zoneId, name: fqdn, type: "A", aliases: [{ name: this.loadBalancer.dnsName, zoneId: this.loadBalancer.zoneId, evaluateTargetHealth: true }] },
        { parent: this },
      );
    }

    this.registerOutputs({ loadBalancerDnsName: this.loadBalancer.dnsName, certificateArn: this.certificateArn, regionalNames: this.regionalNames });
  }
}
