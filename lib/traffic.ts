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

export interface RecoveryInput {
  readonly intervalSeconds: number;
  readonly failureThreshold: number;
  /** TTL resolvers may cache the global answer for (the CNAME TTL, or 60 s for an alias to an ELB). */
  readonly dnsTtlSeconds: number;
  /** Replicas the surviving region keeps warm; 0 means it must scale up first. */
  readonly warmReplicas: number;
  /** Time to bring a cold replica up: GPU node boot plus model load. */
  readonly coldStartSeconds: number;
}

export interface RecoveryTime {
  readonly detectionSeconds: number;
  readonly dnsSeconds: number;
  readonly scaleUpSeconds: number;
  readonly totalSeconds: number;
}

/** Worst case for traffic to leave a failed region: detection + DNS caching + cold start if not warm. */
export function recoveryTime(input: RecoveryInput): RecoveryTime {
  const detectionSeconds = input.intervalSeconds * input.failureThreshold;
  const dnsSeconds = input.dnsTtlSeconds;
  const scaleUpSeconds = input.warmReplicas >= 1 ? 0 : input.coldStartSeconds;
  return { detectionSeconds, dnsSeconds, scaleUpSeconds, totalSeconds: detectionSeconds + dnsSeconds + scaleUpSeconds };
}
