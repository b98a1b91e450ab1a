import * as eks from "@pulumi/aws/eks";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as iam from "@pulumi/aws/iam";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { artifactPrefix } from "../lib/catalog";
import { GPU_CLASS_LABEL, GPU_RESOURCE_NAME, GPU_TAINT_KEY, GpuClass } from "../lib/gpu";
import { podIdentityTrust } from "../lib/iam";
import { splitImage } from "../lib/imageCache";
import { RuntimeImage, runtimeOf } from "../lib/runtime";
import {
  cacheEnv,
  deploymentTimeouts,
  disruptionBudget,
  drainPlan,
  LABEL,
  modelReadPolicy,
  NO_CONSOLIDATION_ANNOTATIONS,
  podSizing,
  queueDepthQuery,
  selectorLabels,
  startupBasis,
  startupBudget,
  startupProbeFailureThreshold,
  STARTUP_BUDGET_ANNOTATION,
  STARTUP_PROBE_PERIOD_SECONDS,
  TrackSpec,
  versionMetadata,
  VLLM_PORT,
  vllmArgs,
} from "../lib/serving";
import { DEFAULT_REQUEST_TIMEOUT_SECONDS } from "../lib/traffic";
import { FLAGGER_SELECTOR_LABEL, primaryOf, QUEUE_TRIGGER } from "../lib/rollout";

/** Rolling updates add this many pods at a time (maxUnavailable 0): each surge pod may need a new GPU node. */
const MAX_SURGE = 1;
/** /tmp (TMPDIR): compiler scratch files and vLLM's IPC sockets. */
const TMP_GIB = 10;
/** Prometheus queries failed in a row before KEDA holds the fallback replicas (x pollingInterval 15 s = 45 s). */
const FALLBACK_FAILURE_THRESHOLD = 3;

export interface VllmServiceArgs {
  /** Endpoint name: `--served-model-name`, shared by every track of the endpoint. */
  readonly endpoint: string;
  /** Namespace (created by the caller, e.g. ModelEndpoint). */
  readonly namespace: pulumi.Input<string>;
  readonly spec: TrackSpec;
  readonly gpuClass: GpuClass;
  /** Instance type of the pool it runs on; sizes CPU and memory requests. */
  readonly instanceType: string;
  /** vLLM OpenAI server image pinned by digest, as published upstream (its digest keys the runtime record). */
  readonly image: string;
  /**
   * Root of the in-region ECR pull-through cache of the image's registry (`<account>.dkr.ecr.<region>.amazonaws.com/docker-hub`,
   * ImageCache.repositoryPrefixes): the pods pull the same path and digest from there. @default pull from upstream
   */
  readonly imageCache?: pulumi.Input<string>;
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
  /**
   * Route request timeout in front of the pods: a request admitted before termination may run this
   * long, so vLLM drains for that long and the grace period covers it. @default 600 (DEFAULT_REQUEST_TIMEOUT_SECONDS)
   */
  readonly requestTimeoutSeconds?: number;
  /** Facts of the runtime image (user, UID, home, port, size). @default the record of `image`'s digest in models/runtimes.yaml */
  readonly runtime?: RuntimeImage;
  /** KEDA and other CRD owners the ScaledObject waits for. @default [] */
  readonly waitFor?: pulumi.Input<pulumi.Resource>[];
  /** @default {} */
  readonly tags?: Record<string, string>;
  /**
   * Flagger's rollout target: Flagger generates the Services and the primary (Deployment, ScaledObject)
   * from this Deployment, so no Service is declared here and the PodDisruptionBudget guards the primary's
   * pods. @default false (a shadow: its own Service)
   */
  readonly rolloutTarget?: boolean;
  /** Extra annotations on the Deployment (e.g. a warm previous version's last day). @default {} */
  readonly annotations?: Record<string, string>;
}

/**
 * One model version serving one endpoint track: a service account bound through EKS Pod Identity
 * to a role that can only read that version's prefix, a hardened vLLM Deployment on the GPU pool
 * of its class, a Service, a PodDisruptionBudget and a KEDA ScaledObject on queue depth.
 */
export class VllmService extends pulumi.ComponentResource {
  readonly deployment: k8s.apps.v1.Deployment;
  /** Absent for a rollout target (Flagger generates its Services). */
  readonly service?: k8s.core.v1.Service;
  readonly role: iam.Role;
  readonly serviceName: string;
  /** The Deployment's progress deadline (from the startup budget); a rollout's canary gets as long. */
  readonly progressDeadlineSeconds: number;

