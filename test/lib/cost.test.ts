import * as eks from "@pulumi/aws/eks";
import * as lb from "@pulumi/aws/lb";
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { estimateCost, healthCheckFeatures } from "../../lib/plan/cost";
import { PlanDocument } from "../../lib/plan/document";
import { recordProgram } from "../../tools/engine/record";
import { DEFAULT_PRICE_FILE } from "../../tools/engine/run";
import { PriceFile, readPriceFile } from "../../lib/pricing";
import { combinedStackConfig, entryPoint, plan, regionProvider } from "../harness";

const root = path.resolve(__dirname, "../..");
const prices = readPriceFile(path.join(root, DEFAULT_PRICE_FILE));

describe("the price file", () => {
  it("names a source and a read date for every figure, and prices the regions the stacks use", () => {
    for (const s of Object.values(prices.sources)) expect(s.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Object.keys(prices.regions).sort()).toEqual(["us-east-1", "us-east-2", "us-west-2"]);
  });
});

describe("cost of the dev stack", () => {
  let dev: PlanDocument;
  beforeAll(async () => {
    const { config, secretKeys } = combinedStackConfig("dev");
    const program = await entryPoint();
    const run = await recordProgram(() => program(), { project: "llm-blueprint", stack: "dev", config, secretKeys });
    const doc: PlanDocument = { stack: "dev", project: "llm-blueprint", resources: run.resources, outputs: run.outputs, policy: { violations: [] } };
    dev = { ...doc, cost: estimateCost(doc, prices) };
  });

  it("equals the figure worked out by hand from the stack file and the price file", () => {
    // dev (us-west-2): one EKS cluster (0.10/h), one NAT gateway (0.045/h), system pool 2-3 x
    // m7i.large (0.1008/h) with 100 GiB gp3 each, L4 Karpenter pool 0-2 x g6.2xlarge (0.9776/h) with
    // 300 GiB gp3 each; gp3 is 0.08 per GiB-month over 730 h.
    const gp3PerGiBHour = 0.08 / 730;
    const min = 0.1 + 0.045 + 2 * 0.1008 + 2 * 100 * gp3PerGiBHour;
    const max = 0.1 + 0.045 + 3 * 0.1008 + 3 * 100 * gp3PerGiBHour + 2 * 0.9776 + 2 * 300 * gp3PerGiBHour;
    expect(dev.cost!.total.hourly.min).toBeCloseTo(min, 5);
    expect(dev.cost!.total.hourly.max).toBeCloseTo(max, 5);
    expect(dev.cost!.total.monthly.min).toBeCloseTo(min * 730, 2);
    expect(dev.cost!.total.monthly.max).toBeCloseTo(max * 730, 2);
    // Provisioned gp3 throughput of the GPU nodes' root volumes has no figure in the price file: listed, not zero.
    expect(dev.cost!.unpriced.map((u) => u.reason)).toEqual(["provisioned gp3 throughput and IOPS of GPU node root volumes (above 125 MiB/s and 3000 IOPS)"]);
  });

  it("breaks the figure down by region, component and pool", () => {
    const lines = dev.cost!.lines.map((l) => [l.region, l.component, l.resource, l.kind, l.detail]);
    expect(lines).toContainEqual(["us-west-2", "KarpenterGpuPools", "us-west-2-karpenter-l4-nodepool", "nodes", "0-2 x g6.2xlarge"]);
    expect(lines).toContainEqual(["us-west-2", "KarpenterGpuPools", "us-west-2-karpenter-l4-nodepool", "node volumes", "0-2 x 300 GiB gp3"]);
    expect(lines).toContainEqual(["us-west-2", "NodePool", "us-west-2-system-ng", "nodes", "2-3 x m7i.large"]);
    expect(lines).toContainEqual(["us-west-2", "GpuCluster", "us-west-2-cluster-eks", "control plane", "EKS 1.36 standard support until 2027-08-02"]);
    expect(Object.keys(dev.cost!.byRegion)).toEqual(["us-west-2"]);
  });
});

describe("estimateCost", () => {
  const tiny: PriceFile = {
    ...prices,
    regions: { "us-east-1": { ...prices.regions["us-east-1"], ec2: { source: "ec2", hourly: { "g6.12xlarge": 4 } }, "ec2-p5": undefined } },
  };

  it("reports instance types and regions without a price as unpriced, never as zero", async () => {
    const resources = await plan(() => {
      const pool = (name: string, type: string, provider: AwsProvider) =>
        new eks.NodeGroup(name, { clusterName: "c", nodeRoleArn: "arn:aws:iam::1:role/n", subnetIds: ["s"], instanceTypes: [type], scalingConfig: { minSize: 1, maxSize: 3, desiredSize: 1 } }, { provider });
      const east = regionProvider("us-east-1");
      pool("priced", "g6.12xlarge", east);
      pool("unknown-type", "p5.48xlarge", east);
      pool("unknown-region", "g6.12xlarge", regionProvider("eu-west-1"));
      new lb.LoadBalancer("alb", { loadBalancerType: "application", subnets: ["s"] }, { provider: east });
    });
    const cost = estimateCost({ stack: "t", project: "p", resources, outputs: {}, policy: { violations: [] } }, tiny);
    expect(cost.lines.map((l) => [l.resource, l.hourly])).toEqual([["priced", { min: 4, max: 12 }]]);
    expect(cost.unpriced.map((u) => [u.resource, u.reason]).sort()).toEqual([
      ["alb", "load balancer type application has no price; only network is listed"],
      ["unknown-region", "no prices for region eu-west-1"],
      ["unknown-type", "no on-demand price for p5.48xlarge in us-east-1"],
    ]);
    expect(cost.total.hourly).toEqual({ min: 4, max: 12 });
  });

  it("bills a health check's optional features on top of the basic check", () => {
    expect(healthCheckFeatures({ type: "HTTPS_STR_MATCH", requestInterval: 10, measureLatency: true })).toEqual(["HTTPS", "string matching", "10 s interval", "latency measurement"]);
    expect(healthCheckFeatures({ type: "HTTP", requestInterval: 30 })).toEqual([]);
  });
});
