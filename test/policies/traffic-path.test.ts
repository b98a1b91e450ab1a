import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { sidePresent } from "../../policies/rules/common";
import { durationSeconds, envoyContainerPort, parseTargetGroupArn, preStopSeconds } from "../../policies/rules/trafficPath";
import { at, evaluate, find, recordOneStack, recordStack } from "./harness";

/** The route, its Services and the primary are Flagger's: fixtures change what Flagger generates them from. */
const CANARY = "kubernetes:flagger.app/v1beta1:Canary";

const T = {
  gateway: "kubernetes:gateway.networking.k8s.io/v1:Gateway",
  binding: "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
  listener: "aws:lb/listener:Listener",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  route: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
  netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  deployment: "kubernetes:apps/v1:Deployment",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  kmsKey: "aws:kms/key:Key",
  scaledObject: "kubernetes:keda.sh/v1alpha1:ScaledObject",
  nodeGroup: "aws:eks/nodeGroup:NodeGroup",
  k8sProvider: "pulumi:providers:kubernetes",
};

let prod: PlanResource[];
let staging: PlanResource[];
// Recording two whole stacks through the real program; slow on a shared 2-core machine.
beforeAll(async () => {
  prod = await recordStack("prod");
  staging = await recordStack("staging");
}, 300_000);

async function messages(policy: string, mutate?: (rs: PlanResource[]) => void, resources = () => prod) {
  const vs = await evaluate(resources(), { policy, mutate });
  for (const v of vs) expect(v.policy).toBe(policy);
  return vs.map((v) => v.message);
}

const inRegion = (rs: PlanResource[], type: string, region: string) => rs.filter((r) => r.type === type && r.name.startsWith(`${region}-`));
const listenersOf = (gw: PlanResource) => at<{ name: string; port: number }[]>(gw, "spec.listeners");

describe("the committed stacks pass every serving-path check", () => {
  it.each(["traffic-path", "timeout-chain", "health-check-alarm-actions", "capacity-headroom"])("%s: prod and staging", async (policy) => {
    expect(await messages(policy)).toEqual([]);
    expect(await messages(policy, undefined, () => staging)).toEqual([]);
  });
});

describe("Envoy Gateway's port model", () => {
  it("shifts privileged listener ports by 10000 unless the EnvoyProxy turns shifting off", () => {
    expect(envoyContainerPort(443, false)).toBe(10443);
    expect(envoyContainerPort(80, false)).toBe(10080);
    expect(envoyContainerPort(1023, false)).toBe(11023);
    expect(envoyContainerPort(1024, false)).toBe(1024);
    expect(envoyContainerPort(8443, false)).toBe(8443);
    expect(envoyContainerPort(443, true)).toBe(443);
  });
  it("reads Gateway API durations and preStop hooks", () => {
    expect([durationSeconds("600s"), durationSeconds("10m"), durationSeconds("1h30m"), durationSeconds("soon")]).toEqual([600, 600, 5400, undefined]);
    expect(preStopSeconds({})).toBe(0);
    expect(preStopSeconds({ lifecycle: { preStop: { sleep: { seconds: 20 } } } })).toBe(20);
    expect(preStopSeconds({ lifecycle: { preStop: { exec: { command: ["/bin/sleep", "15"] } } } })).toBe(15);
    expect(preStopSeconds({ lifecycle: { preStop: { httpGet: { path: "/drain", port: 8000 } } } })).toMatch(/no readable duration/);
  });
});

