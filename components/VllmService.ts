import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { artifactPrefix } from "../lib/catalog";
import { GPU_CLASS_LABEL, GPU_RESOURCE_NAME, GPU_TAINT_KEY, GpuClass } from "../lib/gpu";
import { podIdentityTrust } from "../lib/iam";
import {
  modelReadPolicy,
  podSizing,
  queueDepthQuery,
  selectorLabels,
  startupFailureThreshold,
  TrackSpec,
  versionMetadata,
  VLLM_PORT,
  vllmArgs,
} from "../lib/serving";

export interface VllmServiceArgs {
  /** Endpoint name: `--served-model-name`, shared by every track of the endpoint. */
  readonly endpoint: string;
  /** Namespace (created by the caller, e.g. ModelEndpoint). */
  readonly namespace: pulumi.Input<string>;
  readonly spec: TrackSpec;
  readonly gpuClass: GpuClass;
  /** Instance type of the pool it runs on; sizes CPU and memory requests. */
  readonly instanceType: string;
  /** vLLM OpenAI server image pinned by digest. */
  readonly image: string;
  readonly region: string;
  readonly clusterName: pulumi.Input<string>;
  /** In-region registry bucket and its KMS key. */
  readonly bucketName: pulumi.Input<string>;
  readonly bucketArn: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly replicas: { readonly min: number; readonly max: number };
  /** Waiting requests per replica the autoscaler aims for. @default 8 */
  readonly targetWaitingRequests?: number;
  readonly prometheusUrl: string;
  /** Hugging Face token, for profiles with `huggingFaceToken: true`; pass a Pulumi secret. Mounted as a file, never an env var. */
  readonly huggingFaceToken?: pulumi.Input<string>;
  /** KEDA and other CRD owners the ScaledObject waits for. @default [] */
  readonly waitFor?: pulumi.Input<pulumi.Resource>[];
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * One model version serving one endpoint track: a service account bound through EKS Pod Identity
 * to a role that can only read that version's prefix, a hardened vLLM Deployment on the GPU pool
 * of its class, a Service, a PodDisruptionBudget and a KEDA ScaledObject on queue depth.
 */
export class VllmService extends pulumi.ComponentResource {
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service: k8s.core.v1.Service;
  readonly role: aws.iam.Role;
  readonly serviceName: string;

  constructor(name: string, args: VllmServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    const { spec } = args;
    if (args.replicas.min > args.replicas.max) throw new Error(`VllmService ${name}: replicas.min ${args.replicas.min} > replicas.max ${args.replicas.max}`);
    super("llm-blueprint:serving:VllmService", name, {}, opts);

    const workload = `${args.endpoint}-${spec.track}`;
    this.serviceName = workload;
    const meta = versionMetadata(args.endpoint, spec, args.gpuClass, args.image);
    const selector = selectorLabels(args.endpoint, spec.track);
    const sizing = podSizing(args.instanceType, spec.profile.tensorParallelSize);

    this.role = new aws.iam.Role(`${name}-reader`, { assumeRolePolicy: JSON.stringify(podIdentityTrust()), description: `Reads ${artifactPrefix(spec.version)} only`, tags: args.tags ?? {} }, { parent: this });
    new aws.iam.RolePolicy(
      `${name}-reader`,
      { role: this.role.name, policy: pulumi.all([args.bucketArn, args.kmsKeyArn]).apply(([b, k]) => JSON.stringify(modelReadPolicy(b, k, args.region, spec.version))) },
      { parent: this },
    );
    const sa = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata: { name: workload, namespace: args.namespace, labels: meta.labels }, automountServiceAccountToken: false },
      { parent: this },
    );
    const association = new aws.eks.PodIdentityAssociation(
      `${name}-identity`,
      { clusterName: args.clusterName, namespace: args.namespace, serviceAccount: sa.metadata.name, roleArn: this.role.arn, tags: args.tags ?? {} },
      { parent: this },
    );

    const needsToken = spec.profile.huggingFaceToken;
    if (needsToken && args.huggingFaceToken === undefined) throw new Error(`VllmService ${name}: the profile needs a Hugging Face token but none was given`);
    const tokenSecret = needsToken
      ? new k8s.core.v1.Secret(
          `${name}-hf-token`,
          { metadata: { name: `${workload}-hf-token`, namespace: args.namespace, labels: meta.labels }, type: "Opaque", stringData: { token: pulumi.secret(args.huggingFaceToken!) } },
          { parent: this },
        )
      : undefined;
    const tokenDir = "/var/run/secrets/huggingface";

