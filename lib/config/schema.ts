import { z } from "zod";
import type { RolloutPolicy } from "../rollout";
import { CLOUDWATCH_RETENTION_DAYS, SUPPORTED_KUBERNETES_VERSIONS } from "../baseline";
import { authIssues, DEFAULT_CLIENT_CLAIM, DEFAULT_REQUESTS_PER_MINUTE, ServingAuth, ServingRateLimit } from "../auth";
import { CONNECTION_ARN, GITHUB_REPOSITORY } from "../ci";
import { cidrsOverlap, parseIpv4Cidr } from "../cidr";
import { GPU_CLASSES, GPU_CLASS_SPECS, GpuClass, instanceTypesOf } from "../gpu";
import { didYouMean } from "../nearest";
import { AWS_REGIONS, azProblem, isAwsRegion } from "../regions";
import type { TrackSpec } from "../serving";
import { trafficIssues } from "./traffic";
import { HEALTH_CHECK_INTERVALS, NLB_TLS_IDLE_TIMEOUT_SECONDS, RegionRouting, ROUTING_MODES, RoutingMode } from "../traffic";

/**
 * The whole stack configuration, one schema. Keys are the stack file's config keys without the
 * project namespace (`llm-blueprint:regions` -> `regions`). Every object is strict: an unknown key
 * is an error, because a typo in a stack file must not silently fall back to a default.
 */

/** A strict object whose unknown-key error names the nearest valid key and lists the keys that are allowed. */
function strictObject<T extends z.ZodRawShape>(shape: T, removed: Readonly<Record<string, string>> = {}) {
  const keys = Object.keys(shape);
  const allowed = keys.join(", ");
  // A removed key gets its own message (what replaced it) instead of "unknown key".
  const removedKeys = Object.fromEntries(Object.entries(removed).map(([k, message]) => [k, z.unknown().refine((v) => v === undefined, { error: message }).optional()]));
  return z.strictObject({ ...shape, ...removedKeys } as T, {
    error: (iss) =>
      iss.code === "unrecognized_keys"
        ? `unknown key${iss.keys.length > 1 ? "s" : ""} ${iss.keys.map((k) => `"${k}"${didYouMean(k, keys)}`).join(", ")}; allowed keys: ${allowed}`
        : undefined,
  });
}

/** A real region code (lib/regions.ts, from the pinned provider's Region enum). */
const awsRegion = z.string().refine(isAwsRegion, {
  error: (iss) => `"${String(iss.input)}" is not an AWS region${typeof iss.input === "string" ? didYouMean(iss.input, AWS_REGIONS) : ""}; use a region code such as us-east-1 (lib/regions.ts lists them)`,
});

/**
 * Upper bounds that catch a typo (an extra digit) before it becomes a bill. Nodes per managed node
 * group: EKS service quota "Nodes per managed node group" = 450 (https://docs.aws.amazon.com/eks/latest/userguide/service-quotas.html, read 2026-11-25).
 */
export const MAX_NODES_PER_POOL = 450;
/** Replicas of one track of one served model in one region. */
export const MAX_REPLICAS = 64;

const cidr = z.string().superRefine((value, ctx) => {
  try {
    parseIpv4Cidr(value);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: `${(err as Error).message}` });
  }
});

const size = (what: string) =>
  z
    .number()
    .int(`${what} must be a whole number`)
    .min(0, `${what} must be 0 or more`)
    .max(MAX_NODES_PER_POOL, `${what} must be at most ${MAX_NODES_PER_POOL} (EKS nodes per managed node group)`);

export const SYSTEM_POOL_DEFAULTS = { instanceType: "m7i.xlarge", minSize: 2, maxSize: 4, desiredSize: 2, diskSizeGiB: 100 };

const systemPoolSchema = strictObject({
  /** @default "m7i.xlarge" */
  instanceType: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "must be an EC2 instance type such as m7i.xlarge").default(SYSTEM_POOL_DEFAULTS.instanceType),
  /** @default 2 */
  minSize: size("minSize").min(1, "the system pool needs at least 1 node: cluster add-ons run there").default(SYSTEM_POOL_DEFAULTS.minSize),
  /** @default 4 */
  maxSize: size("maxSize").default(SYSTEM_POOL_DEFAULTS.maxSize),
  /** @default 2 */
  desiredSize: size("desiredSize").default(SYSTEM_POOL_DEFAULTS.desiredSize),
  /** @default 100 */
  diskSizeGiB: z.number().int().min(20).max(16384).default(SYSTEM_POOL_DEFAULTS.diskSizeGiB),
});

/** Root volume defaults sized for model caches: H100 nodes pull 100-400 GB checkpoints, L4 nodes smaller ones. */
export const GPU_DISK_DEFAULT_GIB: Readonly<Record<GpuClass, number>> = { h100: 1024, l4: 500 };

/** EC2 capacity reservation id (ODCR or Capacity Block), the pattern of Karpenter's EC2NodeClass CRD (karpenter.k8s.aws_ec2nodeclasses.yaml, v1.14.1). */
const capacityReservationId = z.string().regex(/^cr-[0-9a-z]+$/, 'must be a capacity reservation id such as "cr-0123456789abcdef0"');
/** Reservation tags, as Karpenter's capacityReservationSelectorTerms[].tags accepts them (at most 20, no empty key or value). */
const reservationTags = z
  .record(z.string().min(1, "tag keys must not be empty"), z.string().min(1, "tag values must not be empty; Karpenter refuses them"))
  .refine((t) => Object.keys(t).length >= 1 && Object.keys(t).length <= 20, "list 1 to 20 tags");
const isoInstant = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 instant with its zone, such as "2027-01-04T11:30:00Z"' });

