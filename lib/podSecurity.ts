/**
 * Pod Security Admission labels for the namespaces the blueprint declares. Every namespace gets
 * enforce, audit and warn at the same level; `restricted` unless its pods need the host (node
 * agents), and then the reason goes on the namespace as an annotation, so a reviewer and the
 * `namespaces-pod-security` policy read it from the plan.
 * Labels: kubernetes.io/docs/concepts/security/pod-security-admission (read 2026-11-25).
 */

export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

export const PSA_LABEL = {
  enforce: "pod-security.kubernetes.io/enforce",
  enforceVersion: "pod-security.kubernetes.io/enforce-version",
  audit: "pod-security.kubernetes.io/audit",
  warn: "pod-security.kubernetes.io/warn",
} as const;

/** Why a namespace is not `restricted`; required on every baseline or privileged namespace. */
export const POD_SECURITY_REASON_ANNOTATION = "llm-blueprint/pod-security-reason";

/** The labels of a namespace at `level` (enforce, audit and warn alike, policy version `latest`). */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  return { [PSA_LABEL.enforce]: level, [PSA_LABEL.enforceVersion]: "latest", [PSA_LABEL.audit]: level, [PSA_LABEL.warn]: level };
}

/**
 * Namespace metadata (name, labels, annotations) at `level`. A level other than restricted needs a
 * reason; an empty one is a programming error, thrown before any resource exists.
 */
export function podSecurityMetadata(
  name: string,
  level: PodSecurityLevel,
  opts: { readonly reason?: string; readonly labels?: Record<string, string> } = {},
): { name: string; labels: Record<string, string>; annotations?: Record<string, string> } {
  const reason = opts.reason?.trim();
  if (level !== "restricted" && !reason) throw new Error(`namespace ${name}: Pod Security level "${level}" needs a reason (why its pods cannot run restricted)`);
  return {
    name,
    labels: { ...(opts.labels ?? {}), ...podSecurityLabels(level) },
    ...(reason ? { annotations: { [POD_SECURITY_REASON_ANNOTATION]: reason } } : {}),
  };
}
