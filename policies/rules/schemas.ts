/**
 * kubernetes-schemas: every Kubernetes object in the plan validates against its published schema,
 * as the API server would see it (apiVersion and kind from the resource type, the inputs as the body).
 *
 * Schemas (npm packages pinned exactly in package.json; versions checked 2026-11-25):
 * - built-in kinds: kubernetes-models 4.5.1, generated from the Kubernetes v1.33.0 OpenAPI spec
 *   (its CHANGELOG), the cluster version in lib/baseline.ts. 5.x is generated from v1.36.0.
 * - keda.sh: @kubernetes-models/keda 2.0.0, from github.com/kedacore/keda v2.19.0 (its CHANGELOG);
 *   the KEDA chart pin is 2.19.0.
 * - gateway.networking.k8s.io: @kubernetes-models/gateway-api 2.0.0, from Gateway API v1.5.1. Envoy
 *   Gateway v1.7.4 installs v1.4.1 (envoyproxy/gateway charts/gateway-helm/crds/gatewayapi-crds.yaml,
 *   bundle-version annotation, tag v1.7.4); no package of v1.4.x is published (0.5.1 is v1.0.0).
 * - monitoring.coreos.com: @kubernetes-models/prometheus-operator 5.0.1, from prometheus-operator
 *   v0.90.1. kube-prometheus-stack 81.6.2 runs v0.88.1 (its Chart.yaml appVersion); no package of
 *   v0.88 is published (4.4.x predates it, 6.0.0 is v0.91.0).
 * - gateway.envoyproxy.io: @kubernetes-models/envoy-gateway 2.0.0, from envoyproxy/gateway v1.7.3;
 *   v1.7.3..v1.7.4 changes no CRD and no api/ type but two default image tags (git diff, read 2026-11-25).
 * - elbv2.k8s.aws TargetGroupBinding: no published package; a hand-written schema below.
 *
 * The packages' schemas do not reject unknown fields (the API server drops them, or a CRD's structural
 * schema prunes them, without failing), so unknown fields are found separately: the body is handed to
 * the validator behind a Proxy that records which keys the validator reads. A compiled JSON-schema
 * validator reads every property its schema defines; a key present in an object whose schema defines
 * properties, that the validator never read, is a field the schema does not have. Objects whose schema
 * defines no properties (free-form) are not read at all and are left alone; maps (labels) are iterated
 * and so all their keys count as read.
 *
 * Where a package is newer than the installed CRDs, the fields and versions the installed CRDs lack
 * are listed below (NOT_IN_INSTALLED_CRDS) and reported too.
 *
 * Fail closed: a kind with no package and no hand-written schema is a violation.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { z } from "zod";
import { SECRET_MASK } from "../../lib/plan/document";
import { Props } from "./common";
import { ec2NodeClassV1, KARPENTER_SCHEMA_SOURCE, nodePoolV1 } from "./karpenterSchemas";
import { MODEL_MODULES } from "./kubernetesModels";

/** Groups of built-in kinds, and the package module prefix that holds each group's models. */
const BUILT_IN_GROUPS = [
  "apps",
  "batch",
  "policy",
  "autoscaling",
  "networking.k8s.io",
  "storage.k8s.io",
  "rbac.authorization.k8s.io",
  "scheduling.k8s.io",
  "admissionregistration.k8s.io",
  "apiextensions.k8s.io",
  "coordination.k8s.io",
  "discovery.k8s.io",
  "node.k8s.io",
  "certificates.k8s.io",
  "flowcontrol.apiserver.k8s.io",
] as const;

const CRD_PACKAGES: Readonly<Record<string, string>> = {
  "keda.sh": "@kubernetes-models/keda",
  "gateway.networking.k8s.io": "@kubernetes-models/gateway-api",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "gateway.envoyproxy.io": "@kubernetes-models/envoy-gateway",
};

/** Resource types under the kubernetes provider that are not API objects. */
const NOT_API_OBJECTS = new Set(["helm.sh", "yaml", "kustomize"]);

