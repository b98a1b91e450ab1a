import { PolicyDocument, policyDocument } from "./iam";
import { regionCode } from "./naming";

/**
 * Pure pieces of global traffic steering: DNS names, the record set each routing mode needs, and
 * the worst-case time for traffic to leave a failed region.
 */

export const ROUTING_MODES = ["failover", "latency", "weighted"] as const;
export type RoutingMode = (typeof ROUTING_MODES)[number];

/** Route 53 health checkers probe every 10 s (fast) or 30 s (standard); nothing else is accepted. */
export const HEALTH_CHECK_INTERVALS = [10, 30] as const;

/**
 * DNS caching of an alias record to an ELB: Route 53 answers with the load balancer's own TTL,
 * 60 s (Route 53 developer guide, "Choosing between alias and non-alias records", read 2026-11-25).
 */
export const ELB_ALIAS_TTL_SECONDS = 60;

export function globalName(endpoint: string, zone: string): string {
  return `${endpoint}.${zone}`;
}

/** Regional name of an endpoint: an alias to that region's load balancer. */
export function regionalName(endpoint: string, region: string, zone: string): string {
  return `${endpoint}.${regionCode(region)}.${zone}`;
}

export interface RegionRouting {
  readonly region: string;
  readonly role?: "primary" | "secondary";
  readonly weight?: number;
  readonly drain?: boolean;
}

/** One global record of a served model: a health-checked CNAME to a regional name. */
export interface GlobalRecordSpec {
  readonly region: string;
  readonly setIdentifier: string;
  readonly target: string;
  readonly failover?: "PRIMARY" | "SECONDARY";
  readonly latencyRegion?: string;
  readonly weight?: number;
}

/**
 * Records of one endpoint for the regions that serve it. A drained region keeps weight 0 in
 * weighted mode (only its weight changes) and is left out in latency mode.
 */
export function globalRecords(endpoint: string, zone: string, mode: RoutingMode, regions: readonly RegionRouting[]): GlobalRecordSpec[] {
  const base = (r: RegionRouting) => ({ region: r.region, setIdentifier: r.region, target: regionalName(endpoint, r.region, zone) });
  switch (mode) {
    case "failover":
      return regions
        .filter((r) => r.role)
        .map((r) => ({ ...base(r), failover: r.role === "primary" ? ("PRIMARY" as const) : ("SECONDARY" as const) }));
    case "latency":
      return regions.filter((r) => !r.drain).map((r) => ({ ...base(r), latencyRegion: r.region }));
    case "weighted":
      return regions.map((r) => ({ ...base(r), weight: r.drain ? 0 : (r.weight ?? 100) }));
  }
}

/**
 * Idle timeout of an NLB listener: TLS listeners keep 350 s and cannot be changed; only TCP
 * listeners take `tcp.idle_timeout.seconds` (60-6000). AWS ELB guide, "Update the TCP idle timeout
 * for your Network Load Balancer listener" (network/update-idle-timeout.html), read 2026-11-25.
 */
export const NLB_TLS_IDLE_TIMEOUT_SECONDS = 350;

/**
 * Envoy's route timeout (HTTPRoute `timeouts.request`) when nothing else is configured. Behind the
 * regional NLB the TLS listener's fixed 350 s idle timeout caps it (see the traffic config).
 */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 600;

/**
 * Route 53 counts an endpoint unhealthy when 18% or fewer of its health checkers report it healthy;
 * the checkers do not coordinate (Route 53 developer guide, "How Amazon Route 53 determines whether
 * a health check is healthy", read 2026-11-25).
 */
export const ROUTE53_HEALTHY_CHECKER_FRACTION = 0.18;

/**
 * Resolvers and client runtimes that hold an answer longer than a short TTL. No standard fixes the
 * value; 60 s is the upper end of the 30-60 s floors commonly observed (the JDK caches a successful
 * lookup 30 s by default, `networkaddress.cache.ttl` in java.security). An assumption, named as such.
 */
