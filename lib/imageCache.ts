import { policyDocument, PolicyDocument } from "./iam";

/**
 * The in-region ECR pull-through cache of the vLLM image's upstream registry: which upstreams it can
 * mirror, how an image reference is rewritten to the cache (same repository path, same digest), what
 * the nodes need to pull through it, and the VPC endpoints that keep those pulls off NAT.
 *
 * Facts read 2026-11-25 in the Amazon ECR user guide: "Sync an upstream registry with an Amazon ECR
 * private registry" (pull-through-cache.html: Docker Hub requires a Secrets Manager secret, ECR Public,
 * registry.k8s.io and Quay do not), "Creating a pull through cache rule" (the secret's name begins
 * with `ecr-pullthroughcache/` and lives in the rule's account and region), the CreatePullThroughCacheRule
 * API reference (Docker Hub URL registry-1.docker.io; prefix 2-30 characters), and "IAM permissions
 * required to sync an upstream registry" (pull-through-cache-iam.html: the puller needs
 * ecr:BatchImportUpstreamImage, and ecr:CreateRepository until the cached repository exists).
 */

export interface PullThroughUpstream {
  /** Host as it appears in an image reference (docker.io is the default when there is none). */
  readonly host: string;
  /** `upstreamRegistry` of the rule. */
  readonly upstreamRegistry: "docker-hub" | "ecr-public" | "quay" | "k8s" | "github-container-registry";
  readonly upstreamRegistryUrl: string;
  /** `ecrRepositoryPrefix`: the cached repositories are `<prefix>/<upstream path>`. */
  readonly ecrRepositoryPrefix: string;
  /** Whether the rule needs an `ecr-pullthroughcache/` secret with the upstream's credentials. */
  readonly needsCredential: boolean;
}

export const PULL_THROUGH_UPSTREAMS: readonly PullThroughUpstream[] = [
  { host: "docker.io", upstreamRegistry: "docker-hub", upstreamRegistryUrl: "registry-1.docker.io", ecrRepositoryPrefix: "docker-hub", needsCredential: true },
  { host: "public.ecr.aws", upstreamRegistry: "ecr-public", upstreamRegistryUrl: "public.ecr.aws", ecrRepositoryPrefix: "ecr-public", needsCredential: false },
  { host: "quay.io", upstreamRegistry: "quay", upstreamRegistryUrl: "quay.io", ecrRepositoryPrefix: "quay", needsCredential: false },
  { host: "registry.k8s.io", upstreamRegistry: "k8s", upstreamRegistryUrl: "registry.k8s.io", ecrRepositoryPrefix: "k8s", needsCredential: false },
];

/**
 * Upstreams a region's cache mirrors: the vLLM runtime's registry, Docker Hub, when the region has its
 * credential; nothing else is pulled by the nodes' workloads often enough to be worth a rule.
 */
export function cachedUpstreams(hasDockerHubCredential: boolean): PullThroughUpstream[] {
  return PULL_THROUGH_UPSTREAMS.filter((u) => u.upstreamRegistry === "docker-hub" && hasDockerHubCredential);
}

/** Name prefix every pull-through credential secret must carry. */
export const CREDENTIAL_SECRET_PREFIX = "ecr-pullthroughcache/";

/** ARN pattern of a pull-through credential secret in `region` (CreatePullThroughCacheRule credentialArn). */
export function credentialArnPattern(region: string): RegExp {
  return new RegExp(`^arn:aws:secretsmanager:${region}:[0-9]{12}:secret:ecr-pullthroughcache/[a-zA-Z0-9/_+=.@-]+$`);
}

/** Host of a private ECR registry. */
export function ecrRegistryHost(accountId: string, region: string): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com`;
}

/** Whether `image` is pulled from an ECR registry in `region` (any account). */
export function isRegionalEcr(image: string, region: string): boolean {
  return new RegExp(`^[0-9]{12}\\.dkr\\.ecr\\.${region.replace(/[-]/g, "\\-")}\\.amazonaws\\.com/`).test(image);
}

/** Registry host and repository path (tag and digest kept) of an image reference, with Docker Hub's defaults. */
export function splitImage(image: string): { host: string; path: string } {
  const first = image.split("/")[0];
  const hasHost = image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  const host = hasHost ? first : "docker.io";
  let path = hasHost ? image.slice(first.length + 1) : image;
  // Docker Hub's official images live under library/ (docker.io/ubuntu is docker.io/library/ubuntu).
  if (host === "docker.io" && !path.split("@")[0].includes("/")) path = `library/${path}`;
  return { host, path };
}

/** The upstream an image comes from, when a pull-through rule can mirror it. */
export function upstreamOf(image: string): PullThroughUpstream | undefined {
  const { host } = splitImage(image);
  return PULL_THROUGH_UPSTREAMS.find((u) => u.host === host);
}

/**
 * `image` as pulled through the cache at `registryHost`: the same repository path, tag and digest
 * under the rule's prefix. An image whose registry the cache cannot mirror is an error, not a pass-through.
 */
export function cachedImage(image: string, registryHost: string): string {
  const upstream = upstreamOf(image);
  if (!upstream) throw new Error(`image ${image}: registry ${splitImage(image).host} has no ECR pull-through rule; supported: ${PULL_THROUGH_UPSTREAMS.map((u) => u.host).join(", ")}`);
  return `${registryHost}/${upstream.ecrRepositoryPrefix}/${splitImage(image).path}`;
}

/**
 * What a node role needs beyond AmazonEC2ContainerRegistryReadOnly to pull through the cache: import
 * the upstream image and create its cached repository, under the rules' prefixes in its own region only.
 */
export function pullThroughPolicy(accountId: string, region: string, prefixes: readonly string[]): PolicyDocument {
  return policyDocument({
    Sid: "PullThroughCache",
    Effect: "Allow",
    Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
    Resource: prefixes.map((p) => `arn:aws:ecr:${region}:${accountId}:repository/${p}/*`),
  });
}

/** Interface endpoints a node needs to pull from ECR without NAT; the layers come from S3 through its gateway endpoint. */
export function ecrEndpointServices(region: string): { api: string; dkr: string; s3: string } {
  return { api: `com.amazonaws.${region}.ecr.api`, dkr: `com.amazonaws.${region}.ecr.dkr`, s3: `com.amazonaws.${region}.s3` };
}
