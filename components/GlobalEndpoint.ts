import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as route53 from "@pulumi/aws/route53";
import * as pulumi from "@pulumi/pulumi";
import { endpointRecovery, globalName, globalRecords, RecoveryTime, RegionRouting, regionalName, RoutingMode } from "../lib/traffic";

export interface GlobalEndpointArgs {
  /** Served model (endpoint) name. */
  readonly endpoint: string;
  readonly zoneId: string;
  readonly zoneName: string;
  readonly routing: RoutingMode;
  /** Regions serving this endpoint, with role, weight and drain. */
  readonly regions: readonly RegionRouting[];
  /** @default { intervalSeconds: 10, failureThreshold: 3, path: "/v1/models" } */
  readonly healthCheck?: { readonly intervalSeconds: number; readonly failureThreshold: number; readonly path: string };
  /** TTL of the global CNAME records. @default 15 */
  readonly recordTtlSeconds?: number;
  /**
   * Warm replicas each region keeps (its autoscaler minimum): the load a lost region leaves behind.
   * Serving facts: the platform project leaves them out and serving computes the recovery time.
   * @default no recovery-time estimate
   */
  readonly warmReplicas?: Record<string, number>;
  /** GPU node launch plus model cold start, when survivors must scale up (lib/serving podStartSeconds). @default 900 */
  readonly coldStartSeconds?: number;
  /** Idle timeout of the regional load balancers' listeners. @default 350 (NLB TLS listener, fixed) */
  readonly loadBalancerIdleSeconds?: number;
  /**
   * SNS topic in the provider's region (us-east-1) the health-check alarms notify on alarm and on
   * recovery (HealthCheckAlerts). Required: a failover nobody hears of is a silent one.
   */
  readonly alarmTopicArn: pulumi.Input<string>;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * One DNS name per served model: a Route 53 health check per region that asks the model itself
 * (HTTPS `/v1/models` must list it), a CloudWatch alarm per check, and health-checked CNAME
 * records to the regional names in the chosen routing mode. Pass a us-east-1 aws provider: Route 53
 * health-check metrics exist only there.
 */
export class GlobalEndpoint extends pulumi.ComponentResource {
  readonly fqdn: string;
  /** Present when `warmReplicas` is given. */
  readonly recoveryTime?: RecoveryTime;
  /** Regions in the global names (weight above 0). */
  readonly routedRegions: string[];
  readonly healthChecks: Record<string, route53.HealthCheck>;

  constructor(name: string, args: GlobalEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
    const hc = args.healthCheck ?? { intervalSeconds: 10, failureThreshold: 3, path: "/v1/models" };
    const ttl = args.recordTtlSeconds ?? 15;
    const records = globalRecords(args.endpoint, args.zoneName, args.routing, args.regions);
    if (records.length === 0) throw new Error(`GlobalEndpoint ${name}: routing ${args.routing} leaves no record for ${args.endpoint}`);
    super("llm-blueprint:traffic:GlobalEndpoint", name, {}, opts);
    const tags = args.tags ?? {};
    this.fqdn = globalName(args.endpoint, args.zoneName);

    this.healthChecks = {};
    for (const r of args.regions) {
      const fqdn = regionalName(args.endpoint, r.region, args.zoneName);
      const check = new route53.HealthCheck(
        `${name}-${r.region}`,
        {
          type: "HTTPS_STR_MATCH",
          fqdn,
          port: 443,
          resourcePath: hc.path,
          // vLLM lists served models by --served-model-name: a loaded model, not just an open socket.
          searchString: `"${args.endpoint}"`,
          enableSni: true,
          requestInterval: hc.intervalSeconds,
          failureThreshold: hc.failureThreshold,
          measureLatency: true,
          tags: { ...tags, Name: fqdn },
        },
        { parent: this },
      );
      this.healthChecks[r.region] = check;
      new cloudwatch.MetricAlarm(
        `${name}-${r.region}`,
        {
          alarmDescription: `${fqdn} fails its Route 53 health check: traffic is leaving ${r.region}`,
          namespace: "AWS/Route53",
          metricName: "HealthCheckStatus",
          dimensions: { HealthCheckId: check.id },
          statistic: "Minimum",
          period: 60,
          evaluationPeriods: 1,
          threshold: 1,
          comparisonOperator: "LessThanThreshold",
          treatMissingData: "breaching",
          alarmActions: [args.alarmTopicArn],
          okActions: [args.alarmTopicArn],
          tags,
        },
        { parent: this },
      );
    }

    for (const rec of records) {
      new route53.Record(
        `${name}-${rec.region}`,
        {
          zoneId: args.zoneId,
          name: this.fqdn,
          type: "CNAME",
          ttl,
          records: [rec.target],
          setIdentifier: rec.setIdentifier,
          // Every routed record answers only while its region's model is healthy.
          healthCheckId: this.healthChecks[rec.region].id,
          ...(rec.failover ? { failoverRoutingPolicies: [{ type: rec.failover }] } : {}),
          ...(rec.latencyRegion ? { latencyRoutingPolicies: [{ region: rec.latencyRegion }] } : {}),
          ...(rec.weight !== undefined ? { weightedRoutingPolicies: [{ weight: rec.weight }] } : {}),
        },
        { parent: this },
      );
    }

    const routed = [...new Set(records.filter((r) => r.weight !== 0).map((r) => r.region))];
    this.routedRegions = routed;
    this.recoveryTime = args.warmReplicas
      ? endpointRecovery({
          routedRegions: routed,
          healthCheck: hc,
          recordTtlSeconds: ttl,
          loadBalancerIdleSeconds: args.loadBalancerIdleSeconds,
          warmReplicas: args.warmReplicas,
          coldStartSeconds: args.coldStartSeconds,
        })
      : undefined;

    this.registerOutputs({ fqdn: this.fqdn, routing: args.routing, regions: routed, healthCheck: hc, recordTtlSeconds: ttl, ...(this.recoveryTime ? { recoveryTime: this.recoveryTime } : {}) });
  }
}