export interface KubernetesKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly apiVersion: string;
}

/** `kubernetes:<group>/<version>:<Kind>` (core group spelt `core`); undefined for anything else. */
export function kubernetesKindOf(type: string): KubernetesKind | undefined {
  const m = /^kubernetes:([^:/]+)\/([^:/]+):([^:]+)$/.exec(type);
  if (!m) return undefined;
  const [, group, version, kind] = m;
  if (NOT_API_OBJECTS.has(group)) return undefined;
  return { group, version, kind, apiVersion: group === "core" ? version : `${group}/${version}` };
}

// ---------------------------------------------------------------------------------------------
// Hand-written schemas for kinds no package covers.

const objectMeta = z
  .object({
    name: z.string().optional(),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .strict();
const intOrString = z.union([z.number().int(), z.string()]);

/**
 * TargetGroupBinding elbv2.k8s.aws/v1beta1, from the CRD the aws-load-balancer-controller chart 1.14.1
 * installs: aws/eks-charts stable/aws-load-balancer-controller/crds/crds.yaml at 7b027f2 (the commit
 * releasing chart 1.14.1 / app v2.14.1), identical to kubernetes-sigs/aws-load-balancer-controller
 * config/crd/bases/elbv2.k8s.aws_targetgroupbindings.yaml at v2.14.1; read 2026-11-25.
 */
const targetGroupBindingV1beta1 = z
  .object({
    apiVersion: z.literal("elbv2.k8s.aws/v1beta1"),
    kind: z.literal("TargetGroupBinding"),
    metadata: objectMeta,
    spec: z
      .object({
        assumeRoleExternalId: z.string().optional(),
        iamRoleArnToAssume: z.string().optional(),
        ipAddressType: z.enum(["ipv4", "ipv6"]).optional(),
        multiClusterTargetGroup: z.boolean().optional(),
        networking: z
          .object({
            ingress: z
              .array(
                z
                  .object({
                    from: z.array(
                      z
                        .object({
                          ipBlock: z.object({ cidr: z.string() }).strict().optional(),
                          securityGroup: z.object({ groupID: z.string() }).strict().optional(),
                        })
                        .strict(),
                    ),
                    ports: z.array(z.object({ port: intOrString.optional(), protocol: z.enum(["TCP", "UDP"]).optional() }).strict()),
                  })
                  .strict(),
              )
              .optional(),
          })
          .strict()
          .optional(),
        nodeSelector: z
          .object({
            matchExpressions: z
              .array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() }).strict())
              .optional(),
            matchLabels: z.record(z.string(), z.string()).optional(),
          })
          .strict()
          .optional(),
        serviceRef: z.object({ name: z.string(), port: intOrString }).strict(),
        targetGroupARN: z.string().optional(),
        targetGroupName: z.string().optional(),
        targetGroupProtocol: z.enum(["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP"]).optional(),
        targetType: z.enum(["instance", "ip"]).optional(),
        vpcID: z.string().optional(),
      })
      .strict(),
  })
  .strict();

/**
 * Flagger flagger.app/v1beta1 Canary and MetricTemplate, from the CRDs chart flagger 1.44.0 installs:
 * fluxcd/flagger charts/flagger/crds/crd.yaml at v1.44.0 (15bd6ad5), read 2026-11-25 (no kubernetes-models
 * package exists: `npm view @kubernetes-models/flagger` is a 404). Strict where the blueprint writes
 * (targetRef, autoscalerRef, the gatewayapi service fields, analysis); the Istio/App Mesh-only service
 * fields the CRD also has (trafficPolicy, corsPolicy, retries, ...) are left out, so setting one fails.
 */
