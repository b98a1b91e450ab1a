import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TrackSpec, trackReplicas, trafficSplit, VLLM_PORT } from "../lib/serving";
import { DEFAULT_REQUEST_TIMEOUT_SECONDS } from "../lib/traffic";
import { DEFAULT_REQUESTS_PER_MINUTE, PROBE_PATHS, rateLimitPolicySpec, securityPolicySpec, ServingAuth, ServingRateLimit, UNAUTHENTICATED_ANNOTATION } from "../lib/auth";
import { ENVOY_GATEWAY_NAMESPACE, GATEWAY_NAME, GATEWAY_NAMESPACE, SERVING_NAMESPACE_LABEL } from "./ServingAddons";
import { VllmService, VllmServiceArgs } from "./VllmService";
import { podSecurityMetadata } from "../lib/podSecurity";
import { declareNetworkPolicies } from "./networkPolicies";
import { MONITORING_NAMESPACE } from "./Observability";

/** EKS Pod Identity agent's link-local endpoint. */
const POD_IDENTITY_AGENT = "169.254.170.23/32";
const INSTANCE_METADATA = "169.254.169.254/32";

/** What every track's VllmService shares, passed through as given (documented on VllmServiceArgs). */
type SharedTrackArgs = Pick<
  VllmServiceArgs,
  "gpuClass" | "instanceType" | "image" | "region" | "clusterName" | "bucketName" | "bucketArn" | "kmsKeyArn" | "replicas" | "targetWaitingRequests" | "prometheusUrl" | "huggingFaceToken" | "tags"
>;

export interface ModelEndpointArgs extends SharedTrackArgs {
  /** Endpoint name: namespace, route path `/<name>/` and `--served-model-name`. */
  readonly name: string;
  /** stable, and optionally canary (weight) and shadow (mirror percent). */
  readonly tracks: readonly TrackSpec[];
  /**
   * DNS names the route answers on (global and regional). With names, clients call
   * https://<name>/v1; without, http://<gateway>/<endpoint>/v1 inside the cluster. @default []
   */
  readonly hostnames?: readonly string[];
  /**
   * Envoy's per-request timeout on the route (whole response, streaming included). Behind the
   * regional NLB it must stay within the TLS listener's 350 s idle timeout; pods' termination grace
   * must cover it plus their preStop drain. @default 600
   */
  readonly requestTimeoutSeconds?: number;
  /** ServingAddons.ready: the CRDs and Gateway the route and autoscalers need. @default [] */
  readonly waitFor?: pulumi.Input<pulumi.Resource>[];
  /** How clients authenticate at the gateway (config `serving.auth`); "none" only in dev. */
  readonly auth: ServingAuth;
  /** Per-client request limit at the gateway. @default { requestsPerMinute: 60 } */
  readonly rateLimit?: ServingRateLimit;
  /**
   * Health-check path answered without a token on the hostnames (GET, exact path; Route 53 cannot send
   * one). Only with hostnames and JWT auth; one of lib/auth.ts PROBE_PATHS. @default none
   */
  readonly probePath?: string;
}

export function endpointProblems(args: Pick<ModelEndpointArgs, "tracks" | "requestTimeoutSeconds" | "probePath">): string[] {
  const problems: string[] = [];
  const count = (t: string) => args.tracks.filter((x) => x.track === t).length;
  if (count("stable") !== 1) problems.push("tracks: exactly one stable track is required");
  if (count("canary") > 1 || count("shadow") > 1) problems.push("tracks: at most one canary and one shadow");
  const canary = args.tracks.find((t) => t.track === "canary");
  if (canary && !(canary.weight !== undefined && canary.weight >= 0 && canary.weight <= 100)) problems.push("tracks: canary weight must be 0-100");
  const timeout = args.requestTimeoutSeconds;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 1)) problems.push(`requestTimeoutSeconds: ${timeout} is not a whole number of seconds >= 1`);
  if (args.probePath !== undefined && !PROBE_PATHS.includes(args.probePath)) problems.push(`probePath: "${args.probePath}" would be served without a token; allowed: ${PROBE_PATHS.join(", ")}`);
  return problems;
}

