/**
 * Small, dependency-free readers over policy props. Props arrive as plain JSON-like values (the
 * resource inputs the analyzer is sent), so every accessor returns unknown-safe values.
 */
import type { PolicyResource } from "@pulumi/policy";
import { ANNOTATION, LABEL } from "../../lib/labels";

export type Props = Record<string, unknown>;

export function at(value: unknown, path: string): unknown {
  let cur = value;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const obj = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
export const strMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(v)).filter((e): e is [string, string] => typeof e[1] === "string"));

export const TYPES = {
  deployment: "kubernetes:apps/v1:Deployment",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  httpRoute: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
  scaledObject: "kubernetes:keda.sh/v1alpha1:ScaledObject",
  helmRelease: "kubernetes:helm.sh/v3:Release",
  eksCluster: "aws:eks/cluster:Cluster",
  eksAddon: "aws:eks/addon:Addon",
  nodeGroup: "aws:eks/nodeGroup:NodeGroup",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  subnet: "aws:ec2/subnet:Subnet",
  bucket: "aws:s3/bucket:Bucket",
  bucketPab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  bucketSse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  bucketVersioning: "aws:s3/bucketVersioning:BucketVersioning",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  bucketLogging: "aws:s3/bucketLogging:BucketLogging",
  bucketReplication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
  kmsKey: "aws:kms/key:Key",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  iamPolicy: "aws:iam/policy:Policy",
  route53Record: "aws:route53/record:Record",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  snsTopic: "aws:sns/topic:Topic",
} as const;

/** The keys the program writes (lib/labels.ts); the licence annotation is not governed. */
export const LABELS = { ...LABEL, version: ANNOTATION.version, artifactDigest: ANNOTATION.artifactDigest, imageDigest: ANNOTATION.imageDigest, profile: ANNOTATION.profile } as const;