const flaggerDuration = z.string().regex(/^[0-9]+(m|s)/);
const canaryV1beta1 = z
  .object({
    apiVersion: z.literal("flagger.app/v1beta1"),
    kind: z.literal("Canary"),
    metadata: objectMeta,
    spec: z
      .object({
        provider: z.enum(["apisix", "appmesh", "appmesh:v1beta2", "contour", "gatewayapi:v1", "gatewayapi:v1beta1", "gloo", "istio", "knative", "kubernetes", "kuma", "linkerd", "nginx", "osm", "skipper", "smi:v1alpha1", "smi:v1alpha2", "smi:v1alpha3", "traefik"]).optional(),
        metricsServer: z.string().optional(),
        progressDeadlineSeconds: z.number().optional(),
        targetRef: z.object({ apiVersion: z.string(), kind: z.enum(["DaemonSet", "Deployment", "Service"]), name: z.string() }).strict(),
        autoscalerRef: z
          .object({
            apiVersion: z.string(),
            kind: z.enum(["HorizontalPodAutoscaler", "ScaledObject"]),
            name: z.string(),
            primaryScalerQueries: z.record(z.string(), z.string()).optional(),
            primaryScalerReplicas: z.object({ minReplicas: z.number().int().min(1).optional(), maxReplicas: z.number().int().min(1).optional() }).strict().optional(),
          })
          .strict()
          .optional(),
        service: z
          .object({
            name: z.string().optional(),
            port: z.number(),
            portName: z.string().optional(),
            appProtocol: z.string().optional(),
            targetPort: intOrString.optional(),
            portDiscovery: z.boolean().optional(),
            timeout: z.string().optional(),
            backendTimeout: z.string().optional(),
            hosts: z.array(z.string()).optional(),
            match: z.array(z.object({ uri: z.object({ exact: z.string().optional(), prefix: z.string().optional(), regex: z.string().optional() }).strict().optional() }).strict()).optional(),
            rewrite: z.object({ uri: z.string().optional(), authority: z.string().optional(), type: z.string().optional() }).strict().optional(),
            mirror: z.array(z.object({ backendRef: z.object({ group: z.string().optional(), kind: z.string().optional(), name: z.string().min(1), namespace: z.string().optional(), port: z.number().int().min(1).max(65535) }).strict() }).strict()).optional(),
            gatewayRefs: z.array(z.object({ group: z.string().optional(), kind: z.string().optional(), name: z.string(), namespace: z.string().optional(), sectionName: z.string().optional(), port: z.number().optional() }).strict()).optional(),
            apex: z.object({ labels: z.record(z.string(), z.string()).optional(), annotations: z.record(z.string(), z.string()).optional() }).strict().optional(),
            primary: z.object({ labels: z.record(z.string(), z.string()).optional(), annotations: z.record(z.string(), z.string()).optional() }).strict().optional(),
            canary: z.object({ labels: z.record(z.string(), z.string()).optional(), annotations: z.record(z.string(), z.string()).optional() }).strict().optional(),
          })
          .strict(),
        skipAnalysis: z.boolean().optional(),
        revertOnDeletion: z.boolean().optional(),
        suspend: z.boolean().optional(),
        analysis: z
          .object({
            interval: flaggerDuration,
            threshold: z.number(),
            iterations: z.number().optional(),
            maxWeight: z.number().optional(),
            stepWeight: z.number().optional(),
            stepWeights: z.array(z.number()).optional(),
            stepWeightPromotion: z.number().optional(),
            mirror: z.boolean().optional(),
            mirrorWeight: z.number().optional(),
            primaryReadyThreshold: z.number().optional(),
            canaryReadyThreshold: z.number().optional(),
            metrics: z
              .array(
                z
                  .object({
                    name: z.string(),
                    interval: flaggerDuration.optional(),
                    threshold: z.number().optional(),
                    thresholdRange: z.object({ min: z.number().optional(), max: z.number().optional() }).strict().optional(),
                    query: z.string().optional(),
                    templateRef: z.object({ name: z.string(), namespace: z.string().optional() }).strict().optional(),
                    templateVariables: z.record(z.string(), z.string()).optional(),
                  })
                  .strict(),
              )
              .optional(),
            alerts: z.array(z.object({ name: z.string(), severity: z.enum(["", "info", "warn", "error"]).optional(), providerRef: z.object({ name: z.string(), namespace: z.string().optional() }).strict() }).strict()).optional(),
            webhooks: z
              .array(
                z
                  .object({
                    name: z.string(),
                    type: z.enum(["", "confirm-rollout", "pre-rollout", "rollout", "confirm-promotion", "post-rollout", "event", "rollback", "confirm-traffic-increase"]).optional(),
                    muteAlert: z.boolean().optional(),
                    url: z.string(),
                    timeout: flaggerDuration.optional(),
                    retries: z.number().optional(),
                    disableTLS: z.boolean().optional(),
                    metadata: z.record(z.string(), z.string()).optional(),
                  })
                  .strict(),
              )
              .optional(),
          })
          .strict()
          .refine((a) => a.iterations !== undefined || a.stepWeight !== undefined || a.stepWeights !== undefined, "analysis needs iterations, stepWeight or stepWeights (the CRD's oneOf)"),
      })
      .strict(),
  })
  .strict();
