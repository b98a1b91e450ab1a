import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { at, evaluate, recordStack } from "./harness";

const POLICY = "model-endpoints-authenticated";
const T = {
  route: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
  securityPolicy: "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy",
  trafficPolicy: "kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy",
  awsProvider: "pulumi:providers:aws",
};

let prod: PlanResource[];
let dev: PlanResource[];
beforeAll(async () => {
  prod = await recordStack("prod");
  dev = await recordStack("dev");
}, 300_000);

async function messages(mutate?: (rs: PlanResource[]) => void, resources = () => prod) {
  const vs = await evaluate(resources(), { policy: POLICY, mutate });
  for (const v of vs) expect(v.policy).toBe(POLICY);
  return vs.map((v) => v.message);
}

const named = (rs: PlanResource[], type: string, name: string) => {
  const r = rs.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type} ${name}`);
  return r;
};
const drop = (rs: PlanResource[], type: string, name: string) => rs.splice(rs.indexOf(named(rs, type, name)), 1);

/** Rewrites the environment default tag of every AWS provider (as the stack's config would). */
function setEnvironment(rs: PlanResource[], env: string) {
  for (const p of rs.filter((r) => r.type === T.awsProvider)) {
    const raw = p.inputs.defaultTags;
    const tags = typeof raw === "string" ? (JSON.parse(raw) as { tags: Record<string, string> }) : (raw as { tags: Record<string, string> });
    tags.tags["llm-blueprint:environment"] = env;
    (p.inputs as Record<string, unknown>).defaultTags = typeof raw === "string" ? JSON.stringify(tags) : tags;
  }
}

/**
 * Turns one endpoint into what `serving.auth.type: none` declares: no SecurityPolicy, the acknowledgement
 * on the route Flagger generates (from the Canary's spec.service.apex).
 */
function openUp(rs: PlanResource[], region: string, endpoint: string) {
  drop(rs, T.securityPolicy, `${region}-${endpoint}-auth`);
  at(named(rs, "kubernetes:flagger.app/v1beta1:Canary", `${region}-${endpoint}-canary`), "spec.service").apex = { annotations: { "llm-blueprint/unauthenticated": "serving.auth.type none" } };
}

describe("model-endpoints-authenticated", () => {
  it("passes on the committed prod stack, whose every route has a JWT SecurityPolicy and a per-client limit", async () => {
    expect(prod.filter((r) => r.type === T.securityPolicy).length).toBeGreaterThanOrEqual(6);
    expect(await messages()).toEqual([]);
  });

  it("passes on the committed dev stack (no public entry; routes knowingly unauthenticated)", async () => {
    expect(await messages(undefined, () => dev)).toEqual([]);
  });

  it("fails when a route's SecurityPolicy is removed", async () => {
    // One finding per listener the route attaches to (in-cluster http and the NLB's tls-offload).
    expect(await messages((rs) => drop(rs, T.securityPolicy, "us-west-2-chat-small-auth"))).toEqual(
      ["http", "tls-offload"].map((l) => expect.stringContaining(`HTTPRoute chat-small/chat-small its rules on inference-gateway/inference listener ${l}: no SecurityPolicy targets the route or its Gateway, so anyone reaching the gateway can call the model`)),
    );
  });

  it("fails when the SecurityPolicy targets another route", async () => {
    const msgs = await messages((rs) => {
      at<{ name: string }[]>(named(rs, T.securityPolicy, "us-east-1-chat-large-auth"), "spec.targetRefs")[0].name = "chat-small";
    });
    expect(msgs).toEqual(["http", "tls-offload"].map((l) => expect.stringContaining(`HTTPRoute chat-large/chat-large its rules on inference-gateway/inference listener ${l}: no SecurityPolicy targets`)));
  });

  it("fails when the jwt is optional or checks no audience", async () => {
    const msgs = await messages((rs) => {
      at(named(rs, T.securityPolicy, "us-east-1-chat-large-auth"), "spec.jwt").optional = true;
      delete at<Record<string, unknown>[]>(named(rs, T.securityPolicy, "us-east-2-chat-large-auth"), "spec.jwt.providers")[0].audiences;
    });
    expect(msgs).toContainEqual(expect.stringContaining("its jwt is optional, so a request without a token is let through"));
    expect(msgs).toContainEqual(expect.stringContaining("check no audience"));
  });

  it("fails when the rate limit is removed, or its policy is", async () => {
    const msgs = await messages((rs) => {
      delete at(named(rs, T.trafficPolicy, "us-east-1-chat-small-rate-limit"), "spec").rateLimit;
      drop(rs, T.trafficPolicy, "us-west-2-chat-large-rate-limit");
    });
    expect(msgs).toContainEqual(expect.stringMatching(/^HTTPRoute chat-small\/chat-small .*BackendTrafficPolicy chat-small\/chat-small applies but sets no rateLimit rule/));
    expect(msgs).toContainEqual(expect.stringMatching(/^HTTPRoute chat-large\/chat-large .*no BackendTrafficPolicy targets the route or its Gateway/));
  });

  it("fails when the limit is not per client (the header it keys on is not the one the JWT claim fills)", async () => {
    const msgs = await messages((rs) => {
      const rules = at<{ clientSelectors: { headers: { name: string }[] }[] }[]>(named(rs, T.trafficPolicy, "us-east-1-chat-small-rate-limit"), "spec.rateLimit.local.rules");
      rules[0].clientSelectors[0].headers[0].name = "x-anything-a-client-sends";
    });
    expect(msgs).toContainEqual(expect.stringContaining("limits no single client"));
  });

  it("fails on a none-auth route in prod, acknowledged or not", async () => {
    const msgs = await messages((rs) => openUp(rs, "us-east-1", "chat-small"));
    expect(msgs).toContainEqual(expect.stringContaining('is marked llm-blueprint/unauthenticated ("serving.auth.type none") in environment prod: serving without authentication is allowed only in dev'));
    expect(msgs).toContainEqual(expect.stringContaining("no SecurityPolicy targets the route"));
  });

  it("in dev behind a public load balancer, allows an unauthenticated route only when it is acknowledged", async () => {
    expect(
      await messages((rs) => {
        setEnvironment(rs, "dev");
        openUp(rs, "us-east-1", "chat-small");
      }),
    ).toEqual([]);
    const msgs = await messages((rs) => {
      setEnvironment(rs, "dev");
      drop(rs, T.securityPolicy, "us-east-1-chat-small-auth");
    });
    expect(msgs).toEqual(
      ["http", "tls-offload"].map((l) => expect.stringContaining(`HTTPRoute chat-small/chat-small its rules on inference-gateway/inference listener ${l}: no SecurityPolicy targets the route or its Gateway, so anyone reaching the gateway can call the model (the plan has a public entry: internet-facing load balancer`)),
    );
  });

  it("leaves the health-check route open only while it matches GET on a probe path", async () => {
    const msgs = await messages((rs) => {
      const match = at<{ path: { type: string; value: string } }[]>(named(rs, T.route, "us-east-1-chat-small-probe-route"), "spec.rules.0.matches")[0];
      match.path = { type: "PathPrefix", value: "/" };
    });
    expect(msgs).toContainEqual(expect.stringMatching(/^HTTPRoute chat-small\/chat-small-probe .*no SecurityPolicy targets the route/));
  });

  it("fails closed when the environment cannot be read", async () => {
    const msgs = await messages((rs) => {
      for (const p of rs.filter((r) => r.type === T.awsProvider)) delete (p.inputs as Record<string, unknown>).defaultTags;
    });
    expect(msgs).toEqual([expect.stringContaining("cannot tell whether the model routes may go unauthenticated: no AWS provider carries the llm-blueprint:environment default tag")]);
  });
});
