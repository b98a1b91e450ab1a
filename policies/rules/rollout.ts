import type { StackValidationPolicy } from "@pulumi/policy";
import { arr, at, CANARY_TYPE, METRIC_TEMPLATE_TYPE, obj, str, TYPES } from "./common";

/**
 * One owner per field: once a Canary exists, Flagger owns the HTTPRoute named after its service, the
 * route's weights and the Services `<service>`, `-primary`, `-canary` (fluxcd/flagger v1.44.0
 * pkg/router/gateway_api.go Reconcile/SetRoutes, docs/gitbook/usage/how-it-works.md). The program must
 * declare none of them, and no HTTPRoute of its own may split traffic by weight to a model; the
 * Canary's steps, target, autoscaler and gate templates must be in the plan.
 */
export const rolloutOwnedByController: StackValidationPolicy = {
  name: "rollout-owned-by-controller",
  description:
    "A Flagger Canary's route, Services and weights are Flagger's alone: the program declares no HTTPRoute or Service of those names and no weighted backendRefs to a model; the Canary's target Deployment, its ScaledObject and every gate MetricTemplate are in the plan, and its steps grow within 1-99.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const rs = args.resources;
    const same = (a: (typeof rs)[number], b: (typeof rs)[number]) => a.provider?.urn === b.provider?.urn && str(at(a.props, "metadata.namespace")) === str(at(b.props, "metadata.namespace"));
    const named = (type: string, c: (typeof rs)[number], name: string) => rs.find((r) => r.type === type && same(r, c) && str(at(r.props, "metadata.name")) === name);
    for (const c of rs.filter((r) => r.type === CANARY_TYPE)) {
      const id = `Canary ${str(at(c.props, "metadata.namespace"))}/${str(at(c.props, "metadata.name"))}`;
      const target = str(at(c.props, "spec.targetRef.name")) ?? "";
      const service = str(at(c.props, "spec.service.name")) ?? target;
      const route = named(TYPES.httpRoute, c, service);
      if (route) report(`${id}: the program declares HTTPRoute ${service}, which Flagger generates and re-weights; remove it (two writers of spec.rules)`, route.urn);
      for (const s of [service, `${service}-primary`, `${service}-canary`]) {
        const svc = named("kubernetes:core/v1:Service", c, s);
        if (svc) report(`${id}: the program declares Service ${s}, which Flagger generates; remove it`, svc.urn);
      }
      if (!named(TYPES.deployment, c, target)) report(`${id}: targetRef Deployment ${target} is not in the plan`, c.urn);
      const scaler = str(at(c.props, "spec.autoscalerRef.name"));
      if (scaler !== undefined && !named(TYPES.scaledObject, c, scaler)) report(`${id}: autoscalerRef ScaledObject ${scaler} is not in the plan`, c.urn);
      const steps = arr(at(c.props, "spec.analysis.stepWeights")).map(Number);
      if (steps.length === 0 || steps.some((s, i) => !Number.isInteger(s) || s < 1 || s > 99 || (i > 0 && s <= steps[i - 1]))) report(`${id}: analysis.stepWeights ${JSON.stringify(steps)} must be growing whole percents 1-99`, c.urn);
      for (const m of arr(at(c.props, "spec.analysis.metrics")).map(obj)) {
        const ref = str(at(m, "templateRef.name"));
        if (ref === undefined) report(`${id}: metric ${String(m.name)} has no templateRef; gates are MetricTemplates in the plan`, c.urn);
        else if (!named(METRIC_TEMPLATE_TYPE, c, ref)) report(`${id}: metric ${String(m.name)} references MetricTemplate ${ref}, which is not in the plan beside it`, c.urn);
      }
    }
    // No route of the program's may weigh model backends: weights are the controller's.
    for (const r of rs.filter((x) => x.type === TYPES.httpRoute)) {
      for (const rule of arr(at(r.props, "spec.rules")).map(obj)) {
        const weighted = arr(rule.backendRefs).map(obj).filter((b) => b.weight !== undefined);
        if (weighted.length > 0) report(`HTTPRoute ${str(at(r.props, "metadata.namespace"))}/${str(at(r.props, "metadata.name"))}: backendRefs set weight (${weighted.map((b) => `${String(b.name)}=${String(b.weight)}`).join(", ")}); traffic weights belong to the rollout controller`, r.urn);
      }
    }
  },
};