const metricTemplateV1beta1 = z
  .object({
    apiVersion: z.literal("flagger.app/v1beta1"),
    kind: z.literal("MetricTemplate"),
    metadata: objectMeta,
    spec: z
      .object({
        provider: z
          .object({
            type: z.enum(["prometheus", "influxdb", "datadog", "externalmetrics", "stackdriver", "cloudwatch", "newrelic", "graphite", "dynatrace", "keptn", "splunk"]),
            address: z.string().optional(),
            secretRef: z.object({ name: z.string() }).strict().optional(),
            insecureSkipVerify: z.boolean().optional(),
            region: z.string().optional(),
          })
          .strict(),
        query: z.string(),
      })
      .strict(),
  })
  .strict();

/** apiVersion + kind → schema, with where it was read. Keep it small: prefer a published package. */
export const HAND_WRITTEN_SCHEMAS: Readonly<Record<string, { schema: z.ZodType; source: string }>> = {
  "elbv2.k8s.aws/v1beta1 TargetGroupBinding": {
    schema: targetGroupBindingV1beta1,
    source: "aws/eks-charts stable/aws-load-balancer-controller/crds/crds.yaml @ chart 1.14.1",
  },
  "flagger.app/v1beta1 Canary": { schema: canaryV1beta1, source: "fluxcd/flagger charts/flagger/crds/crd.yaml @ v1.44.0" },
  "flagger.app/v1beta1 MetricTemplate": { schema: metricTemplateV1beta1, source: "fluxcd/flagger charts/flagger/crds/crd.yaml @ v1.44.0" },
  "karpenter.sh/v1 NodePool": { schema: nodePoolV1, source: KARPENTER_SCHEMA_SOURCE },
  "karpenter.k8s.aws/v1 EC2NodeClass": { schema: ec2NodeClassV1, source: KARPENTER_SCHEMA_SOURCE },
};

// ---------------------------------------------------------------------------------------------
// Where a package is newer than the CRDs the pinned charts install: what the package accepts but the
// installed CRD does not have (the API server prunes such a field) and versions it does not serve.
// Derived 2026-11-25 by diffing the openAPIV3Schema property paths of
// - Gateway API: installed envoyproxy/gateway charts/gateway-helm/crds/gatewayapi-crds.yaml @ v1.7.4
//   (v1.4.1 experimental) against kubernetes-sigs/gateway-api config/crd/experimental/*.yaml @ v1.5.1;
// - Prometheus Operator: installed prometheus-community/helm-charts
//   charts/kube-prometheus-stack/charts/crds/crds/*.yaml @ kube-prometheus-stack-81.6.2 (v0.88.1) against
//   prometheus-operator/prometheus-operator example/prometheus-operator-crd-full/*.yaml @ v0.90.1.
// No field the installed CRDs have is missing from the packages. Status fields are left out (never set).

