import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { PlanDocument, PlanResource } from "../../lib/plan/document";
import { evaluatePolicies } from "../../lib/plan/policy";
import { servedTracks } from "../../lib/plan/summary";
import { WARM_PREVIOUS_KEPT_POLICY, warmPreviousViolations } from "../../lib/plan/warmPrevious";
import { loadApprovals, PACK_NAME } from "../../policies/pack";
import { CANARY_TYPE, TYPES } from "../../policies/rules/common";
import { approvedModelVersions } from "../../policies/rules/governance";
import { warmPreviousWindow } from "../../policies/rules/warmPrevious";
import { planStack, recordProjects } from "../../tools/engine/run";
import { evaluate, recordStack } from "./harness";

const root = path.resolve(__dirname, "../..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warm-previous-"));
const servingProd = fs.readFileSync(path.join(root, "serving", "stacks", "Pulumi.prod.yaml"), "utf8");
const PREVIOUS = "llama-3.1-8b-instruct@0e9e39f249a16976918f6564b8830bc894c89659";
const FP8 = "llama-3.1-8b-instruct-fp8@7c4f8b1a2d3e5f60718293a4b5c6d7e8f9012345";
const { deployment: DEPLOYMENT, scaledObject: SCALED_OBJECT, httpRoute: HTTP_ROUTE } = TYPES;
const CANARY = CANARY_TYPE;

