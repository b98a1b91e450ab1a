/**
 * Client authentication and per-client rate limits at the inference gateway (Envoy Gateway
 * SecurityPolicy and BackendTrafficPolicy). Pure: the specs ModelEndpoint declares and the config
 * rules that relate `serving.auth` to the environment and to the health-check path.
 *
 * Upstream facts, envoyproxy/gateway at v1.7.4 (the chart pin in lib/baseline.ts), read 2026-11-25:
 * - api/v1alpha1/securitypolicy_types.go: a SecurityPolicy targets a Gateway, HTTPRoute, GRPCRoute or
 *   TCPRoute in its own namespace (targetRefs, optional sectionName = listener or route rule); jwt,
 *   apiKeyAuth, basicAuth, oidc, extAuth, authorization.
 * - api/v1alpha1/jwt_types.go: jwt.providers (1-4) with issuer, audiences (<= 8), remoteJWKS.uri (HTTPS,
 *   cached 300 s by default) and claimToHeaders; jwt.optional lets a request without a token through.
 * - api/v1alpha1/ratelimit_types.go: rateLimit.local.rules (<= 16), clientSelectors.headers type
 *   "Distinct" = one bucket per header value; limit {requests, unit}. No burst field. Response cost
 *   (what a token-based limit needs) is "not supported for Local Rate Limits" (CEL on LocalRateLimit)
 *   and Global needs the rate-limit service with Redis, so limits here count requests, not tokens.
 * - internal/xds/translator/local_ratelimit.go: local limits are per Envoy proxy (a token bucket in
 *   each replica), at most 10000 distinct descriptors per listener.
 * - internal/xds/translator/httpfilters.go: jwt_authn (order 9) runs before local_ratelimit (302), so
 *   the header a JWT claim fills is there when the limit is looked up.
 * - internal/gatewayapi/backendtrafficpolicy.go buildLocalRateLimit: a rule without clientSelectors is
 *   the route's default limit; every rule's unit must be a multiple of the default's.
 */

/** How clients authenticate at the gateway. */
export type ServingAuth =
  | {
      readonly type: "jwt";
      /** The `iss` every token must carry. */
      readonly issuer: string;
      /** HTTPS URL of the issuer's JSON Web Key Set: public keys only, nothing secret in the cluster. */
      readonly jwksUri: string;
      /** Accepted `aud` values; at least one, so a token the issuer minted for another service is refused. */
      readonly audiences: readonly string[];
      /** The claim naming the client, whose value keys the per-client rate limit. */
      readonly clientClaim: string;
    }
  | { readonly type: "none"; readonly acknowledgeUnauthenticated: true };

export interface ServingRateLimit {
  /** Requests per minute per client, per gateway proxy replica. */
  readonly requestsPerMinute: number;
}

export const DEFAULT_REQUESTS_PER_MINUTE = 60;
export const DEFAULT_CLIENT_CLAIM = "sub";

/** The header the JWT filter fills from the client claim; the rate limit keys on its value. */
export const CLIENT_ID_HEADER = "x-llm-blueprint-client";

/** Set on a route that serves without authentication, saying why (the dev acknowledgement). */
export const UNAUTHENTICATED_ANNOTATION = "llm-blueprint/unauthenticated";

/**
 * GET paths of the vLLM OpenAI server that run no inference, which a health checker may call without
 * a token (Route 53 cannot send one). /v1/models and /health are the paths the blueprint already
 * probes (traffic.healthCheck.path, the pods' probes in VllmService).
 */
export const PROBE_PATHS: readonly string[] = ["/v1/models", "/health"];

const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

export const routeTarget = (routeName: string) => ({ group: GATEWAY_API_GROUP, kind: "HTTPRoute", name: routeName });

/** SecurityPolicy spec requiring a valid JWT from the issuer on every request of the route. */
export function securityPolicySpec(auth: Extract<ServingAuth, { type: "jwt" }>, routeNames: string | readonly string[]) {
  return {
    targetRefs: [routeNames].flat().map(routeTarget),
    jwt: {
      providers: [
        {
          name: "clients",
          issuer: auth.issuer,
          audiences: [...auth.audiences],
          remoteJWKS: { uri: auth.jwksUri },
          claimToHeaders: [{ header: CLIENT_ID_HEADER, claim: auth.clientClaim }],
        },
      ],
    },
  };
}

/**
 * BackendTrafficPolicy spec: with JWT, one bucket per client (the claim's header value); without
 * authentication (dev), one bucket for the whole route, since nothing names a client.
 */
export function rateLimitPolicySpec(auth: ServingAuth, rateLimit: ServingRateLimit, routeNames: string | readonly string[]) {
  const limit = { requests: rateLimit.requestsPerMinute, unit: "Minute" };
  const rule = auth.type === "jwt" ? { clientSelectors: [{ headers: [{ type: "Distinct", name: CLIENT_ID_HEADER }] }], limit } : { limit };
  return { targetRefs: [routeNames].flat().map(routeTarget), rateLimit: { local: { rules: [rule] } } };
}

export interface AuthIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Rules relating `serving.auth` to other keys, on unknown input (they also run when other keys fail):
 * no authentication only in dev; with JWT, the platform's health-check path must be one the gateway
 * may answer without a token.
 */
export function authIssues(cfg: unknown): AuthIssue[] {
  if (!isObj(cfg) || !isObj(cfg.serving) || !isObj(cfg.serving.auth)) return [];
  const auth = cfg.serving.auth;
  const issues: AuthIssue[] = [];
  if (auth.type === "none" && cfg.environment !== "dev") {
    issues.push({
      path: ["serving", "auth", "type"],
      message: `"none" is allowed only when environment is dev (this stack is ${JSON.stringify(cfg.environment)}): the models would answer anyone who reaches the load balancer; use type "jwt" with your OIDC issuer`,
    });
  }
  const path = isObj(cfg.traffic) && isObj(cfg.traffic.healthCheck) ? cfg.traffic.healthCheck.path : undefined;
  if (auth.type === "jwt" && typeof path === "string" && !PROBE_PATHS.includes(path)) {
    issues.push({
      path: ["traffic", "healthCheck", "path"],
      message: `"${path}" would need a token, which Route 53 health checks cannot send; with serving.auth.type "jwt" use one of ${PROBE_PATHS.join(", ")} (answered without a token, GET only)`,
    });
  }
  return issues;
}

/** Routes in a plan that serve without authentication, as `namespace/name` (the summary's warning). */
export function unauthenticatedRoutes(resources: readonly { type: string; inputs: Record<string, unknown> }[]): string[] {
  return resources
    .filter((r) => r.type === "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
    .filter((r) => isObj(r.inputs.metadata) && isObj(r.inputs.metadata.annotations) && r.inputs.metadata.annotations[UNAUTHENTICATED_ANNOTATION] !== undefined)
    .map((r) => {
      const m = r.inputs.metadata as Record<string, unknown>;
      return `${String(m.namespace)}/${String(m.name)}`;
    });
}
