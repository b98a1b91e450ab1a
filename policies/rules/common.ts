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

/**
 * What Flagger generates from a Canary in the plan (fluxcd/flagger v1.44.0, read 2026-11-25): the
 * primary Deployment's pods carry the target's template labels with the selector label valued
 * `<value>-primary` (pkg/canary/util.go makePrimaryLabels), and the Services `<service.name>` and
 * `<service.name>-primary` select them by that label alone, `<service.name>-canary` the target's pods
 * (docs/gitbook/usage/how-it-works.md "Canary service"). The program declares none of these; checks
 * that follow a route to its pods, or a budget to the pods it guards, read them from here.
 */
export const CANARY_TYPE = "kubernetes:flagger.app/v1beta1:Canary";
export const METRIC_TEMPLATE_TYPE = "kubernetes:flagger.app/v1beta1:MetricTemplate";
export const FLAGGER_SELECTOR_LABELS = ["app.kubernetes.io/instance"];

const sameClusterNs = (a: PolicyResource, b: PolicyResource) => a.provider?.urn === b.provider?.urn && (str(at(a.props, "metadata.namespace")) ?? "default") === (str(at(b.props, "metadata.namespace")) ?? "default");

/** The Canary whose targetRef is this Deployment (same cluster and namespace), if any. */
export function canaryOf(d: PolicyResource, resources: readonly PolicyResource[]): PolicyResource | undefined {
  if (d.type !== TYPES.deployment) return undefined;
  return resources.find((c) => c.type === CANARY_TYPE && sameClusterNs(c, d) && str(at(c.props, "spec.targetRef.name")) === str(at(d.props, "metadata.name")));
}

/** The selector label Flagger keys on in a target's selector, and its value. */
export function flaggerSelector(d: PolicyResource): { label: string; value: string } | undefined {
  const sel = strMap(at(d.props, "spec.selector.matchLabels"));
  const label = FLAGGER_SELECTOR_LABELS.find((l) => sel[l] !== undefined);
  return label ? { label, value: sel[label] } : undefined;
}

/** Labels of the pods that serve for a Deployment: its own, or, for a Canary's target, its primary's. */
export function servingPodLabels(d: PolicyResource, resources: readonly PolicyResource[]): Record<string, string> {
  const labels = strMap(at(d.props, "spec.template.metadata.labels"));
  const s = canaryOf(d, resources) ? flaggerSelector(d) : undefined;
  return s ? { ...labels, [s.label]: `${s.value}-primary` } : labels;
}

/**
 * The Services and primary Deployments Flagger generates for the Canaries in `resources`, as plan
 * resources on the Canary's provider (URN suffixed with what they are), so route and pod checks can
 * follow the path the controller builds.
 */
export function flaggerGenerated(resources: readonly PolicyResource[]): PolicyResource[] {
  const out: PolicyResource[] = [];
  for (const c of resources.filter((r) => r.type === CANARY_TYPE)) {
    const ns = str(at(c.props, "metadata.namespace")) ?? "default";
    const target = resources.find((d) => d.type === TYPES.deployment && sameClusterNs(d, c) && str(at(d.props, "metadata.name")) === str(at(c.props, "spec.targetRef.name")));
    const s = target ? flaggerSelector(target) : undefined;
    if (!target || !s) continue;
    const svcName = str(at(c.props, "spec.service.name")) ?? str(at(c.props, "spec.targetRef.name")) ?? "";
    const port = at(c.props, "spec.service.port");
    const targetPort = at(c.props, "spec.service.targetPort") ?? port;
    const primaryLabels = servingPodLabels(target, resources);
    const primaryName = `${str(at(target.props, "metadata.name")) ?? ""}-primary`;
    const gen = (type: string, suffix: string, props: Record<string, unknown>): PolicyResource => ({ ...c, type, urn: `${c.urn}$generated-${suffix}`, name: suffix, props, propertyDependencies: {}, dependencies: [] });
    const service = (name: string, value: string) =>
      gen("kubernetes:core/v1:Service", name, { metadata: { name, namespace: ns }, spec: { type: "ClusterIP", selector: { [s.label]: value }, ports: [{ name: "http", port, targetPort }] } });
    out.push(service(svcName, `${s.value}-primary`), service(`${svcName}-primary`, `${s.value}-primary`), service(`${svcName}-canary`, s.value));
    out.push(gen(TYPES.httpRoute, `${svcName}-route`, { metadata: { name: svcName, namespace: ns, ...obj(at(c.props, "spec.service.apex")) }, spec: flaggerRouteSpec(obj(at(c.props, "spec.service")), svcName, port) }));
    const spec = obj(target.props.spec);
    out.push(
      gen(TYPES.deployment, primaryName, {
        ...target.props,
        metadata: { ...obj(target.props.metadata), name: primaryName },
        spec: { ...spec, selector: { matchLabels: { [s.label]: `${s.value}-primary` } }, template: { ...obj(spec.template), metadata: { ...obj(at(spec, "template.metadata")), labels: primaryLabels } } },
      }),
    );
  }
  return out;
}

/**
 * The HTTPRoute spec Flagger's gatewayapi router writes for a Canary's service block, weights at rest
 * (primary 100, canary 0): one rule with the service's matches (default PathPrefix "/"), its filters
 * (URL rewrite, then mirrors) and timeouts (fluxcd/flagger v1.44.0 pkg/router/gateway_api.go Reconcile,
 * makeFilters, mapRouteMatches, makeHTTPRouteTimeouts).
 */
export function flaggerRouteSpec(service: Record<string, unknown>, name: string, port: unknown): Record<string, unknown> {
  const matches = arr(service.match).map(obj).flatMap((m) => {
    const uri = obj(m.uri);
    const path = uri.prefix !== undefined ? { type: "PathPrefix", value: uri.prefix } : uri.exact !== undefined ? { type: "Exact", value: uri.exact } : uri.regex !== undefined ? { type: "RegularExpression", value: uri.regex } : undefined;
    return path ? [{ path }] : [];
  });
  const rewrite = obj(service.rewrite);
  const filters = [
    ...(rewrite.uri !== undefined ? [{ type: "URLRewrite", urlRewrite: { path: rewrite.type === "ReplacePrefixMatch" ? { type: "ReplacePrefixMatch", replacePrefixMatch: rewrite.uri } : { type: "ReplaceFullPath", replaceFullPath: rewrite.uri } } }] : []),
    ...arr(service.mirror).map(obj).map((m) => ({ type: "RequestMirror", requestMirror: { backendRef: obj(m.backendRef) } })),
  ];
  const backend = (n: string, weight: number) => ({ group: "", kind: "Service", name: n, port, weight });
  return {
    parentRefs: arr(service.gatewayRefs),
    ...(arr(service.hosts).length > 0 ? { hostnames: arr(service.hosts) } : {}),
    rules: [
      {
        matches: matches.length > 0 ? matches : [{ path: { type: "PathPrefix", value: "/" } }],
        ...(filters.length > 0 ? { filters } : {}),
        backendRefs: [backend(`${name}-primary`, 100), backend(`${name}-canary`, 0)],
        ...(service.timeout !== undefined || service.backendTimeout !== undefined
          ? { timeouts: { ...(service.timeout !== undefined ? { request: service.timeout } : {}), ...(service.backendTimeout !== undefined ? { backendRequest: service.backendTimeout } : {}) } }
          : {}),
      },
    ],
  };
}

/** The plan's resources plus what Flagger generates from its Canaries: for checks that follow routes to pods. */
export const withFlagger = (resources: readonly PolicyResource[]): PolicyResource[] => [...resources, ...flaggerGenerated(resources)];
