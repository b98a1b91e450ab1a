import { LABEL } from "../labels";
import { KEEP_PREVIOUS_WARM_ANNOTATION } from "../rollout";
import type { PlanDocument, PlanResource, PolicyViolation } from "./document";

/**
 * The warm-previous gate: a change of an endpoint's served version, against the deployed baseline
 * (`--diff`), must keep the version it replaces warm (models[].previous naming exactly that version)
 * wherever the endpoint's Canary keeps a window, unless it goes back to the version the baseline kept
 * warm (a rollback: the version left is the one that failed). The program alone cannot know what it replaces (a
 * Pulumi program has no memory of earlier config), so the plan against the baseline checks it, like
 * the data-loss gate; mandatory in prod, where a rollback without it is a cold start of every replica.
 */
export const WARM_PREVIOUS_KEPT_POLICY = "warm-previous-kept";

const CANARY = "kubernetes:flagger.app/v1beta1:Canary";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
type Meta = { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
const metaOf = (r: PlanResource) => (r.inputs.metadata ?? {}) as Meta;
const versionOf = (c: PlanResource) => {
  const l = metaOf(c).labels ?? {};
  return l[LABEL.model] !== undefined && l[LABEL.revision] !== undefined ? `${l[LABEL.model]}@${l[LABEL.revision]}` : undefined;
};

export function warmPreviousViolations(base: PlanDocument, head: PlanDocument, opts: { readonly prod: boolean; readonly packName: string; readonly baseLabel: string; /** The plan's day, UTC, YYYY-MM-DD, suggested as `since`. */ readonly today: string }): PolicyViolation[] {
  if (!opts.prod) return [];
  const baseCanaries = new Map(base.resources.filter((r) => r.type === CANARY).map((r) => [r.urn, r]));
  const out: PolicyViolation[] = [];
  for (const c of head.resources.filter((r) => r.type === CANARY)) {
    const before = baseCanaries.get(c.urn);
    const from = before ? versionOf(before) : undefined;
    const to = versionOf(c);
    if (from === undefined || to === undefined || from === to) continue;
    const keep = metaOf(c).annotations?.[KEEP_PREVIOUS_WARM_ANNOTATION];
    if (keep === "0d") continue;
    const warmIn = (doc: PlanDocument) => {
      const d = doc.resources.find((x) => x.type === DEPLOYMENT && x.provider === c.provider && metaOf(x).namespace === metaOf(c).namespace && metaOf(x).labels?.[LABEL.track] === "previous");
      return d ? metaOf(d).annotations?.["llm-blueprint/version"] : undefined;
    };
    // Back to the version the baseline kept warm: the one being left is the one that failed.
    if (to === warmIn(base)) continue;
    const kept = warmIn(head);
    if (kept === from) continue;
    const endpoint = metaOf(c).name ?? "?";
    out.push({
      policy: WARM_PREVIOUS_KEPT_POLICY,
      policyPack: opts.packName,
      enforcementLevel: "mandatory",
      urn: c.urn,
      message:
        `${endpoint} changes from ${from} (${opts.baseLabel}) to ${to} ` +
        `${kept === undefined ? "without keeping the replaced version warm" : `but keeps ${kept} warm, not the version it replaces`}` +
        `${keep === undefined ? " (its Canary records no window: an older plan?)" : ` for ${keep}`}; add to serving.models[] ${endpoint}: ` +
        `previous: { version: ${from}, since: "${opts.today}" }, or set rollout.keepPreviousWarm: "0d" to roll out with no warm rollback`,
    });
  }
  return out;
}
