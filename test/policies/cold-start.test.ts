import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { at, evaluate, find, recordStack } from "./harness";

const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  rule: "aws:ecr/pullThroughCacheRule:PullThroughCacheRule",
  failover: "llm-blueprint:serving:FailoverEstimate",
};
const POLICIES = ["runtime-image-from-regional-cache", "image-pull-inside-vpc", "failover-scale-up-is-cold-start"];
const chatLarge = (rs: PlanResource[]) => find(rs, T.deployment, "us-east-1-chat-large-stable-deployment");
const container = (d: PlanResource) => at<{ image: string }[]>(d, "spec.template.spec.containers")[0];
const budgetOf = (d: PlanResource) => JSON.parse(at<Record<string, string>>(d, "metadata.annotations")["llm-blueprint/startup-budget"]) as Record<string, number>;

let prod: PlanResource[];
beforeAll(async () => {
  prod = await recordStack("prod");
});

describe("cold-start checks on the committed prod stack", () => {
  it("pass: every image from its region's cache, endpoints in every VPC, failover at the recorded budget", async () => {
    for (const policy of POLICIES) expect(await evaluate(prod, { policy })).toEqual([]);
    const image = container(chatLarge(prod)).image;
    expect(image).toMatch(/^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/docker-hub\/vllm\/vllm-openai:v0\.27\.1@sha256:0a51ea5b/);
    expect(budgetOf(chatLarge(prod)).imagePullSeconds).toBe(56);
  });
});

describe("runtime-image-from-regional-cache", () => {
  const policy = "runtime-image-from-regional-cache";
  it("fails an image pulled from Docker Hub", async () => {
    const vs = await evaluate(prod, { policy, mutate: (rs) => (container(chatLarge(rs)).image = "docker.io/vllm/vllm-openai:v0.27.1@sha256:0a51ea5b4ae2dc5d81890e5173f54203d2a3ae0cfffe51b8fd2afd4391bfd967") });
    expect(vs.map((v) => v.message)).toEqual([expect.stringContaining("chat-large/chat-large-stable: image docker.io/vllm/vllm-openai:v0.27.1@sha256:0a51ea5b")]);
    expect(vs[0].message).toContain("is not pulled by digest from an in-region ECR pull-through cache");
  });

  it("fails a cached image with another digest", async () => {
    const vs = await evaluate(prod, { policy, mutate: (rs) => (container(chatLarge(rs)).image = container(chatLarge(rs)).image.replace(/sha256:[0-9a-f]{64}/, `sha256:${"e".repeat(64)}`)) });
    expect(vs.map((v) => v.message)).toEqual([expect.stringContaining(`image digest sha256:${"e".repeat(64)} differs from the approved image's digest sha256:0a51ea5b`)]);
  });

  it("fails a pull from another region's cache", async () => {
    const vs = await evaluate(prod, { policy, mutate: (rs) => (container(chatLarge(rs)).image = container(chatLarge(rs)).image.replace("us-east-1", "us-west-2")) });
    expect(vs.map((v) => v.message)).toEqual([expect.stringContaining("is pulled from ECR in us-west-2, not from its own region us-east-1")]);
  });

  it("fails when the region has no pull-through rule for the prefix", async () => {
    const vs = await evaluate(prod, { policy, mutate: (rs) => rs.splice(rs.indexOf(rs.find((r) => r.type === T.rule && r.name.startsWith("us-east-1"))!), 1) });
    expect(vs.length).toBeGreaterThan(0);
    expect(vs.every((v) => v.message.includes('no ECR pull-through cache rule with prefix "docker-hub" in us-east-1'))).toBe(true);
  });
});

describe("image-pull-inside-vpc", () => {
  const policy = "image-pull-inside-vpc";
  const endpoint = (rs: PlanResource[], suffix: string) => find(rs, T.endpoint, `us-east-1-image-cache-${suffix}`);
  it("fails a VPC without the ECR registry endpoint", async () => {
    const vs = await evaluate(prod, { policy, mutate: (rs) => rs.splice(rs.indexOf(endpoint(rs, "ecr-dkr")), 1) });
    expect(vs.map((v) => v.message)).toEqual(["EKS cluster llm-prod-use1: VPC us-east-1-network-vpc has no Interface endpoint for com.amazonaws.us-east-1.ecr.dkr; nodes would pull images through NAT (endpoints there: com.amazonaws.us-east-1.ecr.api, com.amazonaws.us-east-1.s3)"]);
  });

  it("fails an interface endpoint without private DNS, and one whose security group admits nothing on 443", async () => {
    const vs = await evaluate(prod, {
      policy,
      mutate: (rs) => {
        endpoint(rs, "ecr-api").inputs.privateDnsEnabled = false;
        find(rs, T.securityGroup, "us-east-1-image-cache-endpoints").inputs.ingress = [];
      },
    });
    const messages = vs.map((v) => v.message);
    expect(messages).toContainEqual(expect.stringContaining("for com.amazonaws.us-east-1.ecr.api has privateDnsEnabled false"));
    expect(messages.filter((m) => m.includes("has no security group of this plan admitting TCP 443"))).toHaveLength(2);
  });

  it("fails an S3 gateway endpoint on no route table", async () => {
    const vs = await evaluate(prod, { policy, mutate: (rs) => (find(rs, T.endpoint, "us-east-1-network-s3").inputs.routeTableIds = []) });
    expect(vs.map((v) => v.message)).toEqual([expect.stringContaining("S3 gateway endpoint us-east-1-network-s3 is on no route table")]);
  });
});

describe("failover-scale-up-is-cold-start", () => {
  const policy = "failover-scale-up-is-cold-start";
  it("matches the slowest stable Deployment's recorded budget", () => {
    const est = find(prod, T.failover, "chat-large-failover");
    const term = at<{ term: string; worstSeconds: number }[]>(est, "recoveryTime.terms").find((t) => t.term === "survivor scale-up")!;
    const budgets = prod.filter((r) => r.type === T.deployment && r.name.endsWith("chat-large-stable-deployment")).map(budgetOf);
    expect(budgets).toHaveLength(3);
    expect(term.worstSeconds).toBe(Math.max(...budgets.map((b) => b.nodeStartSeconds + b.imagePullSeconds + b.weightLoadSeconds + b.warmupSeconds + b.readinessSeconds)));
  });

  it("fails an estimate that keeps its own cold-start figure", async () => {
    const vs = await evaluate(prod, {
      policy,
      mutate: (rs) => {
        const terms = at<{ term: string; worstSeconds: number }[]>(find(rs, T.failover, "chat-large-failover"), "recoveryTime.terms");
        terms.find((t) => t.term === "survivor scale-up")!.worstSeconds = 900;
      },
    });
    expect(vs.map((v) => v.message)).toEqual([expect.stringMatching(/^failover estimate of chat-large: "survivor scale-up" worst is 900 s, but its stable Deployments budget \d+ s for a new replica on a new node/)]);
  });

  it("fails when a Deployment's budget changes and the estimate does not follow", async () => {
    const vs = await evaluate(prod, {
      policy,
      mutate: (rs) => {
        const annotations = at<Record<string, string>>(chatLarge(rs), "metadata.annotations");
        annotations["llm-blueprint/startup-budget"] = JSON.stringify({ ...budgetOf(chatLarge(rs)), warmupSeconds: 900 });
      },
    });
    expect(vs.map((v) => v.message)).toEqual([expect.stringContaining('failover estimate of chat-large: "survivor scale-up" worst is')]);
  });
});
