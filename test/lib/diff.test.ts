import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { PlanDocument, PlanResource } from "../../lib/plan/document";
import { diffPlans, propertyChanges, renderDiff } from "../../lib/plan/diff";
import { plan, regionProvider } from "../harness";

const doc = (resources: PlanResource[]): PlanDocument => ({ stack: "test", project: "llm-blueprint", resources, outputs: {}, policy: { violations: [] } });

interface Variant {
  instanceType?: string;
  maxSize?: number;
  bucketTag?: string;
  extraBucket?: boolean;
  logsName?: string;
  logsAlias?: string;
  secretValue?: pulumi.Input<string>;
}

/** A small program with a GPU node group, a bucket, a log group and a secret-bearing parameter. */
function program(v: Variant) {
  return () => {
    const provider = regionProvider("us-east-1");
    new aws.eks.NodeGroup(
      "gpu",
      {
        clusterName: "c",
        nodeRoleArn: "arn:aws:iam::123456789012:role/n",
        subnetIds: ["subnet-1"],
        instanceTypes: [v.instanceType ?? "g6.12xlarge"],
        labels: { "gpu.class": "l4" },
        scalingConfig: { minSize: 1, maxSize: v.maxSize ?? 2, desiredSize: 1 },
      },
      { provider },
    );
    new aws.s3.Bucket("models", { bucket: "models-bucket", tags: { owner: v.bucketTag ?? "ml" } }, { provider });
    if (v.extraBucket) new aws.s3.Bucket("scratch", { bucket: "scratch-bucket" }, { provider });
    new aws.cloudwatch.LogGroup(v.logsName ?? "logs", { retentionInDays: 30 }, { provider, aliases: v.logsAlias ? [{ name: v.logsAlias }] : [] });
    new aws.s3.Bucket("notes", { bucket: "notes-bucket", tags: { note: v.secretValue ?? pulumi.secret("first-plaintext") } }, { provider });
  };
}
const planOf = async (v: Variant) => doc(await plan(program(v)));

describe("propertyChanges", () => {
  it("lists leaf paths with old and new values, including added and removed keys and array items", () => {
    expect(propertyChanges({ a: { b: 1, c: [1, 2] }, d: "x" }, { a: { b: 2, c: [1] }, e: true })).toEqual([
      { path: "a.b", old: 1, new: 2 },
      { path: "a.c[1]", old: 2 },
      { path: "d", old: "x" },
      { path: "e", new: true },
    ]);
    expect(propertyChanges({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([]);
  });
});

describe("diffPlans", () => {
  it("reports no change between two plans of the same program", async () => {
    const d = diffPlans(await planOf({}), await planOf({}));
    expect(d.changes).toEqual([]);
    expect(renderDiff(d, "base.json")).toContain("0 to create, 0 to update, 0 to replace, 0 to delete");
  });

  it("finds an added and a removed resource by URN", async () => {
    const base = await planOf({});
    const head = await planOf({ extraBucket: true });
    expect(diffPlans(base, head).changes.map((c) => [c.action, c.name])).toEqual([["create", "scratch"]]);
    expect(diffPlans(head, base).changes.map((c) => [c.action, c.name])).toEqual([["delete", "scratch"]]);
  });

  it("shows an in-place update with the property path and both values", async () => {
    const d = diffPlans(await planOf({}), await planOf({ bucketTag: "platform" }));
    expect(d.changes).toHaveLength(1);
    expect(d.changes[0]).toMatchObject({ action: "update", name: "models", region: "us-east-1", changes: [{ path: "tags.owner", old: "ml", new: "platform" }] });
    expect(d.changes[0].replaceBecause).toBeUndefined();
  });

  it("marks a change of a replace-only property as a replacement, and reports the GPU and cost change", async () => {
    const d = diffPlans(await planOf({}), await planOf({ instanceType: "g6.48xlarge", maxSize: 3 }));
    const ng = d.changes.find((c) => c.name === "gpu")!;
    expect(ng.action).toBe("replace");
    expect(ng.replaceBecause).toEqual(["instanceTypes"]);
    expect(ng.changes).toEqual([
      { path: "instanceTypes[0]", old: "g6.12xlarge", new: "g6.48xlarge" },
      { path: "scalingConfig.maxSize", old: 2, new: 3 },
    ]);
    // g6.12xlarge has 4 GPUs, g6.48xlarge 8: min 1 x 4 -> 1 x 8, max 2 x 4 -> 3 x 8.
    expect(d.gpus).toEqual([{ gpuClass: "l4", before: { min: 4, max: 8 }, after: { min: 8, max: 24 } }]);
    expect(renderDiff(d, "base.json")).toMatch(/\+- aws:eks\/nodeGroup:NodeGroup gpu \(replace because instanceTypes changed\)/);
  });

  it("never shows a secret's value, before or after", async () => {
    const base = await planOf({});
    const changedSecret = diffPlans(base, await planOf({ secretValue: pulumi.secret("second-plaintext") }));
    // Both sides are masked: the change cannot be seen, and no plaintext leaks.
    expect(changedSecret.changes).toEqual([]);
    const nowPlain = diffPlans(base, await planOf({ secretValue: "now-plain" }));
    expect(nowPlain.changes.map((c) => [c.name, c.changes])).toEqual([["notes", [{ path: "tags", old: "[secret]", new: { note: "now-plain" } }]]]);
    const text = JSON.stringify([changedSecret, nowPlain]) + renderDiff(nowPlain, "b");
    expect(text).not.toContain("first-plaintext");
    expect(text).not.toContain("second-plaintext");
  });

  it("treats a rename as delete plus create, unless an alias connects the names", async () => {
    const base = await planOf({});
    const renamed = diffPlans(base, await planOf({ logsName: "container-logs" }));
    expect(renamed.changes.map((c) => [c.action, c.name]).sort()).toEqual([
      ["create", "container-logs"],
      ["delete", "logs"],
    ]);
    const aliased = diffPlans(base, await planOf({ logsName: "container-logs", logsAlias: "logs" }));
    expect(aliased.changes.map((c) => [c.action, c.name, c.renamedFrom?.split("::").pop()])).toEqual([["update", "container-logs", "logs"]]);
  });

  it("sees option changes such as protect", async () => {
    const base = await planOf({});
    const head = structuredClone(base);
    const bucket = head.resources.find((r) => r.name === "models")!;
    (bucket.options as { protect: boolean }).protect = true;
    expect(diffPlans(base, head).changes[0].changes).toEqual([{ path: "(options).protect", old: false, new: true }]);
  });
});