/** Ingress only from the gateway's proxies and Prometheus; egress only to DNS, S3 over TLS and the Pod Identity agent. */
export function servingNetworkPolicySpec() {
  const fromNamespace = (ns: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } });
  return {
    podSelector: {},
    policyTypes: ["Ingress", "Egress"],
    ingress: [
      { from: [fromNamespace(ENVOY_GATEWAY_NAMESPACE), fromNamespace(GATEWAY_NAMESPACE)], ports: [{ protocol: "TCP", port: VLLM_PORT }] },
      { from: [fromNamespace(MONITORING_NAMESPACE)], ports: [{ protocol: "TCP", port: VLLM_PORT }] },
    ],
    egress: [
      { to: [fromNamespace("kube-system")], ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] },
      // S3 through the VPC gateway endpoint resolves to public S3 ranges; the node's IMDS stays out of reach.
      { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [INSTANCE_METADATA] } }], ports: [{ protocol: "TCP", port: 443 }] },
      { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT } }], ports: [{ protocol: "TCP", port: 80 }] },
    ],
  };
}

/**
 * One served model in one cluster: its namespace (restricted Pod Security, network policy), one
 * VllmService per track, and the HTTPRoute that splits live traffic between stable and canary by
 * weight and mirrors a percentage to the shadow. Rolling back is removing the canary (or weight 0).
 */
