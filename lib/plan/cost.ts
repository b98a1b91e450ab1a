import { describeSupport, utcDay, versionSupport } from "../k8sCalendar";
import { instanceHourly, PriceFile } from "../pricing";
import { nodesByCapacityType } from "../capacity";
import { recordedPools } from "./capacity";
import { PlanDocument, PlanResource } from "./document";
import { componentOf, regionOf } from "./placement";

/** USD per hour at the pools' minimum and maximum sizes. */
export interface CostRange {
  readonly min: number;
  readonly max: number;
}

export interface CostLine {
  readonly region: string;
  readonly component: string;
  readonly resource: string;
  readonly kind: "nodes" | "reserved capacity" | "capacity block" | "node volumes" | "control plane" | "NAT gateway" | "load balancer" | "health check" | "alarm";
  /** What was priced: "2-8 x g6.12xlarge", "3 features". */
  readonly detail: string;
  readonly hourly: CostRange;
}

export interface UnpricedItem {
  readonly region: string;
  readonly component: string;
  readonly resource: string;
  readonly reason: string;
}

export interface CostEstimate {
  readonly currency: "USD";
  readonly hoursPerMonth: number;
  /** Latest "read" date among the sources of the figures used. */
  readonly pricesRead: string;
  readonly lines: readonly CostLine[];
  /** Billable resources the price file has no figure for; not counted (never as zero). */
  readonly unpriced: readonly UnpricedItem[];
  readonly total: { readonly hourly: CostRange; readonly monthly: CostRange };
  readonly byRegion: Record<string, CostRange>;
  /** Charges the estimate leaves out on purpose (usage-based). */
  readonly notEstimated: readonly string[];
  /**
   * The UTC day the control planes were priced for: a cluster whose Kubernetes version is past EKS
   * standard support that day bills the extended-support rate (lib/k8sCalendar.ts). Absent in plan
   * documents written before it was recorded.
   */
  readonly asOf?: string;
}

export interface EstimateOptions {
  /** The day to price for (YYYY-MM-DD, UTC). @default today's UTC date */
  readonly today?: string;
}

export const NOT_ESTIMATED = [
  "data transfer and NAT/NLB data processing (GB, NLCU)",
  "S3 storage, requests and replication",
  "CloudWatch Logs ingestion and storage",
  "KMS keys and requests",
  "Prometheus, Alertmanager and Grafana volumes",
  "Route 53 hosted zones and queries",
];

// Six decimals: cents stay exact after x730 and JSON stays free of float noise.
const round = (n: number) => Math.round(n * 1e6) / 1e6;
const add = (a: CostRange, b: CostRange): CostRange => ({ min: a.min + b.min, max: a.max + b.max });
const flat = (h: number): CostRange => ({ min: h, max: h });

/** Optional Route 53 health-check features this check uses (each is billed on top of the basic check). */
export function healthCheckFeatures(inputs: Record<string, unknown>): string[] {
  const type = String(inputs.type ?? "");
  return [
    ...(type.startsWith("HTTPS") ? ["HTTPS"] : []),
    ...(type.endsWith("_STR_MATCH") ? ["string matching"] : []),
    ...(Number(inputs.requestInterval) === 10 ? ["10 s interval"] : []),
    ...(inputs.measureLatency === true ? ["latency measurement"] : []),
  ];
}

/**
 * On-demand cost of what the plan declares, at minimum and maximum scale: nodes (and their root
 * volumes), EKS control planes, NAT gateways, network load balancers, Route 53 health checks and
 * CloudWatch alarms. Anything billable without a figure in the price file is listed as unpriced.
 */
