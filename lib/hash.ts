import { createHash } from "crypto";

/**
 * Short stable hash of a JSON value with sorted keys at the top level. Shared by the serving labels
 * and the policy pack, which recomputes it to check a workload's profile-hash label.
 */
export function shortJsonHash(value: Record<string, unknown>): string {
  const canonical = JSON.stringify(value, Object.keys(value).sort());
  return createHash("sha256").update(canonical).digest("hex").slice(0, 12);
}