export interface Container {
  name?: string;
  image?: string;
  args: string[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown>;
  readinessProbe?: unknown;
  livenessProbe?: unknown;
}

/** The pod template of a workload (Deployment, StatefulSet, DaemonSet, Job) or a Pod. */
export function podSpecOf(type: string, props: Props): Record<string, unknown> | undefined {
  if (type === "kubernetes:core/v1:Pod") return obj(props.spec);
  if (/^kubernetes:(apps\/v1:(Deployment|StatefulSet|DaemonSet|ReplicaSet)|batch\/v1:Job)$/.test(type)) return obj(at(props, "spec.template.spec"));
  if (type === "kubernetes:batch/v1:CronJob") return obj(at(props, "spec.jobTemplate.spec.template.spec"));
  return undefined;
}

export function containersOf(pod: Record<string, unknown>): Container[] {
  return [...arr(pod.initContainers), ...arr(pod.containers)].map((c) => {
    const o = obj(c);
    return {
      name: str(o.name),
      image: str(o.image),
      args: arr(o.args).filter((a): a is string => typeof a === "string"),
      resources: { requests: strMap(at(o, "resources.requests")), limits: strMap(at(o, "resources.limits")) },
      securityContext: obj(o.securityContext),
      readinessProbe: o.readinessProbe,
      livenessProbe: o.livenessProbe,
    };
  });
}

export function byType<R extends { type: string }>(resources: readonly R[], type: string): R[] {
  return resources.filter((r) => r.type === type);
}

/** The vLLM server container of a pod spec, as registered: the one passing --served-model-name. */
export function vllmContainerOf(pod: Record<string, unknown>): Record<string, unknown> | undefined {
  return arr(pod.containers).map(obj).find((c) => arr(c.args).includes("--served-model-name"));
}

/** A vLLM workload is a Deployment labelled with an endpoint and a track. */
export function vllmWorkload(type: string, props: Props) {
  if (type !== TYPES.deployment) return undefined;
  const labels = strMap(at(props, "spec.template.metadata.labels"));
  const annotations = strMap(at(props, "spec.template.metadata.annotations"));
  if (!labels[LABELS.endpoint] || !labels[LABELS.track]) return undefined;
  const container = containersOf(podSpecOf(type, props) ?? {}).find((c) => c.args.includes("--served-model-name"));
  return { labels, annotations, container, name: str(at(props, "metadata.name")) ?? "", namespace: str(at(props, "metadata.namespace")) ?? "" };
}

/** Value of `--flag value` or `--flag=value` in container args. */
export function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

export function digestOf(image: string | undefined): string | undefined {
  const m = /@(sha256:[0-9a-f]{64})$/.exec(image ?? "");
  return m?.[1];
}

export interface PolicyStatementJson {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: unknown;
}

export function statementsOf(policy: unknown): PolicyStatementJson[] {
  let doc: unknown = policy;
  if (typeof policy === "string") {
    try {
      doc = JSON.parse(policy);
    } catch {
      return [];
    }
  }
  const st = at(doc, "Statement");
  return (Array.isArray(st) ? st : st ? [st] : []).map((s) => obj(s) as PolicyStatementJson);
}

export const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The Pulumi project that declares a resource, from its URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
export const projectOf = (urn: string): string | undefined => urn.split("::")[1];

/**
 * The two halves of the blueprint, told apart by what only each declares: the platform project the
 * EKS clusters and load balancers, the serving project the Kubernetes objects (the provider resource
 * `pulumi:providers:kubernetes` is not one: a platform may declare one too).
 */
const SIDE_TYPES = {
  platform: (type: string) => type === TYPES.eksCluster || type.startsWith("aws:lb/"),
  serving: (type: string) => type.startsWith("kubernetes:"),
} as const;
export type Side = keyof typeof SIDE_TYPES;

/**
 * Whether the analyzed resources include `side` of a link that crosses the two projects (a
 * TargetGroupBinding to its target group, a kubernetes provider to its EKS cluster). The CLI analyzes
 * one stack at a time, so `pulumi preview --policy-pack` of either project sees one side only and a
 * missing far end there is not a defect; the offline plan gate that pulumi-up runs before every
 * `pulumi up` evaluates both projects together, where a missing far end is one, reported fail-closed.
 * A check that joins the halves reports an unmatched end only when this says the other side is here.
 */
export function sidePresent(resources: readonly { type: string }[], side: Side): boolean {
  return resources.some((r) => SIDE_TYPES[side](r.type));
}

/** The EKS cluster a kubernetes provider deploys to, or why it cannot be told. */
export interface ProviderCluster {
  readonly cluster?: PolicyResource;
  readonly problem?: string;
}

/**
 * The EKS cluster behind a kubernetes provider: the Cluster its kubeconfig was built from (one
 * program), else the Cluster whose `name` the provider's `cluster` input gives (a serving stack, whose
 * kubeconfig comes from the platform's StackReference; the kubeconfig's cluster entry is named after
 * the EKS cluster, components/GpuCluster.ts kubeconfigFor). A name matching several recorded clusters
 * (names are unique per region and account only) is ambiguous, not a match.
 */
export function clusterOfProvider(resources: readonly PolicyResource[], provider: PolicyResource): ProviderCluster {
  const fromKubeconfig = (provider.propertyDependencies.kubeconfig ?? []).filter((d) => d.type === TYPES.eksCluster);
  if (fromKubeconfig.length > 0) return { cluster: fromKubeconfig[0] };
  const name = provider.props.cluster;
  const clusters = byType(resources, TYPES.eksCluster);
  const known = clusters.map((c) => `${String(c.props.name)} (${String(c.provider?.props.region ?? "no region")})`).join(", ") || "none";
  if (typeof name !== "string" || name === "") {
    return { problem: `kubernetes provider ${provider.name} has no kubeconfig built from an EKS cluster of this plan and its \`cluster\` input is ${JSON.stringify(name)}; set it to the EKS cluster's name (clusters: ${known})` };
  }
  const named = clusters.filter((c) => c.props.name === name);
  if (named.length === 1) return { cluster: named[0] };
  return {
    problem:
      named.length === 0
        ? `kubernetes provider ${provider.name} cluster ${JSON.stringify(name)} names no EKS cluster of this plan (clusters: ${known})`
        : `kubernetes provider ${provider.name} cluster ${JSON.stringify(name)} names ${named.length} EKS clusters of this plan (${known}), so which one it deploys to cannot be told`,
  };
}