describe("reading across the projects", () => {
  it("parses target group ARNs and nothing else", () => {
    expect(parseTargetGroupArn("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/llm-prod-use1-gw/46731cdd8d39b7f3")).toEqual({ region: "us-east-1", account: "123456789012", name: "llm-prod-use1-gw" });
    expect(parseTargetGroupArn("arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:targetgroup/tg/0123abcd")?.name).toBe("tg");
    expect(parseTargetGroupArn("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/llm-prod-use1/46731cdd8d39b7f3")).toBeUndefined();
    expect(parseTargetGroupArn(`arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${"x".repeat(33)}/46731cdd8d39b7f3`)).toBeUndefined();
    expect(parseTargetGroupArn(undefined)).toBeUndefined();
  });
  it("tells a project's side present by what only it declares", () => {
    const types = (...t: string[]) => t.map((type) => ({ type }));
    expect(sidePresent(types("aws:eks/cluster:Cluster"), "platform")).toBe(true);
    expect(sidePresent(types("aws:lb/targetGroup:TargetGroup"), "platform")).toBe(true);
    // Serving's own AWS resources (add-ons, pod identity) and a platform's kubernetes provider are not the other side.
    expect(sidePresent(types("aws:eks/addon:Addon", "aws:eks/podIdentityAssociation:PodIdentityAssociation", "pulumi:providers:kubernetes"), "platform")).toBe(false);
    expect(sidePresent(types("pulumi:providers:kubernetes", "aws:eks/cluster:Cluster"), "serving")).toBe(false);
    expect(sidePresent(types("kubernetes:core/v1:Namespace"), "serving")).toBe(true);
  });
});

