import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { planEnvironment } from "./workload";
import { arr, at, byType, obj, str, strMap, TYPES, withFlagger } from "./common";

/**
 * model-endpoints-authenticated: the models answer only authenticated clients, each held to a rate
 * limit, read from the recorded Gateway API routes and Envoy Gateway policies.
 *
 * Envoy Gateway semantics, envoyproxy/gateway v1.7.4 (read 2026-11-25):
 * - a SecurityPolicy or BackendTrafficPolicy attaches to targets in its own namespace only
 *   (api/v1alpha1/policy_helpers.go: "This policy and the TargetRef MUST be in the same namespace");
 * - the most specific policy wins and replaces the others, it does not merge with them: route rule
 *   (targetRef sectionName) over route over Gateway listener (sectionName) over Gateway
 *   (internal/gatewayapi/securitypolicy.go and backendtrafficpolicy.go, "overridden" conditions);
 * - jwt.optional lets a request without a token through (api/v1alpha1/jwt_types.go).
 * So the effective policy of each route rule on each listener is looked up, and that one must
 * authenticate (jwt without optional, apiKeyAuth or oidc) and limit the rate.
 *
 * Which routes: every HTTPRoute outside dev. In dev, routes a public entry reaches (the plan has an
 * internet-facing load balancer, or a TargetGroupBinding, which is how the gateway joins the NLB of
 * the platform project) may serve without authentication only when marked so on purpose (the
 * `llm-blueprint/unauthenticated` annotation the `serving.auth.type: none` flag writes).
 *
 * A route whose every match is GET on an exact path among PROBE_PATHS runs no inference (vLLM's model
 * list and health endpoint) and is left open for health checkers, which cannot send a token.
 */

const TYPE = {
  gateway: "kubernetes:gateway.networking.k8s.io/v1:Gateway",
  securityPolicy: "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy",
  backendTrafficPolicy: "kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy",
  targetGroupBinding: "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding",
  loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
} as const;

/** vLLM OpenAI server GET paths that run no inference (the ones this blueprint probes). */
const PROBE_PATHS = ["/v1/models", "/health"];
const UNAUTHENTICATED_ANNOTATION = "llm-blueprint/unauthenticated";
const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

interface Target {
  readonly kind: string;
  readonly name: string;
  readonly sectionName?: string;
}

interface Policy {
  readonly resource: PolicyResource;
  /** The cluster it is applied to: its kubernetes provider's URN (every region has the same names). */
  readonly cluster: string;
  readonly namespace: string;
  readonly name: string;
  readonly targets: readonly Target[];
  /** Why the policy's targets cannot be told (targetSelectors with expressions); fail closed. */
  readonly unreadable?: string;
}

const clusterOf = (r: PolicyResource) => r.provider?.urn ?? "";
const meta = (r: PolicyResource) => ({ name: str(at(r.props, "metadata.name")) ?? "", namespace: str(at(r.props, "metadata.namespace")) ?? "default" });

function policiesOf(resources: readonly PolicyResource[], type: string, routes: readonly PolicyResource[]): Policy[] {
  return byType(resources, type).map((r) => {
    const { name, namespace } = meta(r);
    const spec = obj(r.props.spec);
    const refs = [...arr(spec.targetRefs), ...(spec.targetRef ? [spec.targetRef] : [])].map(obj);
    const targets: Target[] = refs
      .filter((t) => (str(t.group) ?? GATEWAY_API_GROUP) === GATEWAY_API_GROUP)
      .map((t) => ({ kind: str(t.kind) ?? "", name: str(t.name) ?? "", ...(str(t.sectionName) ? { sectionName: str(t.sectionName) } : {}) }));
    let unreadable: string | undefined;
    for (const sel of arr(spec.targetSelectors).map(obj)) {
      if (arr(sel.matchExpressions).length > 0) {
        unreadable = `${type.split(":").pop()} ${namespace}/${name} selects targets with matchExpressions, which this check does not evaluate`;
        continue;
      }
      const want = strMap(sel.matchLabels);
      const kind = str(sel.kind) ?? "";
      // Label selection of routes in the policy's namespace (Gateways likewise).
      const candidates = kind === "HTTPRoute" ? routes : kind === "Gateway" ? byType(resources, TYPE.gateway) : [];
      for (const c of candidates) {
        const labels = strMap(at(c.props, "metadata.labels"));
        if (clusterOf(c) === clusterOf(r) && meta(c).namespace === namespace && Object.entries(want).every(([k, v]) => labels[k] === v)) targets.push({ kind, name: meta(c).name });
      }
    }
    return { resource: r, cluster: clusterOf(r), namespace, name, targets, ...(unreadable ? { unreadable } : {}) };
  });
}

