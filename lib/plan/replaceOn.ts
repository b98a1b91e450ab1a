import { createHash } from "crypto";

/**
 * Properties whose change makes the provider replace the resource rather than update it in place:
 * forceNew fields of the AWS provider schema and immutable Kubernetes fields (checked against the
 * provider docs, 2026-11-25). Not exhaustive: an update here can still be a replace in a real
 * preview, never the other way round. One table for the diff (which changes are replaces) and the
 * plan engine's mocks (a replaced resource gets a new id, so what refers to it changes too).
 */
export const REPLACE_ON: Readonly<Record<string, readonly string[]>> = {
  "aws:ec2/vpc:Vpc": ["cidrBlock"],
  "aws:ec2/subnet:Subnet": ["cidrBlock", "availabilityZone", "vpcId"],
  "aws:ec2/natGateway:NatGateway": ["subnetId", "allocationId", "connectivityType"],
  "aws:eks/cluster:Cluster": ["name", "kubernetesNetworkConfig", "bootstrapSelfManagedAddons"],
  "aws:eks/nodeGroup:NodeGroup": ["nodeGroupName", "nodeRoleArn", "subnetIds", "instanceTypes", "amiType", "capacityType", "diskSize", "clusterName"],
  "aws:eks/addon:Addon": ["addonName", "clusterName"],
  "aws:eks/podIdentityAssociation:PodIdentityAssociation": ["clusterName", "namespace", "serviceAccount"],
  // hashicorp/terraform-provider-aws internal/service/eks/access_entry.go (main, read 2026-11-25): cluster_name, principal_arn and type are ForceNew.
  "aws:eks/accessEntry:AccessEntry": ["clusterName", "principalArn", "type"],
  "aws:s3/bucket:Bucket": ["bucket", "objectLockEnabled"],
  "aws:kms/alias:Alias": ["name"],
  "aws:iam/role:Role": ["name"],
  "aws:ec2/launchTemplate:LaunchTemplate": ["name"],
  "aws:lb/loadBalancer:LoadBalancer": ["name", "internal", "loadBalancerType"],
  "aws:lb/targetGroup:TargetGroup": ["name", "port", "protocol", "vpcId", "targetType"],
  "aws:acm/certificate:Certificate": ["domainName", "subjectAlternativeNames"],
  "aws:route53/record:Record": ["name", "type", "zoneId", "setIdentifier"],
  "aws:route53/healthCheck:HealthCheck": ["type", "requestInterval", "measureLatency"],
  "aws:cloudwatch/logGroup:LogGroup": ["name"],
  "aws:sns/topic:Topic": ["name", "fifoTopic"],
  "kubernetes:apps/v1:Deployment": ["spec.selector"],
  "kubernetes:helm.sh/v3:Release": ["name", "namespace"],
  "kubernetes:storage.k8s.io/v1:StorageClass": ["provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"],
};

/**
 * Inputs whose source being replaced moves the resource with it, although the provider would plan an
 * in-place update: an EKS cluster cannot leave its VPC (terraform-provider-aws
 * internal/service/eks/cluster.go updates vpc_config.subnet_ids in place through UpdateClusterConfig,
 * read 2026-11-25, but EKS accepts only subnets of the cluster's own VPC), so a cluster whose subnets
 * are replaced because their VPC is replaced is replaced too. Keyed by type, then input, then the
 * replace reason of the source that carries the resource along.
 */
export const MOVES_WITH: Readonly<Record<string, Readonly<Record<string, { readonly type: string; readonly because: string }>>>> = {
  "aws:eks/cluster:Cluster": { vpcConfig: { type: "aws:ec2/subnet:Subnet", because: "vpcId" } },
};

/** The Kubernetes identity fields that replace an object when they change (Helm releases have their own). */
export function replaceTriggers(type: string): readonly string[] {
  const k8sIdentity = type.startsWith("kubernetes:") && type !== "kubernetes:helm.sh/v3:Release" ? ["metadata.name", "metadata.namespace"] : [];
  return [...(REPLACE_ON[type] ?? []), ...k8sIdentity];
}

function valueAt(inputs: Record<string, unknown>, path: string): unknown {
  let v: unknown = inputs;
  for (const key of path.split(".")) v = typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

/** JSON with object keys sorted, so the same value always hashes the same. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/**
 * A short hash of the inputs that force a replacement of this resource ("" when its type has none):
 * the plan engine's mocks put it into generated ids and ARNs, so a replacement gives the resource a
 * new id, as a real `pulumi up` does, and everything that refers to it changes with it.
 */
export function replacementKey(type: string, inputs: Record<string, unknown>, extra: readonly string[] = []): string {
  const triggers = replaceTriggers(type);
  if (triggers.length === 0 && extra.length === 0) return "";
  const identity = canonical([...triggers.map((t) => [t, valueAt(inputs, t) ?? null]), ...extra]);
  return createHash("sha256").update(identity).digest("hex").slice(0, 12);
}
