import * as ec2 from "@pulumi/aws/ec2";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as kms from "@pulumi/aws/kms";
import * as lb from "@pulumi/aws/lb";
import * as route53 from "@pulumi/aws/route53";
import * as s3 from "@pulumi/aws/s3";
import * as vpc from "@pulumi/aws/vpc";
import * as pulumi from "@pulumi/pulumi";
import { accessLogBucket } from "./accessLogBucket";
import { TLS_POLICY } from "../lib/baseline";
import { OFFLOAD_PORT } from "../lib/gateway";
import { accessLogPrefixProblems, NLB_ACCESS_LOG_PREFIX, nlbAccessLogBucketPolicy, nlbAccessLogKeyPolicy } from "../lib/nlbAccessLogs";
import { regionalName } from "../lib/traffic";

export interface RegionalEntryArgs {
  readonly region: string;
  readonly vpcId: pulumi.Input<string>;
  readonly vpcCidr: string;
  /** Public subnets the load balancer lives in (RegionNetwork.publicSubnetIds). */
  readonly publicSubnetIds: pulumi.Input<string>[];
  /** The cluster security group (on the nodes and pods), opened to the load balancer on the offload port. */
  readonly clusterSecurityGroupId: pulumi.Input<string>;
  readonly zoneId: string;
  readonly zoneName: string;
  /**
   * Validated ACM certificate of this region covering `*.<region code>.<zone>` and `*.<zone>`
   * (EntryCertificates): its validation records are shared between regions, so they are declared
   * outside any one region.
   */
  readonly certificateArn: pulumi.Input<string>;
  /**
   * Name of the gateway target group (at most 32 characters, letters, digits and dashes). Its ARN
   * carries it (`targetgroup/<name>/<id>`), which is how the serving project's binding is traced back
   * to it. @default "<component name>-gw", cut to 32 characters
   */
  readonly targetGroupName?: string;
  /** Public model names answered in this region; each gets `<endpoint>.<region code>.<zone>`. */
  readonly endpoints: readonly string[];
  /** Client CIDRs allowed on 443. @default ["0.0.0.0/0"] */
  readonly allowedCidrs?: readonly string[];
  /** @default true */
  readonly deletionProtection?: boolean;
  /**
   * Where the NLB's access logs go: a bucket of this region that this component creates. Set
   * `bucketName` (as the platform does, lib/naming.ts kind "nlb-logs") so the name is known at preview.
   * @default { bucketName: autonamed, prefix: "nlb", days: 365 }
   */
  readonly accessLogs?: {
    readonly bucketName?: pulumi.Input<string>;
    /** Key prefix of the logs; ELB appends `AWSLogs/<account>/...`. @default "nlb" */
    readonly prefix?: string;
    /** Days a log object is kept. @default 365 */
    readonly days?: number;
  };
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * A region's public entry, the AWS half of the traffic path that the platform project owns: an
 * internet-facing NLB in the public subnets terminating TLS with the region's DNS-validated ACM
 * certificate (from EntryCertificates), a
 * target group of pod IPs on the gateway's offload port (filled by the serving project's
 * RegionalIngress through a TargetGroupBinding), and per public model a regional alias record with
 * target health evaluation. The NLB's access logs go to an encrypted, versioned, retained bucket of
 * the region. Nothing here talks to the cluster.
 */
export class RegionalEntry extends pulumi.ComponentResource {
  readonly loadBalancer: lb.LoadBalancer;
  readonly targetGroup: lb.TargetGroup;
  readonly loadBalancerSecurityGroupId: pulumi.Output<string>;
  readonly certificateArn: pulumi.Output<string>;
  /** The bucket the NLB writes its access logs to. */
  readonly accessLogBucket: s3.Bucket;
  /** Regional record name per endpoint. */
  readonly regionalNames: Record<string, string>;

