import { describe, expect, it } from "vitest";
import { authIssues, CLIENT_ID_HEADER, rateLimitPolicySpec, securityPolicySpec, unauthenticatedRoutes, UNAUTHENTICATED_ANNOTATION } from "../../lib/auth";
import { validateKubernetesObject } from "../../policies/rules/schemas";

const JWT = { type: "jwt", issuer: "https://idp.example.com", jwksUri: "https://idp.example.com/keys", audiences: ["llm"], clientClaim: "sub" } as const;
const NONE = { type: "none", acknowledgeUnauthenticated: true } as const;
const kind = (k: string) => ({ group: "gateway.envoyproxy.io", version: "v1alpha1", kind: k, apiVersion: "gateway.envoyproxy.io/v1alpha1" });

describe("gateway auth specs", () => {
  it("requires the issuer's JWT on the route and copies the client claim into the header the limit keys on", async () => {
    const spec = securityPolicySpec(JWT, "chat");
    expect(spec.targetRefs).toEqual([{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "chat" }]);
    expect(spec.jwt.providers[0]).toMatchObject({ issuer: JWT.issuer, audiences: ["llm"], remoteJWKS: { uri: JWT.jwksUri }, claimToHeaders: [{ header: CLIENT_ID_HEADER, claim: "sub" }] });
    expect(await validateKubernetesObject(kind("SecurityPolicy"), { metadata: { name: "chat", namespace: "chat" }, spec })).toEqual([]);
  });

  it("limits each client by that header with JWT, and the whole route without authentication", async () => {
    const perClient = rateLimitPolicySpec(JWT, { requestsPerMinute: 90 }, "chat");
    expect(perClient.rateLimit.local.rules).toEqual([{ clientSelectors: [{ headers: [{ type: "Distinct", name: CLIENT_ID_HEADER }] }], limit: { requests: 90, unit: "Minute" } }]);
    expect(rateLimitPolicySpec(NONE, { requestsPerMinute: 30 }, "chat").rateLimit.local.rules).toEqual([{ limit: { requests: 30, unit: "Minute" } }]);
    expect(await validateKubernetesObject(kind("BackendTrafficPolicy"), { metadata: { name: "chat", namespace: "chat" }, spec: perClient })).toEqual([]);
  });
});

describe("authIssues", () => {
  it("refuses no authentication outside dev, naming the key", () => {
    expect(authIssues({ environment: "prod", serving: { auth: NONE } })).toEqual([{ path: ["serving", "auth", "type"], message: expect.stringContaining('"none" is allowed only when environment is dev (this stack is "prod")') }]);
    expect(authIssues({ environment: "dev", serving: { auth: NONE } })).toEqual([]);
  });

  it("with JWT, refuses a health-check path that would need a token Route 53 cannot send", () => {
    expect(authIssues({ environment: "prod", serving: { auth: JWT }, traffic: { healthCheck: { path: "/v1/completions" } } })).toEqual([
      { path: ["traffic", "healthCheck", "path"], message: expect.stringContaining('"/v1/completions" would need a token, which Route 53 health checks cannot send') },
    ]);
    expect(authIssues({ environment: "prod", serving: { auth: JWT }, traffic: { healthCheck: { path: "/v1/models" } } })).toEqual([]);
  });
});

describe("unauthenticatedRoutes", () => {
  it("lists the routes marked unauthenticated, for the plan summary's warning", () => {
    const route = (name: string, annotations?: Record<string, string>) => ({ type: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", inputs: { metadata: { name, namespace: name, ...(annotations ? { annotations } : {}) } } });
    expect(unauthenticatedRoutes([route("open", { [UNAUTHENTICATED_ANNOTATION]: "dev" }), route("closed")])).toEqual(["open/open"]);
  });
});