const GATEWAY_API_INSTALLED = "Gateway API v1.4.1 (installed by Envoy Gateway v1.7.4)";
const PROMETHEUS_OPERATOR_INSTALLED = "prometheus-operator v0.88.1 CRDs (installed by kube-prometheus-stack 81.6.2)";

export const NOT_SERVED_BY_INSTALLED_CRDS: Readonly<Record<string, string>> = {
  "gateway.networking.k8s.io/v1 ListenerSet": GATEWAY_API_INSTALLED,
  "gateway.networking.k8s.io/v1 ReferenceGrant": GATEWAY_API_INSTALLED,
  "gateway.networking.k8s.io/v1 TLSRoute": GATEWAY_API_INSTALLED,
  "monitoring.coreos.com/v1beta1 AlertmanagerConfig": PROMETHEUS_OPERATOR_INSTALLED,
};

const PODS_V0_90 = ["spec.schedulerName", "spec.volumes[].projected.sources[].podCertificate.userAnnotations"];
export const NOT_IN_INSTALLED_CRDS: Readonly<Record<string, { fields: readonly string[]; installed: string }>> = {
  "monitoring.coreos.com/v1 Alertmanager": {
    fields: [...PODS_V0_90, "spec.alertmanagerConfiguration.global.smtp.forceImplicitTLS", "spec.hostNetwork"],
    installed: PROMETHEUS_OPERATOR_INSTALLED,
  },
  "monitoring.coreos.com/v1 Prometheus": { fields: PODS_V0_90, installed: PROMETHEUS_OPERATOR_INSTALLED },
  "monitoring.coreos.com/v1 ThanosRuler": { fields: PODS_V0_90, installed: PROMETHEUS_OPERATOR_INSTALLED },
  "monitoring.coreos.com/v1alpha1 PrometheusAgent": { fields: PODS_V0_90, installed: PROMETHEUS_OPERATOR_INSTALLED },
  "monitoring.coreos.com/v1alpha1 AlertmanagerConfig": {
    fields: ["spec.receivers[].emailConfigs[].forceImplicitTLS", "spec.receivers[].slackConfigs[].messageText"],
    installed: PROMETHEUS_OPERATOR_INSTALLED,
  },
  "monitoring.coreos.com/v1alpha1 ScrapeConfig": { fields: ["spec.bodySizeLimit"], installed: PROMETHEUS_OPERATOR_INSTALLED },
};

/** Concrete paths in `body` matching `pattern` (`a.b[].c`: every item of the array a.b). */
export function pathsPresent(body: unknown, pattern: string): string[] {
  const found: string[] = [];
  const step = (cur: unknown, parts: string[], at: string) => {
    if (parts.length === 0) {
      if (cur !== undefined) found.push(at);
      return;
    }
    const [head, ...rest] = parts;
    const isList = head.endsWith("[]");
    const key = isList ? head.slice(0, -2) : head;
    if (cur === null || typeof cur !== "object") return;
    const next = (cur as Record<string, unknown>)[key];
    const here = at ? `${at}.${key}` : key;
    if (!isList) return step(next, rest, here);
    if (Array.isArray(next)) next.forEach((item, i) => step(item, rest, `${here}[${i}]`));
  };
  step(body, pattern.split("."), "");
  return found;
}

// ---------------------------------------------------------------------------------------------
// Published schemas, loaded lazily (one import per kind, cached).

interface ModelClass {
  prototype: { validate(this: unknown): void };
}
interface SchemaError {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

// The CRD packages are ES modules exporting only an "import" condition. Where TypeScript is compiled to
// CommonJS (the Pulumi CLI's ts-node) import() becomes require(), which they refuse: then a native
// import() built at run time loads them. (vitest and tsx keep import() as it is, and vitest's module
// runner cannot serve the run-time one, so it is the fallback.)
const nativeImport = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<Record<string, unknown>>;
async function importModule(specifier: string): Promise<Record<string, unknown>> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch {
    return nativeImport(specifier);
  }
}

