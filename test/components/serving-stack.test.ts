import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { combinedStackConfig, entryPoint, recordWithoutStacks, input, ofType } from "../harness";
import { recordOneStack } from "../oneStack";


interface ServedModelInput {
  name: string;
  version: string;
  rollout?: { skipAnalysis?: boolean };
  previous?: { version: string; since: string; serve?: boolean };
}

/** Plans a committed stack through the real entry point, optionally editing its serving block first. */
async function planStack(stack: string, edit?: (models: ServedModelInput[]) => void): Promise<PlanResource[]> {
  const { config, secretKeys } = combinedStackConfig(stack);
  if (edit) {
    const serving = JSON.parse(config["llm-blueprint:serving"]) as { models: ServedModelInput[] };
    edit(serving.models);
    config["llm-blueprint:serving"] = JSON.stringify(serving);
  }
  const program = await entryPoint();
  const run = await recordWithoutStacks(() => program(), { project: "llm-blueprint", stack, config, secretKeys });
  return run.resources;
}

const deployments = (resources: PlanResource[]) =>
  ofType(resources, "kubernetes:apps/v1:Deployment").map((d) => {
    const labels = input(d, "metadata.labels") as Record<string, string>;
    const container = (input(d, "spec.template.spec.containers") as { args: string[]; resources: { limits: Record<string, string> } }[])[0];
    return { urn: d.urn, region: d.urn.split("::").pop()!.split("-").slice(0, 3).join("-"), endpoint: labels["llm-blueprint/endpoint"], track: labels["llm-blueprint/track"], gpuClass: labels["llm-blueprint/gpu-class"], gpus: container.resources.limits["nvidia.com/gpu"], args: container.args };
  });

