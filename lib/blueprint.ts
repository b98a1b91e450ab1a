import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { InferenceRegion, regionalAwsProvider } from "../components/InferenceRegion";
import { ModelEndpoint } from "../components/ModelEndpoint";
import { ModelRegistry } from "../components/ModelRegistry";
import { ServingAddons } from "../components/ServingAddons";
import { RegionConfig, StackConfig } from "./config/schema";
import { clusterName, registryBucketName } from "./naming";
import { trafficSplit } from "./serving";

/**
 * Builds the whole stack from validated config: per region an explicit aws.Provider, a model
 * registry and an InferenceRegion; the primary registry replicates to the others; each served
 * model gets a ModelEndpoint in every region that serves it. Returns the stack outputs.
 */
export function deployBlueprint(cfg: StackConfig) {
  const stack = pulumi.getStack();
  const baseTags = {
    ...cfg.tags,
    "llm-blueprint:stack": stack,
    "llm-blueprint:environment": cfg.environment,
    "managed-by": "pulumi",
  };
  // Read as a Pulumi secret so it stays encrypted in state and masked in output.
  const huggingFaceToken = new pulumi.Config().getSecret("huggingFaceToken");
  const providers = new Map<string, aws.Provider>(
    cfg.regions.map((r) => [r.region, regionalAwsProvider(`aws-${r.region}`, r.region, { ...baseTags, "llm-blueprint:region": r.region })]),
  );

  const accountId = (r: RegionConfig) => aws.getCallerIdentityOutput({}, { provider: providers.get(r.region) }).accountId;

  // Replica registries first: the primary's replication rules need their bucket and key ARNs.
  const registries = new Map<string, ModelRegistry>();
  const registryArgs = (r: RegionConfig) => ({
    region: r.region,
    namePrefix: `${cfg.namePrefix}-${stack}`,
    bucketName: accountId(r).apply((id) => registryBucketName(cfg.namePrefix, stack, id, r.region, "models")),
    accessLogBucketName: accountId(r).apply((id) => registryBucketName(cfg.namePrefix, stack, id, r.region, "access-logs")),
    objectLock: cfg.registry.objectLock,
    noncurrentVersionDays: cfg.registry.noncurrentVersionDays,
    accessLogDays: cfg.registry.accessLogDays,
  });
  for (const r of cfg.regions.filter((x) => !x.primary)) {
    registries.set(r.region, new ModelRegistry(`${r.region}-registry`, registryArgs(r), { provider: providers.get(r.region) }));
  }
  const primary = cfg.regions.find((r) => r.primary)!;
  registries.set(
    primary.region,
    new ModelRegistry(
      `${primary.region}-registry`,
      {
        ...registryArgs(primary),
        replicateTo: cfg.regions
          .filter((r) => !r.primary)
          .map((r) => ({ region: r.region, bucketArn: registries.get(r.region)!.bucketArn, kmsKeyArn: registries.get(r.region)!.kmsKeyArn })),
      },
      { provider: providers.get(primary.region) },
    ),
  );

  const regions = cfg.regions.map((r) => {
    const component = new InferenceRegion(
      r.region,
      {
        region: r.region,
        clusterName: clusterName(cfg.namePrefix, stack, r.region),
        vpcCidr: r.vpcCidr,
        availabilityZones: r.availabilityZones,
        natGateways: r.natGateways,
        kubernetesVersion: cfg.cluster.kubernetesVersion,
        publicAccessCidrs: cfg.cluster.publicAccessCidrs,
        adminRoleArns: cfg.cluster.adminRoleArns,
        logRetentionDays: cfg.cluster.logRetentionDays,
        systemPool: r.systemPool,
        gpuPools: r.gpuPools,
      },
      { providers: [providers.get(r.region)!] },
    );

    const endpoints: Record<string, unknown> = {};
    const served = (cfg.serving?.models ?? []).filter((m) => m.placements.some((p) => p.region === r.region));
    if (cfg.serving && served.length > 0) {
      const inCluster = { parent: component, providers: [providers.get(r.region)!, component.cluster.kubernetesProvider] };
      const addons = new ServingAddons(`${r.region}-serving`, { waitFor: [component.systemPool.nodeGroup] }, inCluster);
      const registry = registries.get(r.region)!;
      for (const m of served) {
        const placement = m.placements.find((p) => p.region === r.region)!;
        new ModelEndpoint(
          `${r.region}-${m.name}`,
          {
            name: m.name,
            gpuClass: m.gpuClass,
            tracks: m.tracks,
            instanceType: placement.instanceType,
            image: cfg.serving.vllmImage,
            region: r.region,
            clusterName: component.cluster.clusterName,
            bucketName: registry.bucketName,
            bucketArn: registry.bucketArn,
            kmsKeyArn: registry.kmsKeyArn,
            replicas: m.replicas,
            targetWaitingRequests: m.targetWaitingRequests,
            prometheusUrl: cfg.serving.prometheusUrl,
            huggingFaceToken,
            // The GPU pool must exist before pods can be placed; the gateway and KEDA before routes and autoscalers.
            waitFor: [...addons.ready, component.gpuPools[placement.pool].nodeGroup],
          },
          inCluster,
        );
        endpoints[m.name] = {
          path: `/${m.name}/v1`,
          pool: placement.pool,
          split: trafficSplit(m.tracks),
          versions: Object.fromEntries(m.tracks.map((t) => [t.track, `${t.version.name}@${t.version.revision}`])),
        };
      }
    }
    return { config: r, component, endpoints };
  });

  return {
    environment: cfg.environment,
    primaryRegion: primary.region,
    regions: Object.fromEntries(
      regions.map(({ config, component, endpoints }) => [
        config.region,
        {
          clusterName: component.cluster.clusterName,
          clusterEndpoint: component.cluster.endpoint,
          vpcId: component.network.vpcId,
          gpuPools: component.gpuCapacity,
          registryBucket: registries.get(config.region)!.bucketName,
          endpoints,
        },
      ]),
    ),
  };
}
