import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { versionId } from "../lib/catalog";
import { LABEL } from "../lib/labels";
import { SERIES_LABEL } from "../lib/observability";
import { canarySpec, DEFAULT_ROLLOUT, gateTemplates, KEEP_PREVIOUS_WARM_ANNOTATION, previousOf, primaryOf, rolloutAlerts, RolloutPolicy, rolloutPolicyProblems, WARM_UNTIL_ANNOTATION, warmRollbackRouteOf, warmRollbackRouteSpec } from "../lib/rollout";
import { queueDepthQuery, TrackSpec, trackReplicas, VLLM_PORT } from "../lib/serving";
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
  "gpuClass" | "instanceType" | "image" | "imageCache" | "region" | "clusterName" | "bucketName" | "bucketArn" | "kmsKeyArn" | "replicas" | "targetWaitingRequests" | "prometheusUrl" | "huggingFaceToken" | "tags"
>;

export interface ModelEndpointArgs extends SharedTrackArgs {
  /** Endpoint name: namespace, route path `/<name>/` and `--served-model-name`. */
  readonly name: string;
  /**
   * stable (the version to serve, Flagger's rollout target), optionally shadow (mirrored) and previous
   * (the version stable replaced, kept warm; needs `previous`).
   */
  readonly tracks: readonly TrackSpec[];
  /**
   * The previous track's warm window, and whether it serves every request now (emergency rollback:
   * a route of its own that outranks Flagger's). Required with a previous track. @default none
   */
  readonly previous?: { readonly since: string; readonly warmUntil: string; readonly serve: boolean };
  /** How a version change is rolled out. @default lib/rollout.ts DEFAULT_ROLLOUT */
  readonly rollout?: RolloutPolicy;
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

export function endpointProblems(args: Pick<ModelEndpointArgs, "tracks" | "requestTimeoutSeconds" | "probePath" | "rollout" | "previous">): string[] {
  const problems: string[] = [];
  const count = (t: string) => args.tracks.filter((x) => x.track === t).length;
  if (count("stable") !== 1) problems.push("tracks: exactly one stable track is required");
  if (count("canary") > 0) problems.push("tracks: no canary track; Flagger runs the canary when the stable track's version changes");
  if (count("shadow") > 1) problems.push("tracks: at most one shadow");
  if (count("previous") > 1) problems.push("tracks: at most one previous");
  if (count("previous") === 1 && !args.previous) problems.push("previous: a previous track needs its warm window (since, warmUntil)");
  if (count("previous") === 0 && args.previous) problems.push("previous: given without a previous track");
  const timeout = args.requestTimeoutSeconds;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 1)) problems.push(`requestTimeoutSeconds: ${timeout} is not a whole number of seconds >= 1`);
  if (args.rollout) problems.push(...rolloutPolicyProblems(args.rollout).map((p) => `rollout.${p}`));
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
 * One served model in one cluster: its namespace (restricted Pod Security, network policy), the
 * version to serve as Flagger's rollout target, an optional shadow, and the Canary that tells Flagger
 * how to roll a new version out. Flagger owns the HTTPRoute (named after the endpoint), its weights,
 * the Services and the primary Deployment and ScaledObject; this program declares none of them.
 */