describe("traffic-path", () => {
  const p = "traffic-path";

  it("catches the original defect: a 443 offload listener whose proxies really listen on 10443", async () => {
    const got = await messages(p, (rs) => {
      for (const gw of rs.filter((r) => r.type === T.gateway)) listenersOf(gw).find((l) => l.name === "tls-offload")!.port = 443;
      for (const b of rs.filter((r) => r.type === T.binding)) at<{ port: number }>(b, "spec.serviceRef").port = 443;
      for (const tg of rs.filter((r) => r.type === T.targetGroup)) tg.inputs.port = 443;
      for (const rule of rs.filter((r) => (r.type === T.egress && r.name.endsWith("-nlb-out")) || (r.type === T.ingress && r.name.endsWith("-pods-from-nlb")))) {
        rule.inputs.fromPort = 443;
        rule.inputs.toPort = 443;
      }
    });
    expect(got).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^target group port -> proxy container port: target group port 443, proxy container port 10443 \(Service envoy-gateway-system\/inference-gateway port 443 -> container port 10443\)$/),
        "NLB security group egress -> proxy pod port: egress rules allow tcp/443, the proxies listen on tcp/10443",
        "cluster security group ingress from the NLB -> proxy pod port: rules from the NLB's group allow tcp/443, the proxies listen on tcp/10443",
      ]),
    );
    expect(got).toHaveLength(9); // three hops in each of three regions
  });

  it("catches a TargetGroupBinding pointing at a port the gateway Service does not have", async () => {
    const got = await messages(p, (rs) => (at<{ port: number }>(inRegion(rs, T.binding, "us-west-2")[0], "spec.serviceRef").port = 443));
    expect(got).toEqual([
      "TargetGroupBinding envoy-gateway-system/inference-gateway serviceRef.port -> gateway Service port: 443 is not a port of Service envoy-gateway-system/inference-gateway; its ports are the Gateway listener ports 80, 8443 (give the number)",
    ]);
  });

  it("catches a security-group rule on the wrong port", async () => {
    const got = await messages(p, (rs) => {
      const rule = find(rs, T.ingress, "us-east-2-entry-pods-from-nlb");
      rule.inputs.fromPort = 443;
      rule.inputs.toPort = 443;
    });
    expect(got).toEqual(["cluster security group ingress from the NLB -> proxy pod port: rules from the NLB's group allow tcp/443, the proxies listen on tcp/8443"]);
  });

  it("catches an HTTPRoute backendRef on a port its Service does not expose", async () => {
    // The probe route is the program's; it reaches the primary through the Service Flagger names after the endpoint.
    const got = await messages(p, (rs) => (at<{ port: number }[]>(find(rs, T.route, "us-east-1-chat-large-probe-route"), "spec.rules.0.backendRefs")[0].port = 8001));
    expect(got).toEqual(["HTTPRoute chat-large/chat-large-probe backendRef chat-large/chat-large:8001 -> vLLM Service port: backendRef port 8001, Service chat-large/chat-large ports 8000"]);
  });

  it("catches a NetworkPolicy that no longer admits the proxies on the vLLM port", async () => {
    const got = await messages(p, (rs) => (at<{ ports: { port: number }[] }[]>(find(rs, T.netpol, "us-west-2-chat-small-netpol"), "spec.ingress")[0].ports[0].port = 9000));
    expect(got).toEqual(
      // Both policies selecting the pods are named: the namespace's default deny and the vllm allow policy. The
      // pods: Flagger's primary (behind the route's primary backend) and the rollout target (its canary backend).
      ["stable-primary", "stable"].map((t) => `NetworkPolicy chat-small/default-deny, chat-small/vllm -> vLLM port: no ingress rule admits the proxies' namespace envoy-gateway-system on tcp/8000; the vLLM pods of chat-small/chat-small-${t} listen there`),
    );
  });

  it("catches vLLM listening on another port than its container port, and a health check on a path no route serves", async () => {
    const got = await messages(p, (rs) => {
      const d = find(rs, T.deployment, "us-east-1-chat-large-stable-deployment");
      const args = at<{ args: string[] }[]>(d, "spec.template.spec.containers")[0].args;
      args[args.indexOf("--port") + 1] = "9000";
      // The model route (Flagger's, from the Canary's service match) and the GET-only probe route both move away.
      at<Record<string, unknown>>(find(rs, CANARY, "us-east-2-chat-small-canary"), "spec.service").match = [{ uri: { prefix: "/v2/" } }];
      at<{ path: { value: string } }[]>(find(rs, T.route, "us-east-2-chat-small-probe-route"), "spec.rules.0.matches")[0].path.value = "/v2/";
    });
    expect(got).toEqual(
      expect.arrayContaining([
        "Deployment chat-large/chat-large-stable containerPort -> vLLM --port: containerPort 8000 (http), vLLM listens on 9000",
        "Route 53 health check HTTPS_STR_MATCH chat-small.use2.inference.example.com:443/v1/models -> HTTPRoute: no route on Gateway listener tls-offload (port 8443) answers host chat-small.use2.inference.example.com path /v1/models",
      ]),
    );
  });

  it("fails closed on a route attached to no Gateway listener and a binding to a target group it cannot trace", async () => {
    const got = await messages(p, (rs) => {
      at<{ name: string }[]>(find(rs, CANARY, "us-east-1-chat-small-canary"), "spec.service.gatewayRefs")[0].name = "other";
      // Neither a dependency on a target group of the plan nor an ARN that names one.
      at<{ targetGroupARN: string }>(inRegion(rs, T.binding, "us-east-2")[0], "spec").targetGroupARN = "llm-prod-use2-gw";
    });
    expect(got).toEqual(
      expect.arrayContaining([
        `HTTPRoute chat-small/chat-small parentRefs -> Gateway listener: [{"name":"other","namespace":"inference-gateway"}] attach to no listener that admits the route's namespace`,
        'TargetGroupBinding envoy-gateway-system/inference-gateway targetGroupARN -> target group: "llm-prod-use2-gw" is not a target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>), so no NLB listener can be traced to it',
        "target group us-east-2-entry-gateway -> TargetGroupBinding: no binding fills it, so it never gets a target",
      ]),
    );
  });
});

