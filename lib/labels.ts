/**
 * Label and annotation keys that carry a served version's identity on workloads. The program writes
 * them (lib/serving.ts) and the policy pack reads them (policies/rules/common.ts); this module has
 * no dependencies so the pack can import it with its own, smaller package.
 */
export const LABEL = {
  endpoint: "llm-blueprint/endpoint",
  track: "llm-blueprint/track",
  model: "llm-blueprint/model",
  revision: "llm-blueprint/revision",
  profileHash: "llm-blueprint/profile-hash",
  gpuClass: "llm-blueprint/gpu-class",
} as const;

export const ANNOTATION = {
  version: "llm-blueprint/version",
  artifactDigest: "llm-blueprint/artifact-digest",
  imageDigest: "llm-blueprint/image-digest",
  profile: "llm-blueprint/profile",
  license: "llm-blueprint/license",
} as const;
