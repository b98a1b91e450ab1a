import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as servicequotas from "@pulumi/aws/servicequotas";
import * as pulumi from "@pulumi/pulumi";
import { RegionConfig, StackConfig } from "../lib/config/schema";
import { clusterName, registryBucketName } from "../lib/naming";
import { GlobalEndpoint } from "./GlobalEndpoint";
import { ImageCache } from "./ImageCache";
import { cachedUpstreams } from "../lib/imageCache";
import { stackCapacity } from "../lib/capacity";
import { quotaNeeds } from "../lib/quotas";
import { EntryCertificates } from "./EntryCertificates";
import { HealthCheckAlerts } from "./HealthCheckAlerts";
import { InferenceRegion, regionalAwsProvider } from "./InferenceRegion";
import { ModelRegistry } from "./ModelRegistry";
import { RegionalEntry } from "./RegionalEntry";
import { RunnerPeering } from "./RunnerPeering";
import { subnetLayout } from "../lib/network";

/**
 * What serving needs of one region's platform, as live resources (one stack) or as the platform
 * stack's outputs (two projects). Every field is also a stack output of the platform project
 * (`regions.<region>.*`), so the two paths carry the same facts.
 */
export interface PlatformRegionView {
  readonly region: string;
  readonly clusterName: pulumi.Input<string>;
  readonly clusterEndpoint: pulumi.Input<string>;
  readonly certificateAuthorityData: pulumi.Input<string>;
  /** Resolves once every deploy-principal access policy association of the cluster exists. */
  readonly deployAccessReady: pulumi.Input<string>;
  readonly clusterSecurityGroupId: pulumi.Input<string>;
  readonly vpcId: pulumi.Input<string>;
  readonly registry: { readonly bucketName: pulumi.Input<string>; readonly bucketArn: pulumi.Input<string>; readonly kmsKeyArn: pulumi.Input<string> };
  /** Karpenter's AWS half (KarpenterAws): the names its Kubernetes half (KarpenterGpuPools) configures. */
  readonly karpenter: { readonly nodeRoleName: pulumi.Input<string>; readonly interruptionQueueName: pulumi.Input<string> };
  /**
   * The region's ECR pull-through cache: the upstream hosts it mirrors (plain, so serving knows where
   * pods pull from before deploy) and each host's cached repository root. Absent: pods pull upstream.
   */
  readonly imageCache?: { readonly hosts: readonly string[]; readonly repositoryPrefixes: pulumi.Input<Record<string, string>> };
  /** The NLB target group the gateway's pods fill; absent without `traffic`. */
  readonly targetGroupArn?: pulumi.Input<string>;
  /**
   * Resources in the same program that serving must wait for (one stack only): the system pool for
   * the add-ons, Karpenter's node access entry and controller association for the GPU pools, the
   * access associations for the Kubernetes provider.
   * Two projects need none: platform's `pulumi up` finished before serving's starts.
   */
  readonly waitFor?: {
    readonly systemPool: pulumi.Resource[];
    readonly karpenter: pulumi.Resource[];
    readonly clusterAccess: pulumi.Resource[];
  };
}

export interface PlatformDeployment {
  readonly providers: ReadonlyMap<string, AwsProvider>;
  readonly regions: readonly PlatformRegionView[];
  /** The platform project's stack outputs. */
  readonly outputs: Record<string, unknown>;
}

/** Tags every AWS resource of the blueprint gets through its regional provider's defaultTags. */
export function blueprintTags(cfg: StackConfig, region: string): Record<string, string> {
  return {
    ...cfg.tags,
    "llm-blueprint:stack": pulumi.getStack(),
    "llm-blueprint:environment": cfg.environment,
    "managed-by": "pulumi",
    "llm-blueprint:region": region,
  };
}

/** One explicit aws provider per region (the stacks disable default providers). */
export function regionalProviders(cfg: StackConfig, prefix: string, parent?: pulumi.Resource): Map<string, AwsProvider> {
  return new Map(cfg.regions.map((r) => [r.region, regionalAwsProvider(`${prefix}${r.region}`, r.region, blueprintTags(cfg, r.region), parent ? { parent } : undefined)]));
}

/**
 * The platform half of the blueprint, AWS resources only (no Kubernetes provider, so its jobs need no
 * cluster access): per region the network, cluster, node pools and registry; the primary registry
 * replicating to the others; the regional entries (NLB, certificate, regional names) and the global
 * names with their health checks. `ownKeys` are the config keys serving reads back through the
 * `platformConfig` output.
 */