    const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({ httpGet: { path, port: "http" }, periodSeconds, failureThreshold, timeoutSeconds: 5 });
    const emptyDir = (sizeLimit: string) => ({ emptyDir: { sizeLimit } });

    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: workload, namespace: args.namespace, labels: meta.labels, annotations: meta.annotations },
        spec: {
          // KEDA owns the replica count after creation.
          replicas: args.replicas.min,
          selector: { matchLabels: selector },
          // Never drop below the serving replicas during a rollout; a new GPU node comes up for the surge pod.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          progressDeadlineSeconds: startupFailureThreshold(spec.version) * 10 + 900,
          template: {
            metadata: { labels: meta.labels, annotations: meta.annotations },
            spec: {
              serviceAccountName: sa.metadata.name,
              // Pod Identity injects credentials through env and a projected token, not the SA token mount.
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              terminationGracePeriodSeconds: 120,
              securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
              tolerations: [{ key: GPU_TAINT_KEY, operator: "Exists", effect: "NoSchedule" }],
              affinity: {
                nodeAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: [{ matchExpressions: [{ key: GPU_CLASS_LABEL, operator: "In", values: [args.gpuClass] }] }],
                  },
                },
              },
              topologySpreadConstraints: [
                // ScheduleAnyway: GPU capacity can be short in one zone; spread when possible, serve regardless.
                { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
              ],
              containers: [
                {
                  name: "vllm",
                  image: args.image,
                  imagePullPolicy: "IfNotPresent",
                  args: pulumi.output(args.bucketName).apply((bucket) => vllmArgs(args.endpoint, spec.version, spec.profile, bucket)),
                  ports: [{ name: "http", containerPort: VLLM_PORT, protocol: "TCP" }],
                  env: [
                    { name: "AWS_REGION", value: args.region },
                    { name: "HOME", value: "/home/vllm" },
                    { name: "XDG_CACHE_HOME", value: "/cache" },
                    { name: "HF_HOME", value: "/cache/huggingface" },
                    { name: "VLLM_CACHE_ROOT", value: "/cache/vllm" },
                    { name: "TRITON_CACHE_DIR", value: "/cache/triton" },
                    // Offline unless the profile needs the Hub; then the token is read from a file.
                    { name: "HF_HUB_OFFLINE", value: needsToken ? "0" : "1" },
                    ...(needsToken ? [{ name: "HF_TOKEN_PATH", value: `${tokenDir}/token` }] : []),
                    { name: "VLLM_NO_USAGE_STATS", value: "1" },
                  ],
                  resources: {
                    requests: { cpu: sizing.cpu, memory: sizing.memory, [GPU_RESOURCE_NAME]: String(sizing.gpus) },
                    limits: { memory: sizing.memory, [GPU_RESOURCE_NAME]: String(sizing.gpus) },
                  },
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
                  startupProbe: probe("/health", 10, startupFailureThreshold(spec.version)),
                  readinessProbe: probe("/health", 10, 3),
                  livenessProbe: probe("/health", 15, 4),
                  volumeMounts: [
                    { name: "dshm", mountPath: "/dev/shm" },
                    { name: "cache", mountPath: "/cache" },
                    { name: "home", mountPath: "/home/vllm" },
                    { name: "tmp", mountPath: "/tmp" },
                    ...(tokenSecret ? [{ name: "hf-token", mountPath: tokenDir, readOnly: true }] : []),
                  ],
                },
              ],
              volumes: [
                { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: sizing.shmSize } },
                { name: "cache", ...emptyDir("50Gi") },
                { name: "home", ...emptyDir("1Gi") },
                { name: "tmp", ...emptyDir("10Gi") },
                ...(tokenSecret ? [{ name: "hf-token", secret: { secretName: tokenSecret.metadata.name, defaultMode: 0o440 } }] : []),
              ],
            },
          },
        },
      },
      { parent: this, dependsOn: [association], ignoreChanges: ["spec.replicas"] },
    );

    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      { metadata: { name: workload, namespace: args.namespace, labels: meta.labels }, spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: VLLM_PORT, targetPort: "http" }] } },
      { parent: this },
    );
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      { metadata: { name: workload, namespace: args.namespace, labels: meta.labels }, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
      { parent: this },
    );
    new k8s.apiextensions.CustomResource(
      `${name}-autoscaler`,
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: workload, namespace: args.namespace, labels: meta.labels },
        spec: {
          scaleTargetRef: { name: this.deployment.metadata.name },
          minReplicaCount: args.replicas.min,
          maxReplicaCount: args.replicas.max,
          pollingInterval: 15,
          cooldownPeriod: 300,
          advanced: {
            horizontalPodAutoscalerConfig: {
              behavior: {
                // GPU replicas are slow to start and expensive to churn: add fast, remove one at a time after 10 quiet minutes.
                scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: "Pods", value: 2, periodSeconds: 60 }] },
                scaleDown: { stabilizationWindowSeconds: 600, policies: [{ type: "Pods", value: 1, periodSeconds: 300 }] },
              },
            },
          },
          triggers: [
            {
              type: "prometheus",
              metricType: "AverageValue",
              metadata: { serverAddress: args.prometheusUrl, query: pulumi.output(args.namespace).apply((ns) => queueDepthQuery(ns, workload)), threshold: String(args.targetWaitingRequests ?? 8) },
            },
          ],
        },
      },
      { parent: this, dependsOn: args.waitFor ?? [] },
    );

    this.registerOutputs({ deployment: workload, serviceName: workload, roleArn: this.role.arn, version: meta.annotations["llm-blueprint/version"] });
  }
}
