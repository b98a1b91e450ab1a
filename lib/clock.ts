/**
 * The plan's clock. Checks that depend on the date (a Capacity Block's end, a warm previous version's
 * last day, `previous.since`) read it here, so a plan can be replayed as of a moment:
 * LLM_BLUEPRINT_PLAN_TIME=<ISO 8601 time> (the test suite pins it, so the committed stacks' windows do
 * not expire under it). Unset: now. Set but unreadable: an error, never a silent "now".
 */
export const PLAN_TIME_ENV = "LLM_BLUEPRINT_PLAN_TIME";

export function planNow(env: NodeJS.ProcessEnv = process.env): number {
  const given = env[PLAN_TIME_ENV];
  if (given === undefined || given === "") return Date.now();
  const t = Date.parse(given);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(given)) throw new Error(`${PLAN_TIME_ENV}="${given}" is not an ISO 8601 time such as 2026-11-25T12:00:00Z`);
  return t;
}
