import { ConfigProblem } from "./validate";

/**
 * The blueprint is two Pulumi projects with two lifecycles (README "Two projects"): platform
 * (network, clusters, node groups, registry, DNS, runners; changes rarely) and serving (add-ons,
 * observability, gateways, models; changes with every rollout). Both read keys in one config
 * namespace, the blueprint's, the way a provider's keys (aws:region) read the same in any project;
 * each key has one owner, and the stack file of the other project may not set it.
 */
export const BLUEPRINT_NAMESPACE = "llm-blueprint";

export type ProjectRole = "platform" | "serving";

/** Pulumi project names (Pulumi.yaml `name`), which StackReference names use: <org>/<project>/<stack>. */
export const PROJECT_NAMES: Readonly<Record<ProjectRole, string>> = { platform: "llm-blueprint-platform", serving: "llm-blueprint-serving" };

/** The project directory of each, relative to the repository root. */
export const PROJECT_DIRS: Readonly<Record<ProjectRole, string>> = { platform: "platform", serving: "serving" };

/** Which project's stack file sets each key. `environment` is set in both and must agree. */
export const KEY_OWNERS: Readonly<Record<string, readonly ProjectRole[]>> = {
  environment: ["platform", "serving"],
  namePrefix: ["platform"],
  tags: ["platform"],
  cluster: ["platform"],
  regions: ["platform"],
  registry: ["platform"],
  traffic: ["platform"],
  ci: ["platform"],
  costCeilingUsdPerMonth: ["platform"],
  quotas: ["platform"],
  // The data-loss gate's allow list: each project names its own resources (lib/plan/dataLoss.ts).
  dataLossAllowList: ["platform", "serving"],
  platformStack: ["serving"],
  serving: ["serving"],
  observability: ["serving"],
  huggingFaceToken: ["serving"],
  alertReceiverSecret: ["serving"],
};

/** The stack output through which platform hands its own config keys to serving. */
export const PLATFORM_CONFIG_OUTPUT = "platformConfig";

/** A key set in the wrong project's stack file, with where it belongs. */
export function ownershipProblems(role: ProjectRole, raw: Readonly<Record<string, unknown>>, stack: string): ConfigProblem[] {
  return Object.keys(raw)
    .filter((k) => KEY_OWNERS[k] && !KEY_OWNERS[k].includes(role))
    .map((k) => {
      const owner = KEY_OWNERS[k][0];
      return {
        path: `${BLUEPRINT_NAMESPACE}:${k}`,
        message: `belongs to the ${owner} project: set it in ${PROJECT_DIRS[owner]}/stacks/Pulumi.${stack}.yaml (the ${role} project ${role === "serving" ? "reads it from platform through its StackReference" : "does not read it"})`,
      };
    });
}

/** Platform's keys as its stack output carries them: only what the platform project owns. */
export function platformOwnedKeys(raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([k]) => KEY_OWNERS[k]?.includes("platform")));
}

/**
 * The whole blueprint config seen from serving: platform's keys from its stack output, serving's own
 * keys from its stack file. Problems name the side that has to change.
 */
export function mergeServingConfig(
  platform: unknown,
  serving: Readonly<Record<string, unknown>>,
  where: { readonly platformStack: string; readonly servingStackFile: string },
): { config: Record<string, unknown>; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  if (typeof platform !== "object" || platform === null || Array.isArray(platform)) {
    problems.push({
      path: `${BLUEPRINT_NAMESPACE}:platformStack`,
      message: `stack ${where.platformStack} exports no "${PLATFORM_CONFIG_OUTPUT}" object, which serving reads for the regions, clusters and names it deploys into; run \`pulumi up\` of ${PROJECT_NAMES.platform} first, or name the right stack`,
    });
    return { config: {}, problems };
  }
  const p = platform as Record<string, unknown>;
  const unexpected = Object.keys(p).filter((k) => !KEY_OWNERS[k]?.includes("platform"));
  if (unexpected.length > 0) {
    problems.push({ path: `${BLUEPRINT_NAMESPACE}:platformStack`, message: `stack ${where.platformStack} exports keys serving does not own or know in "${PLATFORM_CONFIG_OUTPUT}": ${unexpected.join(", ")}; deploy platform and serving from the same commit` });
  }
  if (serving.environment !== undefined && p.environment !== undefined && serving.environment !== p.environment) {
    problems.push({
      path: `${BLUEPRINT_NAMESPACE}:environment`,
      message: `is "${String(serving.environment)}" but platform stack ${where.platformStack} is "${String(p.environment)}": a serving stack deploys into the platform of its own environment`,
    });
  }
  const own = Object.fromEntries(Object.entries(serving).filter(([k]) => k !== "platformStack"));
  return { config: { ...p, ...own }, problems };
}
