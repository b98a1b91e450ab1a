import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as ec2 from "@pulumi/aws/ec2";
import * as eks from "@pulumi/aws/eks";
import * as s3 from "@pulumi/aws/s3";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { PlanDocument, PlanResource } from "../../lib/plan/document";
import { diffPlans, excerptPair, parseDocument, propertyChanges, renderCostDelta, renderDiff } from "../../lib/plan/diff";
import { DATA_HOLDING, DATA_LOSS_POLICY, dataLossViolations } from "../../lib/plan/dataLoss";
import { planVerdict } from "../../lib/plan/summary";
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

/**
 * A small program with a GPU node group (replace-only inputs), the Karpenter NodePool the GPU capacity is
 * read from, a bucket, a log group and a secret-bearing parameter.
 */
function program(v: Variant) {
  return () => {
    const provider = regionProvider("us-east-1");
    const instanceType = v.instanceType ?? "g6.12xlarge";
    const maxNodes = v.maxSize ?? 2;
    const gpusPerNode = instanceType === "g6.48xlarge" ? 8 : 4;
    new k8s.apiextensions.CustomResource("gpu-l4", {
      apiVersion: "karpenter.sh/v1",
      kind: "NodePool",
      metadata: { name: "gpu-l4", annotations: { "llm-blueprint.io/capacity": JSON.stringify({ instanceType, minNodes: 1, maxNodes }) } },
      spec: { template: { metadata: { labels: { "gpu.class": "l4" } } }, limits: { "nvidia.com/gpu": String(maxNodes * gpusPerNode) } },
    });
    new eks.NodeGroup(
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
    new s3.Bucket("models", { bucket: "models-bucket", tags: { owner: v.bucketTag ?? "ml" } }, { provider });
    if (v.extraBucket) new s3.Bucket("scratch", { bucket: "scratch-bucket" }, { provider });
    new cloudwatch.LogGroup(v.logsName ?? "logs", { retentionInDays: 30 }, { provider, aliases: v.logsAlias ? [{ name: v.logsAlias }] : [] });
    new s3.Bucket("notes", { bucket: "notes-bucket", tags: { note: v.secretValue ?? pulumi.secret("first-plaintext") } }, { provider });
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

describe("long strings and documents", () => {
  const policy = (actions: string[], resource: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Read", Effect: "Allow", Action: actions, Resource: [resource] }] });

  it("diffs a JSON document (an IAM policy) by path inside it", () => {
    const before = policy(["s3:GetObject"], "arn:aws:s3:::models/llama/*");
    const after = policy(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::models/llama/*");
    expect(propertyChanges({ policy: before }, { policy: after })).toEqual([{ path: "policy", within: "Statement[0].Action[1]", format: "JSON", new: "s3:ListBucket" }]);
  });

  it("diffs a multi-line YAML document (Helm values as text) by path inside it", () => {
    const before = "controller:\n  replicas: 2\n  resources:\n    limits: { cpu: 500m }\n";
    const after = "controller:\n  replicas: 3\n  resources:\n    limits: { cpu: 500m }\n";
    expect(propertyChanges({ values: before }, { values: after })).toEqual([{ path: "values", within: "controller.replicas", format: "YAML", old: 2, new: 3 }]);
  });

  it("keeps plain text, PromQL and scalars as strings", () => {
    expect(parseDocument("sum(rate(x[5m])) > 1")).toBeUndefined();
    expect(parseDocument("just a line: with a colon")).toBeUndefined();
    expect(parseDocument("{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}")).toBeUndefined();
    expect(parseDocument('{"a":1}')).toEqual({ format: "JSON", value: { a: 1 } });
  });

  it("shows the words around a change in a long PromQL expression, never two identical excerpts", () => {
    const expr = (t: string) =>
      `histogram_quantile(0.99, sum by (le, llm_blueprint_track) (rate(vllm:time_to_first_token_seconds_bucket{namespace="chat-small",llm_blueprint_endpoint="chat-small"}[5m]))) > ${t}`;
    const [a, b] = excerptPair(expr("1"), expr("2"));
    expect(a).not.toBe(b);
    expect(a.endsWith("> 1")).toBe(true);
    expect(b.endsWith("> 2")).toBe(true);
    expect(a.startsWith("…")).toBe(true);
    expect(a.length).toBeLessThan(40);
    // A change in the middle keeps context on both sides, cut at word boundaries.
    const [c, d] = excerptPair(expr("1").replace("llm_blueprint_track", "llm_blueprint_version"), expr("1"));
    expect(c).toContain("llm_blueprint_version");
    expect(d).toContain("llm_blueprint_track");
    expect(c.startsWith("…") && c.endsWith("…")).toBe(true);
  });

  it("never gives two equal excerpts for different strings (insertions, deletions, long middles)", () => {
    // Deterministic pseudo-random pairs that share long prefixes and suffixes.
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const words = ["sum", "rate(", "x", "[5m]", ")", " ", ">", "1", "by", "(le)", ",", "{a=\"b\"}"];
    const text = (n: number) => Array.from({ length: n }, () => words[rnd(words.length)]).join("");
    for (let i = 0; i < 500; i++) {
      const prefix = text(rnd(40));
      const suffix = text(rnd(40));
      const a = prefix + text(rnd(30)) + suffix;
      const b = prefix + text(rnd(30)) + suffix;
      if (a === b) continue;
      const [x, y] = excerptPair(a, b);
      expect(x, `${a} / ${b}`).not.toBe(y);
    }
  });

  it("renders a long string change on separate old / new lines within the width, and a document change by path", () => {
    const base = doc([]);
    const mk = (expr: string, pol: string): PlanDocument =>
      doc([
        {
          urn: "urn:pulumi:test::llm-blueprint::kubernetes:monitoring.coreos.com/v1:PrometheusRule::slo",
          type: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
          name: "slo",
          custom: true,
          inputs: { spec: { groups: [{ rules: [{ expr }] }] }, policy: pol },
          options: { protect: false, retainOnDelete: false, ignoreChanges: [], dependsOn: [], deleteBeforeReplace: false, aliases: [] },
        },
      ]);
    const long = "histogram_quantile(0.99, sum by (le) (rate(vllm:e2e_request_latency_seconds_bucket{namespace=\"chat-small-with-a-long-name\"}[5m]))) > ";
    const text = renderDiff(diffPlans(mk(long + "1", policy(["s3:GetObject"], "arn:aws:s3:::a/*")), mk(long + "2", policy(["s3:GetObject"], "arn:aws:s3:::b/*"))), "base.json");
    expect(base.resources).toEqual([]);
    expect(text).toContain('policy (JSON) Statement[0].Resource[0]: "arn:aws:s3:::a/*" => "arn:aws:s3:::b/*"');
    expect(text).toMatch(/spec\.groups\[0\]\.rules\[0\]\.expr: "….*> 1" => "….*> 2"/);
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(120);
  });
});

describe("data at risk", () => {
  const opts = { protect: false, retainOnDelete: false, ignoreChanges: [], dependsOn: [], deleteBeforeReplace: false, aliases: [] };
  const r = (name: string, type: string, o: Partial<typeof opts> = {}, inputs: Record<string, unknown> = {}): PlanResource => ({
    urn: `urn:pulumi:test::llm-blueprint::${type}::${name}`,
    type,
    name,
    custom: true,
    inputs,
    options: { ...opts, ...o },
  });
  const base = doc([
    r("models", "aws:s3/bucket:Bucket", { protect: true, retainOnDelete: true }),
    r("logs", "aws:cloudwatch/logGroup:LogGroup"),
    r("role", "aws:iam/role:Role"),
    r("key", "aws:kms/key:Key", {}, { description: "a" }),
    r("vpc", "aws:ec2/vpc:Vpc", { protect: true }, { cidrBlock: "10.0.0.0/16" }),
  ]);

  it("lists deletes and replaces of protected, retained and data-holding resources, data lost first", () => {
    const head = doc([r("key", "aws:kms/key:Key", {}, { description: "b" }), r("vpc", "aws:ec2/vpc:Vpc", { protect: true }, { cidrBlock: "10.1.0.0/16" })]);
    const d = diffPlans(base, head);
    expect(d.dataAtRisk.map((x) => [x.action, x.name, x.dataLost, x.reasons])).toEqual([
      ["delete", "logs", true, ["data lost (log group)"]],
      ["replace", "vpc", false, ["protected: pulumi up refuses"]],
      ["delete", "models", false, ["protected: pulumi up refuses", "retained: left unmanaged with its data"]],
    ]);
    // An in-place update of a data-holding resource (the key's description) and the role's delete are not at risk.
    expect(d.changes.map((c) => [c.action, c.name])).toContainEqual(["update", "key"]);
    expect(d.changes.map((c) => [c.action, c.name])).toContainEqual(["delete", "role"]);
  });

  it("is empty when nothing is deleted or replaced", () => {
    expect(diffPlans(base, base).dataAtRisk).toEqual([]);
  });
});

describe("cost delta", () => {
  const range = (min: number, max: number) => ({ min, max });
  it("says unpriced when the new plan has items without a price, instead of a small delta", () => {
    const text = renderCostDelta({
      before: range(1, 2),
      after: range(1.01, 2.01),
      unpricedBefore: 0,
      unpricedAfter: 1,
      newlyUnpriced: [{ region: "eu-west-1", component: "GpuCluster", resource: "eu-west-1-cluster-eks", reason: "no prices for region eu-west-1" }],
    });
    expect(text).toContain("delta unpriced: 1 new item(s) without a price in eu-west-1 (no prices for region eu-west-1)");
    expect(text).not.toMatch(/\+\$0\.01/);
  });

  it("shows cents, and <$0.01 for a delta that is not zero but rounds to it", () => {
    expect(renderCostDelta({ before: range(1, 2), after: range(1, 2.5), unpricedBefore: 0, unpricedAfter: 0, newlyUnpriced: [] })).toBe("$1.00 / $2.00 => $1.00 / $2.50 (+$0.00 / +$0.50)");
    expect(renderCostDelta({ before: range(1, 2), after: range(1.001, 2), unpricedBefore: 0, unpricedAfter: 0, newlyUnpriced: [] })).toContain("(+<$0.01 / +$0.00)");
  });
});

describe("replacement propagation", () => {
  /** A VPC, its subnet, an EKS cluster in it and a node group on the cluster, as the platform wires them. */
  const network = (cidr: string, clusterName = "c") => () => {
    const provider = regionProvider("us-east-1");
    const vpc = new ec2.Vpc("vpc", { cidrBlock: cidr }, { provider });
    const subnet = new ec2.Subnet("private-a", { vpcId: vpc.id, cidrBlock: cidr.replace(/\/16$/, "/20"), availabilityZone: "us-east-1a" }, { provider });
    const cluster = new eks.Cluster("eks", { name: clusterName, roleArn: "arn:aws:iam::123456789012:role/c", vpcConfig: { subnetIds: [subnet.id] } }, { provider, protect: true });
    new eks.NodeGroup("gpu", { clusterName: cluster.name, nodeRoleArn: "arn:aws:iam::123456789012:role/n", subnetIds: [subnet.id], scalingConfig: { minSize: 1, maxSize: 1, desiredSize: 1 } }, { provider });
    new eks.Addon("coredns", { clusterName: cluster.name, addonName: "coredns" }, { provider });
  };
  const replaces = (d: ReturnType<typeof diffPlans>) => Object.fromEntries(d.changes.filter((c) => c.action === "replace").map((c) => [c.name, { because: c.replaceBecause ?? [], with: c.replacedWith ?? [] }]));

  it("gives the same ids to the same inputs: two plans of one program do not differ", async () => {
    expect(diffPlans(doc(await plan(network("10.0.0.0/16"))), doc(await plan(network("10.0.0.0/16")))).changes).toEqual([]);
  });

  it("carries a VPC CIDR change to the subnets, the cluster that cannot leave its VPC, and its node groups and add-ons", async () => {
    const d = diffPlans(doc(await plan(network("10.0.0.0/16"))), doc(await plan(network("10.9.0.0/16"))));
    const r = replaces(d);
    expect(Object.keys(r).sort()).toEqual(["coredns", "eks", "gpu", "private-a", "vpc"]);
    expect(r.vpc.because).toEqual(["cidrBlock"]);
    expect(r["private-a"].because).toEqual(["cidrBlock", "vpcId"]);
    // The provider would update vpc_config.subnet_ids in place; EKS refuses subnets of another VPC.
    expect(r.eks).toEqual({ because: [], with: [expect.stringMatching(/aws:ec2\/subnet:Subnet::private-a$/)] });
    expect(r.gpu.because).toEqual(["subnetIds"]);
    // The add-on's clusterName reads the same, but it comes from a replaced cluster: a real preview replaces it.
    expect(r.coredns).toEqual({ because: [], with: [expect.stringMatching(/aws:eks\/cluster:Cluster::eks$/)] });
    expect(d.dataAtRisk.map((x) => [x.action, x.name, x.dataLost])).toEqual([["replace", "eks", true]]);
    expect(renderDiff(d, "base.json")).toContain("+- aws:eks/addon:Addon coredns (replaced with eks)");
  });

  it("replaces everything keyed on a renamed cluster, and only that: the network stays", async () => {
    const r = replaces(diffPlans(doc(await plan(network("10.0.0.0/16", "c"))), doc(await plan(network("10.0.0.0/16", "llmx-c")))));
    expect(Object.keys(r).sort()).toEqual(["coredns", "eks", "gpu"]);
    expect(r.eks.because).toEqual(["name"]);
    expect(r.gpu.because).toEqual(["clusterName"]);
  });
});

describe("data at risk: what is lost, where, and the prod gate", () => {
  const opts = { protect: false, retainOnDelete: false, ignoreChanges: [], dependsOn: [], deleteBeforeReplace: false, aliases: [] };
  const urn = (project: string, type: string, name: string) => `urn:pulumi:prod::${project}::${type}::${name}`;
  const r = (project: string, name: string, type: string, o: Partial<typeof opts> = {}): PlanResource => ({ urn: urn(project, type, name), type, name, custom: true, project, inputs: {}, options: { ...opts, ...o } });
  const P = "llm-blueprint-platform";
  const S = "llm-blueprint-serving";
  const base = doc([
    r(P, "audit", "aws:cloudwatch/logGroup:LogGroup"),
    r(P, "eks", "aws:eks/cluster:Cluster", { protect: true }),
    r(P, "api", "aws:route53/record:Record"),
    r(S, "hf-token", "aws:secretsmanager/secret:Secret"),
    r(S, "role", "aws:iam/role:Role"),
  ]);
  const d = diffPlans(base, doc([]));
  const where = { prod: true, packName: "llm-blueprint-policies", baseLabel: "base.json", namespace: "llm-blueprint" };

  it("names each type's loss in one phrase, with region and project, at the top of the diff", () => {
    expect(d.dataAtRisk.map((x) => [x.name, x.project, x.lost])).toEqual([
      // Data that goes first; among it, what the engine refuses (protected) first.
      ["eks", P, DATA_HOLDING["aws:eks/cluster:Cluster"].loses],
      ["audit", P, DATA_HOLDING["aws:cloudwatch/logGroup:LogGroup"].loses],
      ["api", P, DATA_HOLDING["aws:route53/record:Record"].loses],
      ["hf-token", S, DATA_HOLDING["aws:secretsmanager/secret:Secret"].loses],
    ]);
    const lines = renderDiff(d, "base.json").split("\n");
    expect(lines[0]).toBe("Data at risk against base.json: 4 protected, retained or data-holding resource(s) deleted or replaced; 4 lose their data");
    expect(lines[1]).toBe(`  delete  aws:eks/cluster:Cluster eks (global, ${P})`);
    // Wrapped under the entry at 120 columns.
    expect(lines.slice(2, 4).map((l) => l.trim()).join(" ")).toBe(`data lost (EKS cluster), protected: pulumi up refuses; loses ${DATA_HOLDING["aws:eks/cluster:Cluster"].loses}`);
    expect(lines[3].startsWith(" ".repeat(12))).toBe(true);
    expect(lines.findIndex((l) => l.startsWith("Changes against"))).toBeGreaterThan(lines.findIndex((l) => l.includes("hf-token")));
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(120);
  });

  it("exits 4 with --fail-on-diff when data is at risk, 3 for other changes, and 1 still wins", () => {
    const head = doc([]);
    expect(planVerdict(head, { diff: d, baseLabel: "base.json", failOnDiff: true })).toMatchObject({ exitCode: 4, reason: "data at risk: 4 protected, retained or data-holding resources deleted or replaced against base.json with --fail-on-diff" });
    expect(planVerdict(head, { diff: diffPlans(doc([r(P, "role2", "aws:iam/role:Role")]), head), baseLabel: "base.json", failOnDiff: true }).exitCode).toBe(3);
    expect(planVerdict(head, { diff: d, baseLabel: "base.json" }).exitCode).toBe(0);
    const violated: PlanDocument = { ...head, policy: { violations: dataLossViolations(d.dataAtRisk, [], where) } };
    expect(planVerdict(violated, { diff: d, failOnDiff: true }).exitCode).toBe(1);
  });

  it("blocks every data-at-risk change in prod unless its project's allow list names it", () => {
    const all = dataLossViolations(d.dataAtRisk, [], where);
    expect(all.map((v) => [v.policy, v.enforcementLevel, v.urn])).toEqual(d.dataAtRisk.map((x) => [DATA_LOSS_POLICY, "mandatory", x.urn]));
    expect(all[0].message).toBe(
      `prod change against base.json would delete Cluster eks (global, ${P}): data lost (EKS cluster), protected: pulumi up refuses; loses ${DATA_HOLDING["aws:eks/cluster:Cluster"].loses}. ` +
        `If that is intended, name it in llm-blueprint:dataLossAllowList of its project's stack file: { urn: "${urn(P, "aws:eks/cluster:Cluster", "eks")}", reason: "<why>" }`,
    );
    const sources = [
      { file: "platform/stacks/Pulumi.prod.yaml", project: P, raw: JSON.stringify([{ urn: urn(P, "aws:eks/cluster:Cluster", "eks"), reason: "move to the new VPC" }]) },
      { file: "serving/stacks/Pulumi.prod.yaml", project: S, raw: [{ urn: urn(S, "aws:secretsmanager/secret:Secret", "hf-token"), reason: "token moved to the shared secret" }] },
    ];
    expect(dataLossViolations(d.dataAtRisk, sources, where).map((v) => v.urn)).toEqual([urn(P, "aws:cloudwatch/logGroup:LogGroup", "audit"), urn(P, "aws:route53/record:Record", "api")]);
    // Outside prod the gate only warns through the diff; the allow list is still checked.
    expect(dataLossViolations(d.dataAtRisk, sources, { ...where, prod: false })).toEqual([]);
  });

  it("fails closed on an allow-list entry this change does not need, one for the other project, or one without a reason", () => {
    const stale = { file: "platform/stacks/Pulumi.prod.yaml", project: P, raw: [{ urn: urn(P, "aws:s3/bucket:Bucket", "models"), reason: "old change" }] };
    expect(() => dataLossViolations(d.dataAtRisk, [stale], where)).toThrow(
      `platform/stacks/Pulumi.prod.yaml: llm-blueprint:dataLossAllowList[0] allows ${urn(P, "aws:s3/bucket:Bucket", "models")}, which this change against base.json does not delete or replace (at risk: 4 resource(s), listed under "data at risk"); remove the entry once its change is deployed`,
    );
    expect(() => dataLossViolations([], [stale], { ...where, prod: false })).toThrow(/does not delete or replace \(nothing is at risk\)/);
    const foreign = { file: "serving/stacks/Pulumi.prod.yaml", project: S, raw: [{ urn: urn(P, "aws:eks/cluster:Cluster", "eks"), reason: "x" }] };
    expect(() => dataLossViolations(d.dataAtRisk, [foreign], where)).toThrow(`serving/stacks/Pulumi.prod.yaml: llm-blueprint:dataLossAllowList[0] names ${urn(P, "aws:eks/cluster:Cluster", "eks")}, a resource of ${P}; list it in the stack file of that project (this file is ${S}'s)`);
    const noReason = { file: "platform/stacks/Pulumi.prod.yaml", project: P, raw: [{ urn: urn(P, "aws:eks/cluster:Cluster", "eks"), reason: " " }] };
    expect(() => dataLossViolations(d.dataAtRisk, [noReason], where)).toThrow(/dataLossAllowList\[0\] must be \{ urn: "urn:pulumi:\.\.\.", reason: "<why this data may go>" \}/);
  });
});