export const RESOLVER_TTL_FLOOR_SECONDS = 60;

/**
 * How long an idle pooled client connection outlives the failure. Typical: httpx (the OpenAI Python
 * SDK's HTTP client) drops idle keep-alive connections after 5 s (`Limits(keepalive_expiry=5.0)`,
 * httpx/_config.py, read 2026-11-25). Worst: nothing closes an idle connection before the NLB's own
 * idle timeout.
 */
export const CLIENT_KEEPALIVE_TYPICAL_SECONDS = 5;

export interface RecoveryInput {
  readonly intervalSeconds: number;
  readonly failureThreshold: number;
  /** TTL of the global answer (the CNAME TTL). */
  readonly dnsTtlSeconds: number;
  /** Idle timeout of the regional load balancer: bounds how long an idle pooled connection survives. */
  readonly loadBalancerIdleSeconds: number;
  /**
   * Warm replicas the survivors keep when the largest region is lost. With at least one they answer
   * at once (queueing) while they scale; with none, traffic waits for the scale-up (typical figure).
   */
  readonly survivorWarmReplicas: number;
  /**
   * Warm replicas the survivors keep beyond their own minimum. Each region's minimum is sized for its
   * own load, so unless this covers the lost region's minimum, restoring capacity takes a scale-up
   * (worst-case figure).
   */
  readonly spareWarmReplicas: number;
  /** Minimum replicas of the largest region: the load to re-home. */
  readonly lostMinReplicas: number;
  /** GPU node launch plus model cold start in a survivor. */
  readonly scaleUpSeconds: number;
}

/** One term of the recovery time, with its typical and worst-case value and where it comes from. */
export interface RecoveryTerm {
  readonly term: string;
  readonly typicalSeconds: number;
  readonly worstSeconds: number;
  readonly source: string;
}

export interface RecoveryTime {
  readonly terms: readonly RecoveryTerm[];
  readonly typicalSeconds: number;
  readonly worstSeconds: number;
}

/**
 * Time for traffic to leave a failed region, typical and worst case, as a sum of named terms
 * (an upper bound: a client that reconnects within its stale DNS window starts its connection term
 * again, which no DNS setting can bound).
 *
 * - Health-check consensus: each checker needs `failureThreshold` consecutive failures; checkers are
 *   not in phase, so the 82nd percentile of them gets there after (threshold - 1 + 0.82) intervals
 *   (typical) and the last after threshold intervals (worst).
 * - DNS caching: the record TTL, or a resolver's floor when that is longer (worst).
 * - Pooled connections: the client's keep-alive expiry (typical) or the NLB idle timeout (worst).
 * - Survivor scale-up: typical 0 while survivors keep a warm replica (they answer, queueing, while
 *   KEDA adds replicas); worst node launch plus cold start unless spare warm replicas cover the lost
 *   region's minimum.
 */
export function recoveryTime(input: RecoveryInput): RecoveryTime {
  const consensusLag = 1 - ROUTE53_HEALTHY_CHECKER_FRACTION;
  const terms: RecoveryTerm[] = [
    {
      term: "health-check consensus",
      typicalSeconds: Math.ceil(input.intervalSeconds * (input.failureThreshold - 1 + consensusLag)),
      worstSeconds: input.intervalSeconds * input.failureThreshold,
      source: `interval ${input.intervalSeconds} s x threshold ${input.failureThreshold}; unhealthy when <= 18% of checkers report healthy (Route 53 developer guide)`,
    },
    {
      term: "DNS caching",
      typicalSeconds: input.dnsTtlSeconds,
      worstSeconds: Math.max(input.dnsTtlSeconds, RESOLVER_TTL_FLOOR_SECONDS),
      source: `record TTL ${input.dnsTtlSeconds} s; resolvers that floor short TTLs hold it ${RESOLVER_TTL_FLOOR_SECONDS} s (assumption)`,
    },
    {
      term: "pooled client connections",
      typicalSeconds: CLIENT_KEEPALIVE_TYPICAL_SECONDS,
      worstSeconds: input.loadBalancerIdleSeconds,
      source: `httpx keep-alive expiry ${CLIENT_KEEPALIVE_TYPICAL_SECONDS} s; NLB idle timeout ${input.loadBalancerIdleSeconds} s`,
    },
    {
      term: "survivor scale-up",
      typicalSeconds: input.survivorWarmReplicas >= 1 ? 0 : input.scaleUpSeconds,
      worstSeconds: input.spareWarmReplicas >= input.lostMinReplicas ? 0 : input.scaleUpSeconds,
      source: `survivors keep ${input.survivorWarmReplicas} warm replica(s), ${input.spareWarmReplicas} spare for the lost region's ${input.lostMinReplicas}; else GPU node launch + model cold start ${input.scaleUpSeconds} s`,
    },
  ];
  const sum = (k: "typicalSeconds" | "worstSeconds") => terms.reduce((s, t) => s + t[k], 0);
  return { terms, typicalSeconds: sum("typicalSeconds"), worstSeconds: sum("worstSeconds") };
}