/** A reservation a GPU pool uses before on-demand: selected by id or by tags, in one zone of the region. */
const reservationSchema = z.discriminatedUnion(
  "type",
  [
    strictObject({
      /** An On-Demand Capacity Reservation (billed while it exists, used or not). */
      type: z.literal("on-demand-reservation"),
      id: capacityReservationId.optional(),
      tags: reservationTags.optional(),
      /** Zone of the reservation; the pool's nodes are pinned to the zones of its reservations. */
      availabilityZone: z.string(),
      /** Instances reserved: the nodes of the pool that run on reserved capacity. */
      instanceCount: z.number().int().min(1).max(MAX_NODES_PER_POOL),
    }),
    strictObject({
      /** An EC2 Capacity Block for ML: a fixed window, paid upfront. */
      type: z.literal("capacity-block"),
      id: capacityReservationId.optional(),
      tags: reservationTags.optional(),
      availabilityZone: z.string(),
      instanceCount: z.number().int().min(1).max(MAX_NODES_PER_POOL),
      /** Window start and end as EC2 reports them; the plan refuses a block that has ended and warns 14 days before. */
      start: isoInstant,
      end: isoInstant,
      /** Upfront price of the whole block in USD, for the cost estimate. @default unpriced */
      upfrontPriceUsd: z.number().positive().optional(),
    }),
  ],
  { error: (iss) => (iss.code === "invalid_union" ? 'type must be "on-demand-reservation" or "capacity-block"' : undefined) },
);

/**
 * How a GPU pool gets capacity, in Karpenter's order: its reservations, then spot when opted in (L4 only;
 * Karpenter prefers spot to on-demand), then on-demand (lib/capacity.ts).
 */
const gpuCapacitySchema = strictObject({
  /** Reservations used first. @default [] */
  reservations: z.array(reservationSchema).max(30, "Karpenter accepts at most 30 capacity reservation selector terms").default([]),
  /** Launch on-demand when the reservations (and spot, if allowed) are used up or absent. @default true */
  onDemand: z.boolean().default(true),
  /** Allow spot, which Karpenter then prefers to on-demand: for L4 pools of models that tolerate a node's loss; never for h100. @default false */
  spot: z.boolean().default(false),
});
export const GPU_CAPACITY_DEFAULTS = { reservations: [], onDemand: true, spot: false };

const gpuPoolSchema = strictObject(
  {
  /** Pool name, unique within its region. @default the GPU class */
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,30}$/, "must be lower-case letters, digits and dashes, starting with a letter, at most 31 characters")
    .optional(),
  class: z.enum(GPU_CLASSES, { error: (iss) => `"${String(iss.input)}" is not a GPU class; allowed: ${GPU_CLASSES.join(", ")}` }),
  /** The instance type served models are sized for (lib/sizing.ts). */
  instanceType: z.string(),
  /**
   * Instance types Karpenter may launch for the pool, all of its class with the GPUs per node of
   * `instanceType` (so the pool's GPU limit is a node count). @default [instanceType]
   */
  instanceTypes: z.array(z.string()).min(1).optional(),
  /** Nodes the served models' minimum replicas keep (Karpenter has no floor; it is the capacity plan's minimum). 0 scales to zero. */
  minSize: size("minSize"),
  /** Most nodes: the NodePool's nvidia.com/gpu limit is maxSize x GPUs per node. */
  maxSize: size("maxSize").min(1, "maxSize must be at least 1"),
  /** Root volume size. @default 1024 for h100, 500 for l4 */
  diskSizeGiB: z.number().int().min(100, "must be at least 100 GiB: the pool caches model weights").max(16384).optional(),
  /** @default { reservations: [], onDemand: true, spot: false } */
  capacity: gpuCapacitySchema.default({ ...GPU_CAPACITY_DEFAULTS }),
  },
  {
    capacityType:
      'was replaced by capacity (Karpenter picks capacity types in order): CAPACITY_BLOCK -> capacity.reservations[] with type "capacity-block", id or tags, availabilityZone, instanceCount, start, end; SPOT -> capacity.spot: true (L4 only); ON_DEMAND -> the default (capacity.onDemand: true)',
    desiredSize: "was for managed node groups; Karpenter launches GPU nodes for pending pods, so remove it (minSize and maxSize remain)",
  },
);

const regionSchema = strictObject({
  region: awsRegion,
  vpcCidr: cidr.refine((v) => {
    try {
      const p = parseIpv4Cidr(v).prefix;
      return p >= 16 && p <= 20;
    } catch {
      return true; // already reported by the cidr check
    }
  }, "the VPC block must be between /16 and /20 so that 3+ AZs of node subnets fit"),
  /** Explicit zones keep plans deterministic and let you pick zones that have p5 capacity. At least 3. */
  availabilityZones: z.array(z.string()).min(3, "at least 3 availability zones are required for a highly available control plane and nodes"),
  /** NAT gateways: one per AZ, or a single shared one. @default "perAz" in prod, "single" otherwise */
  natGateways: z.enum(["perAz", "single"]).optional(),
  /** Days VPC flow logs are kept in CloudWatch, one of its retention values. @default 365 */
  flowLogRetentionDays: z
    .number()
    .refine((d) => (CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(d), { message: `must be a CloudWatch retention value: ${CLOUDWATCH_RETENTION_DAYS.join(", ")}` })
    .default(365),
  /** @default the system pool defaults */
  systemPool: systemPoolSchema.default({ ...SYSTEM_POOL_DEFAULTS }),
  gpuPools: z.array(gpuPoolSchema).min(1, "a region needs at least one GPU pool"),
  /**
   * Secrets Manager secret of this region named `ecr-pullthroughcache/...` holding the Docker Hub
   * `username` and `accessToken`: Docker Hub pull-through requires one, in the rule's own region (ECR
   * user guide, "Creating a pull through cache rule", read 2026-11-25). With it the region's ECR cache
   * mirrors the vLLM image and the pods pull it in-region. @default no Docker Hub cache (pods pull upstream)
   */
  dockerHubCredentialArn: z
    .string()
    .regex(/^arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:ecr-pullthroughcache\/[A-Za-z0-9/_+=.@-]+$/, "must be the ARN of a Secrets Manager secret named ecr-pullthroughcache/... (the ECR pull-through cache credential)")
    .optional(),
});

const ROLE_ARN = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, "must be an IAM role ARN");