describe("traffic-path across the two projects", () => {
  const p = "traffic-path";
  const servingBinding = (rs: PlanResource[], region: string) => inRegion(rs, T.binding, region)[0];
  const arnOf = (b: PlanResource) => at<{ targetGroupARN: string }>(b, "spec");

  it("matches the serving binding to the platform target group by the name and region its ARN carries", async () => {
    const b = servingBinding(prod, "us-east-2");
    // The split leaves no dependency to follow: the ARN is a plain string read from the platform's outputs.
    expect(b.project).toBe("llm-blueprint-serving");
    expect(b.propertyDependencies?.spec ?? []).toEqual([]);
    expect(arnOf(b).targetGroupARN).toMatch(/^arn:aws:elasticloadbalancing:us-east-2:\d{12}:targetgroup\/llm-prod-use2-gw\/[0-9a-f]+$/);
    expect(find(prod, T.targetGroup, "us-east-2-entry-gateway").inputs.name).toBe("llm-prod-use2-gw");
    // Renaming the platform's target group breaks the match: the binding now fills nothing.
    const got = await messages(p, (rs) => (find(rs, T.targetGroup, "us-east-2-entry-gateway").inputs.name = "llm-prod-use2-gw2"));
    expect(got).toEqual([
      expect.stringMatching(/^TargetGroupBinding envoy-gateway-system\/inference-gateway targetGroupARN -> target group: "arn:aws:elasticloadbalancing:us-east-2:\d+:targetgroup\/llm-prod-use2-gw\/[0-9a-f]+" is not a target group of this plan \(no target group named llm-prod-use2-gw in us-east-2; there: llm-prod-use2-gw2\), so no NLB listener can be traced to it$/),
      "target group us-east-2-entry-gateway -> TargetGroupBinding: no binding fills it, so it never gets a target",
    ]);
  });

  it("fails a binding whose ARN names a target group that does not exist (wrong name), or one in another region", async () => {
    const got = await messages(p, (rs) => {
      const wrongName = arnOf(servingBinding(rs, "us-east-2"));
      wrongName.targetGroupARN = wrongName.targetGroupARN.replace("/llm-prod-use2-gw/", "/llm-prod-use2-gateway/");
      const wrongRegion = arnOf(servingBinding(rs, "us-west-2"));
      wrongRegion.targetGroupARN = wrongRegion.targetGroupARN.replace(":us-west-2:", ":us-east-1:");
    });
    expect(got).toEqual([
      expect.stringMatching(/"arn:aws:elasticloadbalancing:us-east-1:\d+:targetgroup\/llm-prod-usw2-gw\/[0-9a-f]+" is not a target group of this plan \(no target group named llm-prod-usw2-gw in us-east-1; there: llm-prod-use1-gw\)/),
      expect.stringMatching(/"arn:aws:elasticloadbalancing:us-east-2:.*" is not a target group of this plan \(no target group named llm-prod-use2-gateway in us-east-2; there: llm-prod-use2-gw\)/),
      "target group us-west-2-entry-gateway -> TargetGroupBinding: no binding fills it, so it never gets a target",
      "target group us-east-2-entry-gateway -> TargetGroupBinding: no binding fills it, so it never gets a target",
    ]);
  });

  it("in one program, follows the binding's dependency on its target group, whatever the names", async () => {
    const oneStack = await recordOneStack("prod");
    const b = oneStack.find((r) => r.type === T.binding && r.name.startsWith("us-east-2-"))!;
    const tg = oneStack.find((r) => r.type === T.targetGroup && r.name.startsWith("us-east-2-"))!;
    expect(b.propertyDependencies?.spec).toContain(tg.urn);
    const rename = (rs: PlanResource[]) => (rs.find((r) => r.urn === tg.urn)!.inputs.name = "llm-prod-use2-gw2");
    for (const policy of ["traffic-path", "capacity-headroom"]) expect(await messages(policy, rename, () => oneStack)).toEqual([]);
  }, 300_000);

  it("judges each project alone without reporting the other half missing, as a per-project `pulumi preview` sees it", async () => {
    const only = (project: string) => prod.filter((r) => r.project === project);
    for (const project of ["llm-blueprint-serving", "llm-blueprint-platform"]) {
      expect(only(project).length).toBeGreaterThan(0);
      for (const policy of ["traffic-path", "capacity-headroom"]) expect(await messages(policy, undefined, () => only(project))).toEqual([]);
    }
    // What crosses the projects cannot be checked there: a wrong ARN passes serving's own preview, and
    // the offline plan of both (above) is the gate that catches it.
    const wrongName = (rs: PlanResource[]) => {
      const arn = arnOf(servingBinding(rs, "us-east-2"));
      arn.targetGroupARN = arn.targetGroupARN.replace("/llm-prod-use2-gw/", "/llm-prod-use2-gateway/");
    };
    expect(await messages(p, wrongName, () => only("llm-blueprint-serving"))).toEqual([]);
  });

  it("fails the checks that need a cluster when the serving provider's `cluster` names none", async () => {
    const strayProvider = (rs: PlanResource[]) => {
      const provider = rs.find((r) => r.type === T.k8sProvider && r.project === "llm-blueprint-serving" && r.name.startsWith("us-east-1-"))!;
      provider.inputs.cluster = "llm-prod-use1-old";
    };
    const stray = /kubernetes provider us-east-1-k8s cluster "llm-prod-use1-old" names no EKS cluster of this plan \(clusters: llm-prod-use1 \(us-east-1\), llm-prod-usw2 \(us-west-2\), llm-prod-use2 \(us-east-2\)\)/;
    const traffic = await messages(p, strayProvider);
    expect(traffic).toEqual([expect.stringMatching(new RegExp(`^TargetGroupBinding envoy-gateway-system/inference-gateway -> EKS cluster: ${stray.source}, so the cluster security group rule admitting the NLB cannot be checked$`))]);
    const capacity = await messages("capacity-headroom", strayProvider);
    const scaledObjects = inRegion(prod, T.scaledObject, "us-east-1").map((so) => `${at<{ namespace: string }>(so, "metadata").namespace}/${at<{ name: string }>(so, "metadata").name}`);
    expect(scaledObjects.length).toBeGreaterThan(0);
    for (const so of scaledObjects) {
      expect(capacity).toContainEqual(expect.stringMatching(new RegExp(`^ScaledObject ${so} -> EKS cluster region: ${stray.source}, so which region's capacity it adds to cannot be told$`)));
    }
  });
});

