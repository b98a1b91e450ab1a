import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { endpointProblems, ModelEndpoint, ModelEndpointArgs } from "../../components/ModelEndpoint";
import { DEFAULT_ROLLOUT } from "../../lib/rollout";
import { ModelVersion } from "../../lib/catalog";
import { isAllowed, PolicyDocument } from "../../lib/iam";
import { PlanResource } from "../../lib/plan/document";
import { input, ofType, one, plan, regionProvider, resourcesWithoutExplicitProvider } from "../harness";

/** The runtime recorded in models/runtimes.yaml (vllm user, UID 2000, HOME /home/vllm, port 8000). */
const DIGEST = "sha256:0a51ea5b4ae2dc5d81890e5173f54203d2a3ae0cfffe51b8fd2afd4391bfd967";
const IMAGE = `docker.io/vllm/vllm-openai:v0.27.1@${DIGEST}`;
const v = (name: string, rev: string, billions: number, tp: number, cls: "h100" | "l4"): ModelVersion => ({
  name,
  revision: rev.repeat(40),
  artifactDigest: `sha256:${rev.repeat(64)}`,
  parametersBillions: billions,
  weightFormat: "bf16",
  kvCacheBytesPerToken: 131072,
  license: "llama3.1",
  profiles: { [cls]: { tensorParallelSize: tp, maxModelLen: 8192, gpuMemoryUtilization: 0.9, maxNumSeqs: 64, extraArgs: [], huggingFaceToken: false, cacheGiB: 40 } },
});
const big = v("big", "a", 70, 4, "h100");
const small = v("small", "b", 8, 1, "l4");
const smallNext = v("small", "c", 8, 1, "l4");

function args(over: Partial<ModelEndpointArgs>): ModelEndpointArgs {
  return {
    name: "chat",
    gpuClass: "l4",
    tracks: [],
    instanceType: "g6.12xlarge",
    image: IMAGE,
    region: "us-east-1",
    clusterName: "llm-test-use1",
    bucketName: "registry-use1",
    bucketArn: "arn:aws:s3:::registry-use1",
    kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k",
    replicas: { min: 1, max: 4 },
    prometheusUrl: "http://prometheus.monitoring.svc:9090",
    auth: { type: "none", acknowledgeUnauthenticated: true },
    ...over,
  };
}

interface Container {
  image: string;
  args: string[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown>;
  startupProbe: { httpGet: { path: string }; periodSeconds: number; failureThreshold: number };
  readinessProbe: { httpGet: { path: string } };
  livenessProbe: { httpGet: { path: string } };
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  tolerations: unknown[];
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: { matchExpressions: unknown[] }[] } } };
  topologySpreadConstraints: { topologyKey: string }[];
  containers: Container[];
  volumes: { name: string; emptyDir?: { medium?: string; sizeLimit?: string } }[];
}
const podOf = (d: PlanResource) => input(d, "spec.template.spec") as PodSpec;
const deployment = (resources: PlanResource[], endpoint: string, track: string) =>
  ofType(resources, "kubernetes:apps/v1:Deployment").find((d) => input(d, "metadata.name") === `${endpoint}-${track}` && d.name.startsWith(endpoint))!;