export class ModelEndpoint extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;
  readonly services: Partial<Record<TrackSpec["track"], VllmService>>;
  /** Flagger Canary: rollout steps, gates, the route it generates. */
  readonly canary: k8s.apiextensions.CustomResource;
  /** Envoy Gateway SecurityPolicy requiring a client JWT on the route; absent with auth "none" (dev). */
  readonly securityPolicy?: k8s.apiextensions.CustomResource;
  /** Envoy Gateway BackendTrafficPolicy limiting requests per client on the route. */
  readonly rateLimitPolicy: k8s.apiextensions.CustomResource;

  constructor(name: string, args: ModelEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = endpointProblems(args);
    if (problems.length > 0) throw new Error(`ModelEndpoint ${name}: invalid args:\n  - ${problems.join("\n  - ")}`);
    super("llm-blueprint:serving:ModelEndpoint", name, {}, opts);
    const rollout: RolloutPolicy = args.rollout ?? DEFAULT_ROLLOUT;
    const requestTimeoutSeconds = args.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS;

    this.namespace = new k8s.core.v1.Namespace(
      `${name}-ns`,
      { metadata: podSecurityMetadata(args.name, "restricted", { labels: { [SERVING_NAMESPACE_LABEL]: "true" } }) },
      { parent: this },
    );
    const ns = this.namespace.metadata.name;
    new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, { metadata: { name: "vllm", namespace: ns }, spec: servingNetworkPolicySpec() }, { parent: this });
    declareNetworkPolicies(name, ns, [], { parent: this });

    this.services = {};
    const keep = rollout.keepPreviousWarm;
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
          imageCache: args.imageCache,
          region: args.region,
          clusterName: args.clusterName,
          bucketName: args.bucketName,
          bucketArn: args.bucketArn,
          kmsKeyArn: args.kmsKeyArn,
          // The target takes the endpoint's bounds (its canary runs on them too); a shadow its own.
          replicas: trackReplicas(spec, args.replicas),
          // Pods drain admitted requests for as long as the route lets one run.
          requestTimeoutSeconds,
          targetWaitingRequests: args.targetWaitingRequests,
          prometheusUrl: args.prometheusUrl,
          waitFor: args.waitFor,
          huggingFaceToken: args.huggingFaceToken,
          tags: args.tags,
          rolloutTarget: spec.track === "stable",
          ...(spec.track === "previous" && args.previous ? { annotations: { [WARM_UNTIL_ANNOTATION]: args.previous.warmUntil } } : {}),
        },
        { parent: this },
      );
    }

    const target = this.services.stable!;
    const stable = args.tracks.find((t) => t.track === "stable")!;
    const hostnames = [...(args.hostnames ?? [])];
    const byHost = hostnames.length > 0;
    // The gates' PromQL, next to the Canary (Flagger runs with noCrossNamespaceRefs).
    const templates = gateTemplates(args.name, SERIES_LABEL.endpoint, rollout.gates.quality).map(
      (t) =>
        new k8s.apiextensions.CustomResource(
          `${name}-gate-${t.name}`,
          {
            apiVersion: "flagger.app/v1beta1",
            kind: "MetricTemplate",
            metadata: { name: t.name, namespace: ns, labels: { [LABEL.endpoint]: args.name } },
            spec: { provider: { type: "prometheus", address: args.prometheusUrl }, query: t.query },
          },
          { parent: this, dependsOn: args.waitFor ?? [] },
        ),
    );
    this.canary = new k8s.apiextensions.CustomResource(
      `${name}-canary`,
      {
        apiVersion: "flagger.app/v1beta1",
        kind: "Canary",
        metadata: {
          name: args.name,
          namespace: ns,
          labels: { [LABEL.endpoint]: args.name, [LABEL.model]: stable.version.name, [LABEL.revision]: stable.version.revision },
          annotations: {
            // Read by the plan's Rollouts table and the warm-previous gate against a baseline.
            [KEEP_PREVIOUS_WARM_ANNOTATION]: keep,
            // Read by the plan summary's warning and the model-endpoints-authenticated policy (copied to the route: spec.service.apex).
            ...(args.auth.type === "none" ? { [UNAUTHENTICATED_ANNOTATION]: "serving.auth.type none (acknowledged, dev only)" } : {}),
          },
        },
        spec: pulumi.output(ns).apply((namespace) => {
          const spec = canarySpec({
            endpoint: args.name,
            namespace,
            target: target.serviceName,
            versionId: versionId(stable.version),
            policy: rollout,
            hostnames,
            gateway: { name: GATEWAY_NAME, namespace: GATEWAY_NAMESPACE },
            requestTimeoutSeconds,
            progressDeadlineSeconds: target.progressDeadlineSeconds,
            primaryReplicas: args.replicas,
            primaryQueueQuery: queueDepthQuery(namespace, primaryOf(target.serviceName)),
            ...(this.services.shadow ? { mirrorService: this.services.shadow.serviceName } : {}),
          });
          return args.auth.type === "none" ? { ...spec, service: { ...spec.service, apex: { annotations: { [UNAUTHENTICATED_ANNOTATION]: "serving.auth.type none (acknowledged, dev only)" } } } } : spec;
        }),
      },
      { parent: this, dependsOn: [...(args.waitFor ?? []), ...templates, target.deployment, ...(this.services.shadow?.service ? [this.services.shadow.service] : [])] },
    );

    // Start, steps, promotion and rollback reach the alert topic through Alertmanager, with the version tuple.
    new k8s.apiextensions.CustomResource(
      `${name}-rollout-alerts`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: "rollout-notifications", namespace: ns, labels: { [LABEL.endpoint]: args.name } },
        spec: pulumi.output(ns).apply((namespace) => ({
          groups: [{ name: `rollout-${args.name}`, rules: rolloutAlerts({ endpoint: args.name, namespace, target: target.serviceName, model: stable.version.name, revision: stable.version.revision }) }],
        })),
      },
      { parent: this, dependsOn: args.waitFor ?? [] },
    );

    // Emergency rollback: a route of the program's own, to the warm previous version, that outranks
    // Flagger's on every request (lib/rollout.ts warmRollbackRouteSpec). Flagger's route and weights stay
    // untouched and take the traffic back when this route goes.
    const servingPrevious = args.previous?.serve === true && this.services.previous !== undefined;
    const routes = [args.name];
    if (servingPrevious) {
      new k8s.apiextensions.CustomResource(
        `${name}-warm-rollback-route`,
        {
          apiVersion: "gateway.networking.k8s.io/v1",
          kind: "HTTPRoute",
          metadata: { name: warmRollbackRouteOf(args.name), namespace: ns, labels: { [LABEL.endpoint]: args.name } },
          spec: warmRollbackRouteSpec({ endpoint: args.name, hostnames, gateway: { name: GATEWAY_NAME, namespace: GATEWAY_NAMESPACE }, requestTimeoutSeconds }),
        },
        { parent: this, dependsOn: [this.services.previous!.deployment, ...(this.services.previous!.service ? [this.services.previous!.service] : []), ...(args.waitFor ?? [])] },
      );
      routes.push(warmRollbackRouteOf(args.name));
    }

    // Policies live beside the route (Envoy Gateway attaches them in the target's namespace only).
    const policy = (suffix: string, kind: string, spec: Record<string, unknown>) =>
      new k8s.apiextensions.CustomResource(
        `${name}-${suffix}`,
        { apiVersion: "gateway.envoyproxy.io/v1alpha1", kind, metadata: { name: args.name, namespace: ns }, spec },
        { parent: this, dependsOn: [this.canary] },
      );
    if (args.auth.type === "jwt") this.securityPolicy = policy("auth", "SecurityPolicy", securityPolicySpec(args.auth, routes));
    this.rateLimitPolicy = policy("rate-limit", "BackendTrafficPolicy", rateLimitPolicySpec(args.auth, args.rateLimit ?? { requestsPerMinute: DEFAULT_REQUESTS_PER_MINUTE }, routes));

    // Route 53 checks the hostnames without a token: one exact GET path, no inference, answered by the
    // primary, through the Service Flagger names after the endpoint (the warm previous version's during an
    // emergency rollback). Exact beats the generated route's prefix match (Gateway API match precedence).
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
                backendRefs: [{ name: servingPrevious ? previousOf(args.name) : args.name, port: VLLM_PORT }],
                timeouts: { request: `${requestTimeoutSeconds}s` },
              },
            ],
          },
        },
        { parent: this, dependsOn: [this.canary] },
      );
    }

    this.registerOutputs({
      namespace: ns,
      routePath: byHost ? "/" : `/${args.name}/`,
      hostnames,
      rollout: { steps: rollout.steps, interval: rollout.interval, skipAnalysis: rollout.skipAnalysis, keepPreviousWarm: keep },
      ...(args.previous ? { previous: { warmUntil: args.previous.warmUntil, serving: servingPrevious } } : {}),
      versions: Object.fromEntries(args.tracks.map((t) => [t.track, `${t.version.name}@${t.version.revision}`])),
    });
  }
}
