import { beforeAll, describe, expect, it } from "vitest";
import { loadApprovals } from "../../policies/pack";
import { PlanResource } from "../../lib/plan/document";
import { at, evaluate, find, recordStack } from "./harness";

const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  scaledObject: "kubernetes:keda.sh/v1alpha1:ScaledObject",
};
interface Env {
  name: string;
  value?: string;
}
interface Container {
  env: Env[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  ports: { containerPort: number }[];
  securityContext: Record<string, unknown>;
}
interface Pod {
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: Record<string, unknown>[];
}
const POLICIES = ["runtime-image-user", "await-covers-startup", "serving-availability", "writable-paths-sized"];
const pod = (d: PlanResource) => at<Pod>(d, "spec.template.spec");
const vllm = (d: PlanResource) => pod(d).containers[0];
const chatLarge = (rs: PlanResource[]) => find(rs, T.deployment, "us-east-1-chat-large-stable-deployment");

let prod: PlanResource[];
let staging: PlanResource[];
// One recording per hook: each gets the whole hook timeout on a busy machine.
beforeAll(async () => {
  prod = await recordStack("prod");
});
beforeAll(async () => {
  staging = await recordStack("staging");
});

async function violations(policy: string, mutate?: (rs: PlanResource[]) => void, resources = () => prod, config = {}) {
  const vs = await evaluate(resources(), { policy, mutate, config });
  for (const v of vs) expect(v.policy).toBe(policy);
  return vs;
}

describe("the committed stacks pass the workload checks", () => {
  it.each(POLICIES)("%s passes on prod and staging", async (policy) => {
    expect(await violations(policy)).toEqual([]);
    expect(await violations(policy, undefined, () => staging)).toEqual([]);
  });
});

describe("runtime-image-user", () => {
  it("blocks the UID with no passwd entry (1000) and a pod without USER, naming the recorded user", async () => {
    const vs = await violations("runtime-image-user", (rs) => {
      const d = chatLarge(rs);
      Object.assign(pod(d).securityContext, { runAsUser: 1000, runAsGroup: 1000 });
      vllm(d).env = vllm(d).env.filter((e) => e.name !== "USER");
    });
    expect(vs.map((v) => v.message)).toEqual([
      expect.stringContaining("chat-large/chat-large-stable: runs as UID 1000, but docker.io/vllm/vllm-openai:v0.27.1 records vllm as UID 2000"),
      expect.stringContaining("env USER is unset; set it to \"vllm\""),
    ]);
    expect(new Set(vs.map((v) => v.urn))).toEqual(new Set([chatLarge(prod).urn]));
  });

  it("blocks a pod that leaves the UID to the image (root), runs as group 0, or listens off the recorded port", async () => {
    const vs = await violations("runtime-image-user", (rs) => {
      const d = chatLarge(rs);
      delete pod(d).securityContext.runAsUser;
      pod(d).securityContext.runAsGroup = 0;
      vllm(d).ports[0].containerPort = 8080;
    });
    const text = vs.map((v) => v.message).join("\n");
    expect(text).toContain("runAsUser is not set");
    expect(text).toContain("runAsGroup is 0");
    expect(text).toContain("containerPort is 8080, but docker.io/vllm/vllm-openai:v0.27.1 listens on 8000");
    expect(text).toContain("--port 8000 differs from containerPort 8080");
  });

  it("fails closed when the approved runtime has no facts", async () => {
    const runtimeImages = loadApprovals().runtimeImages.map((r) => ({ image: r.image, digest: r.digest, approvedBy: r.approvedBy, approvedAt: r.approvedAt }));
    const vs = await violations("runtime-image-user", undefined, () => prod, { "runtime-image-user": { runtimeImages } });
    expect(vs.length).toBeGreaterThan(0);
    for (const v of vs) expect(v.message).toContain("has no complete facts");
  });
});

describe("await-covers-startup", () => {
  it("blocks a 10-minute await on chat-large, and a ScaledObject that depends on its Deployment", async () => {
    const vs = await violations("await-covers-startup", (rs) => {
      const d = chatLarge(rs);
      (d.options as { customTimeouts: unknown }).customTimeouts = { createSeconds: 600, updateSeconds: 600, deleteSeconds: 0 };
      const so = find(rs, T.scaledObject, "us-east-1-chat-large-stable-autoscaler");
      (so as unknown as { propertyDependencies: Record<string, string[]> }).propertyDependencies = { ...so.propertyDependencies, spec: [d.urn] };
    });
    const text = vs.map((v) => v.message);
    expect(text).toEqual([
      expect.stringMatching(/chat-large-stable: customTimeouts.create is 600 s, but one replica needs node 900 \+ pull 56 \+ probe window \d+ \+ readiness 15 = \d+ s/),
      expect.stringMatching(/customTimeouts.update is 600 s, but a rollout of 4 replicas, 1 at a time, needs/),
      expect.stringContaining("its ScaledObject depends on the Deployment"),
    ]);
  });

  it("blocks the provider default (no customTimeouts) and a startup probe shorter than weight load + warm-up", async () => {
    const vs = await violations("await-covers-startup", (rs) => {
      const d = chatLarge(rs);
      (d.options as { customTimeouts: unknown }).customTimeouts = undefined;
      at<{ failureThreshold: number }>(d, "spec.template.spec.containers.0.startupProbe").failureThreshold = 30;
    });
    const text = vs.map((v) => v.message).join("\n");
    expect(text).toMatch(/the startup probe allows 300 s \(initialDelay 0 \+ 30 x 10 s\) but weight load \d+ s \+ warm-up 300 s need \d+ s/);
    expect(text).toContain("customTimeouts.create is 600 s (provider default)");
  });

  it("counts readiness after the probe: a budget whose readiness outgrows the margin blocks the deadline and both awaits", async () => {
    const vs = await violations("await-covers-startup", (rs) => {
      const annotations = at<Record<string, string>>(chatLarge(rs), "metadata.annotations");
      annotations["llm-blueprint/startup-budget"] = JSON.stringify({ ...JSON.parse(annotations["llm-blueprint/startup-budget"]), readinessSeconds: 3600 });
    });
    expect(vs.map((v) => v.message)).toEqual([
      expect.stringMatching(/progressDeadlineSeconds is \d+, below one replica's start: .* \+ readiness 3600 = \d+ s/),
      expect.stringMatching(/customTimeouts.create is \d+ s, but one replica needs .* \+ readiness 3600 = \d+ s/),
      expect.stringMatching(/customTimeouts.update is \d+ s, but a rollout .* \+ readiness 3600\) = \d+ s/),
    ]);
  });

  it("fails closed without the readiness term", async () => {
    const vs = await violations("await-covers-startup", (rs) => {
      const annotations = at<Record<string, string>>(chatLarge(rs), "metadata.annotations");
      const rest = JSON.parse(annotations["llm-blueprint/startup-budget"]) as Record<string, unknown>;
      delete rest.readinessSeconds;
      annotations["llm-blueprint/startup-budget"] = JSON.stringify(rest);
    });
    expect(vs.map((v) => v.message)).toEqual([expect.stringContaining("annotation llm-blueprint/startup-budget lacks readinessSeconds")]);
  });

  it("fails closed without the recorded budget", async () => {
    const vs = await violations("await-covers-startup", (rs) => {
      delete at<Record<string, string>>(chatLarge(rs), "metadata.annotations")["llm-blueprint/startup-budget"];
    });
    expect(vs.map((v) => v.message)).toEqual([expect.stringContaining("annotation llm-blueprint/startup-budget is missing")]);
  });
});

describe("serving-availability", () => {
  it("blocks prod's stable chat-large at min 1 behind a maxUnavailable 1 budget", async () => {
    const vs = await violations("serving-availability", (rs) => {
      for (const r of rs.filter((x) => x.name.startsWith("us-east-1-chat-large-stable"))) {
        if (r.type === T.scaledObject) Object.assign(at(r, "spec"), { minReplicaCount: 1, fallback: { failureThreshold: 3, replicas: 1, behavior: "currentReplicasIfHigher" } });
        if (r.type === T.deployment) at<Record<string, unknown>>(r, "spec").replicas = 1;
        if (r.type === T.pdb) r.inputs.spec = { maxUnavailable: 1, selector: at(r, "spec.selector") };
      }
    });
    const text = vs.map((v) => v.message);
    expect(text).toEqual([
      expect.stringContaining("chat-large/chat-large-stable: stable track minReplicaCount is 1; production keeps at least 2 per region"),
      expect.stringContaining("chat-large/chat-large-stable: spec.replicas is 1"),
      expect.stringContaining("uses maxUnavailable 1"),
      expect.stringContaining("minAvailable is unset"),
    ]);
  });

  it("lets staging run one stable replica, but not without a fallback or the no-eviction annotations", async () => {
    const pick = (rs: PlanResource[]) => rs.find((r) => r.type === T.deployment && r.name.endsWith("chat-small-stable-deployment"))!;
    const vs = await violations(
      "serving-availability",
      (rs) => {
        const d = pick(rs);
        delete at<Record<string, string>>(d, "spec.template.metadata.annotations")["karpenter.sh/do-not-disrupt"];
        const so = rs.find((r) => r.type === T.scaledObject && r.name === d.name.replace("-deployment", "-autoscaler"))!;
        delete at<Record<string, unknown>>(so, "spec").fallback;
      },
      () => staging,
    );
    expect(vs.map((v) => v.message)).toEqual([expect.stringContaining('pod annotation karpenter.sh/do-not-disrupt is unset'), expect.stringContaining("has no fallback")]);
  });

  it("fails closed when the plan does not say which environment it is", async () => {
    const vs = await violations("serving-availability", (rs) => {
      for (const p of rs.filter((r) => r.type === "pulumi:providers:aws")) delete p.inputs.defaultTags;
    });
    expect(vs.map((v) => v.message)).toContainEqual(expect.stringContaining("the environment is unknown"));
  });
});

describe("writable-paths-sized", () => {
  it("blocks HOME on a 1Gi emptyDir with a cache variable unset", async () => {
    const vs = await violations("writable-paths-sized", (rs) => {
      const d = chatLarge(rs);
      pod(d).volumes.push({ name: "home", emptyDir: { sizeLimit: "1Gi" } });
      vllm(d).volumeMounts.push({ name: "home", mountPath: "/home/small" });
      vllm(d).env = vllm(d).env.filter((e) => e.name !== "TRITON_CACHE_DIR").map((e) => (e.name === "HOME" ? { name: "HOME", value: "/home/small" } : e));
    });
    const text = vs.map((v) => v.message);
    expect(text).toContainEqual(expect.stringContaining('HOME /home/small is on volume "home" of 1 GiB size limit; the caches under it need at least 10 GiB'));
    expect(text).toContainEqual(expect.stringContaining("cache env TRITON_CACHE_DIR is unset"));
    expect(text).toContainEqual(expect.stringContaining("cache env HF_HOME=/home/vllm/.cache/huggingface is outside the cache volume at /home/small"));
  });

  it("blocks a writable root filesystem, an unbounded emptyDir and a path on no volume", async () => {
    const vs = await violations("writable-paths-sized", (rs) => {
      const d = chatLarge(rs);
      vllm(d).securityContext.readOnlyRootFilesystem = false;
      const tmp = pod(d).volumes.find((v) => v.name === "tmp")!;
      tmp.emptyDir = {};
      vllm(d).env.push({ name: "OUTLINES_CACHE_DIR", value: "/var/cache/outlines" });
      delete (vllm(d) as unknown as Record<string, unknown>).workingDir;
    });
    const text = vs.map((v) => v.message).join("\n");
    expect(text).toContain("the root filesystem is writable");
    expect(text).toContain('writable mount /tmp (emptyDir "tmp") has no sizeLimit');
    expect(text).toContain("env OUTLINES_CACHE_DIR=/var/cache/outlines is not on any volume");
    expect(text).toContain("workingDir is unset, so the server runs in the image's WORKDIR on the read-only root filesystem");
  });
});