/** The most specific policies that apply to one rule of a route on one listener of one Gateway. */
function effective(all: readonly Policy[], route: { cluster: string; namespace: string; name: string; ruleName?: string }, gateway: { namespace: string; name: string; listener?: string }): Policy[] {
  const policies = all.filter((p) => p.cluster === route.cluster);
  const levels: ((p: Policy) => boolean)[] = [
    (p) => p.namespace === route.namespace && route.ruleName !== undefined && p.targets.some((t) => t.kind === "HTTPRoute" && t.name === route.name && t.sectionName === route.ruleName),
    (p) => p.namespace === route.namespace && p.targets.some((t) => t.kind === "HTTPRoute" && t.name === route.name && t.sectionName === undefined),
    (p) => p.namespace === gateway.namespace && gateway.listener !== undefined && p.targets.some((t) => t.kind === "Gateway" && t.name === gateway.name && t.sectionName === gateway.listener),
    (p) => p.namespace === gateway.namespace && p.targets.some((t) => t.kind === "Gateway" && t.name === gateway.name && t.sectionName === undefined),
  ];
  for (const level of levels) {
    const found = policies.filter(level);
    if (found.length > 0) return found;
  }
  return [];
}

/** What a SecurityPolicy authenticates with, or undefined when it lets anyone through. */
function authenticationOf(p: Policy): { mechanism?: string; claimHeaders: Set<string>; problem?: string } {
  const spec = obj(p.resource.props.spec);
  const jwt = obj(spec.jwt);
  const providers = arr(jwt.providers).map(obj);
  const claimHeaders = new Set(providers.flatMap((pr) => arr(pr.claimToHeaders).map((c) => str(obj(c).header)?.toLowerCase() ?? "")));
  if (providers.length > 0) {
    if (jwt.optional === true) return { claimHeaders, problem: "its jwt is optional, so a request without a token is let through" };
    const noAudience = providers.filter((pr) => arr(pr.audiences).length === 0).map((pr) => str(pr.name) ?? "?");
    if (noAudience.length > 0) return { claimHeaders, problem: `jwt provider(s) ${noAudience.join(", ")} check no audience, so any token the issuer signs for any service is accepted` };
    return { mechanism: "jwt", claimHeaders };
  }
  if (Object.keys(obj(spec.apiKeyAuth)).length > 0) return { mechanism: "apiKeyAuth", claimHeaders };
  if (Object.keys(obj(spec.oidc)).length > 0) return { mechanism: "oidc", claimHeaders };
  return { claimHeaders, problem: "it sets none of jwt, apiKeyAuth or oidc" };
}

/** Whether a BackendTrafficPolicy limits requests, and whether per client. */
function rateLimitOf(p: Policy): { limited: boolean; perClientHeaders: Set<string>; perSourceIp: boolean } {
  const rl = obj(obj(p.resource.props.spec).rateLimit);
  const rules = [...arr(at(rl, "local.rules")), ...arr(at(rl, "global.rules"))].map(obj);
  const limited = rules.some((r) => typeof at(r, "limit.requests") === "number" && (at(r, "limit.requests") as number) > 0);
  const selectors = rules.flatMap((r) => arr(r.clientSelectors).map(obj));
  const perClientHeaders = new Set(selectors.flatMap((s) => arr(s.headers).map(obj)).filter((h) => h.type === "Distinct").map((h) => (str(h.name) ?? "").toLowerCase()));
  const perSourceIp = selectors.some((s) => at(s, "sourceCIDR.type") === "Distinct");
  return { limited, perClientHeaders, perSourceIp };
}

function isProbeOnly(route: PolicyResource): boolean {
  const rules = arr(at(route.props, "spec.rules")).map(obj);
  const matches = rules.flatMap((r) => arr(r.matches).map(obj));
  // A rule without matches matches every path.
  return rules.length > 0 && rules.every((r) => arr(r.matches).length > 0) && matches.every((m) => m.method === "GET" && at(m, "path.type") === "Exact" && PROBE_PATHS.includes(str(at(m, "path.value")) ?? ""));
}

const exposedBy = (resources: readonly PolicyResource[]): string | undefined => {
  const lb = byType(resources, TYPE.loadBalancer).find((r) => r.props.internal !== true);
  if (lb) return `internet-facing load balancer ${lb.name}`;
  const tgb = byType(resources, TYPE.targetGroupBinding)[0];
  return tgb ? `TargetGroupBinding ${tgb.name} (the gateway behind the platform's NLB)` : undefined;
};

