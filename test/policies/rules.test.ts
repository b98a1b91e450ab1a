import { beforeAll, describe, expect, it } from "vitest";
import { loadApprovals } from "../../policies/pack";
import { PlanResource } from "../../lib/plan/document";
import { at, evaluate, find, recordStack } from "./harness";

const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  route: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
  nodeGroup: "aws:eks/nodeGroup:NodeGroup",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  cluster: "aws:eks/cluster:Cluster",
};

interface Container {
  image: string;
  args: string[];
  securityContext: Record<string, unknown>;
  readinessProbe?: unknown;
  resources: { limits: Record<string, string> };
}
const pod = (d: PlanResource) => at<{ containers: Container[]; volumes: unknown[]; tolerations: unknown[] }>(d, "spec.template.spec");
const container = (d: PlanResource) => pod(d).containers[0];
const setFlag = (d: PlanResource, flag: string, value: string) => {
  const args = container(d).args;
  args[args.indexOf(flag) + 1] = value;
};

let prod: PlanResource[];
let staging: PlanResource[];
beforeAll(async () => {
  prod = await recordStack("prod");
  staging = await recordStack("staging");
});

/** Runs one policy and returns [policy, resource name] of each violation. */
async function hits(policy: string, mutate?: (rs: PlanResource[]) => void, resources = () => prod, config = {}) {
  const vs = await evaluate(resources(), { policy, mutate, config });
  for (const v of vs) expect(v.policy).toBe(policy);
  return vs.map((v) => v.urn!.split("::").pop()!);
}

describe("the committed stacks pass the whole pack", () => {
  it.each(["prod", "staging"])("%s has no violation", async (stack) => {
    expect(await evaluate(stack === "prod" ? prod : staging)).toEqual([]);
  });
});

describe("approved-model-versions", () => {
  const p = "approved-model-versions";
  const withStatus = (name: string, status: string) => ({ [p]: { models: loadApprovals().models.map((m) => (m.name === name ? { ...m, status } : m)) } });

  it("blocks a version that is not on the list, and one whose artifacts changed", async () => {
    expect(
      await hits(p, (rs) => {
        const d = find(rs, T.deployment, "us-west-2-chat-large-stable-deployment");
        at<Record<string, string>>(d, "spec.template.metadata.annotations")["llm-blueprint/version"] = `llama-3.1-70b-instruct@${"f".repeat(40)}`;
        at<Record<string, string>>(find(rs, T.deployment, "us-east-2-chat-small-stable-deployment"), "spec.template.metadata.annotations")["llm-blueprint/artifact-digest"] = `sha256:${"0".repeat(64)}`;
      }),
    ).toEqual(["us-west-2-chat-large-stable-deployment", "us-east-2-chat-small-stable-deployment"]);
  });

  it("blocks a revoked version everywhere it runs", async () => {
    expect(await hits(p, undefined, () => prod, withStatus("llama-3.1-70b-instruct", "revoked"))).toEqual([
      "us-east-1-chat-large-stable-deployment",
      "us-west-2-chat-large-stable-deployment",
      "us-east-2-chat-large-stable-deployment",
    ]);
  });

  it("lets a candidate shadow, but never be the version Flagger rolls out (it would take live traffic at the first step)", async () => {
    const fp8Candidate = withStatus("llama-3.1-8b-instruct-fp8", "candidate");
    expect(await hits(p, undefined, () => staging, fp8Candidate)).toEqual([]); // staging shadows it
    expect(await hits(p, undefined, () => prod, fp8Candidate)).toEqual(["us-east-1-chat-small-stable-deployment", "us-west-2-chat-small-stable-deployment", "us-east-2-chat-small-stable-deployment"]);
    expect(await hits(p, undefined, () => staging, withStatus("llama-3.1-8b-instruct", "candidate"))).toContain("us-east-1-chat-small-stable-deployment");
  });
});