export function modelModuleOf(k: KubernetesKind): string | undefined {
  if (k.group === "core") return `kubernetes-models/${k.version}/${k.kind}`;
  if ((BUILT_IN_GROUPS as readonly string[]).includes(k.group)) return `kubernetes-models/${k.group}/${k.version}/${k.kind}`;
  const pkg = CRD_PACKAGES[k.group];
  return pkg ? `${pkg}/${k.group}/${k.version}/${k.kind}` : undefined;
}

const models = new Map<string, Promise<ModelClass | undefined>>();
function loadModel(specifier: string, kind: string): Promise<ModelClass | undefined> {
  let p = models.get(specifier);
  if (!p) {
    // A kind the table lists loads through its literal import (compiled into the plan's bundle); where that
    // import cannot load (ts-node turns it into a require() the ES-module packages refuse) and for any other
    // kind, by name as above.
    const listed = Object.hasOwn(MODEL_MODULES, specifier) ? MODEL_MODULES[specifier] : undefined;
    const loaded = listed ? listed().catch(() => importModule(specifier)) : importModule(specifier);
    p = loaded.then(
      (mod) => {
        const cls = mod[kind] as ModelClass | undefined;
        return typeof cls?.prototype?.validate === "function" ? cls : undefined;
      },
      () => undefined,
    );
    models.set(specifier, p);
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Unknown-field detection: which keys did the validator read?

interface Tracked {
  readonly path: string;
  readonly target: Record<string, unknown>;
  readonly read: Set<string>;
  iterated: boolean;
}

function tracking(value: unknown): { proxy: unknown; nodes: Tracked[] } {
  const nodes: Tracked[] = [];
  const proxies = new WeakMap<object, unknown>();
  const wrap = (v: unknown, path: string): unknown => {
    if (v === null || typeof v !== "object") return v;
    const cached = proxies.get(v);
    if (cached) return cached;
    const isArray = Array.isArray(v);
    const node: Tracked = { path, target: v as Record<string, unknown>, read: new Set(), iterated: false };
    if (!isArray) nodes.push(node);
    const child = (key: string) => (isArray ? `${path}[${key}]` : path ? `${path}.${key}` : key);
    const proxy = new Proxy(v, {
      get(target, key, receiver) {
        const got = Reflect.get(target, key, receiver);
        if (typeof key !== "string") return got;
        node.read.add(key);
        return Object.prototype.hasOwnProperty.call(target, key) ? wrap(got, child(key)) : got;
      },
      has(target, key) {
        if (typeof key === "string") node.read.add(key);
        return Reflect.has(target, key);
      },
      getOwnPropertyDescriptor(target, key) {
        if (typeof key === "string") node.read.add(key);
        return Reflect.getOwnPropertyDescriptor(target, key);
      },
      ownKeys(target) {
        node.iterated = true;
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(v, proxy);
    return proxy;
  };
  return { proxy: wrap(value, ""), nodes };
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

/** The candidate closest to `word`, if close enough to be a likely misspelling. */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestDistance) [best, bestDistance] = [c, dist];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

// ---------------------------------------------------------------------------------------------

const pointerToPath = (pointer: string): string =>
  pointer
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), "");

function valueAt(body: unknown, path: (string | number)[]): unknown {
  let cur = body;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[k as string];
  }
  return cur;
}

/** A masked secret (offline plan) stands for a value of the right type: no finding at or under it. */
function underSecret(body: unknown, pointer: string): boolean {
  const parts = pointer.split("/").slice(1);
  for (let i = 0; i <= parts.length; i++) if (valueAt(body, parts.slice(0, i)) === SECRET_MASK) return true;
  return false;
}

const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

function describeSchemaError(body: unknown, e: SchemaError): string {
  const where = pointerToPath(e.instancePath) || "(object)";
  const value = valueAt(body, e.instancePath.split("/").slice(1));
  const allowed = Array.isArray(e.params?.allowedValues) ? ` (allowed: ${(e.params.allowedValues as unknown[]).map(show).join(", ")})` : "";
  return `${where}: ${e.message ?? "is invalid"}${allowed}; is ${show(value)}`;
}

/** The problems of one object against its schema, as people-readable lines; [] when valid. */
export async function validateKubernetesObject(k: KubernetesKind, props: Props): Promise<string[]> {
  const body: Record<string, unknown> = { ...props, apiVersion: k.apiVersion, kind: k.kind };
  const hand = HAND_WRITTEN_SCHEMAS[`${k.apiVersion} ${k.kind}`];
  if (hand) {
    const result = hand.schema.safeParse(body);
    if (result.success) return [];
    const pathOf = (keys: readonly PropertyKey[]) => pointerToPath(keys.map((k) => `/${String(k)}`).join(""));
    return result.error.issues
      .filter((i) => !underSecret(body, i.path.map((p) => `/${String(p)}`).join("")))
      .flatMap((i) =>
        i.code === "unrecognized_keys"
          ? i.keys.map((key) => `${pathOf([...i.path, key])}: unknown field (schema: ${hand.source})`)
          : [`${pathOf(i.path) || "(object)"}: ${i.message}; is ${show(valueAt(body, i.path.map(String)))} (schema: ${hand.source})`],
      );
  }

  const notServed = NOT_SERVED_BY_INSTALLED_CRDS[`${k.apiVersion} ${k.kind}`];
  if (notServed) return [`${k.apiVersion} ${k.kind} is not served by ${notServed}: use a version it installs, or upgrade the chart`];

  const specifier = modelModuleOf(k);
  const model = specifier ? await loadModel(specifier, k.kind) : undefined;
  if (!model) {
    return [
      `no published schema for ${k.apiVersion} ${k.kind}: ${specifier ? `${specifier} does not exist` : `no schema package covers group ${k.group}`}. ` +
        `Add the kind's schema package to policies/rules/schemas.ts (or a hand-written schema from its CRD at the pinned version, citing the source).`,
    ];
  }

  const { proxy, nodes } = tracking(body);
  const problems: string[] = [];
  try {
    model.prototype.validate.call(proxy);
  } catch (err) {
    const errors = (err as { errors?: SchemaError[] }).errors;
    if (!Array.isArray(errors)) throw err;
    for (const e of errors) if (!underSecret(body, e.instancePath)) problems.push(describeSchemaError(body, e));
  }
  for (const node of nodes) {
    if (node.iterated || node.read.size === 0) continue;
    for (const key of Object.keys(node.target)) {
      if (node.read.has(key) || node.target[key] === undefined) continue;
      const suggestion = nearest(key, node.read);
      problems.push(
        `${node.path ? `${node.path}.` : ""}${key}: unknown field (the API server drops it)${suggestion ? `; did you mean ${node.path ? `${node.path}.` : ""}${suggestion}?` : ""}`,
      );
    }
  }
  const newer = NOT_IN_INSTALLED_CRDS[`${k.apiVersion} ${k.kind}`];
  for (const field of newer?.fields ?? []) {
    for (const at of pathsPresent(body, field)) problems.push(`${at}: not in the ${newer!.installed}; the API server drops it`);
  }
  return problems;
}

export const kubernetesSchemas: ResourceValidationPolicy = {
  name: "kubernetes-schemas",
  description:
    "Every Kubernetes object (custom resources included) validates against its published schema: types, required fields, enums and no unknown fields.",
  enforcementLevel: "mandatory",
  validateResource: async (args, reportViolation) => {
    const k = kubernetesKindOf(args.type);
    if (!k) return;
    for (const problem of await validateKubernetesObject(k, args.props as Props)) {
      reportViolation(`${args.name} (${k.apiVersion} ${k.kind}) ${problem}`);
    }
  },
};