export const modelEndpointsAuthenticated: StackValidationPolicy = {
  name: "model-endpoints-authenticated",
  description:
    "Every model route (outside dev: all of them; in dev: those a public load balancer reaches, unless marked as knowingly unauthenticated) has an effective Envoy Gateway SecurityPolicy authenticating clients (jwt, apiKeyAuth or oidc) and a BackendTrafficPolicy limiting each client's requests.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    // The model routes Flagger generates from Canaries count as much as the program's own.
    const resources = withFlagger(args.resources);
    const routes = byType(resources, TYPES.httpRoute);
    if (routes.length === 0) return;
    const env = planEnvironment(resources);
    if (!env.environment) {
      reportViolation(`cannot tell whether the model routes may go unauthenticated: ${env.problem}`);
      return;
    }
    const exposure = exposedBy(resources);
    const dev = env.environment === "dev";
    if (dev && !exposure) return; // in-cluster clients only

    const security = policiesOf(resources, TYPE.securityPolicy, routes);
    const traffic = policiesOf(resources, TYPE.backendTrafficPolicy, routes);
    for (const p of [...security, ...traffic]) if (p.unreadable) reportViolation(`${p.unreadable}; name targets with targetRefs`, p.resource.urn);
    const gateways = byType(resources, TYPE.gateway);

    for (const route of routes) {
      const { name, namespace } = meta(route);
      const id = `HTTPRoute ${namespace}/${name}`;
      if (isProbeOnly(route)) continue;
      const acknowledged = str(strMap(at(route.props, "metadata.annotations"))[UNAUTHENTICATED_ANNOTATION]);
      if (acknowledged !== undefined && !dev) {
        reportViolation(`${id} is marked ${UNAUTHENTICATED_ANNOTATION} ("${acknowledged}") in environment ${env.environment}: serving without authentication is allowed only in dev; set serving.auth.type "jwt"`, route.urn);
      }
      const mayGoOpen = dev && acknowledged !== undefined;

      // Each rule of the route on each listener it attaches to.
      const ruleNames = arr(at(route.props, "spec.rules")).map((r) => str(obj(r).name));
      const units: { rule?: string; gateway: { namespace: string; name: string; listener?: string } }[] = [];
      for (const parent of arr(at(route.props, "spec.parentRefs")).map(obj)) {
        if ((str(parent.kind) ?? "Gateway") !== "Gateway") continue;
        const gw = { namespace: str(parent.namespace) ?? namespace, name: str(parent.name) ?? "" };
        const gwResource = gateways.find((g) => clusterOf(g) === clusterOf(route) && meta(g).name === gw.name && meta(g).namespace === gw.namespace);
        const listeners = str(parent.sectionName) ? [str(parent.sectionName)] : gwResource ? arr(at(gwResource.props, "spec.listeners")).map((l) => str(obj(l).name)) : [undefined];
        for (const rule of ruleNames.length > 0 ? ruleNames : [undefined]) for (const listener of listeners) units.push({ rule, gateway: { ...gw, ...(listener ? { listener } : {}) } });
      }
      if (units.length === 0) {
        reportViolation(`${id} names no Gateway parent, so which policies apply cannot be told`, route.urn);
        continue;
      }

      const problems = new Set<string>();
      for (const unit of units) {
        const where = `${unit.rule ? `rule ${unit.rule}` : "its rules"} on ${unit.gateway.namespace}/${unit.gateway.name}${unit.gateway.listener ? ` listener ${unit.gateway.listener}` : ""}`;
        const sp = effective(security, { cluster: clusterOf(route), namespace, name, ruleName: unit.rule }, unit.gateway);
        const auths = sp.map((p) => ({ p, a: authenticationOf(p) }));
        if (!mayGoOpen) {
          if (sp.length === 0) problems.add(`${where}: no SecurityPolicy targets the route or its Gateway, so anyone reaching the gateway can call the model${exposure ? ` (the plan has a public entry: ${exposure})` : ""}`);
          for (const { p, a } of auths) if (a.problem) problems.add(`${where}: SecurityPolicy ${p.namespace}/${p.name} applies but ${a.problem}`);
        }
        const bt = effective(traffic, { cluster: clusterOf(route), namespace, name, ruleName: unit.rule }, unit.gateway);
        const limits = bt.map((p) => ({ p, l: rateLimitOf(p) }));
        if (bt.length === 0) problems.add(`${where}: no BackendTrafficPolicy targets the route or its Gateway, so nothing limits a client's requests`);
        for (const { p, l } of limits) {
          if (!l.limited) {
            problems.add(`${where}: BackendTrafficPolicy ${p.namespace}/${p.name} applies but sets no rateLimit rule with a request limit`);
            continue;
          }
          // Authenticated clients are told apart by a header a JWT claim fills (or by source address).
          const claimHeaders = new Set(auths.flatMap(({ a }) => [...a.claimHeaders]));
          const jwtAuth = auths.some(({ a }) => a.mechanism === "jwt");
          if (jwtAuth && !l.perSourceIp && ![...l.perClientHeaders].some((h) => claimHeaders.has(h))) {
            problems.add(
              `${where}: BackendTrafficPolicy ${p.namespace}/${p.name} limits no single client: no rule selects a Distinct header that the SecurityPolicy fills from a JWT claim (claimToHeaders: ${[...claimHeaders].join(", ") || "none"}) or a Distinct source address`,
            );
          }
        }
      }
      for (const problem of problems) reportViolation(`${id} ${problem}`, route.urn);
    }
  },
};
