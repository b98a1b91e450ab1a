/**
 * Small, dependency-free readers over policy props. Props arrive as plain JSON-like values (the
 * resource inputs the analyzer is sent), so every accessor returns unknown-safe values.
 */
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
