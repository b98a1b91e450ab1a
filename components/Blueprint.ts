import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { InferenceRegion, regionalAwsProvider } from "./InferenceRegion";
import { ModelEndpoint } from "./ModelEndpoint";
import { ModelRegistry } from "./ModelRegistry";
import { Observability } from "./Observability";
import { GlobalEndpoint } from "./GlobalEndpoint";
import { HealthCheckAlerts } from "./HealthCheckAlerts";
import { RegionalIngress } from "./RegionalIngress";
import { ServingAddons } from "./ServingAddons";
import { RegionConfig, StackConfig } from "../lib/config/schema";
import { clusterName, registryBucketName } from "../lib/naming";
import { runtimeOf } from "../lib/runtime";
import { podStartSeconds, startupBudget, trafficSplit } from "../lib/serving";
import { globalName, regionalName } from "../lib/traffic";

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
  const alertReceiverSecret = new pulumi.Config().getSecret("alertReceiverSecret");
  // Explicit like every provider here (the stacks disable default providers); generates the Grafana password.
  const randomProvider = new random.Provider("random");
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
    const o = cfg.observability;
    new Observability(
      `${r.region}-observability`,
      {
        clusterName: component.cluster.clusterName,
        clusterNameLiteral: clusterName(cfg.namePrefix, stack, r.region),
        region: r.region,
        retentionDays: o.retentionDays,
        storageGiB: o.storageGiB,
        logRetentionDays: o.logRetentionDays,
        receiver: o.receiver,
        receiverSecret: o.receiver.type === "sns" ? undefined : alertReceiverSecret,
        alertEmails: o.alertEmails,
        endpoints: served.map((m) => ({ endpoint: m.name, slo: o.slos[m.name] ?? o.defaultSlo, revisions: m.tracks.map((t) => `${t.version.name}@${t.version.revision}`) })),
        alerts: o.alerts,
        waitFor: [component.systemPool.nodeGroup, component.addons.storageClass],
      },
      { parent: component, providers: [providers.get(r.region)!, component.cluster.kubernetesProvider, randomProvider] },
    );
    if (cfg.serving && served.length > 0) {
      const inCluster = { parent: component, providers: [providers.get(r.region)!, component.cluster.kubernetesProvider] };
      const addons = new ServingAddons(`${r.region}-serving`, { waitFor: [component.systemPool.nodeGroup] }, inCluster);
      const registry = registries.get(r.region)!;
      const traffic = cfg.traffic;
      if (traffic) {
        new RegionalIngress(
          `${r.region}-ingress`,
          {
            region: r.region,
            clusterName: component.cluster.clusterName,
            vpcId: component.network.vpcId,
            vpcCidr: r.vpcCidr,
            publicSubnetIds: component.network.publicSubnetIds,
            clusterSecurityGroupId: component.cluster.clusterSecurityGroupId,
            zoneId: traffic.zoneId,
            zoneName: traffic.zoneName,
            endpoints: served.map((m) => m.name),
            allowedCidrs: traffic.allowedCidrs,
            deletionProtection: traffic.deletionProtection,
            waitFor: [...addons.ready, component.systemPool.nodeGroup],
          },
          inCluster,
        );
      }
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
            hostnames: traffic ? [globalName(m.name, traffic.zoneName), regionalName(m.name, r.region, traffic.zoneName)] : [],
            ...(traffic ? { requestTimeoutSeconds: traffic.requestTimeoutSeconds } : {}),
            // The GPU pool must exist before pods can be placed; the gateway and KEDA before routes and autoscalers.
            waitFor: [...addons.ready, component.gpuPools[placement.pool].nodeGroup],
          },
          inCluster,
        );
        endpoints[m.name] = {
          url: traffic ? `https://${regionalName(m.name, r.region, traffic.zoneName)}/v1` : `http://inference-gateway.envoy-gateway-system/${m.name}/v1`,
          pool: placement.pool,
          split: trafficSplit(m.tracks),
          versions: Object.fromEntries(m.tracks.map((t) => [t.track, `${t.version.name}@${t.version.revision}`])),
        };
      }
    }
    return { config: r, component, endpoints };
  });

  // One global name per served model, steered between the regions that serve it.
  const globalEndpoints: Record<string, unknown> = {};
  if (cfg.traffic && cfg.serving) {
    const t = cfg.traffic;
    const globalProvider = providers.get("us-east-1") ?? regionalAwsProvider("aws-global", "us-east-1", { ...baseTags, "llm-blueprint:region": "global" });
    // Health-check alarms live in us-east-1 with their metrics, and notify a topic there.
    const healthCheckAlerts = new HealthCheckAlerts("health-check-alerts", { region: "us-east-1", alertEmails: cfg.observability.alertEmails, tags: baseTags }, { provider: globalProvider });
    for (const m of cfg.serving.models) {
      const serving = t.regions.filter((r) => m.placements.some((p) => p.region === r.region));
      const endpoint = new GlobalEndpoint(
        `${m.name}-global`,
        {
          endpoint: m.name,
          zoneId: t.zoneId,
          zoneName: t.zoneName,
          routing: t.routing,
          regions: serving,
          healthCheck: t.healthCheck,
          recordTtlSeconds: t.recordTtlSeconds,
          warmReplicas: Object.fromEntries(serving.map((r) => [r.region, m.replicas.min])),
          // A survivor's new replica: GPU node launch, image pull and the startup probe's window.
          coldStartSeconds: podStartSeconds(startupBudget(m.tracks.find((x) => x.track === "stable")!.version, m.gpuClass, runtimeOf(cfg.serving.vllmImage).compressedSizeGiB)),
          alarmTopicArn: healthCheckAlerts.topicArn,
        },
        { provider: globalProvider },
      );
      globalEndpoints[m.name] = { url: `https://${endpoint.fqdn}/v1`, routing: t.routing, recoveryTime: endpoint.recoveryTime };
    }
  }

  return {
    environment: cfg.environment,
    primaryRegion: primary.region,
    ...(cfg.traffic ? { globalEndpoints } : {}),
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
