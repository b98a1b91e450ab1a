import * as ec2 from "@pulumi/aws/ec2";
import * as ecr from "@pulumi/aws/ecr";
import * as iam from "@pulumi/aws/iam";
import * as pulumi from "@pulumi/pulumi";
import { cachedUpstreams, credentialArnPattern, ecrEndpointServices, ecrRegistryHost, pullThroughPolicy } from "../lib/imageCache";

export interface ImageCacheArgs {
  /** AWS region of the provider passed in opts. */
  readonly region: string;
  readonly accountId: pulumi.Input<string>;
  readonly vpcId: pulumi.Input<string>;
  /** Subnets the nodes run in: the interface endpoints get an ENI in each. */
  readonly privateSubnetIds: pulumi.Input<string>[];
  /** Their blocks: the only sources the endpoints admit, on 443. */
  readonly privateSubnetCidrs: readonly string[];
  /** Roles of the nodes that pull (GpuCluster.nodeRole and any node class role). */
  readonly nodeRoleNames: pulumi.Input<string>[];
  /**
   * Secrets Manager secret (name `ecr-pullthroughcache/...`, in this region) holding the Docker Hub
   * `username` and `accessToken`; Docker Hub pull-through requires it. @default no Docker Hub rule
   */
  readonly dockerHubCredentialArn?: string;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * An in-region ECR pull-through cache for the runtime images: one rule per upstream registry, the
 * node roles allowed to import through it, and ECR API and registry interface endpoints (private DNS)
 * so nodes pull from the cache without NAT; image layers come from S3 through the VPC's gateway
 * endpoint (RegionNetwork). `repositoryPrefixes` maps an upstream host to its cached repository root.
 */
export class ImageCache extends pulumi.ComponentResource {
  /** Upstream host -> `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>`. */
  readonly repositoryPrefixes: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ImageCacheArgs, opts?: pulumi.ComponentResourceOptions) {
    const credential = args.dockerHubCredentialArn;
    if (credential !== undefined && !credentialArnPattern(args.region).test(credential)) {
      throw new Error(`ImageCache ${name}: dockerHubCredentialArn "${credential}" is not a Secrets Manager secret ARN in ${args.region} named ecr-pullthroughcache/...`);
    }
    if (args.privateSubnetCidrs.length === 0) throw new Error(`ImageCache ${name}: privateSubnetCidrs is empty; the endpoints would admit no node`);
    super("llm-blueprint:network:ImageCache", name, {}, opts);
    const tags = args.tags ?? {};

    const upstreams = cachedUpstreams(credential !== undefined);
    for (const u of upstreams) {
      new ecr.PullThroughCacheRule(
        `${name}-${u.ecrRepositoryPrefix}`,
        { ecrRepositoryPrefix: u.ecrRepositoryPrefix, upstreamRegistryUrl: u.upstreamRegistryUrl, ...(u.needsCredential ? { credentialArn: credential } : {}) },
        { parent: this },
      );
    }
    args.nodeRoleNames.forEach((role, i) => {
      new iam.RolePolicy(
        `${name}-pull-through-${i}`,
        { role, policy: pulumi.output(args.accountId).apply((id) => JSON.stringify(pullThroughPolicy(id, args.region, upstreams.map((u) => u.ecrRepositoryPrefix)))) },
        { parent: this },
      );
    });

    const endpointSg = new ec2.SecurityGroup(
      `${name}-endpoints`,
      {
        vpcId: args.vpcId,
        description: "ECR interface endpoints: HTTPS from the node subnets only",
        ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [...args.privateSubnetCidrs], description: "nodes pulling images" }],
        egress: [],
        tags: { ...tags, Name: `${name}-endpoints` },
      },
      { parent: this },
    );
    const services = ecrEndpointServices(args.region);
    for (const [key, serviceName] of [
      ["ecr-api", services.api],
      ["ecr-dkr", services.dkr],
    ] as const) {
      new ec2.VpcEndpoint(
        `${name}-${key}`,
        { vpcId: args.vpcId, serviceName, vpcEndpointType: "Interface", privateDnsEnabled: true, subnetIds: args.privateSubnetIds, securityGroupIds: [endpointSg.id], tags: { ...tags, Name: `${name}-${key}` } },
        { parent: this },
      );
    }

    this.repositoryPrefixes = pulumi
      .output(args.accountId)
      .apply((id) => Object.fromEntries(upstreams.map((u) => [u.host, `${ecrRegistryHost(id, args.region)}/${u.ecrRepositoryPrefix}`])));
    this.registerOutputs({ repositoryPrefixes: this.repositoryPrefixes });
  }
}