type Meta = { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
const meta = (r: PlanResource) => r.inputs.metadata as Meta;
const spec = <T = Record<string, unknown>>(r: PlanResource) => r.inputs.spec as T;
const named = (rs: PlanResource[], type: string, name: string) => rs.filter((r) => r.type === type && meta(r).name === name);

/** The committed prod serving file with one edit, in a directory of its own (the file keeps its stack's name). */
function servingVariant(name: string, edit: (text: string) => string): string {
  const edited = edit(servingProd);
  if (edited === servingProd) throw new Error(`${name}: the edit changed nothing`);
  fs.mkdirSync(path.join(dir, name));
  const file = path.join(dir, name, "Pulumi.prod.yaml");
  fs.writeFileSync(file, edited);
  return file;
}
const serveEdit = (t: string) => t.replace(`          since: "2026-11-25"\n`, `          since: "2026-11-25"\n          serve: true\n`);
const withoutPrevious = (t: string) => t.replace(`        previous:\n          version: ${PREVIOUS}\n          since: "2026-11-25"\n`, "");

describe("prod keeps the version chat-small's change replaces warm", () => {
  let prod: PlanResource[];
  beforeAll(async () => {
    prod = await recordStack("prod");
  });

  it("declares per region a Deployment, Service and ScaledObject of the previous version at the endpoint's minimum, warm through since + 7 days, with no route to it", () => {
    const deployments = named(prod, DEPLOYMENT, "chat-small-previous");
    expect(deployments).toHaveLength(3);
    for (const d of deployments) {
      expect(meta(d).annotations["llm-blueprint/version"]).toBe(PREVIOUS);
      expect(meta(d).labels["llm-blueprint/track"]).toBe("previous");
      expect(meta(d).annotations["llm-blueprint/warm-until"]).toBe("2026-12-02");
    }
    const scalers = named(prod, SCALED_OBJECT, "chat-small-previous");
    // serving/stacks/Pulumi.prod.yaml: chat-small replicas { min: 2, max: 8 }.
    expect(scalers.map((s) => [spec<{ minReplicaCount: number }>(s).minReplicaCount, spec<{ maxReplicaCount: number }>(s).maxReplicaCount])).toEqual([
      [2, 8],
      [2, 8],
      [2, 8],
    ]);
    expect(named(prod, "kubernetes:core/v1:Service", "chat-small-previous")).toHaveLength(3);
    const routesToIt = prod.filter((r) => r.type === HTTP_ROUTE && JSON.stringify(r.inputs.spec).includes('"chat-small-previous"'));
    expect(routesToIt).toEqual([]);
    expect(servedTracks({ resources: prod } as unknown as PlanDocument).filter((t) => t.track === "previous").map((t) => t.traffic)).toEqual(["warm", "warm", "warm"]);
    for (const c of named(prod, CANARY, "chat-small")) expect(meta(c).annotations["llm-blueprint/keep-previous-warm"]).toBe("7d");
  });

  it("warm-previous passes on prod and fails when nothing keeps it up, its last day is not recorded, or the Canary keeps no window", async () => {
    expect(await evaluate(prod, { policy: "warm-previous" })).toEqual([]);
    const messages = async (mutate: (rs: PlanResource[]) => void) => (await evaluate(prod, { policy: "warm-previous", mutate })).map((v) => v.message);
    expect(
      await messages((rs) => {
        for (const s of named(rs, SCALED_OBJECT, "chat-small-previous")) spec<{ minReplicaCount: number }>(s).minReplicaCount = 0;
      }),
    ).toEqual(Array(3).fill("Deployment chat-small/chat-small-previous (warm previous): its ScaledObject's minReplicaCount is 0; a warm version keeps at least 1 replica, or a rollback starts cold"));
    expect(
      await messages((rs) => {
        for (const d of named(rs, DEPLOYMENT, "chat-small-previous")) delete meta(d).annotations["llm-blueprint/warm-until"];
      }),
    ).toEqual(Array(3).fill("Deployment chat-small/chat-small-previous (warm previous): annotation llm-blueprint/warm-until is missing; it must be its last warm day, YYYY-MM-DD"));
    expect(
      await messages((rs) => {
        for (const c of named(rs, CANARY, "chat-small")) meta(c).annotations["llm-blueprint/keep-previous-warm"] = "0d";
      }),
    ).toEqual(Array(3).fill("Deployment chat-small/chat-small-previous (warm previous): Canary chat-small/chat-small keeps no window (llm-blueprint/keep-previous-warm 0d); set rollout.keepPreviousWarm or remove previous"));
  });

  it("a candidate kept warm is refused like any version that could serve (a rollback would send it every request)", async () => {
    const approvals = loadApprovals();
    const previousCandidate = { ...approvals, models: approvals.models.map((m) => (`${m.name}@${m.revision}` === PREVIOUS ? { ...m, status: "candidate" as const } : m)) };
    const violations = await evaluatePolicies(prod, [approvedModelVersions(previousCandidate)], { packName: PACK_NAME });
    expect(violations.map((v) => v.urn!.split("::").pop())).toEqual(["us-east-1-chat-small-previous-deployment", "us-west-2-chat-small-previous-deployment", "us-east-2-chat-small-previous-deployment"]);
    for (const v of violations) expect(v.message).toMatch(/runs candidate llama-3\.1-8b-instruct@0e9e39f2\S* as previous; a candidate may only shadow until approved/);
  });

  it("warm-previous-window (advisory) reminds once the last warm day has passed, at an injected clock", async () => {
    const at = async (time: string) => evaluatePolicies(prod, [warmPreviousWindow(() => Date.parse(time))], { packName: PACK_NAME });
    expect(await at("2026-12-02T23:59:59Z")).toEqual([]);
    const late = await at("2026-12-03T00:00:00Z");
    expect(late.map((v) => [v.enforcementLevel, v.urn!.split("::").pop()])).toEqual(["us-east-1", "us-west-2", "us-east-2"].map((r) => ["advisory", `${r}-chat-small-previous-deployment`]));
    expect(late[0].message).toBe(`Deployment chat-small/chat-small-previous: ${PREVIOUS} was to stay warm through 2026-12-02 (today 2026-12-03 UTC); remove models[].previous of chat-small to free its GPUs`);
  });
});

describe("emergency rollback: previous.serve sends every request to the warm version", () => {
  let serve: PlanResource[];
  beforeAll(async () => {
    serve = (await recordProjects({ projectDir: root, stack: "prod", project: "serving", configFile: servingVariant("serve", serveEdit) })).resources;
  });

  it("adds per region a route that outranks Flagger's (its hostnames and path, every method) to the warm Service; auth, rate limit and the probe follow", () => {
    const routes = named(serve, HTTP_ROUTE, "chat-small-warm-rollback");
    expect(routes).toHaveLength(3);
    for (const route of routes) {
      const canary = serve.find((c) => c.type === CANARY && c.provider === route.provider && meta(c).name === "chat-small")!;
      const s = spec<{ hostnames: string[]; rules: { matches: { method: string; path: unknown }[]; backendRefs: unknown[] }[] }>(route);
      expect(s.hostnames).toEqual(spec<{ service: { hosts: string[] } }>(canary).service.hosts);
      expect(s.rules[0].matches.map((m) => m.method).sort()).toEqual(["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"]);
      expect(s.rules[0].backendRefs).toEqual([{ name: "chat-small-previous", port: 8000 }]);
      const inNs = (type: string) => serve.find((r) => r.type === type && r.provider === route.provider && meta(r).namespace === "chat-small")!;
      for (const policy of [inNs("kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"), inNs("kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy")]) {
        expect(spec<{ targetRefs: { name: string }[] }>(policy).targetRefs.map((t) => t.name)).toEqual(["chat-small", "chat-small-warm-rollback"]);
      }
      const probe = serve.find((r) => r.type === HTTP_ROUTE && r.provider === route.provider && meta(r).name === "chat-small-probe")!;
      expect(spec<{ rules: { backendRefs: { name: string }[] }[] }>(probe).rules[0].backendRefs.map((b) => b.name)).toEqual(["chat-small-previous"]);
    }
    const traffic = servedTracks({ resources: serve } as unknown as PlanDocument).filter((t) => t.endpoint === "chat-small");
    expect(traffic.map((t) => [t.track, t.traffic])).toEqual([...Array(3).fill(["stable", "bypassed"]), ...Array(3).fill(["previous", "all"])]);
  });

  it("passes the whole pack: traffic path, timeouts, authentication, capacity (the warm version now live) and warm-previous", async () => {
    expect((await evaluate(serve)).filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
  });

  it("an emergency route the SecurityPolicy does not cover is refused (it would serve the model without a token)", async () => {
    const violations = await evaluate(serve, {
      policy: "model-endpoints-authenticated",
      mutate: (rs) => {
        for (const p of rs.filter((r) => r.type === "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy" && meta(r).namespace === "chat-small")) {
          const s = spec<{ targetRefs: { name: string }[] }>(p);
          s.targetRefs = s.targetRefs.filter((t) => t.name !== "chat-small-warm-rollback");
        }
      },
    });
    // Two listeners (http behind the NLB's TLS, tls-offload) per region.
    expect(violations.map((v) => v.urn!.split("::").pop())).toEqual(["us-east-1", "us-west-2", "us-east-2"].flatMap((r) => Array(2).fill(`${r}-chat-small-warm-rollback-route`)));
    for (const v of violations) expect(v.message).toMatch(/^HTTPRoute chat-small\/chat-small-warm-rollback its rules on .*: no SecurityPolicy targets the route or its Gateway, so anyone reaching the gateway can call the model/);
  });

  it("warm-previous refuses a takeover that misses a method, a hostname or the rewrite, or ties with Flagger's rule", async () => {
    const messages = async (mutate: (rule: { matches: Record<string, unknown>[]; filters?: unknown[] }, route: PlanResource) => void) =>
      (
        await evaluate(serve, {
          policy: "warm-previous",
          mutate: (rs) => {
            const route = rs.find((r) => r.type === HTTP_ROUTE && meta(r).name === "chat-small-warm-rollback" && r.urn.includes("us-east-1"))!;
            mutate(spec<{ rules: { matches: Record<string, unknown>[] }[] }>(route).rules[0], route);
          },
        })
      ).map((v) => v.message);
    expect(await messages((rule) => (rule.matches = rule.matches.filter((m) => m.method !== "PATCH")))).toEqual([
      "HTTPRoute chat-small/chat-small-warm-rollback (warm rollback): PathPrefix / is not matched for PATCH; those requests still reach Flagger's primary",
    ]);
    expect(await messages((rule) => delete rule.matches[0].method)).toEqual([
      "HTTPRoute chat-small/chat-small-warm-rollback (warm rollback): match on PathPrefix / has no method, so it ties with Flagger's rule and the older route (Flagger's) keeps the requests; match each method",
      "HTTPRoute chat-small/chat-small-warm-rollback (warm rollback): PathPrefix / is not matched for GET; those requests still reach Flagger's primary",
    ]);
    expect(await messages((_rule, route) => spec<{ hostnames: string[] }>(route).hostnames.pop())).toEqual([expect.stringMatching(/^HTTPRoute chat-small\/chat-small-warm-rollback \(warm rollback\): hostnames \[.+\] differ from those of Canary chat-small\/chat-small's route \[.+\]; requests on the others still reach Flagger's primary$/)]);
    expect(await messages((rule) => (rule.filters = [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/v1" } } }]))).toEqual([expect.stringMatching(/URL rewrite .*ReplacePrefixMatch.* differs from Flagger's route \[\]; the previous version would see other paths than the primary does$/)]);
  });
});

describe("warm-previous-kept: a version change against the deployed baseline must keep what it replaces warm", () => {
  let prod: PlanDocument;
  /** prod as deployed before the change: chat-small's Canary (and target) still on the previous version. */
  let base: PlanDocument;
  beforeAll(async () => {
    prod = { stack: "prod", project: "llm-blueprint", resources: await recordStack("prod"), outputs: {}, policy: { violations: [] } };
    base = structuredClone(prod);
    const [model, revision] = PREVIOUS.split("@");
    for (const c of base.resources.filter((r) => r.type === CANARY && meta(r).name === "chat-small")) Object.assign(meta(c).labels, { "llm-blueprint/model": model, "llm-blueprint/revision": revision });
  });
  const gate = (head: PlanDocument, prodStack = true) => warmPreviousViolations(base, head, { prod: prodStack, packName: PACK_NAME, baseLabel: "base.json", today: "2026-11-25" });

  it("passes the committed change (previous names the version the baseline serves); no change, no check", () => {
    expect(gate(prod)).toEqual([]);
    expect(warmPreviousViolations(prod, prod, { prod: true, packName: PACK_NAME, baseLabel: "x", today: "2026-11-25" })).toEqual([]);
  });

  it("refuses the change without previous, or keeping another version warm, in prod only, naming the line to add", () => {
    const without = { ...prod, resources: prod.resources.filter((r) => !(r.type === DEPLOYMENT && meta(r).name === "chat-small-previous")) };
    const violations = gate(without);
    expect(violations.map((v) => [v.policy, v.enforcementLevel, v.urn!.split("::").pop()])).toEqual(["us-east-1", "us-west-2", "us-east-2"].map((r) => [WARM_PREVIOUS_KEPT_POLICY, "mandatory", `${r}-chat-small-canary`]));
    expect(violations[0].message).toBe(
      `chat-small changes from ${PREVIOUS} (base.json) to ${FP8} without keeping the replaced version warm for 7d; add to serving.models[] chat-small: previous: { version: ${PREVIOUS}, since: "2026-11-25" }, or set rollout.keepPreviousWarm: "0d" to roll out with no warm rollback`,
    );
    expect(gate(without, false)).toEqual([]);
    const other = structuredClone(prod);
    for (const d of other.resources.filter((r) => r.type === DEPLOYMENT && meta(r).name === "chat-small-previous")) meta(d).annotations["llm-blueprint/version"] = "llama-3.1-70b-instruct@1605565b47bb9346c5515c34102e054115b4f98b";
    expect(gate(other)[0].message).toMatch(/but keeps llama-3\.1-70b-instruct@1605565b\S* warm, not the version it replaces for 7d/);
    const optedOut = structuredClone(without);
    for (const c of optedOut.resources.filter((r) => r.type === CANARY)) meta(c).annotations["llm-blueprint/keep-previous-warm"] = "0d";
    expect(gate(optedOut)).toEqual([]);
  });

  it("going back to the version the baseline keeps warm needs nothing kept: the version left is the one that failed", () => {
    const back = structuredClone(prod);
    const [model, revision] = PREVIOUS.split("@");
    for (const c of back.resources.filter((r) => r.type === CANARY && meta(r).name === "chat-small")) Object.assign(meta(c).labels, { "llm-blueprint/model": model, "llm-blueprint/revision": revision });
    const warmGone = { ...back, resources: back.resources.filter((r) => !(r.type === DEPLOYMENT && meta(r).name === "chat-small-previous")) };
    expect(warmPreviousViolations(prod, warmGone, { prod: true, packName: PACK_NAME, baseLabel: "deployed", today: "2026-11-26" })).toEqual([]);
    // Going anywhere else from there is a change like any other.
    const elsewhere = structuredClone(warmGone);
    for (const c of elsewhere.resources.filter((r) => r.type === CANARY && meta(r).name === "chat-small")) Object.assign(meta(c).labels, { "llm-blueprint/model": "llama-3.1-70b-instruct", "llm-blueprint/revision": "1605565b47bb9346c5515c34102e054115b4f98b" });
    expect(warmPreviousViolations(prod, elsewhere, { prod: true, packName: PACK_NAME, baseLabel: "deployed", today: "2026-11-26" })).toHaveLength(3);
  });

  it("runs in the plan against a baseline: the prod serving plan without previous fails with exit-1 violations", async () => {
    const doc = await planStack({ projectDir: root, stack: "prod", project: "serving", configFile: servingVariant("no-previous", withoutPrevious), baseline: { doc: base, label: "base.json" } });
    expect(doc.policy.violations.filter((v) => v.policy === WARM_PREVIOUS_KEPT_POLICY)).toHaveLength(3);
  });
});