const clusterSchema = strictObject({
  /** Kubernetes minor version, pinned. Quote it in YAML ("1.33"), or it reads as a number. */
  kubernetesVersion: z.enum(SUPPORTED_KUBERNETES_VERSIONS as [string, ...string[]], {
    error: (iss) =>
      `${typeof iss.input === "number" ? `${iss.input} is a number; quote it in YAML. ` : `"${String(iss.input)}" is not supported. `}allowed: ${SUPPORTED_KUBERNETES_VERSIONS.map((v) => `"${v}"`).join(", ")}`,
  }),
  /**
   * CIDRs allowed to reach the public API endpoint. Empty turns the public endpoint off and leaves only the
   * private one. @default []
   */
  publicAccessCidrs: z
    .array(
      cidr.refine((v) => !v.endsWith("/0"), "a /0 block opens the API server to the internet; list your office or CI egress CIDRs"),
    )
    .default([]),
  /** IAM role ARNs granted cluster admin through EKS access entries. @default [] */
  adminRoleArns: z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, "must be an IAM role ARN")).default([]),
  /**
   * The IAM roles CI jobs assume (GitHub OIDC) to deploy, preview and drift-check the serving project,
   * each given its own access entry with the narrowest access policy that does its job (lib/access.ts).
   * Required when the API endpoint is private-only: nothing else can reach the cluster. @default {}
   */
  ciPrincipals: strictObject({
    deploy: ROLE_ARN.optional(),
    preview: ROLE_ARN.optional(),
    drift: ROLE_ARN.optional(),
  }).default({}),
  /** Retention of control-plane logs in CloudWatch. @default 90 */
  logRetentionDays: z
    .number()
    .refine((d) => (CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(d), {
      message: `must be a CloudWatch retention value: ${CLOUDWATCH_RETENTION_DAYS.join(", ")}`,
    })
    .default(90),
});

/** Model registry buckets, one per region. */
const registrySchema = strictObject({
  /** Default retention for new objects (WORM). Set only at bucket creation. @default none */
  objectLock: strictObject({
    mode: z.enum(["GOVERNANCE", "COMPLIANCE"]),
    days: z.number().int().min(1).max(36500),
  }).optional(),
  /** Days before a superseded object version is deleted. @default 90 */
  noncurrentVersionDays: z.number().int().min(1).max(3650).default(90),
  /** Days server access logs are kept. @default 365 */
  accessLogDays: z.number().int().min(1).max(3650).default(365),
});

