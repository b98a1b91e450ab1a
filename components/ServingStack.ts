import { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../lib/config/schema";
import { clusterName } from "../lib/naming";
import { upstreamOf } from "../lib/imageCache";
import { runtimeOf } from "../lib/runtime";
import { readApprovedVersions } from "../lib/rollout";
import { coldStartSeconds, startupBudget, trafficSplit } from "../lib/serving";
import { endpointRecovery, globalName, globalRecords, RecoveryTime, regionalName } from "../lib/traffic";
import { ClusterAddons } from "./ClusterAddons";
import { KarpenterGpuPools } from "./KarpenterGpuPools";
import { SYSTEM_NODE_LABELS } from "./NodePool";
import { stackCapacity } from "../lib/capacity";
import { KUBERNETES_BASELINES } from "../lib/baseline";
import { kubeconfigFor } from "./GpuCluster";
import { ModelEndpoint } from "./ModelEndpoint";
import { Observability } from "./Observability";
import { blueprintTags, PlatformRegionView, regionalProviders } from "./PlatformStack";
import { RegionalIngress } from "./RegionalIngress";
import * as random from "@pulumi/random";
import { ServingAddons } from "./ServingAddons";

/** Groups what serving declares in one region, as InferenceRegion does for platform. */
export class ServingRegion extends pulumi.ComponentResource {
  constructor(name: string, args: { readonly region: string }, opts?: pulumi.ComponentResourceOptions) {
    super("llm-blueprint:serving:ServingRegion", name, { region: args.region }, opts);
  }

  /** Registers the region's outputs once everything in it is declared. */
  complete(outputs: Record<string, unknown>): void {
    this.registerOutputs(outputs);
  }
}

/**
 * The failover estimate of one global name as a resource of the plan, so the pack can check its
 * survivor scale-up term against the startup budgets the Deployments record (failover-scale-up-is-cold-start).
 */
export class FailoverEstimate extends pulumi.ComponentResource {
  constructor(name: string, args: { readonly endpoint: string; readonly regions: readonly string[]; readonly recoveryTime: RecoveryTime }, opts?: pulumi.ComponentResourceOptions) {
    super("llm-blueprint:serving:FailoverEstimate", name, { endpoint: args.endpoint, regions: [...args.regions], recoveryTime: args.recoveryTime }, opts);
    this.registerOutputs({});
  }
}

/** Root of the region's pull-through cache for `image`'s registry, when platform mirrors that registry there. */
export function imageCacheRoot(view: PlatformRegionView, image: string): pulumi.Output<string> | undefined {
  const host = upstreamOf(image)?.host;
  const cache = view.imageCache;
  if (host === undefined || cache === undefined || !cache.hosts.includes(host)) return undefined;
  return pulumi.output(cache.repositoryPrefixes).apply((prefixes) => {
    const root = prefixes[host];
    if (!root) throw new Error(`serving: the platform's image cache in ${view.region} lists ${host} but exports no repository root for it`);
    return root;
  });
}

export interface ServingSecrets {
  /** Hugging Face token for gated profiles (config `huggingFaceToken`, secret). */
  readonly huggingFaceToken?: pulumi.Output<string>;
  /** Slack webhook URL or PagerDuty routing key (config `alertReceiverSecret`, secret). */
  readonly alertReceiverSecret?: pulumi.Output<string>;
}

/**
 * The Kubernetes provider serving deploys a region's cluster with. Its kubeconfig is built from the
 * platform's cluster facts and `deployAccessReady`, so it cannot exist before the deploy principal's
 * access policy association does (one stack: also an explicit dependsOn on the associations).
 */
export function clusterProvider(view: PlatformRegionView, parent?: pulumi.Resource): k8s.Provider {
  const kubeconfig = pulumi.secret(
    pulumi
      .all([view.clusterName, view.clusterEndpoint, view.certificateAuthorityData, view.deployAccessReady])
      .apply(([name, endpoint, ca]) => kubeconfigFor(name, endpoint, ca, view.region)),
  );
  return new k8s.Provider(
    `${view.region}-k8s`,
    // `cluster` names the kubeconfig entry (kubeconfigFor names it after the EKS cluster): a plain input
    // that says which cluster this provider deploys to, where the kubeconfig itself is a secret.
    { kubeconfig, cluster: view.clusterName, enableServerSideApply: true },
    { ...(parent ? { parent } : {}), dependsOn: view.waitFor?.clusterAccess ?? [] },
  );
}

/**
 * The serving half of the blueprint: per region the cluster add-ons, observability, gateway and the
 * in-cluster half of the regional entry, and every served model; plus the failover recovery estimate
 * of each global name. Reads the platform through `platform` (live resources or stack outputs).
 */
export function deployServing(
  cfg: StackConfig,
  platform: readonly PlatformRegionView[],
  secrets: ServingSecrets,
  opts: { readonly parent?: pulumi.Resource; readonly providers?: ReadonlyMap<string, AwsProvider> } = {},
): Record<string, unknown> {
  const stack = pulumi.getStack();
  const parent = opts.parent;
  const providers = opts.providers ?? regionalProviders(cfg, "aws-", parent);
  // Explicit like every provider here (the stacks disable default providers); generates the Grafana password.
  const randomProvider = new random.Provider("random", {}, parent ? { parent } : undefined);
  const traffic = cfg.traffic;

  const regions = cfg.regions.map((r) => {
    const view = platform.find((p) => p.region === r.region);
    if (!view) throw new Error(`serving: the platform has no region ${r.region}`);
    const region = new ServingRegion(r.region, { region: r.region }, parent ? { parent } : undefined);
    const k8sProvider = clusterProvider(view, region);
    const inCluster = { parent: region, providers: [providers.get(r.region)!, k8sProvider] };
    const systemPool = view.waitFor?.systemPool ?? [];
    const literalName = clusterName(cfg.namePrefix, stack, r.region);

    const clusterAddons = new ClusterAddons(
      `${r.region}-addons`,
      { clusterName: view.clusterName, clusterNameLiteral: literalName, region: r.region, kubernetesVersion: cfg.cluster.kubernetesVersion, waitFor: systemPool },
      inCluster,
    );
    // GPU capacity: Karpenter on the system nodes, a NodePool and EC2NodeClass per GPU pool of the region.
    const gpuPools = new KarpenterGpuPools(
      `${r.region}-karpenter`,
      {
        clusterName: literalName,
        interruptionQueueName: view.karpenter.interruptionQueueName,
        nodeRoleName: view.karpenter.nodeRoleName,
        pools: stackCapacity([r]),
        amiAlias: KUBERNETES_BASELINES[cfg.cluster.kubernetesVersion].gpuNodeAmiAlias,
        systemNodeSelector: { ...SYSTEM_NODE_LABELS },
        waitFor: [...systemPool, ...(view.waitFor?.karpenter ?? [])],
        tags: blueprintTags(cfg, r.region),
      },
      inCluster,
    );
    const served = (cfg.serving?.models ?? []).filter((m) => m.placements.some((p) => p.region === r.region));
    const o = cfg.observability;
    new Observability(
      `${r.region}-observability`,
      {
        clusterName: view.clusterName,
        clusterNameLiteral: literalName,
        region: r.region,
        retentionDays: o.retentionDays,
        storageGiB: o.storageGiB,
        logRetentionDays: o.logRetentionDays,
        receiver: o.receiver,
        receiverSecret: o.receiver.type === "sns" ? undefined : secrets.alertReceiverSecret,
        alertEmails: o.alertEmails,
        endpoints: served.map((m) => ({ endpoint: m.name, slo: o.slos[m.name] ?? o.defaultSlo, revisions: m.tracks.map((t) => `${t.version.name}@${t.version.revision}`) })),
        alerts: o.alerts,
        waitFor: [...systemPool, clusterAddons.storageClass],
      },
      { ...inCluster, providers: [...inCluster.providers, randomProvider] },
    );

    const endpoints: Record<string, unknown> = {};
    if (cfg.serving && served.length > 0) {
      const addons = new ServingAddons(`${r.region}-serving`, { waitFor: systemPool, prometheusUrl: cfg.serving.prometheusUrl, approvedVersions: readApprovedVersions() }, inCluster);
      if (traffic) {
        if (view.targetGroupArn === undefined) throw new Error(`serving: the platform exports no ingress target group for ${r.region}`);
        new RegionalIngress(
          `${r.region}-ingress`,
          { region: r.region, clusterName: view.clusterName, vpcId: view.vpcId, targetGroupArn: view.targetGroupArn, waitFor: [...addons.ready, ...systemPool] },
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
            rollout: m.rollout,
            ...(m.previous ? { previous: m.previous } : {}),
            instanceType: placement.instanceType,
            image: cfg.serving.vllmImage,
            imageCache: imageCacheRoot(view, cfg.serving.vllmImage),
            region: r.region,
            clusterName: view.clusterName,
            bucketName: view.registry.bucketName,
            bucketArn: view.registry.bucketArn,
            kmsKeyArn: view.registry.kmsKeyArn,
            replicas: m.replicas,
            targetWaitingRequests: m.targetWaitingRequests,
            prometheusUrl: cfg.serving.prometheusUrl,
            huggingFaceToken: secrets.huggingFaceToken,
            hostnames: traffic ? [globalName(m.name, traffic.zoneName), regionalName(m.name, r.region, traffic.zoneName)] : [],
            ...(traffic ? { requestTimeoutSeconds: traffic.requestTimeoutSeconds, probePath: traffic.healthCheck.path } : {}),
            auth: cfg.serving.auth,
            rateLimit: cfg.serving.rateLimit,
            // The GPU pool must exist before pods can be placed; the gateway and KEDA before routes and autoscalers.
            waitFor: [...addons.ready, gpuPools.nodePools[placement.pool]],
          },
          inCluster,
        );
        endpoints[m.name] = {
          url: traffic ? `https://${regionalName(m.name, r.region, traffic.zoneName)}/v1` : `http://inference-gateway.envoy-gateway-system/${m.name}/v1`,
          pool: placement.pool,
          split: trafficSplit(m.tracks, m.previous?.serve === true),
          versions: Object.fromEntries(m.tracks.map((t) => [t.track, `${t.version.name}@${t.version.revision}`])),
        };
      }
    }
    region.complete({ endpoints });
    return [r.region, { clusterName: view.clusterName, endpoints }] as const;
  });

  // Failover recovery of each global name: platform owns the names and checks, serving the replicas
  // and cold start that decide how long survivors take to absorb a lost region.
  const globalEndpoints: Record<string, unknown> = {};
  if (traffic && cfg.serving) {
    for (const m of cfg.serving.models) {
      const serving = traffic.regions.filter((r) => m.placements.some((p) => p.region === r.region));
      const routed = [...new Set(globalRecords(m.name, traffic.zoneName, traffic.routing, serving).filter((x) => x.weight !== 0).map((x) => x.region))];
      const stable = m.tracks.find((x) => x.track === "stable")!;
      // A survivor's new replica, term by term as its Deployment budgets it (its pool's node, its
      // region's image source); the slowest region bounds the estimate.
      const image = cfg.serving.vllmImage;
      const coldStart = Math.max(
        ...serving.map((r) => {
          const view = platform.find((p) => p.region === r.region);
          const node = { instanceType: m.placements.find((p) => p.region === r.region)!.instanceType, imageSource: view && imageCacheRoot(view, image) ? ("regional-cache" as const) : ("upstream" as const) };
          return coldStartSeconds(startupBudget(stable.version, m.gpuClass, runtimeOf(image).compressedSizeGiB, node));
        }),
      );
      const recoveryTime = endpointRecovery({
        routedRegions: routed,
        healthCheck: traffic.healthCheck,
        recordTtlSeconds: traffic.recordTtlSeconds,
        warmReplicas: Object.fromEntries(serving.map((r) => [r.region, m.replicas.min])),
        coldStartSeconds: coldStart,
      });
      new FailoverEstimate(`${m.name}-failover`, { endpoint: m.name, regions: routed, recoveryTime }, parent ? { parent } : undefined);
      globalEndpoints[m.name] = { url: `https://${globalName(m.name, traffic.zoneName)}/v1`, routing: traffic.routing, regions: routed, recoveryTime };
    }
  }

  return {
    environment: cfg.environment,
    ...(traffic ? { globalEndpoints } : {}),
    regions: Object.fromEntries(regions),
  };
}