describe("timeout-chain", () => {
  const p = "timeout-chain";

  it("catches the original chain: 600 s routes behind a 350 s NLB, pods that stop after 120 s", async () => {
    const got = await messages(p, (rs) => {
      // The model route only: its probe route keeps a short timeout.
      at<Record<string, unknown>>(find(rs, CANARY, "us-east-1-chat-large-canary"), "spec.service").timeout = "600s";
      at<{ terminationGracePeriodSeconds: number }>(find(rs, T.deployment, "us-east-1-chat-large-stable-deployment"), "spec.template.spec").terminationGracePeriodSeconds = 120;
    });
    expect(got[0]).toBe(
      "NLB listener TLS/443 idle timeout -> HTTPRoute chat-large/chat-large request timeout: the NLB drops a connection idle for 350 s, the route lets a request run 600 s",
    );
    // The target and the primary Flagger copies from it.
    for (const [i, d] of [[1, "chat-large-stable"], [2, "chat-large-stable-primary"]] as const) {
      expect(got[i]).toMatch(new RegExp(`^Deployment chat-large/${d} terminationGracePeriodSeconds -> route timeout \\+ preStop drain: grace 120 s, but a request admitted just before the drain may run 600 s after \\d+ s of preStop`));
    }
    expect(got).toHaveLength(3);
  });

  it("refuses an idle timeout on a TLS listener (AWS rejects it) and a route without a finite timeout", async () => {
    const got = await messages(p, (rs) => {
      find(rs, T.listener, "us-west-2-entry-tls").inputs.tcpIdleTimeoutSeconds = 900;
      delete at<Record<string, unknown>>(find(rs, CANARY, "us-west-2-chat-small-canary"), "spec.service").timeout;
    });
    expect(got).toEqual([
      `HTTPRoute chat-small/chat-small timeouts.request: undefined; every rule needs a finite request timeout (e.g. "300s") for the rest of the chain to be sized against`,
      "NLB listener TLS/443 tcpIdleTimeoutSeconds 900: AWS fixes a TLS listener's idle timeout at 350 s and rejects the setting",
    ]);
  });
});

