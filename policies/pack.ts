import * as fs from "fs";
import * as path from "path";
import type { Policies } from "@pulumi/policy";
import { Approvals } from "./rules/approvals";
import { imagesPinnedByDigest, noCrossRegionSkew, noIgnoreChangesOnGovernedProperties, pinnedPlatformBaseline, servingProfileMatchesApproval } from "./rules/drift";
import { approvedModelVersions, workloadLabelsMatchArgs } from "./rules/governance";
import { helmValuesKnown } from "./rules/helmValues";
import { errorSloCountsGateway, scrapeTargetsReachable } from "./rules/observability";
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

export function loadApprovals(file = APPROVALS_FILE): Approvals {
  const doc = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<Approvals>;
  return { models: doc.models ?? [], runtimeImages: doc.runtimeImages ?? [] };
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
    pinnedPlatformBaseline,
    // Security and data loss
    eksClusterHardening,
    nodeHardening,
    gpuPoolIsolation,
    s3BucketBaseline,
    kmsKeyRotation,
    logsAndAlertsEncrypted,
    iamLeastPrivilege,
    podHardening,
    failoverReadiness,
    // Serving path at run time
    trafficPath,
    timeoutChain,
    healthCheckAlarmActions,
    capacityHeadroom,
    // Serving workloads at run time
    runtimeImageUser(approvals),
    awaitCoversStartup,
    servingAvailability(),
    writablePathsSized(),
    // Published schemas: Kubernetes objects and Helm values
    kubernetesSchemas,
    helmValuesKnown,
    // Monitoring that works on EKS from day one
    scrapeTargetsReachable,
    errorSloCountsGateway,
  ];
}
