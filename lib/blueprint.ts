import * as pulumi from "@pulumi/pulumi";
import { InferenceRegion, regionalAwsProvider } from "../components/InferenceRegion";
import { StackConfig } from "./config/schema";
import { clusterName } from "./naming";

/**
 * Builds the whole stack from validated config: one explicit aws.Provider and one InferenceRegion
 * per region. Returns the stack outputs.
 */
export function deployBlueprint(cfg: StackConfig) {
  const stack = pulumi.getStack();
  const baseTags = {
    ...cfg.tags,
    "llm-blueprint:stack": stack,
    "llm-blueprint:environment": cfg.environment,
    "managed-by": "pulumi",
  };

  const regions = cfg.regions.map((r) => {
    const provider = regionalAwsProvider(`aws-${r.region}`, r.region, { ...baseTags, "llm-blueprint:region": r.region });
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
      { providers: [provider] },
    );
    return { config: r, component };
  });

  return {
    environment: cfg.environment,
    primaryRegion: cfg.regions[0].region,
    regions: Object.fromEntries(
      regions.map(({ config, component }) => [
        config.region,
        {
          clusterName: component.cluster.clusterName,
          clusterEndpoint: component.cluster.endpoint,
          vpcId: component.network.vpcId,
          gpuPools: component.gpuCapacity,
        },
      ]),
    ),
  };
}