describe("workload-labels-match-args", () => {
  const p = "workload-labels-match-args";
  it("passes when labels, annotations, args and image agree", async () => {
    expect(await hits(p)).toEqual([]);
  });
  it("blocks a workload whose --model loads another revision than its labels say", async () => {
    expect(await hits(p, (rs) => setFlag(find(rs, T.deployment, "us-east-1-chat-large-stable-deployment"), "--model", `s3://b/models/llama-3.1-70b-instruct/${"e".repeat(40)}`))).toEqual([
      "us-east-1-chat-large-stable-deployment",
    ]);
  });
  it("blocks a stale profile hash and an image digest annotation that does not match the image", async () => {
    const vs = await hits(p, (rs) => {
      const d = find(rs, T.deployment, "us-east-2-chat-small-stable-deployment");
      at<Record<string, string>>(d, "spec.template.metadata.labels")["llm-blueprint/profile-hash"] = "000000000000";
      container(d).image = `docker.io/vllm/vllm-openai@sha256:${"1".repeat(64)}`;
    });
    expect(vs).toEqual(["us-east-2-chat-small-stable-deployment", "us-east-2-chat-small-stable-deployment"]);
  });
});

describe("serving-profile-matches-approval", () => {
  const p = "serving-profile-matches-approval";
  it("passes on the approved profiles", async () => {
    expect(await hits(p)).toEqual([]);
  });
  it("blocks a changed flag and an extra flag", async () => {
    expect(
      await hits(p, (rs) => {
        setFlag(find(rs, T.deployment, "us-east-1-chat-large-stable-deployment"), "--max-model-len", "65536");
        container(find(rs, T.deployment, "us-west-2-chat-small-stable-deployment")).args.push("--quantization", "awq");
      }),
    ).toEqual(["us-east-1-chat-large-stable-deployment", "us-west-2-chat-small-stable-deployment"]);
  });
});

describe("images-pinned-by-digest", () => {
  const p = "images-pinned-by-digest";
  it("blocks a tag-only image and a runtime digest that is not approved", async () => {
    expect(await hits(p, (rs) => (container(find(rs, T.deployment, "us-east-1-chat-small-stable-deployment")).image = "vllm/vllm-openai:latest"))).toEqual(["us-east-1-chat-small-stable-deployment"]);
    const vllmWorkloads = prod.filter((r) => r.type === T.deployment && (r.inputs.metadata as { labels: Record<string, string> }).labels["llm-blueprint/track"]);
    // Two endpoints in three regions plus chat-small's warm previous version; Flagger's primaries are not the program's.
    expect(vllmWorkloads).toHaveLength(9);
    expect((await hits(p, undefined, () => prod, { [p]: { runtimeImages: [] } })).sort()).toEqual(vllmWorkloads.map((d) => d.name).sort());
  });
});

describe("no-cross-region-skew", () => {
  const p = "no-cross-region-skew";
  it("blocks a region whose stable differs, but not a shadow", async () => {
    expect(
      await hits(p, (rs) => {
        at<Record<string, string>>(find(rs, T.deployment, "us-east-2-chat-large-stable-deployment"), "spec.template.metadata.labels")["llm-blueprint/profile-hash"] = "aaaaaaaaaaaa";
      }),
    ).toEqual(["us-east-2-chat-large-stable-deployment"]);
    expect(
      await hits(
        p,
        (rs) => {
          at<Record<string, string>>(find(rs, T.deployment, "us-west-2-chat-small-shadow-deployment"), "spec.template.metadata.annotations")["llm-blueprint/version"] = "x@y";
        },
        () => staging,
      ),
    ).toEqual([]);
  });
});

describe("no-ignore-changes-on-governed-properties", () => {
  const p = "no-ignore-changes-on-governed-properties";
  it("allows the autoscaler-owned fields and blocks hiding args or taints", async () => {
    expect(await hits(p)).toEqual([]);
    expect(
      await hits(p, (rs) => {
        (find(rs, T.deployment, "us-east-1-chat-large-stable-deployment").options.ignoreChanges as string[]).push("spec.template.spec.containers");
        (find(rs, T.nodeGroup, "us-west-2-system-ng").options.ignoreChanges as string[]).push("taints");
      }),
    ).toEqual(["us-west-2-system-ng", "us-east-1-chat-large-stable-deployment"]);
  });
});

