import * as pulumi from "@pulumi/pulumi";
import { BLUEPRINT_NAMESPACE, PLATFORM_CONFIG_OUTPUT, PROJECT_NAMES } from "../lib/config/projects";
import { StackConfig } from "../lib/config/schema";
import { ConfigProblem, StackConfigError } from "../lib/config/validate";
import { PlatformRegionView } from "./PlatformStack";

/** What serving reads of each region, with why: a missing one is named with its purpose. */
const REGION_OUTPUTS: readonly { readonly path: string; readonly why: string; readonly whenTraffic?: boolean }[] = [
  { path: "clusterName", why: "the add-ons, Pod Identity associations and the Kubernetes provider" },
  { path: "clusterEndpoint", why: "the Kubernetes provider" },
  { path: "certificateAuthorityData", why: "the Kubernetes provider" },
  { path: "deployAccessReady", why: "the Kubernetes provider, which must not start before the deploy role's access entry exists" },
  { path: "clusterSecurityGroupId", why: "the gateway's security group rules" },
  { path: "vpcId", why: "the load balancer controller" },
  { path: "registry.bucketName", why: "the model servers' weights" },
  { path: "registry.bucketArn", why: "the model servers' read-only IAM" },
  { path: "registry.kmsKeyArn", why: "the model servers' decrypt permission" },
  { path: "karpenter.nodeRoleName", why: "the GPU EC2NodeClasses (the role Karpenter's nodes run as)" },
  { path: "karpenter.interruptionQueueName", why: "Karpenter's interruption handling (settings.interruptionQueue)" },
  { path: "karpenter.controllerRoleArn", why: "the Karpenter controller, whose Pod Identity association platform made" },
  { path: "ingress.targetGroupArn", why: "the TargetGroupBinding that puts the gateway behind the regional NLB", whenTraffic: true },
];

function at(value: unknown, dotted: string): unknown {
  return dotted.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), value);
}

export interface PlatformReference {
  readonly reference: pulumi.StackReference;
  /** Platform's own config keys (its `platformConfig` output). */
  readonly platformConfig: unknown;
  /**
   * Each region's view for serving, checked against what the validated config needs: an output
   * platform does not export is a config error naming both stacks, before any resource exists.
   */
  regionViews(cfg: StackConfig, stackFile: string): PlatformRegionView[];
}

/**
 * Reads the platform stack through a StackReference. The outputs are awaited so the serving program
 * can validate against them first; the Kubernetes provider's inputs stay Outputs of the reference,
 * so the engine (and the plan) record that serving's cluster access comes from platform.
 */
export async function readPlatform(name: string): Promise<PlatformReference> {
  const reference = new pulumi.StackReference("platform", { name });
  const [config, regions] = await Promise.all([reference.getOutputDetails(PLATFORM_CONFIG_OUTPUT), reference.getOutputDetails("regions")]);
  const regionsValue = regions.value ?? regions.secretValue;
  return {
    reference,
    platformConfig: config.value ?? config.secretValue,
    regionViews(cfg, stackFile) {
      const problems: ConfigProblem[] = [];
      const missing = (what: string, why: string) =>
        problems.push({
          path: `${BLUEPRINT_NAMESPACE}:platformStack`,
          message: `stack ${name} (${PROJECT_NAMES.platform}) does not export ${what}, which serving reads for ${why}; deploy platform from the same commit first`,
        });
      for (const r of cfg.regions) {
        const region = at(regionsValue, r.region);
        if (region === undefined) {
          missing(`regions.${r.region}`, `everything it deploys in ${r.region}`);
          continue;
        }
        for (const o of REGION_OUTPUTS) {
          if (o.whenTraffic && !(cfg.traffic && cfg.serving?.models.some((m) => m.placements.some((p) => p.region === r.region)))) continue;
          const v = at(region, o.path);
          if (typeof v !== "string" || v === "") missing(`regions.${r.region}.${o.path}`, o.why);
        }
        // Every GPU pool of the config must be one platform provisioned capacity for (KarpenterAws, same commit).
        const exported = at(region, "gpuPools");
        const names = Array.isArray(exported) ? exported.map((p: unknown) => at(p, "pool")) : [];
        for (const p of r.gpuPools) if (!names.includes(p.name)) missing(`regions.${r.region}.gpuPools[pool=${p.name}]`, `the Karpenter NodePool of GPU pool "${p.name}"`);
      }
      if (problems.length > 0) throw new StackConfigError(stackFile, problems);
      const regionsOutput = reference.getOutput("regions");
      return cfg.regions.map((r) => {
        const v = (p: string) => at(at(regionsValue, r.region), p) as string;
        // The pull-through cache's repository roots by upstream host; absent or malformed: pods pull upstream (and the pack says so).
        const cache = at(at(regionsValue, r.region), "imageCache");
        const roots = cache && typeof cache === "object" ? Object.entries(cache as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === "string" && e[1] !== "") : [];
        return {
          region: r.region,
          clusterName: v("clusterName"),
          clusterEndpoint: v("clusterEndpoint"),
          certificateAuthorityData: v("certificateAuthorityData"),
          // An Output of the reference: the Kubernetes provider's kubeconfig depends on it.
          deployAccessReady: regionsOutput.apply((rs) => at(at(rs, r.region), "deployAccessReady") as string),
          clusterSecurityGroupId: v("clusterSecurityGroupId"),
          vpcId: v("vpcId"),
          registry: { bucketName: v("registry.bucketName"), bucketArn: v("registry.bucketArn"), kmsKeyArn: v("registry.kmsKeyArn") },
          ...(roots.length > 0 ? { imageCache: { hosts: roots.map(([host]) => host), repositoryPrefixes: Object.fromEntries(roots) } } : {}),
          karpenter: { nodeRoleName: v("karpenter.nodeRoleName"), interruptionQueueName: v("karpenter.interruptionQueueName") },
          ...(v("ingress.targetGroupArn") ? { targetGroupArn: v("ingress.targetGroupArn") } : {}),
        };
      });
    },
  };
}
