import * as fs from "fs";
import * as path from "path";
import type { Policies } from "@pulumi/policy";
import { InputFileError, parseJsonText } from "../lib/inputError";
import { parseApprovals } from "./approvalsSchema";
import { ciAccessLeastPrivilege } from "./rules/access";
import { modelEndpointsAuthenticated } from "./rules/auth";
import { Approvals } from "./rules/approvals";
import { failoverScaleUpIsColdStart, imagePullInsideVpc, runtimeImageFromRegionalCache } from "./rules/coldStart";
import { clusterApiReachableByRunnersOnly } from "./rules/controlPlane";
import { capacityBlockWindow, karpenterGpuNodePools, noClusterAutoscaler } from "./rules/capacity";
import { kubernetesVersionInStandardSupport, kubernetesVersionSupportRunway } from "./rules/k8sSupport";
import { imagesPinnedByDigest, noCrossRegionSkew, noIgnoreChangesOnGovernedProperties, pinnedPlatformBaseline, servingProfileMatchesApproval } from "./rules/drift";
import { approvedModelVersions, workloadLabelsMatchArgs } from "./rules/governance";
import { rolloutOwnedByController } from "./rules/rollout";
import { warmPrevious, warmPreviousWindow } from "./rules/warmPrevious";
import { dnsRecordSingleOwner, eksClusterProtected, trustPoliciesScoped } from "./rules/hardening";
import { loadBalancerAccessLogs } from "./rules/loadBalancerLogs";
import { helmValuesKnown } from "./rules/helmValues";
import { errorSloCountsGateway, scrapeTargetsReachable } from "./rules/observability";
import { namespacesDefaultDeny, namespacesPodSecurity } from "./rules/namespaces";
import { kubernetesSchemas } from "./rules/schemas";
import { capacityHeadroom, healthCheckAlarmActions, timeoutChain, trafficPath } from "./rules/trafficPath";
import { eksClusterHardening, failoverReadiness, gpuPoolIsolation, iamLeastPrivilege, kmsKeyRotation, logsAndAlertsEncrypted, nodeHardening, podHardening, s3BucketBaseline } from "./rules/security";
import { awaitCoversStartup, runtimeImageUser, servingAvailability, writablePathsSized } from "./rules/workload";

/**
 * The pack's policies, importable without starting the analyzer (index.ts does that). The
 * approvers' file supplies the config defaults, exactly as the CLI applies schema defaults; a
 * `--policy-pack-config` file overrides them.
 */

export const PACK_NAME = "llm-blueprint";
export const APPROVALS_FILE = path.join(__dirname, "approvals.json");

/**
 * Reads and validates the approvers' record. Fail closed: a missing, unparsable or invalid file is
 * an InputFileError (file, entry, key), never an empty or partial list.
 */
export function loadApprovals(file = APPROVALS_FILE): Approvals {
  const shownAs = path.relative(process.cwd(), file) || file;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new InputFileError(shownAs, `cannot read the approvals file ${shownAs}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "it does not exist" : (err as Error).message}`);
  }
  return parseApprovals(parseJsonText(text, shownAs), shownAs);
}

/**
 * Model-governance and data-loss rules: in prod no pack config may set them below mandatory or
 * loosen their properties (an override may only drop or tighten entries of the approvers' record,
 * lib/plan/policy.ts packConfigProblems). Only the platform
 * governance team changes this list, here, through a reviewed change. The offline plan enforces
 * the lock; the analyzer itself cannot, because @pulumi/policy (1.21.0 server.js) never runs a
 * "disabled" policy and hands policies only their properties, not their level.
 */
export const PROD_LOCKED_POLICIES: readonly string[] = [
  "approved-model-versions",
  "workload-labels-match-args",
  "serving-profile-matches-approval",
  "images-pinned-by-digest",
  "s3-bucket-baseline",
  "kms-key-rotation",
];
export const PROD_LOCK_OWNER =
  "Only the platform governance team can change that, in the pack source (policies/pack.ts, PROD_LOCKED_POLICIES) through a reviewed change; a stack's pack config (policies/config/<stack>.json) cannot.";

/** The locked names present in `policies`, plus any policy whose name says it guards against data loss. */
export function prodLockedPolicies(policies: Policies): string[] {
  return policies.map((p) => p.name).filter((n) => PROD_LOCKED_POLICIES.includes(n) || /data-?loss/.test(n));
}

export function buildPolicies(approvals: Approvals = loadApprovals()): Policies {
  return [
    // Model governance
    approvedModelVersions(approvals),
    workloadLabelsMatchArgs,
    // Configuration drift
    servingProfileMatchesApproval(approvals),
    imagesPinnedByDigest(approvals),
    noCrossRegionSkew,
    noIgnoreChangesOnGovernedProperties,
    rolloutOwnedByController,
    warmPrevious,
    warmPreviousWindow(),
    pinnedPlatformBaseline,
    kubernetesVersionInStandardSupport(),
    kubernetesVersionSupportRunway(),
    // Security and data loss
    eksClusterHardening,
    nodeHardening,
    gpuPoolIsolation,
    noClusterAutoscaler,
    karpenterGpuNodePools,
    capacityBlockWindow(),
    s3BucketBaseline,
    kmsKeyRotation,
    logsAndAlertsEncrypted,
    iamLeastPrivilege,
    podHardening,
    failoverReadiness,
    ciAccessLeastPrivilege,
    clusterApiReachableByRunnersOnly,
    namespacesPodSecurity,
    namespacesDefaultDeny,
    modelEndpointsAuthenticated,
    trustPoliciesScoped,
    eksClusterProtected,
    dnsRecordSingleOwner,
    loadBalancerAccessLogs,
    // Published schemas: Kubernetes objects and Helm values
    kubernetesSchemas,
    helmValuesKnown,
    // Serving path at run time
    trafficPath,
    timeoutChain,
    healthCheckAlarmActions,
    capacityHeadroom,
    // Serving workloads at run time
    runtimeImageUser(approvals),
    awaitCoversStartup,
    // Cold start: image from the in-region cache inside the VPC, failover at the recorded budget
    runtimeImageFromRegionalCache,
    imagePullInsideVpc,
    failoverScaleUpIsColdStart,
    servingAvailability(),
    writablePathsSized(),
    // Monitoring that works on EKS from day one
    scrapeTargetsReachable,
    errorSloCountsGateway,
  ];
}
