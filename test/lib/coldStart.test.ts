import { describe, expect, it } from "vitest";
import { coldStartBudgets, renderColdStart } from "../../lib/plan/coldStart";
import { PlanDocument, PlanResource } from "../../lib/plan/document";
import { renderSummary } from "../../lib/plan/summary";

const OPTIONS = { protect: false, retainOnDelete: false, ignoreChanges: [], dependsOn: [], deleteBeforeReplace: false, aliases: [] };
const BUDGET = { nodeStartSeconds: 900, imagePullSeconds: 56, weightLoadSeconds: 160, warmupSeconds: 300, readinessSeconds: 15 };

/** A vLLM Deployment in `region` as the program records it: labels, version annotation, budget annotation. */
function deployment(region: string, endpoint: string, budget: Record<string, unknown> | undefined): PlanResource[] {
  const provider: PlanResource = { urn: `urn:pulumi:s::p::pulumi:providers:aws::aws-${region}`, type: "pulumi:providers:aws", name: `aws-${region}`, custom: true, inputs: { region }, options: OPTIONS };
  const component: PlanResource = { urn: `urn:pulumi:s::p::llm-blueprint:serving:ServingRegion::${region}`, type: "llm-blueprint:serving:ServingRegion", name: region, custom: false, inputs: { region }, options: OPTIONS };
  const d: PlanResource = {
    urn: `urn:pulumi:s::p::llm-blueprint:serving:ServingRegion$kubernetes:apps/v1:Deployment::${region}-${endpoint}`,
    type: "kubernetes:apps/v1:Deployment",
    name: `${region}-${endpoint}`,
    parent: component.urn,
    custom: true,
    inputs: {
      metadata: {
        labels: { "llm-blueprint/endpoint": endpoint, "llm-blueprint/track": "stable", "llm-blueprint/model": "llama-3.1-70b-instruct", "llm-blueprint/gpu-class": "h100" },
        annotations: {
          "llm-blueprint/version": `llama-3.1-70b-instruct@${"1605565b".padEnd(40, "0")}`,
          ...(budget ? { "llm-blueprint/startup-budget": JSON.stringify(budget) } : {}),
        },
      },
      spec: { template: { spec: { containers: [{ image: `123456789012.dkr.ecr.${region}.amazonaws.com/docker-hub/vllm/vllm-openai@sha256:${"a".repeat(64)}` }] } } },
    },
    options: OPTIONS,
  };
  return [provider, component, d];
}

const doc = (resources: PlanResource[]): PlanDocument => ({ stack: "s", project: "p", resources, outputs: {}, policy: { violations: [] } });

describe("cold-start table", () => {
  it("reads every term and the total from the Deployments' recorded budgets, per region", () => {
    const rows = coldStartBudgets(doc([...deployment("us-east-1", "chat-large", { ...BUDGET, basis: { imagePull: "14 GiB from in-region ECR cache" } }), ...deployment("us-west-2", "chat-large", BUDGET)]));
    expect(rows.map((r) => [r.region, r.endpoint, r.model, r.gpuClass, r.totalSeconds])).toEqual([
      ["us-east-1", "chat-large", "llama-3.1-70b-instruct", "h100", 1431],
      ["us-west-2", "chat-large", "llama-3.1-70b-instruct", "h100", 1431],
    ]);
    expect(rows[0].terms).toEqual(BUDGET);
    expect(rows[0].basis.imagePull).toBe("14 GiB from in-region ECR cache");
  });

  it("groups regions that share a budget into one row, and shows a missing term as unknown rather than zero", () => {
    const shared = renderColdStart(coldStartBudgets(doc([...deployment("us-east-1", "chat-large", BUDGET), ...deployment("us-west-2", "chat-large", BUDGET)])));
    expect(shared[0].trim().split(/\s{2,}/).map((c) => c.trim())).toEqual(["model", "revision", "class", "node", "pull", "load", "warm-up", "ready", "total", "serves"]);
    expect(shared[1].trim().split(/\s{2,}/).map((c) => c.trim())).toEqual(["llama-3.1-70b-instruct", "1605565b", "h100", "900 s", "56 s", "160 s", "300 s", "15 s", "1431 s", "chat-large/stable in 2 regions"]);
    const partial = renderColdStart(coldStartBudgets(doc(deployment("us-east-1", "chat-large", { ...BUDGET, readinessSeconds: undefined }))));
    expect(partial[1]).toMatch(/300 s\s+\?\s+\?\s+chat-large\/stable in us-east-1$/);
  });

  it("prints in the plan summary, and not at all without served models", () => {
    expect(renderSummary(doc(deployment("us-east-1", "chat-large", BUDGET)))).toContain("Cold start per served version (new GPU node to serving, seconds, as each Deployment budgets it)");
    expect(renderSummary(doc([]))).not.toContain("Cold start");
  });
});