describe("pinned-platform-baseline", () => {
  const p = "pinned-platform-baseline";
  it("blocks an unpinned Kubernetes version, a GPU type or GPU AMI in the system pool, and drifted charts (Karpenter's too)", async () => {
    const vs = await hits(p, (rs) => {
      find(rs, T.cluster, "us-east-1-cluster-eks").inputs.version = "1.30";
      find(rs, T.nodeGroup, "us-west-2-system-ng").inputs.instanceTypes = ["g6.12xlarge"];
      find(rs, T.nodeGroup, "us-east-2-system-ng").inputs.amiType = "AL2023_x86_64_NVIDIA";
      rs.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "keda")!.inputs.version = "2.20.0";
      rs.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "oci://public.ecr.aws/karpenter/karpenter")!.inputs.version = "1.15.0";
    });
    expect(vs).toHaveLength(5);
    expect(vs).toEqual(expect.arrayContaining(["us-east-1-cluster-eks", "us-west-2-system-ng", "us-east-2-system-ng", "us-east-1-serving-keda", "us-east-1-karpenter-controller"]));
  });
});

describe("eks-cluster-hardening", () => {
  const p = "eks-cluster-hardening";
  it("blocks an open public endpoint, missing secrets encryption and a missing log type", async () => {
    const vs = await hits(p, (rs) => {
      const c = find(rs, T.cluster, "us-east-1-cluster-eks");
      at(c, "vpcConfig").endpointPublicAccess = true;
      delete c.inputs.encryptionConfig;
      (c.inputs.enabledClusterLogTypes as string[]).splice(1, 1);
    });
    expect(vs).toEqual(["us-east-1-cluster-eks", "us-east-1-cluster-eks", "us-east-1-cluster-eks"]);
  });
});

describe("node-hardening", () => {
  const p = "node-hardening";
  it("blocks IMDSv1, a hop limit above 1, an SSH key, unencrypted volumes, remote access and public-IP subnets", async () => {
    const vs = await hits(p, (rs) => {
      const lt = find(rs, T.lt, "us-east-1-system-lt");
      at(lt, "metadataOptions").httpTokens = "optional";
      at(lt, "metadataOptions").httpPutResponseHopLimit = 2;
      lt.inputs.keyName = "ops";
      at<{ ebs: Record<string, string> }[]>(lt, "blockDeviceMappings")[0].ebs.encrypted = "false";
      find(rs, T.nodeGroup, "us-east-1-system-ng").inputs.remoteAccess = { ec2SshKey: "ops" };
      rs.find((r) => r.type === "aws:ec2/subnet:Subnet")!.inputs.mapPublicIpOnLaunch = true;
    });
    expect(vs.filter((n) => n === "us-east-1-system-lt")).toHaveLength(4);
    expect(vs).toContain("us-east-1-system-ng");
    expect(vs).toHaveLength(6);
  });
  it("blocks a node group placed in a public subnet", async () => {
    const vs = await hits("node-hardening", (rs) => {
      const ng = find(rs, T.nodeGroup, "us-west-2-system-ng");
      const publicSubnet = rs.find((r) => r.type === "aws:ec2/subnet:Subnet" && r.name.startsWith("us-west-2-network-public-"))!;
      ng.propertyDependencies!.subnetIds = [...ng.propertyDependencies!.subnetIds, publicSubnet.urn];
    });
    expect(vs).toEqual(["us-west-2-system-ng"]);
  });
});