export class ModelEndpoint extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;
  readonly services: Partial<Record<TrackSpec["track"], VllmService>>;
  readonly route: k8s.apiextensions.CustomResource;
  /** Envoy Gateway SecurityPolicy requiring a client JWT on the route; absent with auth "none" (dev). */
  readonly securityPolicy?: k8s.apiextensions.CustomResource;
  /** Envoy Gateway BackendTrafficPolicy limiting requests per client on the route. */
  readonly rateLimitPolicy: k8s.apiextensions.CustomResource;

  constructor(name: string, args: ModelEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = endpointProblems(args);
    if (problems.length > 0) throw new Error(`ModelEndpoint ${name}: invalid args:\n  - ${problems.join("\n  - ")}`);
    super("llm-blueprint:serving:ModelEndpoint", name, {}, opts);

    this.namespace = new k8s.core.v1.Namespace(
      `${name}-ns`,
      { metadata: podSecurityMetadata(args.name, "restricted", { labels: { [SERVING_NAMESPACE_LABEL]: "true" } }) },
      { parent: this },
    );
    const ns = this.namespace.metadata.name;
    new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, { metadata: { name: "vllm", namespace: ns }, spec: servingNetworkPolicySpec() }, { parent: this });
    declareNetworkPolicies(name, ns, [], { parent: this });

    this.services = {};
    for (const spec of args.tracks) {
      this.services[spec.track] = new VllmService(
        `${name}-${spec.track}`,
        {
          endpoint: args.name,
          namespace: ns,
          spec,
          gpuClass: args.gpuClass,
          instanceType: args.instanceType,
          image: args.image,
          region: args.region,
          clusterName: args.clusterName,
          bucketName: args.bucketName,
          bucketArn: args.bucketArn,
          kmsKeyArn: args.kmsKeyArn,
          // Stable takes the endpoint's bounds; a canary or shadow its own minimum and a maximum for its share.
          replicas: trackReplicas(spec, args.replicas),
          // Pods drain admitted requests for as long as the route lets one run.
          requestTimeoutSeconds: args.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS,
          targetWaitingRequests: args.targetWaitingRequests,
          prometheusUrl: args.prometheusUrl,
          waitFor: args.waitFor,
          huggingFaceToken: args.huggingFaceToken,
          tags: args.tags,
        },
        { parent: this },
      );
    }

    const split = trafficSplit(args.tracks);
    const backend = (track: TrackSpec["track"]) => ({ name: this.services[track]!.serviceName, port: VLLM_PORT });
    const hostnames = [...(args.hostnames ?? [])];
    const byHost = hostnames.length > 0;
    const filters: Record<string, unknown>[] = byHost ? [] : [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }];
    if (split.mirror) filters.push({ type: "RequestMirror", requestMirror: { backendRef: backend(split.mirror.track), percent: split.mirror.percent } });

    this.route = new k8s.apiextensions.CustomResource(
      `${name}-route`,
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: {
          name: args.name,
          namespace: ns,
          // Read by the plan summary's warning and the model-endpoints-authenticated policy.
          ...(args.auth.type === "none" ? { annotations: { [UNAUTHENTICATED_ANNOTATION]: "serving.auth.type none (acknowledged, dev only)" } } : {}),
        },
        spec: {
          parentRefs: [{ name: GATEWAY_NAME, namespace: GATEWAY_NAMESPACE }],
          ...(byHost ? { hostnames } : {}),
          rules: [
            {
              // OpenAI SDK base_url: https://<hostname>/v1, or http://<gateway>/<endpoint>/v1 in-cluster.
              matches: [{ path: { type: "PathPrefix", value: byHost ? "/" : `/${args.name}/` } }],
              filters,
              backendRefs: split.backends.map((b) => ({ ...backend(b.track), weight: b.weight })),
              // Envoy Gateway then sets the route's stream idle timeout to max(1 h, this), so Envoy's
              // 5 min listener default does not cut a silent long generation first (envoyproxy/gateway
              // v1.7.4 internal/xds/translator/route.go idleTimeout, read 2026-11-25).
              timeouts: { request: `${args.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS}s` },
            },
          ],
        },
      },
      { parent: this, dependsOn: [...(args.waitFor ?? []), ...Object.values(this.services).map((s) => s!.service)] },
    );

    // Policies live beside the route (Envoy Gateway attaches them in the target's namespace only).
    const policy = (suffix: string, kind: string, spec: Record<string, unknown>) =>
      new k8s.apiextensions.CustomResource(
        `${name}-${suffix}`,
        { apiVersion: "gateway.envoyproxy.io/v1alpha1", kind, metadata: { name: args.name, namespace: ns }, spec },
        { parent: this, dependsOn: [this.route] },
      );
    if (args.auth.type === "jwt") this.securityPolicy = policy("auth", "SecurityPolicy", securityPolicySpec(args.auth, args.name));
    this.rateLimitPolicy = policy("rate-limit", "BackendTrafficPolicy", rateLimitPolicySpec(args.auth, args.rateLimit ?? { requestsPerMinute: DEFAULT_REQUESTS_PER_MINUTE }, args.name));

    // Route 53 checks the hostnames without a token: one exact GET path, no inference, answered by the
    // stable track. Exact beats the main route's prefix match (Gateway API match precedence).
    if (byHost && args.probePath !== undefined && args.auth.type === "jwt") {
      new k8s.apiextensions.CustomResource(
        `${name}-probe-route`,
        {
          apiVersion: "gateway.networking.k8s.io/v1",
          kind: "HTTPRoute",
          metadata: { name: `${args.name}-probe`, namespace: ns },
          spec: {
            parentRefs: [{ name: GATEWAY_NAME, namespace: GATEWAY_NAMESPACE }],
            hostnames,
            rules: [
              {
                matches: [{ path: { type: "Exact", value: args.probePath }, method: "GET" }],
                backendRefs: [backend("stable")],
                timeouts: { request: `${args.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS}s` },
              },
            ],
          },
        },
        { parent: this, dependsOn: [this.route] },
      );
    }

    this.registerOutputs({
      namespace: ns,
      routePath: byHost ? "/" : `/${args.name}/`,
      hostnames,
      split: split,
      versions: Object.fromEntries(args.tracks.map((t) => [t.track, `${t.version.name}@${t.version.revision}`])),
    });
  }
}
