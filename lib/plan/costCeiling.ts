import { InputFileError } from "../inputError";
import type { CostEstimate } from "./cost";
import type { PolicyViolation } from "./document";

/** Name the violation carries; it is the plan's own check, not a pack policy, so the pack config cannot lower it. */
export const COST_CEILING_POLICY = "cost-ceiling";

const usd = (n: number) => `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/**
 * A mandatory violation when the plan's monthly on-demand cost at maximum scale (every pool at
 * maxSize) exceeds the stack's ceiling. `rawCeiling` is the config value as the stack file holds it
 * (the program has already validated it as a positive number).
 */
export function costCeilingViolation(cost: CostEstimate, rawCeiling: string | undefined, where: { key: string; file: string; packName: string }): PolicyViolation | undefined {
  if (rawCeiling === undefined) return undefined;
  const ceiling = Number(rawCeiling);
  if (!Number.isFinite(ceiling) || ceiling <= 0) throw new InputFileError(where.file, `${where.file}: ${where.key} must be a positive number of USD per month, got ${JSON.stringify(rawCeiling)}`);
  const max = cost.total.monthly.max;
  if (max <= ceiling) return undefined;
  return {
    policy: COST_CEILING_POLICY,
    policyPack: where.packName,
    enforcementLevel: "mandatory",
    message: `the plan costs up to ${usd(max)} a month on demand at maximum scale, over the ceiling ${where.key} = ${usd(ceiling)} (${where.file}) by ${usd(max - ceiling)}; lower pool maxSize or replicas, or raise the ceiling in the stack file`,
  };
}