export function deployPlatform(cfg: StackConfig, ownKeys: Record<string, unknown> | undefined, parent?: pulumi.Resource): PlatformDeployment {
  const stack = pulumi.getStack();
  const providers = regionalProviders(cfg, "aws-", parent);
  const inRegion = (r: string): pulumi.ComponentResourceOptions => ({ provider: providers.get(r), ...(parent ? { parent } : {}) });
  const accountId = (r: RegionConfig) => getCallerIdentityOutput({}, { provider: providers.get(r.region), ...(parent ? { parent } : {}) }).accountId;

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
  for (const r of cfg.regions.filter((x) => !x.primary)) registries.set(r.region, new ModelRegistry(`${r.region}-registry`, registryArgs(r), inRegion(r.region)));
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
      inRegion(primary.region),
    ),
  );

  const traffic = cfg.traffic;
  const hasGlobalNames = traffic !== undefined && Object.keys(traffic.endpoints).length > 0;
  const globalProvider = hasGlobalNames ? (providers.get("us-east-1") ?? regionalAwsProvider("aws-global", "us-east-1", blueprintTags(cfg, "global"), parent ? { parent } : undefined)) : undefined;
  const entryNames = (r: RegionConfig) => (traffic ? Object.entries(traffic.endpoints).filter(([, rs]) => rs.includes(r.region)).map(([name]) => name) : []);
  // The entries' certificates and their validation records, declared once for all regions (a record
  // the regions share has one owner).
  const entryRegions = cfg.regions.filter((r) => entryNames(r).length > 0);
  const certificates =
    traffic && globalProvider && entryRegions.length > 0
      ? new EntryCertificates(
          "entry-certificates",
          { zoneId: traffic.zoneId, zoneName: traffic.zoneName, regions: entryRegions.map((r) => ({ region: r.region, provider: providers.get(r.region)! })), globalProvider },
          { provider: globalProvider, ...(parent ? { parent } : {}) },
        )
      : undefined;
  // Every region's CI subnets, from config alone: each control plane admits the other regions' runners by CIDR.
  const ciSubnets = cfg.regions.map((r) => ({ region: r.region, ciSubnetCidrs: subnetLayout(r.vpcCidr, r.availabilityZones).ci.map((c) => c.cidr) }));
  const regions = cfg.regions.map((r) => {
    const component = new InferenceRegion(
      r.region,
      {
        region: r.region,
        clusterName: clusterName(cfg.namePrefix, stack, r.region),
        vpcCidr: r.vpcCidr,
        availabilityZones: r.availabilityZones,
        natGateways: r.natGateways,
        flowLogRetentionDays: r.flowLogRetentionDays,
        kubernetesVersion: cfg.cluster.kubernetesVersion,
        publicAccessCidrs: cfg.cluster.publicAccessCidrs,
        adminRoleArns: cfg.cluster.adminRoleArns,
        ciPrincipals: cfg.cluster.ciPrincipals,
        logRetentionDays: cfg.cluster.logRetentionDays,
        ...(cfg.ci
          ? {
              ciRunners: {
                namePrefix: cfg.namePrefix,
                stack,
                peerCiSubnets: ciSubnets.filter((c) => c.region !== r.region),
                githubRepository: cfg.ci.githubRepository,
                githubConnectionArn: cfg.ci.githubConnectionArn,
                logRetentionDays: cfg.ci.logRetentionDays,
              },
            }
          : {}),
        systemPool: r.systemPool,
        gpuPools: r.gpuPools,
      },
      { providers: [providers.get(r.region)!], ...(parent ? { parent } : {}) },
    );
    const names = entryNames(r);
    const entry =
      traffic && certificates && names.length > 0
        ? new RegionalEntry(
            `${r.region}-entry`,
            {
              region: r.region,
              vpcId: component.network.vpcId,
              vpcCidr: r.vpcCidr,
              publicSubnetIds: component.network.publicSubnetIds,
              clusterSecurityGroupId: component.cluster.clusterSecurityGroupId,
              targetGroupName: `${clusterName(cfg.namePrefix, stack, r.region).slice(0, 29).replace(/-+$/, "")}-gw`,
              zoneId: traffic.zoneId,
              zoneName: traffic.zoneName,
              certificateArn: certificates.certificateArns[r.region],
              endpoints: names,
              allowedCidrs: traffic.allowedCidrs,
              deletionProtection: traffic.deletionProtection,
              accessLogs: { bucketName: accountId(r).apply((id) => registryBucketName(cfg.namePrefix, stack, id, r.region, "nlb-logs")), days: traffic.accessLogDays },
            },
            { parent: component },
          )
        : undefined;
    // Nodes pull the runtime image from an in-region cache of its registry, through VPC endpoints.
    const imageCache = new ImageCache(
      `${r.region}-image-cache`,
      {
        region: r.region,
        accountId: accountId(r),
        vpcId: component.network.vpcId,
        privateSubnetIds: component.network.privateSubnetIds,
        privateSubnetCidrs: component.network.privateSubnetCidrs,
        // vLLM runs on the Karpenter GPU nodes only.
        nodeRoleNames: [component.karpenter.nodeRole.name],
        dockerHubCredentialArn: r.dockerHubCredentialArn,
      },
      { parent: component },
    );
    // Opt-in: ask Service Quotas for the vCPUs the GPU pools need at maximum (the plan prints them either way).
    if (cfg.quotas.requestIncreases) {
      for (const need of quotaNeeds(stackCapacity([r]))) {
        new servicequotas.ServiceQuota(`${r.region}-quota-${need.code}`, { serviceCode: "ec2", quotaCode: need.code, value: need.vcpus }, { parent: component });
      }
    }
    const registry = registries.get(r.region)!;
    const view: PlatformRegionView = {
      region: r.region,
      clusterName: component.cluster.clusterName,
      clusterEndpoint: component.cluster.endpoint,
      certificateAuthorityData: component.cluster.certificateAuthorityData,
      deployAccessReady: component.cluster.deployAccessReady,
      clusterSecurityGroupId: component.cluster.clusterSecurityGroupId,
      vpcId: component.network.vpcId,
      registry: { bucketName: registry.bucketName, bucketArn: registry.bucketArn, kmsKeyArn: registry.kmsKeyArn },
      imageCache: { hosts: cachedUpstreams(r.dockerHubCredentialArn !== undefined).map((u) => u.host), repositoryPrefixes: imageCache.repositoryPrefixes },
      karpenter: { nodeRoleName: component.karpenter.nodeRole.name, interruptionQueueName: component.karpenter.queue.name },
      ...(entry ? { targetGroupArn: entry.targetGroup.arn } : {}),
      waitFor: {
        systemPool: [component.systemPool.nodeGroup],
        karpenter: [component.karpenter.nodeAccessEntry, component.karpenter.podIdentityAssociation],
        clusterAccess: Object.values(component.cluster.ciAccess).flat(),
      },
    };
    return { config: r, component, entry, view };
  });

  // Runners reach every region's private API: a full mesh of inter-region peerings, routing CI subnets
  // to control-plane subnets only.
  if (cfg.ci && regions.length > 1) {
    new RunnerPeering(
      "runner-peering",
      {
        regions: regions.map(({ config, component }) => ({
          region: config.region,
          provider: providers.get(config.region)!,
          vpcId: component.network.vpcId,
          vpcCidr: config.vpcCidr,
          ciSubnetCidrs: component.network.ciSubnetCidrs,
          privateSubnetCidrs: component.network.privateSubnetCidrs,
          ciRouteTableIds: component.network.ciRouteTableIds,
          privateRouteTableIds: component.network.privateRouteTableIds,
        })),
      },
      { provider: providers.get(primary.region), ...(parent ? { parent } : {}) },
    );
  }

  // One global name per public endpoint, steered between the regions that answer for it.
  const globalEndpoints: Record<string, { url: string; routing: string; regions: string[] }> = {};
  if (traffic && globalProvider) {
    const globalOpts = { provider: globalProvider, ...(parent ? { parent } : {}) };
    // Health-check alarms live in us-east-1 with their metrics, and notify a topic there.
    const healthCheckAlerts = new HealthCheckAlerts("health-check-alerts", { region: "us-east-1", alertEmails: [...traffic.alarmEmails, ...cfg.observability.alertEmails], tags: blueprintTags(cfg, "global") }, globalOpts);
    for (const [name, endpointRegions] of Object.entries(traffic.endpoints)) {
      const endpoint = new GlobalEndpoint(
        `${name}-global`,
        {
          endpoint: name,
          zoneId: traffic.zoneId,
          zoneName: traffic.zoneName,
          routing: traffic.routing,
          regions: traffic.regions.filter((r) => endpointRegions.includes(r.region)),
          healthCheck: traffic.healthCheck,
          recordTtlSeconds: traffic.recordTtlSeconds,
          alarmTopicArn: healthCheckAlerts.topicArn,
        },
        globalOpts,
      );
      globalEndpoints[name] = { url: `https://${endpoint.fqdn}/v1`, routing: traffic.routing, regions: endpoint.routedRegions };
    }
  }

  const outputs: Record<string, unknown> = {
    environment: cfg.environment,
    primaryRegion: primary.region,
    ...(ownKeys ? { platformConfig: ownKeys } : {}),
    ...(traffic ? { globalEndpoints } : {}),
    // The runner each serving job of this stack runs on, primary region first (the workflows' SERVING_RUNNERS variable).
    ...(cfg.ci ? { servingRunners: regions.map(({ config, component }) => ({ region: config.region, project: component.ciRunners!.projectName })) } : {}),
    regions: Object.fromEntries(
      regions.map(({ config, component, entry, view }) => [
        config.region,
        {
          clusterName: view.clusterName,
          clusterEndpoint: view.clusterEndpoint,
          certificateAuthorityData: view.certificateAuthorityData,
          deployAccessReady: view.deployAccessReady,
          clusterSecurityGroupId: view.clusterSecurityGroupId,
          vpcId: view.vpcId,
          publicSubnetIds: component.network.publicSubnetIds,
          privateSubnetIds: component.network.privateSubnetIds,
          gpuPools: component.gpuCapacity,
          karpenter: { ...view.karpenter, controllerRoleArn: component.karpenter.controllerRole.arn },
          registry: view.registry,
          imageCache: view.imageCache?.repositoryPrefixes,
          ...(entry ? { ingress: { targetGroupArn: entry.targetGroup.arn, loadBalancerDnsName: entry.loadBalancer.dnsName, regionalNames: entry.regionalNames } } : {}),
        },
      ]),
    ),
  };
  return { providers, regions: regions.map((r) => r.view), outputs };
}
