/** The approvers' record: which model versions and runtime images may run, on what evidence. */

export type ApprovalStatus = "candidate" | "approved" | "revoked";

export interface ApprovedProfile {
  tensorParallelSize: number;
  maxModelLen: number;
  gpuMemoryUtilization: number;
  maxNumSeqs: number;
  extraArgs?: string[];
}

export interface ApprovedModel {
  name: string;
  revision: string;
  artifactDigest: string;
  status: ApprovalStatus;
  approvedBy: string;
  approvedAt: string;
  /** Where the evaluation this approval rests on lives, and its verdict. */
  evaluation: { report: string; summary: string };
  /** Why a version was revoked (shown in the violation). */
  revokedReason?: string;
  /** Serving profiles approved per GPU class. */
  profiles: Record<string, ApprovedProfile>;
}

export interface ApprovedRuntime {
  image: string;
  digest: string;
  approvedBy: string;
  approvedAt: string;
}

export interface Approvals {
  models: ApprovedModel[];
  runtimeImages: ApprovedRuntime[];
}

/** A canary above this share of traffic counts as serving users and needs `approved`. */
export const CANDIDATE_MAX_CANARY_PERCENT = 5;

export function findApproval(models: readonly ApprovedModel[], name: string, revision: string): ApprovedModel | undefined {
  return models.find((m) => m.name === name && m.revision === revision);
}