describe("ModelEndpoint", () => {
  let resources: PlanResource[];
  beforeAll(async () => {
    resources = await plan(() => {
      const opts = { providers: [regionProvider("us-east-1"), new k8s.Provider("kube", { kubeconfig: "{}" })] };
      new ModelEndpoint(
        "large",
        args({ name: "large", gpuClass: "h100", instanceType: "p5.48xlarge", replicas: { min: 2, max: 4 }, tracks: [{ track: "stable", version: big, profile: big.profiles.h100!, weight: 100 }] }),
        opts,
      );
      const gated = { ...small, revision: "d".repeat(40), profiles: { l4: { ...small.profiles.l4!, huggingFaceToken: true } } };
      new ModelEndpoint("gated", args({ name: "gated", tracks: [{ track: "stable", version: gated, profile: gated.profiles.l4!, weight: 100 }], huggingFaceToken: pulumi.secret("hf_plaintext_never_shown") }), opts);
      new ModelEndpoint(
        "chat",
        args({
          tracks: [
            { track: "stable", version: small, profile: small.profiles.l4!, weight: 100 },
            { track: "shadow", version: smallNext, profile: smallNext.profiles.l4!, mirrorPercent: 100, minReplicas: 1 },
          ],
          rollout: { ...DEFAULT_ROLLOUT, steps: [2, 10, 40], failedChecks: 3 },
        }),
        opts,
      );
    });
  });

  it.each([
    ["large", "4", "h100"],
    ["chat", "1", "l4"],
  ])("%s pods request and limit exactly tensor-parallel (%s) GPUs and land only on %s nodes", (endpoint, gpus, cls) => {
    const pod = podOf(deployment(resources, endpoint, "stable"));
    const [c] = pod.containers;
    expect(c.resources.requests["nvidia.com/gpu"]).toBe(gpus);
    expect(c.resources.limits["nvidia.com/gpu"]).toBe(c.resources.requests["nvidia.com/gpu"]);
    expect(c.args[c.args.indexOf("--tensor-parallel-size") + 1]).toBe(c.resources.limits["nvidia.com/gpu"]);
    expect(pod.tolerations).toContainEqual({ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" });
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([{ key: "gpu.class", operator: "In", values: [cls] }]);
  });

  it.each(["large", "chat"])("%s pods are hardened: non-root, no escalation, read-only root, RuntimeDefault seccomp, writable dirs on emptyDir", (endpoint) => {
    const pod = podOf(deployment(resources, endpoint, "stable"));
    const [c] = pod.containers;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
    const shm = pod.volumes.find((vol) => vol.name === "dshm")!;
    expect(shm.emptyDir).toEqual({ medium: "Memory", sizeLimit: expect.stringMatching(/^\d+Gi$/) });
    expect(c.volumeMounts).toContainEqual({ name: "dshm", mountPath: "/dev/shm" });
    for (const m of c.volumeMounts) expect(pod.volumes.find((vol) => vol.name === m.name)!.emptyDir).toBeDefined();
    expect(c.image).toBe(IMAGE);
  });

  it("gives big models a longer startup budget and probes /health", () => {
    const probeWindow = (endpoint: string) => {
      const c = podOf(deployment(resources, endpoint, "stable")).containers[0];
      for (const p of [c.startupProbe, c.readinessProbe, c.livenessProbe]) expect(p.httpGet.path).toBe("/health");
      return c.startupProbe.periodSeconds * c.startupProbe.failureThreshold;
    };
    const recorded = (endpoint: string) => JSON.parse((input(deployment(resources, endpoint, "stable"), "metadata.annotations") as Record<string, string>)["llm-blueprint/startup-budget"]) as Record<string, number>;
    expect(probeWindow("chat")).toBeGreaterThanOrEqual(600);
    expect(probeWindow("large")).toBeGreaterThanOrEqual(Math.max(600, recorded("large").weightLoadSeconds + recorded("large").warmupSeconds));
    expect(recorded("large").weightLoadSeconds).toBeGreaterThan(recorded("chat").weightLoadSeconds);
  });

  it("spreads replicas across zones and labels pods with the whole version tuple", () => {
    const d = deployment(resources, "chat", "shadow");
    expect(podOf(d).topologySpreadConstraints[0].topologyKey).toBe("topology.kubernetes.io/zone");
    const meta = input(d, "spec.template.metadata") as { labels: Record<string, string>; annotations: Record<string, string> };
    expect(meta.labels).toMatchObject({ "llm-blueprint/model": "small", "llm-blueprint/revision": "c".repeat(40), "llm-blueprint/track": "shadow" });
    expect(meta.labels["llm-blueprint/profile-hash"]).toMatch(/^[0-9a-f]{12}$/);
    expect(meta.annotations).toMatchObject({ "llm-blueprint/artifact-digest": `sha256:${"c".repeat(64)}`, "llm-blueprint/image-digest": DIGEST, "llm-blueprint/version": `small@${"c".repeat(40)}` });
  });

  it("leaves the route, its weights and the stable Services to Flagger: a Canary with the rollout policy, mirroring to the shadow", () => {
    const canary = one(resources, "kubernetes:flagger.app/v1beta1:Canary", "chat-canary");
    expect(input(canary, "spec")).toMatchObject({
      provider: "gatewayapi:v1",
      targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "chat-stable" },
      autoscalerRef: { kind: "ScaledObject", name: "chat-stable", primaryScalerReplicas: { minReplicas: 1, maxReplicas: 4 } },
      service: { name: "chat", port: 8000, targetPort: "http", gatewayRefs: [{ name: "inference", namespace: "inference-gateway" }], match: [{ uri: { prefix: "/chat/" } }], mirror: [{ backendRef: { name: "chat-shadow", port: 8000 } }] },
      skipAnalysis: false,
      analysis: { interval: "10m", threshold: 3, stepWeights: [2, 10, 40] },
    });
    const primaryQuery = (input(canary, "spec.autoscalerRef.primaryScalerQueries") as Record<string, string>)["queue-depth"];
    expect(primaryQuery).toContain('pod=~"chat-stable-primary-[a-z0-9]+-[a-z0-9]+"');
    const gates = input(canary, "spec.analysis.metrics") as { templateRef: { name: string; namespace: string } }[];
    const templates = ofType(resources, "kubernetes:flagger.app/v1beta1:MetricTemplate").filter((t) => t.name.startsWith("chat-gate-")).map((t) => input(t, "metadata.name"));
    for (const g of gates) expect(templates).toContain(g.templateRef.name);
    const services = ofType(resources, "kubernetes:core/v1:Service").filter((x) => x.name.startsWith("chat-")).map((x) => input(x, "metadata.name"));
    expect(services).toEqual(["chat-shadow"]);
    expect(ofType(resources, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute").filter((r) => r.name.startsWith("chat-"))).toEqual([]);
  });

  it("announces each rollout's start, steps, promotion and rollback with the version tuple being rolled out", () => {
    const rule = one(resources, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "chat-rollout-alerts");
    const [group] = input(rule, "spec.groups") as { rules: { alert: string; expr: string; labels: Record<string, string> }[] }[];
    expect(group.rules.map((r) => [r.alert, r.labels.severity])).toEqual([
      ["RolloutProgressing", "info"],
      ["RolloutStep", "info"],
      ["RolloutPromoted", "info"],
      ["RolloutRolledBack", "page"],
    ]);
    for (const r of group.rules) {
      expect(r.labels).toMatchObject({ endpoint: "chat", model: "small", revision: "b".repeat(40) });
      expect(r.expr).toContain('namespace="chat"');
    }
  });

  it("refuses a canary track and a rollout policy whose steps shrink, with the key", () => {
    const stable = { track: "stable" as const, version: small, profile: small.profiles.l4!, weight: 100 };
    expect(endpointProblems({ tracks: [stable, { ...stable, track: "canary" as const }], rollout: { ...DEFAULT_ROLLOUT, steps: [10, 5] } })).toEqual([
      "tracks: no canary track; Flagger runs the canary when the stable track's version changes",
      "rollout.steps[1]: 5 does not grow from 10; steps only go up",
    ]);
  });

  it("binds each track's service account to a role that reads only its own version", () => {
    for (const track of ["stable", "shadow"]) {
      const d = deployment(resources, "chat", track);
      const assoc = ofType(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation").find((a) => a.name === `chat-${track}-identity`)!;
      expect(input(assoc, "serviceAccount")).toBe(podOf(d).serviceAccountName);
      const policy = JSON.parse(input(one(resources, "aws:iam/rolePolicy:RolePolicy", `chat-${track}-reader`), "policy") as string) as PolicyDocument;
      const rev = (input(d, "spec.template.metadata.labels") as Record<string, string>)["llm-blueprint/revision"];
      const other = rev === "b".repeat(40) ? "c".repeat(40) : "b".repeat(40);
      expect(isAllowed(policy, { action: "s3:GetObject", resource: `arn:aws:s3:::registry-use1/models/small/${rev}/config.json` })).toBe(true);
      expect(isAllowed(policy, { action: "s3:GetObject", resource: `arn:aws:s3:::registry-use1/models/small/${other}/config.json` })).toBe(false);
    }
  });

  it("autoscales each track on queue depth with a slow scale-down, leaving replicas to KEDA", () => {
    const scaled = ofType(resources, "kubernetes:keda.sh/v1alpha1:ScaledObject").find((s) => s.name === "chat-stable-autoscaler")!;
    expect(input(scaled, "spec")).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 4, scaleTargetRef: { name: "chat-stable" } });
    expect(input(scaled, "spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds")).toBeGreaterThanOrEqual(300);
    const [trigger] = input(scaled, "spec.triggers") as { name: string; type: string; metadata: { query: string } }[];
    expect(trigger.type).toBe("prometheus");
    expect(trigger.name).toBe("queue-depth");
    expect(trigger.metadata.query).toContain("vllm:num_requests_waiting");
    expect(deployment(resources, "chat", "stable").options.ignoreChanges).toContain("spec.replicas");
    const shadow = ofType(resources, "kubernetes:keda.sh/v1alpha1:ScaledObject").find((s) => s.name === "chat-shadow-autoscaler")!;
    expect(input(shadow, "spec.maxReplicaCount")).toBe(4); // mirrored every request: as many as the endpoint
  });

  it("isolates the namespace: restricted Pod Security, a disruption budget per track, and a network policy", () => {
    const ns = ofType(resources, "kubernetes:core/v1:Namespace").find((n) => n.name === "chat-ns")!;
    expect(input(ns, "metadata.labels")).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted", "llm-blueprint/serving": "true" });
    const budgets = ofType(resources, "kubernetes:policy/v1:PodDisruptionBudget").filter((p) => p.name.startsWith("chat-"));
    expect(budgets).toHaveLength(2);
    // The stable target is scaled to zero between rollouts; its budget guards the primary Flagger makes of it.
    expect(input(budgets.find((b) => b.name === "chat-stable-pdb")!, "spec.selector.matchLabels")).toEqual({ "app.kubernetes.io/instance": "chat-stable-primary" });
    const netpol = ofType(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy").find((n) => n.name === "chat-netpol")!;
    expect(input(netpol, "spec.policyTypes")).toEqual(["Ingress", "Egress"]);
    expect(JSON.stringify(input(netpol, "spec.egress"))).toContain('"except":["169.254.169.254/32"]');
  });

  it("mounts a Hugging Face token as a file from a secret, only where the profile needs it", () => {
    const secret = ofType(resources, "kubernetes:core/v1:Secret").find((r) => r.name === "gated-stable-hf-token")!;
    expect(input(secret, "stringData")).toBe("[secret]");
    const pod = podOf(deployment(resources, "gated", "stable"));
    const [c] = pod.containers as (Container & { env: { name: string; value: string }[] })[];
    expect(c.volumeMounts).toContainEqual({ name: "hf-token", mountPath: "/var/run/secrets/huggingface", readOnly: true });
    expect(c.env).toContainEqual({ name: "HF_TOKEN_PATH", value: "/var/run/secrets/huggingface/token" });
    expect(c.env.map((e) => e.name)).not.toContain("HF_TOKEN");
    expect(JSON.stringify(resources)).not.toContain("hf_plaintext_never_shown");
    expect(ofType(resources, "kubernetes:core/v1:Secret").filter((r) => !r.name.startsWith("gated-"))).toEqual([]);
    const chat = podOf(deployment(resources, "chat", "stable")).containers[0] as Container & { env: { name: string; value: string }[] };
    expect(chat.env).toContainEqual({ name: "HF_HUB_OFFLINE", value: "1" });
  });

  it("puts AWS resources on the regional provider and Kubernetes ones on the cluster's", () => {
    expect(resourcesWithoutExplicitProvider(resources)).toEqual([]);
    for (const r of resources.filter((x) => x.type.startsWith("kubernetes:"))) expect(r.provider).toMatch(/pulumi:providers:kubernetes::kube$/);
  });

  it("runs as the runtime's recorded non-root user with USER, LOGNAME and HOME set, and listens on its port", () => {
    for (const endpoint of ["large", "chat"]) {
      const pod = podOf(deployment(resources, endpoint, "stable"));
      const c = pod.containers[0] as Container & { env: { name: string; value: string }[]; ports: { containerPort: number }[] };
      expect(pod.securityContext).toMatchObject({ runAsUser: 2000, runAsNonRoot: true });
      expect(pod.securityContext.runAsGroup).not.toBe(0);
      expect(c.env).toEqual(expect.arrayContaining([{ name: "USER", value: "vllm" }, { name: "LOGNAME", value: "vllm" }, { name: "HOME", value: "/home/vllm" }]));
      expect(c.ports).toEqual([{ name: "http", containerPort: 8000, protocol: "TCP" }]);
      expect(c.args[c.args.indexOf("--port") + 1]).toBe("8000");
    }
  });

  it("puts HOME and every cache on one cache volume sized by the profile, and no other writable path off a sized volume", () => {
    const pod = podOf(deployment(resources, "chat", "stable"));
    const c = pod.containers[0] as Container & { env: { name: string; value: string }[] };
    expect(c.volumeMounts).toContainEqual({ name: "cache", mountPath: "/home/vllm" });
    expect(pod.volumes.find((vol) => vol.name === "cache")!.emptyDir).toEqual({ sizeLimit: "40Gi" });
    for (const name of ["XDG_CACHE_HOME", "HF_HOME", "VLLM_CACHE_ROOT", "TRITON_CACHE_DIR", "TORCHINDUCTOR_CACHE_DIR", "FLASHINFER_WORKSPACE_BASE", "DG_JIT_CACHE_DIR", "CUDA_CACHE_PATH", "TORCH_HOME"]) {
      expect(c.env.find((e) => e.name === name)?.value, name).toMatch(/^\/home\/vllm(\/|$)/);
    }
    for (const vol of pod.volumes.filter((x) => x.emptyDir)) expect(vol.emptyDir!.sizeLimit, vol.name).toMatch(/^\d+Gi$/);
  });

  it("waits for a large model as long as its startup budget, and the autoscaler does not wait on the Deployment", () => {
    const timeoutsOf = (endpoint: string) => deployment(resources, endpoint, "stable").options.customTimeouts!;
    const large = deployment(resources, "large", "stable");
    const budget = JSON.parse((input(large, "metadata.annotations") as Record<string, string>)["llm-blueprint/startup-budget"]) as Record<string, number>;
    const probe = podOf(large).containers[0].startupProbe;
    expect(probe.periodSeconds * probe.failureThreshold).toBeGreaterThanOrEqual(budget.weightLoadSeconds + budget.warmupSeconds);
    const onePod = budget.nodeStartSeconds + budget.imagePullSeconds + probe.periodSeconds * probe.failureThreshold;
    expect(timeoutsOf("large").createSeconds).toBeGreaterThanOrEqual(onePod);
    expect(input(large, "spec.progressDeadlineSeconds")).toBeGreaterThanOrEqual(onePod);
    // maxSurge 1 and up to 4 replicas: four replacements, one node start.
    expect(timeoutsOf("large").updateSeconds).toBeGreaterThanOrEqual(budget.nodeStartSeconds + 4 * (budget.imagePullSeconds + probe.periodSeconds * probe.failureThreshold));
    expect(timeoutsOf("large").createSeconds).toBeGreaterThan(timeoutsOf("chat").createSeconds);
    const scaled = ofType(resources, "kubernetes:keda.sh/v1alpha1:ScaledObject").find((x) => x.name === "large-stable-autoscaler")!;
    expect([...scaled.options.dependsOn, ...Object.values(scaled.propertyDependencies ?? {}).flat()]).not.toContain(large.urn);
  });

  it("keeps two stable replicas behind a minAvailable budget, gives the shadow its own minimum, and holds capacity when metrics fail", () => {
    const pdb = (name: string) => input(ofType(resources, "kubernetes:policy/v1:PodDisruptionBudget").find((p) => p.name === `${name}-pdb`)!, "spec") as Record<string, unknown>;
    expect(pdb("large-stable")).toMatchObject({ minAvailable: 1 });
    expect(pdb("large-stable").maxUnavailable).toBeUndefined();
    // One replica (the shadow at its own minimum): evictable, or it would block every drain.
    expect(pdb("chat-shadow")).toMatchObject({ maxUnavailable: 1 });
    const scaled = (name: string) => input(ofType(resources, "kubernetes:keda.sh/v1alpha1:ScaledObject").find((x) => x.name === `${name}-autoscaler`)!, "spec") as Record<string, unknown>;
    expect(scaled("chat-shadow")).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 4 });
    expect(scaled("large-stable")).toMatchObject({ minReplicaCount: 2, fallback: { failureThreshold: 3, replicas: 2, behavior: "currentReplicasIfHigher" } });
    const annotations = input(deployment(resources, "large", "stable"), "spec.template.metadata.annotations") as Record<string, string>;
    expect(annotations).toMatchObject({ "cluster-autoscaler.kubernetes.io/safe-to-evict": "false", "karpenter.sh/do-not-disrupt": "true" });
  });

  it("drains on termination: preStop, then vLLM finishes admitted requests for the route timeout, within the grace period", () => {
    const pod = podOf(deployment(resources, "chat", "stable")) as PodSpec & { terminationGracePeriodSeconds: number };
    const c = pod.containers[0] as Container & { lifecycle: { preStop: { exec: { command: string[] } } } };
    const [sleep, seconds] = c.lifecycle.preStop.exec.command;
    expect(sleep).toBe("/bin/sleep");
    const drain = Number(c.args[c.args.indexOf("--shutdown-timeout") + 1]);
    expect(drain).toBe(600);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(seconds) + drain);
  });
});

