import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { recordProgram } from "../../tools/engine/record";
import { combinedStackConfig, entryPoint, input, ofType } from "../harness";


interface ServedModelInput {
  name: string;
  canary?: { version: string; weight: number };
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
  const run = await recordProgram(() => program(), { project: "llm-blueprint", stack, config, secretKeys });
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
    prod = await planStack("prod");
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

  describe("rollback", () => {
    const routes = (resources: PlanResource[]) => new Map(ofType(resources, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute").map((r) => [r.urn, JSON.stringify(r.inputs)]));
    const changed = (before: PlanResource[], after: PlanResource[]) => {
      const a = new Map(before.map((r) => [r.urn, JSON.stringify([r.inputs, r.options])]));
      const b = new Map(after.map((r) => [r.urn, JSON.stringify([r.inputs, r.options])]));
      return {
        removed: [...a.keys()].filter((u) => !b.has(u)),
        added: [...b.keys()].filter((u) => !a.has(u)),
        updated: [...a.keys()].filter((u) => b.has(u) && a.get(u) !== b.get(u)),
      };
    };

    it("removing the canary deletes only the canary workloads and sends all traffic to stable", async () => {
      const after = await planStack("prod", (models) => {
        delete models.find((m) => m.name === "chat-small")!.canary;
      });
      const diff = changed(prod, after);
      expect(diff.added).toEqual([]);
      expect(diff.removed.length).toBeGreaterThan(0);
      for (const urn of diff.removed) expect(urn).toMatch(/::us-(east|west)-\d-chat-small-canary(-[a-z]+)?$/);
      // The routes, and each cluster's alert rules: the canary's revision leaves the version-skew allow-list.
      const alertRules = ofType(prod, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").map((r) => r.urn);
      expect(alertRules).toHaveLength(3);
      expect(diff.updated.sort()).toEqual([...[...routes(prod).keys()].filter((u) => u.endsWith("chat-small-route")), ...alertRules].sort());
      for (const r of ofType(after, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute").filter((x) => x.urn.endsWith("chat-small-route"))) {
        expect((input(r, "spec.rules") as { backendRefs: unknown[] }[])[0].backendRefs).toEqual([{ name: "chat-small-stable", port: 8000, weight: 100 }]);
      }
    });

    it("setting the canary weight to 0 changes only the routes and keeps the canary warm", async () => {
      const after = await planStack("prod", (models) => {
        models.find((m) => m.name === "chat-small")!.canary!.weight = 0;
      });
      const diff = changed(prod, after);
      expect(diff.added).toEqual([]);
      expect(diff.removed).toEqual([]);
      expect(diff.updated.sort()).toEqual([...routes(prod).keys()].filter((u) => u.endsWith("chat-small-route")).sort());
    });
  });
});

describe("dev serving", () => {
  it("serves one small model on L4 in its one region", async () => {
    const d = deployments(await planStack("dev"));
    expect(d.map((x) => [x.region, x.endpoint, x.track, x.gpuClass, x.gpus])).toEqual([["us-west-2", "chat-small", "stable", "l4", "1"]]);
  });
});