/**
 * Key policy of the health-check alarm topic's key: the account administers it, and CloudWatch
 * (publishing alarm notifications to the encrypted topic) may generate data keys and decrypt, for
 * this account only. Without that grant CloudWatch cannot publish to the encrypted topic at all
 * (SNS developer guide, sns-key-management.html#compatibility-with-aws-services, "Enable
 * compatibility between event sources from AWS services and encrypted topics", read 2026-11-25).
 */
export function alarmTopicKeyPolicy(accountId: string): PolicyDocument {
  return policyDocument(
    { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" },
    {
      Sid: "CloudWatchAlarmsPublish",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": accountId } },
    },
  );
}

/** Topic policy: CloudWatch alarms of this account in `region` may publish; nobody else is granted. */
export function alarmTopicPolicy(topicArn: string, accountId: string, region: string): PolicyDocument {
  return policyDocument({
    Sid: "CloudWatchAlarmsPublish",
    Effect: "Allow",
    Principal: { Service: "cloudwatch.amazonaws.com" },
    Action: "sns:Publish",
    Resource: topicArn,
    Condition: { StringEquals: { "aws:SourceAccount": accountId }, ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:${region}:${accountId}:alarm:*` } },
  });
}

/**
 * Recovery time of one global endpoint when its largest routed region (by warm replicas, its served
 * load) is lost. Each region's minimum is sized for its own load, so survivors hold no spare warm
 * replicas for it: the worst case includes their scale-up.
 */
export function endpointRecovery(args: {
  readonly routedRegions: readonly string[];
  readonly healthCheck: { readonly intervalSeconds: number; readonly failureThreshold: number };
  readonly recordTtlSeconds: number;
  /** @default NLB_TLS_IDLE_TIMEOUT_SECONDS */
  readonly loadBalancerIdleSeconds?: number;
  readonly warmReplicas: Readonly<Record<string, number>>;
  /** @default 900 */
  readonly coldStartSeconds?: number;
}): RecoveryTime {
  const routed = args.routedRegions;
  const warm = (r: string) => args.warmReplicas[r] ?? 0;
  const lost = routed.reduce((a, b) => (warm(b) > warm(a) ? b : a), routed[0]);
  return recoveryTime({
    intervalSeconds: args.healthCheck.intervalSeconds,
    failureThreshold: args.healthCheck.failureThreshold,
    dnsTtlSeconds: args.recordTtlSeconds,
    loadBalancerIdleSeconds: args.loadBalancerIdleSeconds ?? NLB_TLS_IDLE_TIMEOUT_SECONDS,
    survivorWarmReplicas: routed.filter((r) => r !== lost).reduce((s, r) => s + warm(r), 0),
    spareWarmReplicas: 0,
    lostMinReplicas: warm(lost),
    scaleUpSeconds: args.coldStartSeconds ?? 900,
  });
}