  constructor(name: string, args: RegionalEntryArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.endpoints.length === 0) throw new Error(`RegionalEntry ${name}: no endpoints to expose`);
    super("llm-blueprint:traffic:RegionalEntry", name, {}, opts);
    const tags = args.tags ?? {};
    const targetGroupName = args.targetGroupName ?? `${name.slice(0, 29).replace(/-+$/, "")}-gw`;
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/.test(targetGroupName)) throw new Error(`RegionalEntry ${name}: targetGroupName "${targetGroupName}" must be 1-32 letters, digits or dashes, not starting or ending with a dash`);
    const logPrefix = args.accessLogs?.prefix ?? NLB_ACCESS_LOG_PREFIX;
    const prefixProblems = accessLogPrefixProblems(logPrefix);
    if (prefixProblems.length > 0) throw new Error(`RegionalEntry ${name}: accessLogs.prefix ${prefixProblems.join("; ")}`);
    const logDays = args.accessLogs?.days ?? 365;
    if (!Number.isInteger(logDays) || logDays < 1) throw new Error(`RegionalEntry ${name}: accessLogs.days ${logDays} must be a whole number of days, at least 1`);

    this.certificateArn = pulumi.output(args.certificateArn);

    const sg = new ec2.SecurityGroup(`${name}-nlb`, { vpcId: args.vpcId, description: `Regional inference NLB (${args.region})`, tags: { ...tags, Name: `${name}-nlb` } }, { parent: this });
    (args.allowedCidrs ?? ["0.0.0.0/0"]).forEach((cidr, i) => {
      new vpc.SecurityGroupIngressRule(`${name}-nlb-in-${i}`, { securityGroupId: sg.id, cidrIpv4: cidr, ipProtocol: "tcp", fromPort: 443, toPort: 443, tags }, { parent: this });
    });
    // The NLB reaches the proxy pods on the pod port itself: with targetType ip the AWS Load Balancer
    // Controller registers each endpoint's port, i.e. the Service's targetPort resolved on the pod,
    // not the target group's port (kubernetes-sigs/aws-load-balancer-controller v2.14.1, the app of
    // chart 1.14.1: pkg/targetgroupbinding/resource_manager.go -> pkg/backend/endpoint_resolver.go
    // ResolvePodEndpoints, pkg/k8s/service_utils.go LookupServicePort; read 2026-11-25). OFFLOAD_PORT
    // is at least 1024, so Envoy Gateway does not shift it and listener, Service, container and
    // target ports are one number.
    new vpc.SecurityGroupEgressRule(
      `${name}-nlb-out`,
      { securityGroupId: sg.id, cidrIpv4: args.vpcCidr, ipProtocol: "tcp", fromPort: OFFLOAD_PORT, toPort: OFFLOAD_PORT, tags },
      { parent: this },
    );
    new vpc.SecurityGroupIngressRule(
      `${name}-pods-from-nlb`,
      { securityGroupId: args.clusterSecurityGroupId, referencedSecurityGroupId: sg.id, ipProtocol: "tcp", fromPort: OFFLOAD_PORT, toPort: OFFLOAD_PORT, tags },
      { parent: this },
    );

    // Access logs, so abuse of the public entry can be traced (issue 14): a bucket of this region
    // encrypted with a customer managed key of its own (SSE-KMS, no bucket key: lib/nlbAccessLogs.ts
    // says why), versioned, expiring after `days`. Bucket and key are protected and retained like the
    // registry's: a rename or destroy never deletes the trace; the settings are retained with them.
    const keep = { parent: this, protect: true, retainOnDelete: true };
    const attached = { parent: this, retainOnDelete: true };
    const account = getCallerIdentityOutput({}, { parent: this }).accountId;
    const logKey = new kms.Key(
      `${name}-access-logs`,
      {
        description: `NLB access log encryption (${args.region})`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: account.apply((id) => JSON.stringify(nlbAccessLogKeyPolicy(id, args.region))),
        tags,
      },
      keep,
    );
    const { bucket: logs, publicAccessBlock: logsPab, ownership: logsOwnership, encryption: logsSse } = accessLogBucket(
      `${name}-access-logs`,
      { bucketName: args.accessLogs?.bucketName, encryption: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: logKey.arn }, bucketKeyEnabled: false }, expirationDays: logDays, tags },
      this,
    );
    this.accessLogBucket = logs;
    const logsPolicy = new s3.BucketPolicy(
      `${name}-access-logs`,
      { bucket: logs.id, policy: pulumi.all([logs.arn, account]).apply(([arn, id]) => JSON.stringify(nlbAccessLogBucketPolicy(arn, logPrefix, id, args.region))) },
      { ...attached, dependsOn: [logsPab] },
    );

    this.loadBalancer = new lb.LoadBalancer(
      `${name}-nlb`,
      {
        loadBalancerType: "network",
        internal: false,
        subnets: args.publicSubnetIds,
        securityGroups: [sg.id],
        enableCrossZoneLoadBalancing: true,
        enableDeletionProtection: args.deletionProtection ?? true,
        // ELB checks it can write when logging is turned on: the policy, key and ownership come first.
        accessLogs: { bucket: logs.bucket, prefix: logPrefix, enabled: true },
        tags,
      },
      { parent: this, dependsOn: [logsPolicy, logsSse, logsOwnership] },
    );
    this.targetGroup = new lb.TargetGroup(
      `${name}-gateway`,
      {
        name: targetGroupName,
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
    new lb.Listener(
      `${name}-tls`,
      {
        loadBalancerArn: this.loadBalancer.arn,
        port: 443,
        protocol: "TLS",
        sslPolicy: TLS_POLICY,
        certificateArn: this.certificateArn,
        defaultActions: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
        tags,
      },
      { parent: this },
    );

    this.regionalNames = {};
    for (const endpoint of args.endpoints) {
      const fqdn = regionalName(endpoint, args.region, args.zoneName);
      this.regionalNames[endpoint] = fqdn;
      new route53.Record(
        `${name}-${endpoint}`,
        { zoneId: args.zoneId, name: fqdn, type: "A", aliases: [{ name: this.loadBalancer.dnsName, zoneId: this.loadBalancer.zoneId, evaluateTargetHealth: true }] },
        { parent: this },
      );
    }

    this.loadBalancerSecurityGroupId = sg.id;

    this.registerOutputs({
      loadBalancerDnsName: this.loadBalancer.dnsName,
      targetGroupArn: this.targetGroup.arn,
      loadBalancerSecurityGroupId: sg.id,
      certificateArn: this.certificateArn,
      accessLogBucketName: logs.bucket,
      regionalNames: this.regionalNames,
    });
  }
}