describe("ModelEndpoint with a warm previous version, routed by path (no hostnames)", () => {
  let resources: PlanResource[];
  const tracks = [
    { track: "stable" as const, version: smallNext, profile: smallNext.profiles.l4!, weight: 100 },
    { track: "previous" as const, version: small, profile: small.profiles.l4! },
  ];
  beforeAll(async () => {
    resources = await plan(() => {
      const opts = { providers: [regionProvider("us-east-1"), new k8s.Provider("kube", { kubeconfig: "{}" })] };
      new ModelEndpoint("warm", args({ name: "warm", replicas: { min: 2, max: 4 }, tracks, previous: { since: "2026-11-25", warmUntil: "2026-12-02", serve: false } }), opts);
      new ModelEndpoint("back", args({ name: "back", replicas: { min: 2, max: 4 }, tracks, previous: { since: "2026-11-25", warmUntil: "2026-12-02", serve: true } }), opts);
    });
  });
  const named = (type: string, name: string) => ofType(resources, type).filter((r) => input(r, "metadata.name") === name);

  it("keeps the previous version at the endpoint's minimum with its last warm day, and routes nothing to it until serve", () => {
    const d = named("kubernetes:apps/v1:Deployment", "warm-previous")[0];
    expect((input(d, "metadata.annotations") as Record<string, string>)["llm-blueprint/warm-until"]).toBe("2026-12-02");
    expect(input(named("kubernetes:keda.sh/v1alpha1:ScaledObject", "warm-previous")[0], "spec.minReplicaCount")).toBe(2);
    expect(named("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "warm-warm-rollback")).toEqual([]);
  });

  it("serve: the Canary's /<endpoint>/ prefix and rewrite for every method to the warm Service, rate-limited like the endpoint", async () => {
    const [route] = named("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "back-warm-rollback");
    const rule = (input(route, "spec.rules") as { matches: { path: { value: string }; method: string }[]; filters: unknown[]; backendRefs: unknown[] }[])[0];
    expect(new Set(rule.matches.map((m) => m.path.value))).toEqual(new Set(["/back/"]));
    expect(rule.matches).toHaveLength(9);
    expect(rule.backendRefs).toEqual([{ name: "back-previous", port: 8000 }]);
    const limit = ofType(resources, "kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy").find((r) => input(r, "metadata.name") === "back")!;
    expect((input(limit, "spec.targetRefs") as { name: string }[]).map((t) => t.name)).toEqual(["back", "back-warm-rollback"]);
    const { evaluate } = await import("../policies/harness");
    expect(await evaluate(resources, { policy: "warm-previous" })).toEqual([]);
  });

  it("refuses a previous track without its window, and a window without the track", () => {
    expect(endpointProblems({ tracks })).toEqual(["previous: a previous track needs its warm window (since, warmUntil)"]);
    expect(endpointProblems({ tracks: tracks.slice(0, 1), previous: { since: "2026-11-25", warmUntil: "2026-12-02", serve: false } })).toEqual(["previous: given without a previous track"]);
  });
});