export function estimateCost(doc: PlanDocument, prices: PriceFile, opts: EstimateOptions = {}): CostEstimate {
  const today = opts.today ?? utcDay();
  const byUrn = new Map(doc.resources.map((r) => [r.urn, r]));
  const lines: CostLine[] = [];
  const unpriced: UnpricedItem[] = [];
  const used = new Set<string>();
  const where = (r: PlanResource) => ({ region: regionOf(r, byUrn), component: componentOf(r, byUrn), resource: r.name });
  const perHour = (monthly: number) => monthly / prices.hoursPerMonth;
  const gpuPools = new Map(recordedPools(doc).pools.map((p) => [p.urn, p]));

  for (const r of doc.resources) {
    const at = where(r);
    const regional = prices.regions[at.region];
    /** A fixed hourly charge of the region (control plane, NAT gateway, load balancer). */
    const hourlyCharge = (key: "eksClusterHour" | "eksClusterExtendedHour" | "natGatewayHour" | "nlbHour", kind: CostLine["kind"], detail: string) => {
      if (!regional) {
        unpriced.push({ ...at, reason: `no prices for region ${at.region}` });
        return;
      }
      used.add(regional[key].source);
      lines.push({ ...at, kind, detail, hourly: flat(regional[key].price) });
    };
    switch (r.type) {
      case "aws:eks/nodeGroup:NodeGroup": {
        const type = ((r.inputs.instanceTypes ?? []) as string[])[0] ?? "?";
        const scaling = (r.inputs.scalingConfig ?? {}) as { minSize?: number; maxSize?: number };
        const [lo, hi] = [scaling.minSize ?? 0, scaling.maxSize ?? 0];
        const instance = instanceHourly(prices, at.region, type);
        if (!regional || !instance) {
          unpriced.push({ ...at, reason: regional ? `no on-demand price for ${type} in ${at.region}` : `no prices for region ${at.region}` });
          break;
        }
        used.add(instance.source);
        lines.push({ ...at, kind: "nodes", detail: `${lo}-${hi} x ${type}`, hourly: { min: lo * instance.price, max: hi * instance.price } });
        // Root volumes come from the node group's launch template.
        const template = (r.propertyDependencies?.launchTemplate ?? []).map((u) => byUrn.get(u)).find((t) => t?.type === "aws:ec2/launchTemplate:LaunchTemplate");
        const ebs = ((template?.inputs.blockDeviceMappings ?? []) as { ebs?: { volumeSize?: number | string; volumeType?: string } }[])[0]?.ebs;
        if (ebs?.volumeSize !== undefined) {
          const gib = Number(ebs.volumeSize);
          if (ebs.volumeType !== "gp3") {
            unpriced.push({ ...at, reason: `root volume type ${ebs.volumeType ?? "(default)"} has no price; only gp3 is listed` });
          } else {
            used.add(regional.ebsGp3GbMonth.source);
            const perNode = perHour(gib * regional.ebsGp3GbMonth.price);
            lines.push({ ...at, kind: "node volumes", detail: `${lo}-${hi} x ${gib} GiB gp3`, hourly: { min: lo * perNode, max: hi * perNode } });
          }
        }
        break;
      }
      case "kubernetes:karpenter.sh/v1:NodePool": {
        // A Karpenter GPU pool: its nodes at the plan's bounds (the NodePool's capacity annotation, as
        // resolved from config) priced on demand, and their root volumes from the pool's EC2NodeClass.
        let capacity: { instanceType?: unknown; minNodes?: unknown; maxNodes?: unknown } = {};
        try {
          capacity = JSON.parse(String(((r.inputs.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {})["llm-blueprint.io/capacity"] ?? "{}"));
        } catch {
          capacity = {};
        }
        const type = typeof capacity.instanceType === "string" ? capacity.instanceType : undefined;
        const [lo, hi] = [Number(capacity.minNodes), Number(capacity.maxNodes)];
        if (type === undefined || !Number.isFinite(lo) || !Number.isFinite(hi)) {
          unpriced.push({ ...at, reason: "GPU NodePool without its llm-blueprint.io/capacity annotation (instance type, min and max nodes)" });
          break;
        }
        const instance = instanceHourly(prices, at.region, type);
        if (!regional || !instance) {
          unpriced.push({ ...at, reason: regional ? `no on-demand price for ${type} in ${at.region}` : `no prices for region ${at.region}` });
          break;
        }
        used.add(instance.source);
        // Reserved capacity is billed whether nodes run in it or not; on-demand only for nodes beyond it;
        // spot has no figure in the price file (listed, never counted as zero).
        const pool = gpuPools.get(r.urn);
        if (!pool) {
          unpriced.push({ ...at, reason: "GPU NodePool whose capacity types or reservations cannot be read; its nodes are not priced" });
          break;
        }
        const odcrNodes = pool.reservations.filter((x) => x.kind === "on-demand-reservation").reduce((n, x) => n + x.instanceCount, 0);
        if (odcrNodes > 0) {
          lines.push({ ...at, kind: "reserved capacity", detail: `${odcrNodes} x ${type} ODCR (billed idle)`, hourly: flat(odcrNodes * instance.price) });
        }
        for (const block of pool.reservations.filter((x) => x.kind === "capacity-block")) {
          const hours = (Date.parse(block.end ?? "") - Date.parse(block.start ?? "")) / 3_600_000;
          const name = block.id ?? JSON.stringify(block.tags);
          if (block.upfrontPriceUsd === undefined || !(hours > 0)) {
            unpriced.push({ ...at, reason: `Capacity Block ${name} (${block.instanceCount} x ${type}) has no upfrontPriceUsd and window in config` });
            continue;
          }
          lines.push({ ...at, kind: "capacity block", detail: `${block.instanceCount} x ${type} block ($${block.upfrontPriceUsd}/${Math.round(hours / 24)} d)`, hourly: flat(block.upfrontPriceUsd / hours) });
        }
        const [atMin, atMax] = [nodesByCapacityType(pool, lo), nodesByCapacityType(pool, hi)];
        if (atMax.onDemand > 0) lines.push({ ...at, kind: "nodes", detail: `${atMin.onDemand}-${atMax.onDemand} x ${type}${pool.reservedNodes > 0 ? " on demand" : ""}`, hourly: { min: atMin.onDemand * instance.price, max: atMax.onDemand * instance.price } });
        if (atMax.spot > 0) unpriced.push({ ...at, reason: `${atMin.spot}-${atMax.spot} x ${type} on spot: the price file has no spot prices` });
        const spec = (r.inputs.spec ?? {}) as { template?: { spec?: { nodeClassRef?: { name?: string } } } };
        const nodeClass = doc.resources.find(
          (c) => c.type === "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass" && c.provider === r.provider && (c.inputs.metadata as { name?: string } | undefined)?.name === spec.template?.spec?.nodeClassRef?.name,
        );
        const devices = ((nodeClass?.inputs.spec as { blockDeviceMappings?: { rootVolume?: boolean; ebs?: { volumeSize?: string; volumeType?: string } }[] } | undefined)?.blockDeviceMappings ?? []);
        const ebs = (devices.find((d) => d.rootVolume) ?? devices[0])?.ebs;
        const gib = /^\d+Gi$/.test(ebs?.volumeSize ?? "") ? Number(ebs!.volumeSize!.slice(0, -2)) : undefined;
        if (gib === undefined || ebs?.volumeType !== "gp3") {
          unpriced.push({ ...at, reason: `GPU node root volume ${ebs?.volumeSize ?? "(none)"} ${ebs?.volumeType ?? ""} has no price; only gp3 sized in Gi is listed` });
        } else {
          used.add(regional.ebsGp3GbMonth.source);
          const perNode = perHour(gib * regional.ebsGp3GbMonth.price);
          lines.push({ ...at, kind: "node volumes", detail: `${lo}-${hi} x ${gib} GiB gp3`, hourly: { min: lo * perNode, max: hi * perNode } });
          // Provisioned gp3 throughput and IOPS above the baseline are billed too; the price file has no figure.
          unpriced.push({ ...at, reason: "provisioned gp3 throughput and IOPS of GPU node root volumes (above 125 MiB/s and 3000 IOPS)" });
        }
        break;
      }
      case "aws:eks/cluster:Cluster": {
        // Priced by the version calendar: an unknown or unset version is unpriced, never the standard rate.
        const version = typeof r.inputs.version === "string" ? r.inputs.version : undefined;
        const support = version === undefined ? undefined : versionSupport(version, today);
        if (!support) {
          unpriced.push({ ...at, reason: version === undefined ? "Kubernetes version unset: its support phase (standard or extended rate) is unknown" : `Kubernetes ${version} is not in the EKS version calendar (lib/k8sCalendar.ts), so its support rate is unknown` });
        } else if (support.phase === "standard") {
          hourlyCharge("eksClusterHour", "control plane", `EKS ${version} standard support until ${support.dates.endOfStandardSupport}`);
        } else if (support.phase === "extended") {
          hourlyCharge("eksClusterExtendedHour", "control plane", `EKS ${version} extended support since ${support.dates.endOfStandardSupport}`);
        } else {
          unpriced.push({ ...at, reason: describeSupport(support) });
        }
        break;
      }
      case "aws:ec2/natGateway:NatGateway":
        hourlyCharge("natGatewayHour", "NAT gateway", "hourly charge");
        break;
      case "aws:lb/loadBalancer:LoadBalancer":
        if (r.inputs.loadBalancerType !== "network") unpriced.push({ ...at, reason: `load balancer type ${String(r.inputs.loadBalancerType ?? "application")} has no price; only network is listed` });
        else hourlyCharge("nlbHour", "load balancer", "NLB hourly charge");
        break;
      case "aws:route53/healthCheck:HealthCheck": {
        const hc = prices.global.route53HealthCheckMonth;
        const features = healthCheckFeatures(r.inputs);
        used.add(hc.source);
        lines.push({ ...at, kind: "health check", detail: features.length ? features.join(", ") : "basic", hourly: flat(perHour(hc.basic + features.length * hc.perOptionalFeature)) });
        break;
      }
      case "aws:cloudwatch/metricAlarm:MetricAlarm":
        used.add(prices.global.cloudwatchAlarmMonth.source);
        lines.push({ ...at, kind: "alarm", detail: "standard resolution", hourly: flat(perHour(prices.global.cloudwatchAlarmMonth.price)) });
        break;
    }
  }

  const rounded = lines.map((l) => ({ ...l, hourly: { min: round(l.hourly.min), max: round(l.hourly.max) } }));
  const hourly = lines.reduce((acc, l) => add(acc, l.hourly), flat(0));
  const byRegion: Record<string, CostRange> = {};
  for (const l of lines) byRegion[l.region] = add(byRegion[l.region] ?? flat(0), l.hourly);
  return {
    currency: "USD",
    hoursPerMonth: prices.hoursPerMonth,
    pricesRead: [...used].map((s) => prices.sources[s].read).sort().pop() ?? "",
    lines: rounded,
    unpriced,
    total: { hourly: { min: round(hourly.min), max: round(hourly.max) }, monthly: { min: round(hourly.min * prices.hoursPerMonth), max: round(hourly.max * prices.hoursPerMonth) } },
    byRegion: Object.fromEntries(Object.entries(byRegion).map(([k, v]) => [k, { min: round(v.min), max: round(v.max) }])),
    notEstimated: NOT_ESTIMATED,
    asOf: today,
  };
}