describe("gpu-pool-isolation", () => {
  const p = "gpu-pool-isolation";
  it("blocks an untainted GPU node group and a non-GPU workload that tolerates the taint", async () => {
    const vs = await hits(p, (rs) => {
      // A managed group of GPU instances without the taint (no-cluster-autoscaler refuses the group itself too).
      const ng = find(rs, T.nodeGroup, "us-west-2-system-ng");
      ng.inputs.instanceTypes = ["g6.12xlarge"];
      ng.inputs.labels = { "gpu.class": "l4" };
      delete container(find(rs, T.deployment, "us-east-1-chat-small-stable-deployment")).resources.limits["nvidia.com/gpu"];
    });
    expect(vs).toEqual(["us-west-2-system-ng", "us-east-1-chat-small-stable-deployment"]);
  });
});

describe("s3-bucket-baseline", () => {
  const p = "s3-bucket-baseline";
  const s3 = (rs: PlanResource[], type: string, nameEnd: string) => find(rs, `aws:s3/${type}`, nameEnd);
  it("blocks public access, non-KMS encryption, suspended versioning, no TLS policy and no protection on a data bucket", async () => {
    const vs = await hits(p, (rs) => {
      s3(rs, "bucketPublicAccessBlock:BucketPublicAccessBlock", "us-west-2-registry-models").inputs.blockPublicPolicy = false;
      at<{ applyServerSideEncryptionByDefault: Record<string, string> }[]>(s3(rs, "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "us-west-2-registry-models"), "rules")[0].applyServerSideEncryptionByDefault.sseAlgorithm = "AES256";
      at(s3(rs, "bucketVersioning:BucketVersioning", "us-west-2-registry-models"), "versioningConfiguration").status = "Suspended";
      s3(rs, "bucketPolicy:BucketPolicy", "us-west-2-registry-models").inputs.policy = JSON.stringify({ Version: "2012-10-17", Statement: [] });
      (s3(rs, "bucket:Bucket", "us-west-2-registry-models").options as { protect: boolean }).protect = false;
    });
    expect(vs).toEqual(Array(5).fill("us-west-2-registry-models"));
  });
  it("requires the registry buckets of a multi-region stack to be replicated", async () => {
    const vs = await hits(p, (rs) => rs.splice(rs.findIndex((r) => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig"), 1));
    expect(vs.sort()).toEqual(["us-east-1-registry-models", "us-east-2-registry-models", "us-west-2-registry-models"]);
  });
});

describe("kms-key-rotation", () => {
  it("blocks a key without rotation", async () => {
    expect(await hits("kms-key-rotation", (rs) => (find(rs, "aws:kms/key:Key", "us-east-1-registry-key").inputs.enableKeyRotation = false))).toEqual(["us-east-1-registry-key"]);
  });
});

describe("logs-and-alerts-encrypted", () => {
  it("blocks an unencrypted or never-expiring log group and an unencrypted alert topic", async () => {
    expect(
      await hits("logs-and-alerts-encrypted", (rs) => {
        delete find(rs, "aws:cloudwatch/logGroup:LogGroup", "us-east-1-network-flow-logs").inputs.kmsKeyId;
        delete find(rs, "aws:cloudwatch/logGroup:LogGroup", "us-west-2-observability-containers").inputs.retentionInDays;
        delete find(rs, "aws:sns/topic:Topic", "us-east-2-observability-alerts").inputs.kmsMasterKeyId;
      }).then((names) => names.sort()),
    ).toEqual(["us-east-1-network-flow-logs", "us-east-2-observability-alerts", "us-west-2-observability-containers"]);
  });
});

describe("iam-least-privilege", () => {
  const p = "iam-least-privilege";
  const doc = (r: PlanResource) => JSON.parse(r.inputs.policy as string) as { Statement: Record<string, unknown>[] };
  it("blocks wildcard actions on every resource, and a model reader that can write or read the whole bucket", async () => {
    const vs = await hits(p, (rs) => {
      const flow = find(rs, "aws:iam/rolePolicy:RolePolicy", "us-east-1-network-flow-logs");
      flow.inputs.policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "logs:*", Resource: "*" }] });
      const reader = find(rs, "aws:iam/rolePolicy:RolePolicy", "us-west-2-chat-large-stable-reader");
      const d = doc(reader);
      d.Statement[1].Action = ["s3:GetObject", "s3:PutObject"];
      d.Statement[1].Resource = String(d.Statement[1].Resource).replace(/\/models\/.*$/, "/*");
      reader.inputs.policy = JSON.stringify(d);
    });
    expect(vs).toEqual(["us-east-1-network-flow-logs", "us-west-2-chat-large-stable-reader", "us-west-2-chat-large-stable-reader"]);
  });
});

describe("pod-hardening", () => {
  const p = "pod-hardening";
  it("blocks privilege escalation, hostPath, missing probes and a workload without a PDB", async () => {
    const vs = await hits(p, (rs) => {
      const d = find(rs, T.deployment, "us-east-1-chat-small-stable-deployment");
      container(d).securityContext.allowPrivilegeEscalation = true;
      pod(d).volumes.push({ name: "host", hostPath: { path: "/var" } });
      delete container(d).readinessProbe;
      rs.splice(rs.findIndex((r) => r.type === "kubernetes:policy/v1:PodDisruptionBudget" && r.name === "us-east-2-chat-large-stable-pdb"), 1);
    });
    expect(vs.filter((n) => n === "us-east-1-chat-small-stable-deployment")).toHaveLength(3);
    expect(vs).toContain("us-east-2-chat-large-stable-deployment");
  });
});

describe("failover-readiness", () => {
  const p = "failover-readiness";
  it("blocks a standby that scales to zero and a routed record without a health check", async () => {
    const vs = await hits(p, (rs) => {
      at(find(rs, "kubernetes:keda.sh/v1alpha1:ScaledObject", "us-east-2-chat-large-stable-autoscaler"), "spec").minReplicaCount = 0;
      const record = structuredClone(rs[1]);
      Object.assign(record, { urn: "urn:pulumi:prod::llm-blueprint::aws:route53/record:Record::api-failover", type: "aws:route53/record:Record", name: "api-failover", inputs: { name: "api.example.com", setIdentifier: "primary", failoverRoutingPolicies: [{ type: "PRIMARY" }] } });
      rs.push(record);
    });
    expect(vs.sort()).toEqual(["api-failover", "us-east-2-chat-large-stable-autoscaler"]);
  });
});

describe("per-stack pack config", () => {
  it("lets dev relax chosen security rules to advisory while prod keeps them mandatory; governance stays mandatory", async () => {
    const fs = await import("fs");
    const path = await import("path");
    const { policyPackConfigFile } = await import("../../tools/engine/run");
    const root = path.resolve(__dirname, "../..");
    const load = (stack: string) => JSON.parse(fs.readFileSync(policyPackConfigFile(root, stack)!, "utf8"));
    // Staging is previewed like prod (the workflows pass policies/config/<stack>.json for every stack).
    expect(load("staging")).toEqual(load("prod"));
    expect(policyPackConfigFile(root, "sandbox")).toBeUndefined();
    const openEndpoint = (rs: PlanResource[]) => (at(find(rs, T.cluster, "us-east-1-cluster-eks"), "vpcConfig").endpointPublicAccess = true);
    const levels = async (stack: string) => (await evaluate(prod, { mutate: openEndpoint, config: load(stack) })).map((v) => [v.policy, v.enforcementLevel]);
    // A public endpoint also lets more than the in-VPC runners reach the API, which no stack relaxes.
    expect(await levels("dev")).toEqual([["eks-cluster-hardening", "advisory"], ["cluster-api-reachable-by-runners-only", "mandatory"]]);
    expect(await levels("prod")).toEqual([["eks-cluster-hardening", "mandatory"], ["cluster-api-reachable-by-runners-only", "mandatory"]]);
    const revoked = { ...load("dev"), "approved-model-versions": { models: loadApprovals().models.map((m) => ({ ...m, status: "revoked" })) } };
    expect(new Set((await evaluate(prod, { config: revoked })).map((v) => v.enforcementLevel))).toEqual(new Set(["mandatory"]));
  });
});