  constructor(name: string, args: VllmServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    const { spec } = args;
    if (args.replicas.min > args.replicas.max) throw new Error(`VllmService ${name}: replicas.min ${args.replicas.min} > replicas.max ${args.replicas.max}`);
    const runtime = args.runtime ?? runtimeOf(args.image);
    // The Service, network policy and gateway backends address the pods on VLLM_PORT.
    if (runtime.port !== VLLM_PORT) throw new Error(`VllmService ${name}: runtime ${runtime.image} listens on ${runtime.port}, but the serving path is wired for ${VLLM_PORT}; record the image's real port or change VLLM_PORT`);
    const requestTimeout = args.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS;
    if (!(Number.isInteger(requestTimeout) && requestTimeout >= 1)) throw new Error(`VllmService ${name}: requestTimeoutSeconds ${requestTimeout} is not a whole number of seconds >= 1`);
    super("llm-blueprint:serving:VllmService", name, {}, opts);

    const workload = `${args.endpoint}-${spec.track}`;
    this.serviceName = workload;
    const meta = versionMetadata(args.endpoint, spec, args.gpuClass, args.image);
    const selector = selectorLabels(args.endpoint, spec.track);
    const sizing = podSizing(args.instanceType, spec.profile.tensorParallelSize);
    const startupNode = { instanceType: args.instanceType, imageSource: args.imageCache === undefined ? ("upstream" as const) : ("regional-cache" as const) };
    const budget = startupBudget(spec.version, args.gpuClass, runtime.compressedSizeGiB, startupNode);
    const basis = startupBasis(spec.version, runtime.compressedSizeGiB, startupNode);
    // Same repository path, tag and digest, from the in-region cache when there is one.
    const image = args.imageCache === undefined ? pulumi.output(args.image) : pulumi.output(args.imageCache).apply((root) => `${root}/${splitImage(args.image).path}`);
    const timeouts = deploymentTimeouts(budget, args.replicas.max, MAX_SURGE);
    const drain = drainPlan(requestTimeout);
    this.progressDeadlineSeconds = timeouts.progressDeadlineSeconds;

    // Pod Identity roles of this cluster only (lib/iam.ts podIdentityTrust).
    const podTrust = pulumi
      .all([getCallerIdentityOutput({}, { parent: this }).accountId, args.clusterName])
      .apply(([accountId, clusterName]) => JSON.stringify(podIdentityTrust({ accountId, region: args.region, clusterName })));
    this.role = new iam.Role(`${name}-reader`, { assumeRolePolicy: podTrust, description: `Reads ${artifactPrefix(spec.version)} only`, tags: args.tags ?? {} }, { parent: this });
    new iam.RolePolicy(
      `${name}-reader`,
      { role: this.role.name, policy: pulumi.all([args.bucketArn, args.kmsKeyArn]).apply(([b, k]) => JSON.stringify(modelReadPolicy(b, k, args.region, spec.version))) },
      { parent: this },
    );
    const sa = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata: { name: workload, namespace: args.namespace, labels: meta.labels }, automountServiceAccountToken: false },
      { parent: this },
    );
    const association = new eks.PodIdentityAssociation(
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
    const cacheDir = runtime.home;

    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: {
          name: workload,
          namespace: args.namespace,
          labels: meta.labels,
          // The budget's terms, so the plan can check the probe, deadline and await timeouts against them.
          annotations: { ...args.annotations, ...meta.annotations, [STARTUP_BUDGET_ANNOTATION]: JSON.stringify({ ...budget, basis }) },
        },
        spec: {
          // KEDA owns the replica count after creation.
          replicas: args.replicas.min,
          selector: { matchLabels: selector },
          // Never drop below the serving replicas during a rollout; a new GPU node comes up for the surge pod.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: MAX_SURGE, maxUnavailable: 0 } },
          progressDeadlineSeconds: timeouts.progressDeadlineSeconds,
          template: {
            metadata: { labels: meta.labels, annotations: { ...meta.annotations, ...NO_CONSOLIDATION_ANNOTATIONS } },
            spec: {
              serviceAccountName: sa.metadata.name,
              // Pod Identity injects credentials through env and a projected token, not the SA token mount.
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              terminationGracePeriodSeconds: drain.terminationGracePeriodSeconds,
              // The image's own non-root user (it has a passwd entry). Not its group 0, which owns the
              // group-writable /etc/passwd and /opt/uv in the image: a group of its own, numbered like the
              // user. The pod writes only to its volumes.
              securityContext: { runAsNonRoot: true, runAsUser: runtime.uid, runAsGroup: runtime.uid, fsGroup: runtime.uid, seccompProfile: { type: "RuntimeDefault" } },
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
                // Endpoint and track only: Flagger's primary copies them but renames the instance label.
                { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { [LABEL.endpoint]: args.endpoint, [LABEL.track]: spec.track } } },
              ],
              containers: [
                {
                  name: "vllm",
                  image,
                  imagePullPolicy: "IfNotPresent",
                  // The image's WORKDIR (/vllm-workspace) is on the read-only root; run from the writable
                  // home, as upstream's own non-root target does (WORKDIR /home/vllm).
                  workingDir: cacheDir,
                  args: pulumi
                    .output(args.bucketName)
                    .apply((bucket) => vllmArgs(args.endpoint, spec.version, spec.profile, bucket, { port: runtime.port, shutdownTimeoutSeconds: drain.shutdownTimeoutSeconds })),
                  ports: [{ name: "http", containerPort: runtime.port, protocol: "TCP" }],
                  env: [
                    { name: "AWS_REGION", value: args.region },
                    // getpass.getuser() (torch, triton) reads LOGNAME, USER, LNAME, USERNAME before the passwd database.
                    { name: "USER", value: runtime.user },
                    { name: "LOGNAME", value: runtime.user },
                    // HOME and every cache under it: the sized cache volume.
                    ...cacheEnv(cacheDir),
                    { name: "TMPDIR", value: "/tmp" },
                    // Offline unless the profile needs the Hub; then the token is read from a file.
                    { name: "HF_HUB_OFFLINE", value: needsToken ? "0" : "1" },
                    ...(needsToken ? [{ name: "HF_TOKEN_PATH", value: `${tokenDir}/token` }] : []),
                    { name: "VLLM_NO_USAGE_STATS", value: "1" },
                  ],
                  resources: {
                    // ephemeral-storage: the disk-backed volumes' limits, so the scheduler places the pod where they fit.
                    requests: { cpu: sizing.cpu, memory: sizing.memory, "ephemeral-storage": `${spec.profile.cacheGiB + TMP_GIB}Gi`, [GPU_RESOURCE_NAME]: String(sizing.gpus) },
                    limits: { memory: sizing.memory, [GPU_RESOURCE_NAME]: String(sizing.gpus) },
                  },
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
                  startupProbe: probe("/health", STARTUP_PROBE_PERIOD_SECONDS, startupProbeFailureThreshold(budget)),
                  readinessProbe: probe("/health", 10, 3),
                  livenessProbe: probe("/health", 15, 4),
                  // The endpoint leaves the EndpointSlice while this runs; then SIGTERM, and vLLM rejects new
                  // requests and drains the admitted ones for --shutdown-timeout.
                  lifecycle: { preStop: { exec: { command: ["/bin/sleep", String(drain.preStopSleepSeconds)] } } },
                  volumeMounts: [
                    { name: "dshm", mountPath: "/dev/shm" },
                    { name: "cache", mountPath: cacheDir },
                    { name: "tmp", mountPath: "/tmp" },
                    ...(tokenSecret ? [{ name: "hf-token", mountPath: tokenDir, readOnly: true }] : []),
                  ],
                },
              ],
              volumes: [
                { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: sizing.shmSize } },
                { name: "cache", emptyDir: { sizeLimit: `${spec.profile.cacheGiB}Gi` } },
                { name: "tmp", emptyDir: { sizeLimit: `${TMP_GIB}Gi` } },
                ...(tokenSecret ? [{ name: "hf-token", secret: { secretName: tokenSecret.metadata.name, defaultMode: 0o440 } }] : []),
              ],
            },
          },
        },
      },
      {
        parent: this,
        dependsOn: [association],
        ignoreChanges: ["spec.replicas"],
        // Pulumi waits for the rollout; its 10-minute default is shorter than a large model's start.
        customTimeouts: { create: `${timeouts.createSeconds}s`, update: `${timeouts.updateSeconds}s` },
      },
    );

    if (!args.rolloutTarget) {
      this.service = new k8s.core.v1.Service(
        `${name}-service`,
        { metadata: { name: workload, namespace: args.namespace, labels: meta.labels }, spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: VLLM_PORT, targetPort: "http" }] } },
        { parent: this },
      );
    }
    // A rollout target is scaled to zero between rollouts; the primary Flagger makes of it serves.
    const guarded = args.rolloutTarget ? { [FLAGGER_SELECTOR_LABEL]: primaryOf(workload) } : selector;
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      { metadata: { name: workload, namespace: args.namespace, labels: meta.labels }, spec: { ...disruptionBudget(args.replicas.min), selector: { matchLabels: guarded } } },
      { parent: this },
    );
    new k8s.apiextensions.CustomResource(
      `${name}-autoscaler`,
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: workload, namespace: args.namespace, labels: meta.labels },
        spec: {
          // The plain name, not the Deployment's output: the autoscaler must not depend on the
          // Deployment's await, or a slow first start leaves the endpoint without one.
          scaleTargetRef: { name: workload },
          minReplicaCount: args.replicas.min,
          maxReplicaCount: args.replicas.max,
          pollingInterval: 15,
          cooldownPeriod: 300,
          // Prometheus down: keep the current replicas if above min, else min (never scale in blind).
          // Fields per the ScaledObject CRD of kedacore/charts v2.19.0 (86f514c, read 2026-11-25);
          // KEDA applies a fallback only to AverageValue triggers, which the one below is.
          fallback: { failureThreshold: FALLBACK_FAILURE_THRESHOLD, replicas: args.replicas.min, behavior: "currentReplicasIfHigher" },
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
              // Named, so Flagger can give the primary's copy its own query (autoscalerRef.primaryScalerQueries).
              name: QUEUE_TRIGGER,
              type: "prometheus",
              metricType: "AverageValue",
              metadata: { serverAddress: args.prometheusUrl, query: pulumi.output(args.namespace).apply((ns) => queueDepthQuery(ns, workload)), threshold: String(args.targetWaitingRequests ?? 8) },
            },
          ],
        },
      },
      { parent: this, dependsOn: args.waitFor ?? [] },
    );

    this.registerOutputs({ deployment: workload, serviceName: args.rolloutTarget ? undefined : workload, roleArn: this.role.arn, version: meta.annotations["llm-blueprint/version"] });
  }
}