describe("prod serving", () => {
  let prod: PlanResource[];
  beforeAll(async () => {
    // The unedited prod stack as one program: recorded once for the whole test run (recordOneStack).
    prod = await recordOneStack("prod");
  });

  it("serves a large model on H100 with tensor parallelism and a small one on L4, in every region", () => {
    const d = deployments(prod);
    for (const region of ["us-east-1", "us-west-2", "us-east-2"]) {
      const large = d.find((x) => x.region === region && x.endpoint === "chat-large" && x.track === "stable")!;
      expect(large).toMatchObject({ gpuClass: "h100", gpus: "4" });
      expect(large.args[large.args.indexOf("--tensor-parallel-size") + 1]).toBe("4");
      expect(d.find((x) => x.region === region && x.endpoint === "chat-small" && x.track === "stable")).toMatchObject({ gpuClass: "l4", gpus: "1" });
    }
  });

  it("loads every model from the registry bucket of its own region", () => {
    const buckets = new Map(
      ofType(prod, "llm-blueprint:registry:ModelRegistry").map((r) => [r.name.replace(/-registry$/, ""), String((r.outputs as { bucketName: string }).bucketName)]),
    );
    expect(buckets.size).toBe(3);
    for (const d of deployments(prod)) {
      expect(d.args[d.args.indexOf("--model") + 1]).toMatch(new RegExp(`^s3://${buckets.get(d.region)}/models/`));
    }
  });

  it("replicates the primary registry to both other regions, and only the primary", () => {
    const replications = ofType(prod, "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
    expect(replications).toHaveLength(1);
    expect(replications[0].urn).toContain("us-east-1-registry");
    const rules = input(replications[0], "rules") as { id: string; destination: { bucket: string } }[];
    expect(rules.map((r) => r.id)).toEqual(["to-us-west-2", "to-us-east-2"]);
    expect(rules.map((r) => r.destination.bucket)).toEqual(["arn:aws:s3:::llm-prod-123456789012-usw2-models", "arn:aws:s3:::llm-prod-123456789012-use2-models"]);
  });

  describe("version change and rollback", () => {
    const PREVIOUS = "llama-3.1-8b-instruct@0e9e39f249a16976918f6564b8830bc894c89659";
    const changed = (before: PlanResource[], after: PlanResource[]) => {
      const a = new Map(before.map((r) => [r.urn, JSON.stringify([r.inputs, r.options])]));
      const b = new Map(after.map((r) => [r.urn, JSON.stringify([r.inputs, r.options])]));
      return {
        removed: [...a.keys()].filter((u) => !b.has(u)),
        added: [...b.keys()].filter((u) => !a.has(u)),
        updated: [...a.keys()].filter((u) => b.has(u) && a.get(u) !== b.get(u)),
      };
    };
    let back: PlanResource[];
    beforeAll(async () => {
      // Back to the earlier version once its warm window is over (previous removed with it).
      back = await planStack("prod", (models) => {
        const m = models.find((x) => x.name === "chat-small")!;
        m.version = PREVIOUS;
        delete m.previous;
      });
    }, 300_000);

    it("changing the version touches only the model's target workload, its Canary and the alert allow-list, never a route or a Service", () => {
      const diff = changed(prod, back);
      expect(diff.added).toEqual([]);
      // Only the warm copy of the version going back in leaves (its workload, identity, Service, autoscaler, budget).
      expect(diff.removed.length).toBeGreaterThan(0);
      for (const urn of diff.removed) expect(urn).toMatch(/::us-(east|west)-\d-chat-small-previous(-[a-z-]+)?$/);
      const alertRules = ofType(prod, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").map((r) => r.urn);
      for (const urn of diff.updated) {
        if (alertRules.includes(urn)) continue;
        // The target's workload and identity, the Canary, the rollout notifications (they carry the tuple) and
        // the global failover estimate (its cold start follows the model).
        expect(urn).toMatch(/::(us-(east|west)-\d-chat-small-(stable-[a-z-]+|canary|rollout-alerts)|chat-small-failover)$/);
      }
      expect(diff.updated.filter((u) => /HTTPRoute::|core\/v1:Service::/.test(u))).toEqual([]);
      const canaries = ofType(back, "kubernetes:flagger.app/v1beta1:Canary").filter((c) => c.urn.endsWith("chat-small-canary"));
      expect(canaries).toHaveLength(3);
      for (const c of canaries) expect(JSON.stringify(input(c, "spec.analysis.webhooks"))).toContain(`${PREVIOUS} approved`);
    });

    it("the emergency rollback to the warm version is one line: a route to it that outranks Flagger's, and the policies and probe following it; no pod changes", async () => {
      const emergency = await planStack("prod", (models) => {
        models.find((x) => x.name === "chat-small")!.previous!.serve = true;
      });
      const diff = changed(prod, emergency);
      expect(diff.removed).toEqual([]);
      expect(diff.added.map((u) => u.split("::").pop())).toEqual(["us-east-1", "us-west-2", "us-east-2"].map((r) => `${r}-chat-small-warm-rollback-route`));
      expect(diff.updated.map((u) => u.split("::").pop()!.replace(/^us-(east|west)-\d-/, "")).sort()).toEqual(
        ["chat-small-auth", "chat-small-probe-route", "chat-small-rate-limit"].flatMap((n) => [n, n, n]),
      );
      // Then the primary goes back too: version = the warm one (allowed while it serves), promoted without analysis.
      const promoting = await planStack("prod", (models) => {
        const m = models.find((x) => x.name === "chat-small")!;
        m.previous!.serve = true;
        m.version = PREVIOUS;
        m.rollout = { skipAnalysis: true };
      });
      expect(changed(emergency, promoting).updated.some((u) => u.endsWith("chat-small-warm-rollback-route"))).toBe(false);
      for (const c of ofType(promoting, "kubernetes:flagger.app/v1beta1:Canary").filter((x) => x.urn.endsWith("chat-small-canary"))) expect(input(c, "spec.skipAnalysis")).toBe(true);
    }, 300_000); // two prod plans in this process

    it("without a warm version, the emergency rollback is the version back plus skipAnalysis on the Canary and nothing else", async () => {
      const emergency = await planStack("prod", (models) => {
        const m = models.find((x) => x.name === "chat-small")!;
        m.version = PREVIOUS;
        delete m.previous;
        m.rollout = { skipAnalysis: true };
      });
      const diff = changed(back, emergency);
      expect(diff.added).toEqual([]);
      expect(diff.removed).toEqual([]);
      expect(diff.updated.every((u) => u.endsWith("chat-small-canary"))).toBe(true);
      expect(diff.updated).toHaveLength(3);
      for (const u of diff.updated) expect(input(emergency.find((r) => r.urn === u)!, "spec.skipAnalysis")).toBe(true);
    });
  });
});