/** A YYYY-MM-DD string that names a real day (2026-02-31 does not). */
const isCalendarDay = (d: string) => {
  const t = Date.parse(`${d}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d;
};

/** `name@revision`: a catalog entry by its full commit SHA. Tags, branches and "latest" float, so they are refused. */
export const versionRefSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,62}@[0-9a-f]{40}$/, 'must be "<model>@<40-hex commit SHA>" as listed in the catalog; tags, branches and "latest" are not allowed');

const servedModelSchema = strictObject({
  /** Endpoint name: the OpenAI `model` clients send, the namespace and the route. */
  name: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, "must be 1-40 lower-case letters, digits or dashes, starting with a letter"),
  gpuClass: z.enum(GPU_CLASSES, { error: (iss) => `"${String(iss.input)}" is not a GPU class; allowed: ${GPU_CLASSES.join(", ")}` }),
  /** GPU pool to run on, by name. @default the region's first pool of gpuClass */
  pool: z.string().optional(),
  /** Regions that serve it. @default every region */
  regions: z.array(z.string()).min(1).optional(),
  /**
   * The version this endpoint should serve. Changing it is the whole rollout: Flagger runs the new
   * version as its canary through `rollout.steps` and promotes it, or rolls it back (lib/rollout.ts).
   */
  version: versionRefSchema,
  /**
   * A version receiving a mirrored copy of requests; its responses are discarded. Flagger's mirror
   * (Canary spec.service.mirror, v1.44.0) copies only the backendRef, so every request is mirrored:
   * `percent` must be 100 until it carries a fraction.
   */
  shadow: strictObject({
    version: versionRefSchema,
    percent: z.number().int().min(1).max(100),
    /** The shadow's own minimum replicas per region; its maximum follows its percent. @default 1 */
    minReplicas: z.number().int().min(1).default(1),
  }).optional(),
  /**
   * The version `version` replaced, kept warm (its own Deployment and Service, never routed to) for
   * `rollout.keepPreviousWarm` from `since`, so a rollback needs no cold start. Set it in the same
   * change as `version`; in prod a plan against the deployed baseline (`--diff`) refuses a version
   * change without it. `serve: true` is the emergency rollback: every request goes to it at once.
   * @default none
   */
  previous: strictObject({
    version: versionRefSchema,
    /** Day `version` changed, UTC, quoted ("2026-11-25"); the warm window starts there. */
    since: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a quoted UTC day "YYYY-MM-DD"').refine((d) => !/^\d{4}-\d{2}-\d{2}$/.test(d) || isCalendarDay(d), "is not a calendar day"),
    /** Replicas kept warm per region; a rollback starts from these and scales like the primary. @default replicas.min */
    minReplicas: z.number().int().min(1).optional(),
    /** Emergency rollback: route every request of the endpoint to this version now. @default false */
    serve: z.boolean().default(false),
  }).optional(),
  /** How a change of `version` is rolled out. @default lib/rollout.ts DEFAULT_ROLLOUT */
  rollout: strictObject({
    /** Canary weights in percent, growing, each 1-99; promotion follows the last. @default [1, 5, 25, 50] */
    steps: z.array(z.number().int().min(1).max(99)).min(1).optional(),
    /** Analysis interval per step (Flagger's pattern <n>s or <n>m). @default "10m" */
    interval: z.string().regex(/^\d+(s|m)$/, 'must be <n>s or <n>m, such as "10m"').optional(),
    /** Failed checks that roll the canary back. @default 2 */
    failedChecks: z.number().int().min(1).max(20).optional(),
    /** Gate thresholds; ratios are canary over primary. */
    gates: strictObject({
      /** @default 1.2 */
      ttftP99MaxRatio: z.number().min(1).max(10).optional(),
      /** @default 1.2 */
      tpotP99MaxRatio: z.number().min(1).max(10).optional(),
      /** @default 1 */
      vllmErrorRateMaxPercent: z.number().min(0).max(100).optional(),
      /** @default 1 */
      gatewayErrorRateMaxPercent: z.number().min(0).max(100).optional(),
      /** A score the model's evaluation pipeline exports to Prometheus, per pod, and its floor. @default none */
      quality: strictObject({ metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "must be a Prometheus metric name"), min: z.number() }).optional(),
    }).optional(),
    /** Emergency only: promote `version` at once, without analysis (Flagger skipAnalysis). @default false */
    skipAnalysis: z.boolean().optional(),
    /** How long `previous` stays warm after the change, whole days; "0d" keeps none. @default "7d" */
    keepPreviousWarm: z.string().regex(/^\d{1,2}d$/, 'must be whole days such as "7d" (at most 99d), or "0d"').optional(),
  }).optional(),
  /** Replica bounds of each track. @default { min: 1, max: 2 } */
  replicas: strictObject({ min: z.number().int().min(1).max(MAX_REPLICAS, `must be at most ${MAX_REPLICAS} replicas per track and region`), max: z.number().int().min(1).max(MAX_REPLICAS, `must be at most ${MAX_REPLICAS} replicas per track and region`) }).default({ min: 1, max: 2 }),
  /** Waiting requests per replica the autoscaler aims for (vllm:num_requests_waiting). @default 8 */
  targetWaitingRequests: z.number().int().min(1).max(1000).default(8),
});

const servingSchema = strictObject({
  /** Model catalog, relative to the project directory. @default "models/catalog.yaml" */
  catalogFile: z.string().default("models/catalog.yaml"),
  /** vLLM OpenAI server image, pinned by digest. */
  vllmImage: z.string().regex(/^[a-z0-9][a-z0-9./_-]*(:[\w.-]+)?@sha256:[0-9a-f]{64}$/, "must be pinned by digest: <repository>[:tag]@sha256:<64 hex>"),
  /** Prometheus the autoscalers query. @default the kube-prometheus-stack service of the observability stack */
  prometheusUrl: z.url().default("http://kube-prometheus-stack-prometheus.monitoring.svc:9090"),
  models: z.array(servedModelSchema).min(1, "list at least one served model, or leave serving out"),
  /**
   * How clients authenticate at the gateway (lib/auth.ts). Required: "jwt" verifies tokens of your OIDC
   * issuer against its public JWKS (no secret in the cluster, config or state); "none" serves anyone
   * and is allowed only in dev, with `acknowledgeUnauthenticated: true`, and the plan warns about it.
   */
  auth: z.discriminatedUnion(
    "type",
    [
      strictObject({
        type: z.literal("jwt"),
        issuer: z.string().regex(/^https:\/\/[^\s]+$/, "must be the issuer's https URL, as the tokens' iss claim carries it").max(253),
        jwksUri: z.string().regex(/^https:\/\/[^\s]+$/, "must be an https URL of the issuer's JSON Web Key Set").max(253),
        audiences: z.array(z.string().min(1)).min(1, "list at least one audience: without one, any token the issuer signs for any service is accepted").max(8, "Envoy Gateway accepts at most 8 audiences"),
        /** @default "sub" */
        clientClaim: z.string().regex(/^[A-Za-z0-9_:.-]+$/, "must be a claim name (nested claims with dots)").default(DEFAULT_CLIENT_CLAIM),
      }),
      strictObject({
        type: z.literal("none"),
        acknowledgeUnauthenticated: z.literal(true, { error: "must be true: serving without authentication is a choice you state, in dev only" }),
      }),
    ],
    { error: (iss) => (iss.code === "invalid_union" ? 'is required: set type "jwt" (issuer, jwksUri, audiences) or, in dev only, type "none" with acknowledgeUnauthenticated: true' : undefined) },
  ),
  /**
   * Per-client request limit at the gateway. Local to each gateway proxy replica (no Redis), so a client
   * spread over the replicas gets up to replicas x this. Token-based limits need Envoy Gateway's global
   * limiter and response cost, which local limits do not support (lib/auth.ts). @default { requestsPerMinute: 60 }
   */
  rateLimit: strictObject({
    /** @default 60 */
    requestsPerMinute: z.number().int().min(1).max(1_000_000).default(DEFAULT_REQUESTS_PER_MINUTE),
  }).default({ requestsPerMinute: DEFAULT_REQUESTS_PER_MINUTE }),
});

const trafficSchema = strictObject({
  /** Public hosted zone the global and regional names live in. */
  zone: strictObject({
    id: z.string().regex(/^Z[A-Z0-9]{1,31}$/, "must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ"),
    name: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, "must be a lower-case DNS name such as inference.example.com"),
  }),
  /** failover (active-passive), latency (active-active) or weighted (drainable by weight). */
  routing: z.enum(ROUTING_MODES, { error: (iss) => `"${String(iss.input)}" is not a routing mode; allowed: ${ROUTING_MODES.join(", ")}` }),
  /** Per-region role (failover), weight (weighted) or drain flag. @default {} */
  regions: z
    .record(
      z.string(),
      strictObject({
        /** failover only, required there: "none" keeps a region out of the global names (regional name only). */
        role: z.enum(["primary", "secondary", "none"]).optional(),
        weight: z.number().int().min(0).max(255).optional(),
        /** Take the region out of the global names: weight 0 (weighted) or no record (latency). */
        drain: z.boolean().default(false),
      }),
    )
    .default({}),
  healthCheck: strictObject({
    /** Route 53 supports 10 (fast) or 30 (standard) seconds. @default 10 */
    intervalSeconds: z.number().refine((v) => (HEALTH_CHECK_INTERVALS as readonly number[]).includes(v), `must be ${HEALTH_CHECK_INTERVALS.join(" or ")} (Route 53 health-check intervals)`).default(10),
    /** Consecutive failures before a region counts as down. @default 3 */
    failureThreshold: z.number().int().min(1).max(10).default(3),
    /** Probed over HTTPS with a string match on the model name. @default "/v1/models" */
    path: z.string().regex(/^\/[\w./-]*$/, "must be an absolute URL path").default("/v1/models"),
  }).default({ intervalSeconds: 10, failureThreshold: 3, path: "/v1/models" }),
  /** TTL of the global CNAME records: the DNS term of the recovery time. @default 15 */
  recordTtlSeconds: z.number().int().min(5).max(300).default(15),
  /**
   * Route timeout of every model behind the regional NLBs. Their TLS listeners close a connection
   * idle for 350 s (fixed by AWS), so a longer timeout would end silent long generations in a reset
   * instead of a 504. @default 300
   */
  requestTimeoutSeconds: z
    .number()
    .int()
    .min(30)
    .max(NLB_TLS_IDLE_TIMEOUT_SECONDS, `must be at most ${NLB_TLS_IDLE_TIMEOUT_SECONDS}: the regional NLB's TLS listener closes connections idle for ${NLB_TLS_IDLE_TIMEOUT_SECONDS} s and AWS does not let it be raised`)
    .default(300),
  /** Client CIDRs allowed to reach the regional load balancers. @default ["0.0.0.0/0"] */
  allowedCidrs: z.array(cidr).min(1).default(["0.0.0.0/0"]),
  /** Load balancer deletion protection. @default true in prod */
  deletionProtection: z.boolean().optional(),
  /** Days the regional NLBs' access logs (TLS connections: client, SNI, bytes) are kept in their bucket. @default 365 */
  accessLogDays: z.number().int().min(1).max(3650).default(365),
  /**
   * The public names and the regions that answer for each: the DNS records, certificates' names and
   * health checks the platform project owns. The serving project may only serve a model in a region
   * listed here. Required in the platform project; in one stack (InferenceBlueprint) it defaults to
   * the served models' placements. @default from serving.models
   */
  endpoints: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, "must be 1-40 lower-case letters, digits or dashes, starting with a letter"), z.array(z.string()).min(1, "list at least one region")).optional(),
  /** Emails subscribed to the health-check alarm topic (us-east-1). @default [] */
  alarmEmails: z.array(z.email()).default([]),
});

