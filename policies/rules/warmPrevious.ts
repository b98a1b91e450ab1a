import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { planNow } from "../../lib/clock";
import { HTTP_METHODS, KEEP_PREVIOUS_WARM_ANNOTATION, takeoverBackends, WARM_UNTIL_ANNOTATION } from "../../lib/rollout";
import { arr, at, byType, CANARY_TYPE, flaggerRouteSpec, LABELS, obj, str, strMap, TYPES } from "./common";

/**
 * The version a change replaced, kept warm beside Flagger's primary so a rollback needs no cold start
 * (models[].previous, lib/rollout.ts). Read from the plan: the Deployment labelled track "previous",
 * its ScaledObject, the Canary of its namespace and, during an emergency rollback, the program's route
 * that sends every request to it ahead of the route Flagger generates.
 */

const sameNs = (a: PolicyResource, b: PolicyResource) => a.provider?.urn === b.provider?.urn && (str(at(a.props, "metadata.namespace")) ?? "default") === (str(at(b.props, "metadata.namespace")) ?? "default");
const nameOf = (r: PolicyResource) => `${str(at(r.props, "metadata.namespace")) ?? "default"}/${str(at(r.props, "metadata.name")) ?? r.name}`;
const previousDeployments = (rs: readonly PolicyResource[]) => byType(rs, TYPES.deployment).filter((d) => strMap(at(d.props, "metadata.labels"))[LABELS.track] === "previous");
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** JSON with object keys sorted, so equal filters compare equal whatever order the plan recorded them in. */
const canonical = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(canonical).join(",")}]` : v && typeof v === "object" ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}` : JSON.stringify(v);

interface Match {
  readonly path?: { readonly type?: string; readonly value?: string };
  readonly method?: string;
}

/** Rules of a program route that send requests, by path prefix and without weights, to one of `services`. */
function takeoverRules(route: PolicyResource, services: ReadonlySet<string>) {
  return arr(at(route.props, "spec.rules"))
    .map(obj)
    .filter((rule) => takeoverBackends({ rules: [rule] }).some((name) => services.has(name)));
}

/**
 * warm-previous: a previous version is really warm (a ScaledObject keeps at least one replica, its last
 * warm day is recorded, its endpoint's Canary keeps a window), and a route that hands it every request
 * really takes them all: the hostnames and path of the route Flagger builds from the Canary, each path
 * matched for every Gateway API method (a method match outranks Flagger's method-less rule; a match
 * without one ties with it, and the older route, Flagger's, wins), with Flagger's URL rewrite.
 */
