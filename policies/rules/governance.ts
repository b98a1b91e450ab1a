import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { shortJsonHash } from "../../lib/hash";
import { APPROVAL_STATUSES, approvedModelItemSchema } from "../approvalsSchema";
import { Approvals, ApprovedModel, findApproval } from "./approvals";
import { at, canaryOf, digestOf, flag, LABELS, obj, vllmWorkload } from "./common";

/** Model governance: only approved versions serve, and a workload's labels tell the truth. */

/** Each entry as strict as in approvals.json, so a pack config override cannot carry a misspelt status either. */
const modelsSchema = (approvals: Approvals) => ({
  properties: {
    models: { type: "array" as const, items: approvedModelItemSchema as PolicyConfigJSONSchema, default: approvals.models },
  },
});


export function approvedModelVersions(approvals: Approvals): StackValidationPolicy {
  return {
    name: "approved-model-versions",
    description: "Every vLLM workload serves a version on the approved list: revoked versions never run, candidates only as shadows; a rollout target (what Flagger runs as canary, then promotes) needs approval.",
    enforcementLevel: "mandatory",
    configSchema: modelsSchema(approvals),
    validateStack: (args, report) => {
      const { models } = args.getConfig<{ models: ApprovedModel[] }>();
      for (const r of args.resources) {
        const w = vllmWorkload(r.type, r.props);
        if (!w) continue;
        const version = w.annotations[LABELS.version] ?? "";
        const [name, revision] = version.split("@");
        const track = w.labels[LABELS.track];
        const approval = findApproval(models ?? [], name, revision);
        if (!approval) {
          report(`${w.namespace}/${w.name} serves ${version || "an unlabelled version"}, which is not on the approved list (policies/approvals.json); ask the model approvers to add it`, r.urn);
          continue;
        }
        if (approval.artifactDigest !== w.annotations[LABELS.artifactDigest]) {
          report(`${w.namespace}/${w.name} serves ${version} with artifact digest ${w.annotations[LABELS.artifactDigest] ?? "(none)"} but ${approval.artifactDigest} was approved: the artifacts changed since approval`, r.urn);
        }
        // Fail closed: only the exact word "approved" lets a version serve users; the file and the
        // pack config are schema-checked, and a status that slips past both still grants nothing.
        const status: string = approval.status;
        if (status === "approved") continue;
        if (status === "revoked") {
          report(`${w.namespace}/${w.name} serves ${version}, which the approvers revoked${approval.revokedReason ? ` (${approval.revokedReason})` : ""}; roll back to an approved version`, r.urn);
        } else if (status === "candidate") {
          // A Canary's target is what Flagger runs as canary and then promotes: it takes live traffic at the first step.
          const target = canaryOf(r, args.resources);
          if (track !== "shadow") {
            report(`${w.namespace}/${w.name} runs candidate ${version} as ${target ? `the rollout target of Canary ${w.namespace}/${String(at(target.props, "metadata.name"))} (Flagger would send it live traffic from the first step)` : track}; a candidate may only shadow until approved`, r.urn);
          }
        } else {
          report(`${w.namespace}/${w.name} serves ${version}, whose approval status ${JSON.stringify(status)} is not one of ${APPROVAL_STATUSES.join(", ")}; it grants nothing until the approvers correct it`, r.urn);
        }
      }
    },
  };
}

export const workloadLabelsMatchArgs: ResourceValidationPolicy = {
  name: "workload-labels-match-args",
  description: "The version labels and annotations on a vLLM workload agree with its container args, the model path it loads and its image.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const w = vllmWorkload(args.type, args.props);
    if (!w) return;
    if (!w.container) {
      report(`${w.namespace}/${w.name} carries vLLM labels but no container passes --served-model-name`);
      return;
    }
    const { labels, annotations, container } = w;
    const model = labels[LABELS.model];
    const revision = labels[LABELS.revision];
    const modelPath = flag(container.args, "--model") ?? "";
    if (!modelPath.endsWith(`/models/${model}/${revision}`)) {
      report(`${w.namespace}/${w.name} is labelled ${model}@${revision} but loads ${modelPath || "(no --model)"}; labels and --model must name the same version`);
    }
    if (annotations[LABELS.version] !== `${model}@${revision}`) {
      report(`${w.namespace}/${w.name}: annotation ${LABELS.version}=${annotations[LABELS.version]} disagrees with labels ${model}@${revision}`);
    }
    if (flag(container.args, "--served-model-name") !== labels[LABELS.endpoint]) {
      report(`${w.namespace}/${w.name}: --served-model-name ${flag(container.args, "--served-model-name")} is not the endpoint label ${labels[LABELS.endpoint]}`);
    }
    let profile: Record<string, unknown> | undefined;
    try {
      profile = obj(JSON.parse(annotations[LABELS.profile] ?? "null"));
    } catch {
      profile = undefined;
    }
    if (!profile || shortJsonHash(profile) !== labels[LABELS.profileHash]) {
      report(`${w.namespace}/${w.name}: label ${LABELS.profileHash}=${labels[LABELS.profileHash]} does not match the profile annotation`);
    }
    if (digestOf(container.image) !== annotations[LABELS.imageDigest]) {
      report(`${w.namespace}/${w.name}: annotation ${LABELS.imageDigest}=${annotations[LABELS.imageDigest]} is not the digest of its image ${container.image}`);
    }
  },
};
