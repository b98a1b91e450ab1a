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

/**
 * What an approved runtime image is, as read from its Dockerfile at the pinned tag: the plan checks
 * the pods that run it against these (user, port, paths), not against what the program assumes.
 */
export interface RuntimeImageFacts {
  /**
   * User the pods run the image as: its last USER instruction, or, when that is root (or absent), the
   * non-root user the image ships with a passwd entry (vllm/vllm-openai: `vllm`, UID 2000). Never root:
   * runtime-image-user refuses a record with UID 0. verifiedFrom says which case it is.
   */
  user: string;
  uid: number;
  /** That user's primary group in the image's /etc/passwd; pods run with a non-zero group of their own. */
  gid: number;
  /** HOME of that user inside the image. */
  home: string;
  /** ENTRYPOINT of the image, as an exec-form array. */
  entrypoint: string[];
  /** Port the OpenAI-compatible server listens on. */
  port: number;
  /** How the facts were verified: repository, path, tag and the date it was read. */
  verifiedFrom: string;
}

export interface ApprovedRuntime {
  image: string;
  digest: string;
  approvedBy: string;
  approvedAt: string;
  facts: RuntimeImageFacts;
}

export interface Approvals {
  models: ApprovedModel[];
  runtimeImages: ApprovedRuntime[];
}


export function findApproval(models: readonly ApprovedModel[], name: string, revision: string): ApprovedModel | undefined {
  return models.find((m) => m.name === name && m.revision === revision);
}