/** In-VPC CI runners (CodeBuild-hosted GitHub Actions runners) the serving project's jobs run on. */
const ciSchema = strictObject({
  /** The repository whose workflow jobs the runners take, "owner/name". */
  githubRepository: z.string().regex(GITHUB_REPOSITORY, "must be a GitHub repository as owner/name"),
  /** CodeConnections (or CodeStar Connections) connection to GitHub the runner projects authenticate with. */
  githubConnectionArn: z.string().regex(CONNECTION_ARN, "must be a CodeConnections connection ARN such as arn:aws:codeconnections:us-east-1:123456789012:connection/<uuid>"),
  /** Build log retention of the runner projects, days. @default 365 */
  logRetentionDays: z.number().refine((d) => (CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(d), { message: `must be a CloudWatch retention value: ${CLOUDWATCH_RETENTION_DAYS.join(", ")}` }).default(365),
});

const duration = z.string().regex(/^\d+[smh]$/, 'must be a Prometheus duration such as "5m" or "2h"');
const sloSchema = strictObject({
  /** p99 time to first token, seconds. */
  ttftP99Seconds: z.number().positive().max(600),
  /** p99 time per output token, seconds. */
  tpotP99Seconds: z.number().positive().max(10),
  /** Share of 5xx answers, percent. */
  errorRatePercent: z.number().gt(0).max(100),
});
export const DEFAULT_SLO = { ttftP99Seconds: 2, tpotP99Seconds: 0.1, errorRatePercent: 1 };
export const DEFAULT_ALERTS = { queueDepthPerReplica: 10, kvCacheUsage: 0.9, latencyFor: "10m", saturationFor: "10m", idleGpuFor: "2h" };

const observabilitySchema = strictObject({
  /** Prometheus retention. @default 15 */
  retentionDays: z.number().int().min(1).max(90).default(15),
  /** Prometheus volume (gp3, encrypted). @default 100 */
  storageGiB: z.number().int().min(20).max(4096).default(100),
  /** CloudWatch retention of container logs. @default 90 */
  logRetentionDays: z
    .number()
    .refine((d) => (CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(d), { message: `must be a CloudWatch retention value: ${CLOUDWATCH_RETENTION_DAYS.join(", ")}` })
    .default(90),
  /**
   * Where Alertmanager sends alerts: an SNS topic the stack creates (no credential to keep), or
   * Slack / PagerDuty with the webhook URL or routing key in the secret `alertReceiverSecret`.
   * @default { type: "sns" }
   */
  receiver: z
    .discriminatedUnion("type", [
      strictObject({ type: z.literal("sns") }),
      strictObject({ type: z.literal("slack"), channel: z.string().regex(/^#[a-z0-9_-]{1,80}$/, 'must be a channel name such as "#llm-oncall"') }),
      strictObject({ type: z.literal("pagerduty") }),
    ], { error: (iss) => (iss.code === "invalid_union" ? 'type must be one of "sns", "slack", "pagerduty"' : undefined) })
    .default({ type: "sns" }),
  /** Addresses subscribed to the SNS alert topic (email subscriptions, confirmed by the recipient). @default [] */
  alertEmails: z.array(z.email()).default([]),
  /** SLO of endpoints not listed in `slos`. @default { ttftP99Seconds: 2, tpotP99Seconds: 0.1, errorRatePercent: 1 } */
  defaultSlo: sloSchema.default(DEFAULT_SLO),
  /** Per served endpoint (by name). @default {} */
  slos: z.record(z.string(), sloSchema).default({}),
  alerts: strictObject({
    queueDepthPerReplica: z.number().positive().default(DEFAULT_ALERTS.queueDepthPerReplica),
    kvCacheUsage: z.number().gt(0).max(1).default(DEFAULT_ALERTS.kvCacheUsage),
    latencyFor: duration.default(DEFAULT_ALERTS.latencyFor),
    saturationFor: duration.default(DEFAULT_ALERTS.saturationFor),
    idleGpuFor: duration.default(DEFAULT_ALERTS.idleGpuFor),
  }).default(DEFAULT_ALERTS),
});

export const stackConfigSchema = strictObject({
  environment: z.enum(["dev", "staging", "prod"]),
  /** Prefix of physical names. @default "llm" */
  namePrefix: z.string().regex(/^[a-z][a-z0-9-]{1,15}$/, "must be 2-16 lower-case letters, digits or dashes").default("llm"),
  /** Tags applied to every AWS resource through each regional provider's defaultTags. @default {} */
  tags: z.record(z.string(), z.string()).default({}),
  cluster: clusterSchema,
  regions: z.array(regionSchema).min(1, "at least one region is required"),
  /** @default versioned, KMS-encrypted buckets, no Object Lock, 90 days of noncurrent versions */
  registry: registrySchema.default({ noncurrentVersionDays: 90, accessLogDays: 365 }),
  /** Served models; leave out for a cluster-only stack. */
  serving: servingSchema.optional(),
  /**
   * Hugging Face token for profiles that set `huggingFaceToken: true`. Set it with
   * `pulumi config set --secret huggingFaceToken`; it reaches pods only as a mounted file.
   */
  huggingFaceToken: z.string().min(1).optional(),
  /**
   * Slack webhook URL or PagerDuty routing key for `observability.receiver`. Set it with
   * `pulumi config set --secret alertReceiverSecret`; Alertmanager reads it from a mounted Secret.
   */
  alertReceiverSecret: z.string().min(1).optional(),
  /** Global DNS names per served model with health-checked failover between regions. */
  traffic: trafficSchema.optional(),
  /** In-VPC CI runners per region; required when the cluster API is private-only. */
  ci: ciSchema.optional(),
  /**
   * Monthly on-demand cost ceiling in USD. The offline plan turns an estimate above it (every pool at
   * maxSize) into a mandatory violation "cost-ceiling". @default no ceiling
   */
  costCeilingUsdPerMonth: z
    // A top-level scalar reaches the program as text, as `pulumi config set` stores it.
    .preprocess((v) => (typeof v === "string" && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v), z.number().positive("must be a positive number of USD per month").max(10_000_000, "must be at most 10000000 USD per month"))
    .optional(),
  /**
   * EC2 vCPU quotas: the plan prints what each region needs at maximum; with `requestIncreases` the
   * platform also requests each quota at that value (Service Quotas). @default { requestIncreases: false }
   */
  quotas: strictObject({ requestIncreases: z.boolean().default(false) }).default({ requestIncreases: false }),
  /** Metrics, dashboards, alerts and logs in every cluster. @default on, with the documented defaults */
  observability: observabilitySchema.default({ retentionDays: 15, storageGiB: 100, logRetentionDays: 90, receiver: { type: "sns" }, alertEmails: [], defaultSlo: DEFAULT_SLO, slos: {}, alerts: DEFAULT_ALERTS }),
  /**
   * Deletes and replacements the offline plan's prod gate data-loss-not-allowed lets through: each
   * entry names the URN of a protected, retained or data-holding resource this change deletes or
   * replaces, and why. Either project's stack file may carry entries for its own resources; an entry
   * the change does not need fails the plan (remove it once the change is deployed). @default none
   */
  dataLossAllowList: z
    .array(strictObject({ urn: z.string().startsWith("urn:pulumi:", 'must be a resource URN ("urn:pulumi:<stack>::<project>::<type>::<name>")'), reason: z.string().trim().min(1, "say why this data may go") }))
    .optional(),
}).superRefine((cfg, ctx) => {
  for (const issue of [...crossCheckIssues(cfg), ...trafficIssues(cfg), ...receiverIssues(cfg), ...authIssues(cfg)]) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
});

/** A Slack or PagerDuty receiver needs its secret; email subscriptions only reach an SNS topic. */
function receiverIssues(cfg: { observability: { receiver: { type: string }; alertEmails: string[] }; alertReceiverSecret?: string }): CrossCheckIssue[] {
  const { receiver, alertEmails } = cfg.observability;
  const issues: CrossCheckIssue[] = [];
  if (receiver.type !== "sns" && cfg.alertReceiverSecret === undefined) {
    const what = receiver.type === "slack" ? "Slack webhook URL" : "PagerDuty routing key";
    issues.push({ path: ["alertReceiverSecret"], message: `is required by observability.receiver.type "${receiver.type}": set the ${what} with \`pulumi config set --secret alertReceiverSecret <value>\`` });
  }
  if (receiver.type !== "sns" && alertEmails.length > 0) issues.push({ path: ["observability", "alertEmails"], message: `subscribe to the SNS topic, which only exists with receiver.type "sns" (this stack uses "${receiver.type}")` });
  return issues;
}

export interface CrossCheckIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/**
 * Rules that relate several keys (duplicate regions, CIDR overlap, instance type vs class, sizes).
 * Written against unknown input so that they also run when other keys fail to parse: a stack file
 * with a typo in one place still gets every cross-key problem reported in the same run.
 */
export function crossCheckIssues(cfg: unknown): CrossCheckIssue[] {
  const issues: CrossCheckIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });
  const regions = isObj(cfg) && Array.isArray(cfg.regions) ? cfg.regions : [];
  const seen = new Map<string, number>();
  regions.forEach((r: unknown, i) => {
    if (!isObj(r)) return;
    const region = str(r.region);
    if (region !== undefined) {
      const first = seen.get(region);
      if (first !== undefined) add(["regions", i, "region"], `duplicates regions[${first}] ("${region}"); each region may appear once`);
      else seen.set(region, i);
    }
    const azs = Array.isArray(r.availabilityZones) ? r.availabilityZones : [];
    azs.forEach((az: unknown, j) => {
      const problem = region !== undefined && isAwsRegion(region) && typeof az === "string" ? azProblem(region, az) : undefined;
      if (problem) add(["regions", i, "availabilityZones", j], problem);
    });
    if (new Set(azs).size !== azs.length) add(["regions", i, "availabilityZones"], "lists a zone twice; each zone may appear once");
    const sp = isObj(r.systemPool) ? r.systemPool : {};
    const spMin = num(sp.minSize) ?? SYSTEM_POOL_DEFAULTS.minSize;
    const spMax = num(sp.maxSize) ?? SYSTEM_POOL_DEFAULTS.maxSize;
    const spDesired = num(sp.desiredSize) ?? SYSTEM_POOL_DEFAULTS.desiredSize;
    if (spMin > spMax) add(["regions", i, "systemPool", "minSize"], `minSize ${spMin} is greater than maxSize ${spMax}`);
    else if (spDesired < spMin || spDesired > spMax) add(["regions", i, "systemPool", "desiredSize"], `desiredSize ${spDesired} must lie between minSize ${spMin} and maxSize ${spMax}`);
    const credential = str(r.dockerHubCredentialArn);
    const credentialRegion = credential?.split(":")[3];
    if (credential !== undefined && region !== undefined && credentialRegion !== undefined && credentialRegion !== region) {
      add(["regions", i, "dockerHubCredentialArn"], `the secret is in ${credentialRegion}, but a pull-through rule reads its credential from its own region ${region}; replicate the secret to ${region} and use that ARN`);
    }
    const poolNames = new Map<string, number>();
    (Array.isArray(r.gpuPools) ? r.gpuPools : []).forEach((p: unknown, j) => {
      if (!isObj(p)) return;
      const at = (key: string) => ["regions", i, "gpuPools", j, key];
      const cls = (GPU_CLASSES as readonly unknown[]).includes(p.class) ? (p.class as GpuClass) : undefined;
      const instanceType = str(p.instanceType);
      if (cls && instanceType !== undefined && !instanceTypesOf(cls).includes(instanceType)) {
        add(at("instanceType"), `"${instanceType}" is not a ${GPU_CLASS_SPECS[cls].product} instance type; allowed for class ${cls}: ${instanceTypesOf(cls).join(", ")}`);
      }
      const min = num(p.minSize);
      const max = num(p.maxSize);
      if (min !== undefined && max !== undefined && min > max) add(at("minSize"), `minSize ${min} is greater than maxSize ${max}`);
      issues.push(...gpuCapacityIssues(p, ["regions", i, "gpuPools", j], cls, instanceType, max, azs));
      const name = str(p.name) ?? cls;
      if (name === undefined) return;
      const other = poolNames.get(name);
      if (other !== undefined) add(at("name"), `pool name "${name}" is already used by gpuPools[${other}] in this region; give each pool a distinct name`);
      else poolNames.set(name, j);
    });
  });
  // VPCs are peered or joined through a transit gateway in many estates, so overlapping blocks are refused.
  for (let i = 0; i < regions.length; i++) {
    for (let j = i + 1; j < regions.length; j++) {
      const ri: unknown = regions[i];
      const rj: unknown = regions[j];
      const a = isObj(ri) ? str(ri.vpcCidr) : undefined;
      const b = isObj(rj) ? str(rj.vpcCidr) : undefined;
      if (a === undefined || b === undefined) continue;
      let overlap = false;
      try {
        overlap = cidrsOverlap(a, b);
      } catch {
        continue; // malformed blocks are reported on their own keys
      }
      if (overlap) add(["regions", j, "vpcCidr"], `${b} overlaps regions[${i}].vpcCidr ${a} (${str((ri as Record<string, unknown>).region) ?? "?"}); give each region a disjoint block`);
    }
  }
  return issues;
}

/**
 * A GPU pool's instance types and capacity (the Karpenter layer, lib/capacity.ts): every allowed type of
 * the class with the GPUs per node of `instanceType`; reservations in a zone of the region (the pool is
 * pinned to it, and its nodes need a subnet there), selected by id or tags, within maxSize; spot only
 * on L4. Capacity Block windows against the clock are checked by lib/capacity.ts (the time is an input).
 */
function gpuCapacityIssues(p: Record<string, unknown>, base: (string | number)[], cls: GpuClass | undefined, instanceType: string | undefined, max: number | undefined, regionAzs: readonly unknown[]): CrossCheckIssue[] {
  const issues: CrossCheckIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path: [...base, ...path], message });
  const sizingSpec = instanceType !== undefined && cls ? GPU_CLASS_SPECS[cls].instances.find((x) => x.instanceType === instanceType) : undefined;
  (Array.isArray(p.instanceTypes) ? p.instanceTypes : []).forEach((t: unknown, k) => {
    if (!cls || typeof t !== "string") return;
    const spec = GPU_CLASS_SPECS[cls].instances.find((x) => x.instanceType === t);
    if (!spec) add(["instanceTypes", k], `"${t}" is not a ${GPU_CLASS_SPECS[cls].product} instance type; allowed for class ${cls}: ${instanceTypesOf(cls).join(", ")}`);
    else if (sizingSpec && spec.gpus !== sizingSpec.gpus) {
      const same = GPU_CLASS_SPECS[cls].instances.filter((x) => x.gpus === sizingSpec.gpus).map((x) => x.instanceType);
      add(["instanceTypes", k], `"${t}" has ${spec.gpus} GPUs per node but instanceType ${instanceType} has ${sizingSpec.gpus}; a pool's types share one GPU count so its GPU limit is a node count; allowed: ${same.join(", ")}`);
    }
  });
  if (Array.isArray(p.instanceTypes) && instanceType !== undefined && !p.instanceTypes.includes(instanceType)) {
    add(["instanceTypes"], `must include instanceType "${instanceType}", the type the served models are sized for`);
  }
  const capacity = isObj(p.capacity) ? p.capacity : {};
  const reservations = Array.isArray(capacity.reservations) ? capacity.reservations : [];
  let reserved = 0;
  reservations.forEach((r: unknown, k) => {
    if (!isObj(r)) return;
    const at = ["capacity", "reservations", k];
    if ((r.id === undefined) === (r.tags === undefined)) add(at, "select the reservation by id or by tags, exactly one of them (Karpenter's selector term takes an id alone)");
    const az = str(r.availabilityZone);
    if (az !== undefined && !regionAzs.includes(az)) {
      add([...at, "availabilityZone"], `"${az}" is not one of the region's availabilityZones (${regionAzs.map(String).join(", ")}): the pool's nodes need a node subnet in the reservation's zone; add the zone to availabilityZones or use a reservation in one of them`);
    }
    reserved += num(r.instanceCount) ?? 0;
    const start = str(r.start);
    const end = str(r.end);
    if (r.type === "capacity-block" && start !== undefined && end !== undefined && Date.parse(end) <= Date.parse(start)) add([...at, "end"], `${end} is not after start ${start}`);
  });
  if (max !== undefined && reserved > max) add(["capacity", "reservations"], `reserve ${reserved} instances in all but maxSize is ${max}: Karpenter's GPU limit would leave ${reserved - max} reserved (and billed) instances unused; raise maxSize or reserve fewer`);
  if (capacity.spot === true && cls === "h100") {
    add(["capacity", "spot"], "spot is refused on h100 pools: a reclaimed p5 takes its model's replica down for a cold start measured in minutes, and spot p5 capacity is rarely there; use reservations and on-demand, or spot on an l4 pool of a model that tolerates it");
  }
  if (capacity.onDemand === false && capacity.spot !== true && reservations.length === 0) {
    add(["capacity"], "allows no capacity type: with onDemand false, list reservations or (l4 only) set spot: true");
  }
  return issues;
}

export type StackConfigInput = z.input<typeof stackConfigSchema>;
type Parsed = z.output<typeof stackConfigSchema>;
type ParsedRegion = Parsed["regions"][number];
type ParsedGpuPool = ParsedRegion["gpuPools"][number];

/** A GPU pool with every default resolved. */
export interface GpuPoolConfig extends Omit<ParsedGpuPool, "name" | "instanceTypes" | "diskSizeGiB"> {
  readonly name: string;
  readonly instanceTypes: readonly string[];
  readonly diskSizeGiB: number;
}
export type GpuCapacityConfig = ParsedGpuPool["capacity"];
export type ReservationConfig = GpuCapacityConfig["reservations"][number];
export type SystemPoolConfig = ParsedRegion["systemPool"];
export interface RegionConfig extends Omit<ParsedRegion, "natGateways" | "gpuPools"> {
  readonly natGateways: "perAz" | "single";
  readonly gpuPools: readonly GpuPoolConfig[];
  /** The first region listed is the primary (registry replication source, failover primary). */
  readonly primary: boolean;
}
export type ClusterConfig = Parsed["cluster"];
export type RegistryConfig = Parsed["registry"];
export type ObservabilityConfig = Parsed["observability"];
export type ParsedServing = NonNullable<Parsed["serving"]>;
export type ParsedServedModel = ParsedServing["models"][number];
export interface TrafficConfig {
  readonly zoneId: string;
  readonly zoneName: string;
  readonly routing: RoutingMode;
  /** Every stack region, in stack order, with its role, weight and drain flag. */
  readonly regions: readonly RegionRouting[];
  readonly healthCheck: { readonly intervalSeconds: number; readonly failureThreshold: number; readonly path: string };
  readonly recordTtlSeconds: number;
  /** HTTPRoute request timeout of every served model, seconds. */
  readonly requestTimeoutSeconds: number;
  readonly allowedCidrs: readonly string[];
  readonly deletionProtection: boolean;
  readonly accessLogDays: number;
  /** Public names and the regions answering for each (config, else the served models' placements). */
  readonly endpoints: Readonly<Record<string, readonly string[]>>;
  readonly alarmEmails: readonly string[];
}
export type ParsedTraffic = NonNullable<Parsed["traffic"]>;
export interface StackConfig extends Omit<Parsed, "regions" | "serving" | "huggingFaceToken" | "alertReceiverSecret" | "traffic"> {
  readonly regions: readonly RegionConfig[];
  readonly traffic?: TrafficConfig;
  /** Resolved against the catalog by lib/config/serving.ts. */
  readonly serving?: ServingConfig;
}

/** Where one served model runs in one region. */
export interface Placement {
  readonly region: string;
  readonly pool: string;
  readonly instanceType: string;
}

export interface ServedModelConfig {
  readonly name: string;
  readonly gpuClass: GpuClass;
  readonly tracks: readonly TrackSpec[];
  readonly replicas: { readonly min: number; readonly max: number };
  readonly targetWaitingRequests: number;
  readonly placements: readonly Placement[];
  /** How a change of the version is rolled out (defaults filled, lib/rollout.ts). */
  readonly rollout: RolloutPolicy;
  /** The replaced version's warm window (its TrackSpec is the `previous` track); absent when none is kept. */
  readonly previous?: { readonly since: string; readonly warmUntil: string; readonly serve: boolean };
}

export interface ServingConfig {
  readonly catalogFile: string;
  readonly vllmImage: string;
  readonly prometheusUrl: string;
  readonly models: readonly ServedModelConfig[];
  readonly auth: ServingAuth;
  readonly rateLimit: ServingRateLimit;
}

/** Fills the defaults that depend on other keys (environment, GPU class). Serving is resolved separately. */
export function resolveDefaults(parsed: Parsed): StackConfig {
  // The token never travels in the plain config object; the blueprint reads it as a Pulumi secret.
  const rest: Omit<Parsed, "serving" | "huggingFaceToken" | "alertReceiverSecret" | "traffic"> = { ...parsed };
  delete (rest as Partial<Parsed>).serving;
  delete (rest as Partial<Parsed>).huggingFaceToken;
  delete (rest as Partial<Parsed>).alertReceiverSecret;
  delete (rest as Partial<Parsed>).traffic;
  const t = parsed.traffic;
  return {
    ...rest,
    ...(t
      ? {
          traffic: {
            zoneId: t.zone.id,
            zoneName: t.zone.name,
            routing: t.routing,
            regions: parsed.regions.map((r) => {
              const { role, ...rest } = t.regions[r.region] ?? { drain: false };
              return { region: r.region, ...rest, ...(role && role !== "none" ? { role } : {}) };
            }),
            healthCheck: t.healthCheck,
            recordTtlSeconds: t.recordTtlSeconds,
            requestTimeoutSeconds: t.requestTimeoutSeconds,
            allowedCidrs: t.allowedCidrs,
            deletionProtection: t.deletionProtection ?? parsed.environment === "prod",
            accessLogDays: t.accessLogDays,
            // Filled from the served models' placements when the config leaves it out (lib/config/validate.ts).
            endpoints: t.endpoints ?? {},
            alarmEmails: t.alarmEmails,
          },
        }
      : {}),
    regions: parsed.regions.map((r, i) => ({
      ...r,
      primary: i === 0,
      natGateways: r.natGateways ?? (parsed.environment === "prod" ? "perAz" : "single"),
      gpuPools: r.gpuPools.map((p) => ({
        ...p,
        name: p.name ?? p.class,
        instanceTypes: p.instanceTypes ?? [p.instanceType],
        diskSizeGiB: p.diskSizeGiB ?? GPU_DISK_DEFAULT_GIB[p.class],
      })),
    })),
  };
}
