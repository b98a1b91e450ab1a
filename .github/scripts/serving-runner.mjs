#!/usr/bin/env node
// Resolves the CodeBuild project whose GitHub Actions runner (in the stack's VPC) takes a serving job.
// Usage: node .github/scripts/serving-runner.mjs <stack>...
//   env SERVING_RUNNERS  the repository variable: per stack, the platform stack's `servingRunners`
//                        output, regions in stack-file order, the first being the primary:
//                        {"prod": [{"region": "us-east-1", "project": "llm-prod-use1-runner"}, ...], ...}
//   env RUNNER_REGION    empty: each stack's primary region; else that region's runner (regional outage)
//   env GITHUB_OUTPUT    receives `<stack>=<project>` and `<stack>-region=<region>` per stack
// It runs in a job of its own before the serving jobs because a job's `runs-on` cannot read
// environment-level variables (github/docs issue #33389, read 2026-11-25) and an unknown label
// would leave the job queued instead of failing. Every problem fails the job, with what to fix.
import { appendFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

// CodeBuild ProjectName: [A-Za-z0-9][A-Za-z0-9\-_]{1,254} (CodeBuild API CreateProject, read
// 2026-11-25); anything else cannot be a project and must not reach a runner label.
const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const HOW_TO_SET =
  "set the repository variable SERVING_RUNNERS from the platform stacks: " +
  'jq -n --argjson dev "$(pulumi -C platform stack output servingRunners --json -s dev)" ... \'{dev: $dev, ...}\' | gh variable set SERVING_RUNNERS';

/**
 * @param {string | undefined} raw the SERVING_RUNNERS JSON
 * @param {string[]} stacks
 * @param {string} region "" for each stack's primary
 * @returns {{ projects: Record<string, { project: string, region: string }>, problems: string[] }}
 */
export function resolveRunners(raw, stacks, region) {
  const problems = [];
  const projects = {};
  if (stacks.length === 0) return { projects, problems: ["no stack given; usage: serving-runner.mjs <stack>..."] };
  if (region !== "" && !REGION.test(region)) problems.push(`runner region "${region}" is not a region code such as us-west-2`);
  if (raw === undefined || raw.trim() === "") return { projects, problems: [...problems, `SERVING_RUNNERS is not set; ${HOW_TO_SET}`] };
  let parsed;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    return { projects, problems: [...problems, `SERVING_RUNNERS is not JSON (${err.message}); ${HOW_TO_SET}`] };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { projects, problems: [...problems, `SERVING_RUNNERS must be an object keyed by stack, got ${Array.isArray(parsed) ? "an array" : typeof parsed}`] };
  }
  for (const stack of stacks) {
    const entries = parsed[stack];
    if (!Array.isArray(entries) || entries.length === 0) {
      const known = Object.keys(parsed).join(", ") || "none";
      problems.push(`SERVING_RUNNERS.${stack}: missing or empty (stacks listed: ${known}); add the platform stack's servingRunners output`);
      continue;
    }
    entries.forEach((e, i) => {
      const at = `SERVING_RUNNERS.${stack}[${i}]`;
      const keys = typeof e === "object" && e !== null ? Object.keys(e) : [];
      const unknown = keys.filter((k) => k !== "region" && k !== "project");
      if (typeof e !== "object" || e === null || Array.isArray(e)) problems.push(`${at}: must be {"region": ..., "project": ...}`);
      else {
        if (unknown.length) problems.push(`${at}: unknown key${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; allowed: region, project`);
        if (typeof e.region !== "string" || !REGION.test(e.region)) problems.push(`${at}.region: "${String(e.region)}" is not a region code such as us-east-1`);
        if (typeof e.project !== "string" || !PROJECT_NAME.test(e.project)) {
          problems.push(`${at}.project: "${String(e.project)}" is not a CodeBuild project name (2-255 of A-Z a-z 0-9 - _, starting with a letter or digit)`);
        }
      }
    });
    const regions = entries.map((e) => e?.region);
    const twice = regions.find((r, i) => regions.indexOf(r) !== i);
    if (twice !== undefined) problems.push(`SERVING_RUNNERS.${stack}: region ${twice} is listed twice; one runner per region`);
    const chosen = region === "" ? entries[0] : entries.find((e) => e?.region === region);
    if (chosen === undefined) {
      problems.push(`SERVING_RUNNERS.${stack}: no runner in region ${region}; this stack has runners in ${regions.join(", ")}`);
    } else if (typeof chosen.project === "string" && typeof chosen.region === "string") {
      projects[stack] = { project: chosen.project, region: chosen.region };
    }
  }
  return { projects: problems.length ? {} : projects, problems };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const stacks = process.argv.slice(2);
  const region = (process.env.RUNNER_REGION ?? "").trim();
  const { projects, problems } = resolveRunners(process.env.SERVING_RUNNERS, stacks, region);
  if (problems.length) {
    for (const p of problems) console.log(`::error title=serving runner::${p}`);
    process.exit(1);
  }
  const lines = Object.entries(projects).flatMap(([stack, r]) => [`${stack}=${r.project}`, `${stack}-region=${r.region}`]);
  for (const [stack, r] of Object.entries(projects)) console.log(`serving runner of ${stack}: ${r.project} in ${r.region}${region ? " (chosen region)" : " (primary region)"}`);
  if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, lines.map((l) => `${l}\n`).join(""));
}