describe("health-check-alarm-actions", () => {
  const p = "health-check-alarm-actions";

  it("catches an alarm without actions (the original defect)", async () => {
    const got = await messages(p, (rs) => {
      const alarm = find(rs, T.alarm, "chat-large-global-us-west-2");
      alarm.inputs.alarmActions = [];
      alarm.inputs.okActions = [];
    });
    expect(got).toEqual([
      "Route 53 alarm chat-large-global-us-west-2 has no alarmActions: a failing region would leave traffic without anyone being told",
      "Route 53 alarm chat-large-global-us-west-2 has no okActions: a failing region would leave traffic without anyone being told",
    ]);
  });

  it("catches a health check left without an alarm", async () => {
    const got = await messages(p, (rs) => rs.splice(rs.indexOf(find(rs, T.alarm, "chat-small-global-us-east-2")), 1));
    expect(got).toEqual(["Route 53 health check chat-small.use2.inference.example.com has no CloudWatch alarm on its HealthCheckStatus: its region could leave the global names unnoticed"]);
  });

  it("catches a topic CloudWatch may not publish to, or whose key it may not use", async () => {
    const got = await messages(p, (rs) => {
      rs.splice(rs.indexOf(rs.find((r) => r.type === T.topicPolicy)!), 1);
      const key = find(rs, T.kmsKey, "health-check-alerts-key");
      key.inputs.policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" }] });
    });
    expect(got).toContain("SNS topic health-check-alerts-topic -> CloudWatch: no topic policy lets cloudwatch.amazonaws.com sns:Publish, so alarm chat-large-global-us-east-1 cannot notify");
    expect(got).toContain(
      "KMS key health-check-alerts-key of SNS topic health-check-alerts-topic -> CloudWatch: its policy does not grant cloudwatch.amazonaws.com kms:GenerateDataKey, kms:Decrypt, so alarm notifications are dropped",
    );
  });
});

describe("capacity-headroom", () => {
  const p = "capacity-headroom";

  it("says by how much the survivors fall short when their maximum replicas cannot take the lost region's minimum", async () => {
    const got = await messages(p, (rs) => {
      for (const so of rs.filter((r) => r.type === T.scaledObject && /^us-(west-2|east-2)-chat-large-stable/.test(r.name))) at<{ maxReplicaCount: number }>(so, "spec").maxReplicaCount = at<{ minReplicaCount: number }>(so, "spec").minReplicaCount;
    });
    expect(got).toContainEqual(expect.stringMatching(/^losing us-east-1: chat-large needs \d+ replicas in us-east-2, us-west-2 \(their own minimum \d+ \+ us-east-1's \d+\), their ScaledObjects allow \d+: short by \d+ replica\(s\)$/));
    expect(got.every((m) => m.includes("chat-large"))).toBe(true);
  });

  it("says by how many GPUs the survivors' pools fall short", async () => {
    const got = await messages(p, (rs) => {
      // us-west-2's H100 NodePool may not launch a node, us-east-2's only one: 8 GPUs between them.
      at<Record<string, string>>(find(rs, "kubernetes:karpenter.sh/v1:NodePool", "us-west-2-karpenter-h100-nodepool"), "spec.limits")["nvidia.com/gpu"] = "0";
      at<Record<string, string>>(find(rs, "kubernetes:karpenter.sh/v1:NodePool", "us-east-2-karpenter-h100-nodepool"), "spec.limits")["nvidia.com/gpu"] = "8";
    });
    expect(got).toContainEqual(expect.stringMatching(/^losing us-east-1: the h100 pools of us-east-2, us-west-2 hold at most 8 GPUs, the survivors' own minimum \(\d+\) plus us-east-1's re-homed minimum \(\d+\) needs \d+: short by \d+ GPU\(s\)$/));
  });
});