export const warmPrevious: StackValidationPolicy = {
  name: "warm-previous",
  description:
    "A warm previous version keeps at least one replica, records its last warm day and belongs to an endpoint whose Canary keeps a window; a route that sends it every request covers the Canary route's hostnames and paths for every HTTP method, with the same URL rewrite.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const rs = args.resources;
    const previous = previousDeployments(rs);
    for (const d of previous) {
      const id = `Deployment ${nameOf(d)} (warm previous)`;
      const until = strMap(at(d.props, "metadata.annotations"))[WARM_UNTIL_ANNOTATION];
      if (until === undefined || !DAY.test(until)) report(`${id}: annotation ${WARM_UNTIL_ANNOTATION} is ${until === undefined ? "missing" : `"${until}"`}; it must be its last warm day, YYYY-MM-DD`, d.urn);
      const scaler = byType(rs, TYPES.scaledObject).find((s) => sameNs(s, d) && at(s.props, "spec.scaleTargetRef.name") === at(d.props, "metadata.name"));
      const min = Number(at(scaler?.props, "spec.minReplicaCount") ?? 0);
      if (!scaler) report(`${id}: no ScaledObject scales it, so nothing keeps a replica up or grows it when a rollback sends it traffic`, d.urn);
      else if (!(min >= 1)) report(`${id}: its ScaledObject's minReplicaCount is ${String(at(scaler.props, "spec.minReplicaCount"))}; a warm version keeps at least 1 replica, or a rollback starts cold`, scaler.urn);
      const canary = byType(rs, CANARY_TYPE).find((c) => sameNs(c, d));
      const keep = canary ? strMap(at(canary.props, "metadata.annotations"))[KEEP_PREVIOUS_WARM_ANNOTATION] : undefined;
      if (!canary) report(`${id}: no Canary in its namespace; a previous version is kept beside the endpoint Flagger rolls out`, d.urn);
      else if (keep === undefined || keep === "0d") report(`${id}: Canary ${nameOf(canary)} keeps no window (${KEEP_PREVIOUS_WARM_ANNOTATION} ${keep ?? "missing"}); set rollout.keepPreviousWarm or remove previous`, d.urn);
    }

    const services = new Set(previous.map((d) => str(at(d.props, "metadata.name")) ?? ""));
    for (const route of byType(rs, TYPES.httpRoute)) {
      const rules = takeoverRules(route, services);
      if (rules.length === 0) continue;
      const id = `HTTPRoute ${nameOf(route)} (warm rollback)`;
      const canary = byType(rs, CANARY_TYPE).find((c) => sameNs(c, route));
      if (!canary) {
        report(`${id}: no Canary in its namespace, so which requests it must take over cannot be told`, route.urn);
        continue;
      }
      const service = obj(at(canary.props, "spec.service"));
      const flagger = flaggerRouteSpec(service, str(service.name) ?? "", service.port);
      const hosts = (v: unknown) => arr(v).map(String).sort().join(", ");
      if (hosts(at(route.props, "spec.hostnames")) !== hosts(flagger.hostnames)) {
        report(`${id}: hostnames [${hosts(at(route.props, "spec.hostnames"))}] differ from those of Canary ${nameOf(canary)}'s route [${hosts(flagger.hostnames)}]; requests on the others still reach Flagger's primary`, route.urn);
      }
      const flaggerRule = obj(arr(flagger.rules)[0]);
      const flaggerPaths = arr(flaggerRule.matches).map((m) => obj(obj(m).path));
      const rewrite = (filters: unknown) => canonical(arr(filters).map(obj).filter((f) => f.type === "URLRewrite"));
      for (const rule of rules) {
        const matches = arr(rule.matches).map(obj) as Match[];
        for (const m of matches.filter((x) => x.method === undefined)) {
          report(`${id}: match on ${m.path?.type ?? "?"} ${m.path?.value ?? "?"} has no method, so it ties with Flagger's rule and the older route (Flagger's) keeps the requests; match each method`, route.urn);
        }
        for (const p of flaggerPaths) {
          const covered = new Set(matches.filter((m) => m.path?.type === p.type && m.path?.value === p.value).map((m) => m.method));
          const missing = HTTP_METHODS.filter((method) => !covered.has(method));
          if (missing.length > 0) report(`${id}: ${String(p.type)} ${String(p.value)} is not matched for ${missing.join(", ")}; those requests still reach Flagger's primary`, route.urn);
        }
        if (rewrite(rule.filters) !== rewrite(flaggerRule.filters)) {
          report(`${id}: URL rewrite ${rewrite(rule.filters)} differs from Flagger's route ${rewrite(flaggerRule.filters)}; the previous version would see other paths than the primary does`, route.urn);
        }
      }
    }
  },
};

/**
 * warm-previous-window: a warm previous version past its last warm day still holds GPUs; the config
 * that keeps it should go. Advisory: removing it is a change of its own. `now` is injectable (ms since
 * epoch) so the check is deterministic in tests; by default the plan's clock (lib/clock.ts).
 */
export function warmPreviousWindow(now: () => number = planNow): StackValidationPolicy {
  return {
    name: "warm-previous-window",
    description: "A warm previous version is not kept past its last warm day (rollout.keepPreviousWarm from previous.since).",
    enforcementLevel: "advisory",
    validateStack: (args, report) => {
      const today = new Date(now()).toISOString().slice(0, 10);
      for (const d of previousDeployments(args.resources)) {
        const until = strMap(at(d.props, "metadata.annotations"))[WARM_UNTIL_ANNOTATION];
        if (until !== undefined && DAY.test(until) && until < today) {
          const version = strMap(at(d.props, "metadata.annotations"))[LABELS.version] ?? "?";
          report(`Deployment ${nameOf(d)}: ${version} was to stay warm through ${until} (today ${today} UTC); remove models[].previous of ${strMap(at(d.props, "metadata.labels"))[LABELS.endpoint] ?? "its endpoint"} to free its GPUs`, d.urn);
        }
      }
    },
  };
}
