import * as k8s from "@pulumi/kubernetes";
import { beforeAll, describe, expect, it } from "vitest";
import { EntryCertificates } from "../../components/EntryCertificates";
import { GlobalEndpoint } from "../../components/GlobalEndpoint";
import { HealthCheckAlerts } from "../../components/HealthCheckAlerts";
import { RegionalEntry } from "../../components/RegionalEntry";
import { RegionalIngress, targetRegistrationPolicy } from "../../components/RegionalIngress";
import { OFFLOAD_PORT } from "../../components/ServingAddons";
import { AWS_LOAD_BALANCER_CONTROLLER_CHART } from "../../lib/baseline";
import { StackConfigError } from "../../lib/config/validate";
import { isAllowed } from "../../lib/iam";
import { PlanResource } from "../../lib/plan/document";
import { RecoveryTime } from "../../lib/traffic";
import { combinedStackConfig, entryPoint, recordWithoutStacks, input, ofType, one, plan, regionProvider, resourcesWithoutExplicitProvider } from "../harness";
import { recordOneStackRun } from "../oneStack";

const Z = { zoneId: "Z0123456789ABC", zoneName: "inference.example.com" };

describe("GlobalEndpoint", () => {
  const planEndpoint = (routing: "failover" | "latency" | "weighted", regions: { region: string; role?: "primary" | "secondary"; weight?: number }[]) =>
    plan(() => {
      const provider = regionProvider("us-east-1");
      const alerts = new HealthCheckAlerts("alerts", { alertEmails: ["oncall@example.com"] }, { provider });
      new GlobalEndpoint("chat-global", { endpoint: "chat", ...Z, routing, regions, warmReplicas: Object.fromEntries(regions.map((r) => [r.region, 1])), alarmTopicArn: alerts.topicArn }, { provider });
    });

  it("failover across two regions: a PRIMARY and a SECONDARY record, each answering only while its region's check passes", async () => {
    const rs = await planEndpoint("failover", [
      { region: "us-east-1", role: "primary" },
      { region: "us-west-2", role: "secondary" },
    ]);
    const checks = ofType(rs, "aws:route53/healthCheck:HealthCheck");
    const records = ofType(rs, "aws:route53/record:Record");
    expect(records.map((r) => [input(r, "setIdentifier"), input(r, "failoverRoutingPolicies")])).toEqual([
      ["us-east-1", [{ type: "PRIMARY" }]],
      ["us-west-2", [{ type: "SECONDARY" }]],
    ]);
    for (const r of records) {
      const check = checks.find((c) => c.name === `chat-global-${String(input(r, "setIdentifier"))}`)!;
      expect(input(r, "healthCheckId")).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.propertyDependencies!.healthCheckId).toEqual([check.urn]);
      expect(input(r, "records")).toEqual([`chat.${String(input(check, "fqdn")).split(".")[1]}.inference.example.com`]);
    }
  });

  it("probes the model itself over HTTPS, and alarms on each check in us-east-1", async () => {
    const rs = await planEndpoint("latency", [{ region: "us-east-2" }]);
    const check = one(rs, "aws:route53/healthCheck:HealthCheck");
    expect(check.inputs).toMatchObject({ type: "HTTPS_STR_MATCH", fqdn: "chat.use2.inference.example.com", port: 443, resourcePath: "/v1/models", searchString: '"chat"', requestInterval: 10, failureThreshold: 3, enableSni: true });
    const alarm = one(rs, "aws:cloudwatch/metricAlarm:MetricAlarm");
    expect(alarm.inputs).toMatchObject({ namespace: "AWS/Route53", metricName: "HealthCheckStatus", comparisonOperator: "LessThanThreshold", threshold: 1 });
    expect(alarm.provider).toMatch(/pulumi:providers:aws::aws-us-east-1$/);
    // Both transitions notify the us-east-1 topic, which CloudWatch may publish to and encrypt for.
    const topic = one(rs, "aws:sns/topic:Topic");
    expect(alarm.propertyDependencies!.alarmActions).toEqual([topic.urn]);
    expect(alarm.propertyDependencies!.okActions).toEqual([topic.urn]);
    expect(topic.provider).toMatch(/pulumi:providers:aws::aws-us-east-1$/);
    const key = one(rs, "aws:kms/key:Key");
    expect(topic.propertyDependencies!.kmsMasterKeyId).toEqual([key.urn]);
    expect(input(key, "enableKeyRotation")).toBe(true);
    const topicPolicy = JSON.parse(String(input(one(rs, "aws:sns/topicPolicy:TopicPolicy"), "policy"))) as { Statement: { Principal: unknown; Action: unknown }[] };
    expect(topicPolicy.Statement.map((st) => [st.Principal, st.Action])).toEqual([[{ Service: "cloudwatch.amazonaws.com" }, "sns:Publish"]]);
    expect(one(rs, "aws:sns/topicSubscription:TopicSubscription").inputs).toMatchObject({ protocol: "email", endpoint: "oncall@example.com" });
    expect(resourcesWithoutExplicitProvider(rs)).toEqual([]);
  });

  it("weighted across three regions gives each its weight", async () => {
    const rs = await planEndpoint("weighted", [{ region: "us-east-1", weight: 50 }, { region: "us-west-2" }, { region: "us-east-2", weight: 0 }]);
    expect(ofType(rs, "aws:route53/record:Record").map((r) => input(r, "weightedRoutingPolicies"))).toEqual([[{ weight: 50 }], [{ weight: 100 }], [{ weight: 0 }]]);
  });
});

describe("EntryCertificates: one owner per validation record", () => {
  it("declares the *.<zone> record the regions share once and each region's own once, none with allowOverwrite, and validates each certificate with both", async () => {
    const rs = await plan(() => {
      const east = regionProvider("us-east-1");
      const west = regionProvider("us-west-2");
      new EntryCertificates("certs", { ...Z, regions: [{ region: "us-east-1", provider: east }, { region: "us-west-2", provider: west }], globalProvider: east }, { provider: east });
    });
    const records = ofType(rs, "aws:route53/record:Record");
    expect(records.map((r) => r.name).sort()).toEqual(["acm-validation-inference.example.com", "acm-validation-use1.inference.example.com", "acm-validation-usw2.inference.example.com"]);
    expect(records.filter((r) => input(r, "allowOverwrite") !== undefined)).toEqual([]);
    const shared = records.find((r) => r.name === "acm-validation-inference.example.com")!;
    for (const [region, code] of [["us-east-1", "use1"], ["us-west-2", "usw2"]]) {
      const validation = ofType(rs, "aws:acm/certificateValidation:CertificateValidation").find((v) => v.name === `${region}-entry-cert`)!;
      const own = records.find((r) => r.name === `acm-validation-${code}.inference.example.com`)!;
      expect([...validation.propertyDependencies!.validationRecordFqdns].sort()).toEqual([own.urn, shared.urn].sort());
    }
    expect(input(shared, "name")).toMatch(/^_[0-9a-f]{32}\.inference\.example\.com\.$/);
    expect(input(shared, "type")).toBe("CNAME");
  });
});

describe("RegionalEntry (platform) and RegionalIngress (serving)", () => {
  let rs: PlanResource[];
  beforeAll(async () => {
    rs = await plan(() => {
      const aws = regionProvider("us-west-2");
      const certificates = new EntryCertificates("certs", { ...Z, regions: [{ region: "us-west-2", provider: aws }], globalProvider: aws }, { provider: aws });
      const entry = new RegionalEntry(
        "usw2-entry",
        {
          region: "us-west-2",
          vpcId: "vpc-1",
          vpcCidr: "10.1.0.0/16",
          publicSubnetIds: ["subnet-a", "subnet-b", "subnet-c"],
          clusterSecurityGroupId: "sg-cluster",
          ...Z,
          certificateArn: certificates.certificateArns["us-west-2"],
          endpoints: ["chat", "code"],
        },
        { providers: [aws] },
      );
      new RegionalIngress(
        "usw2-ingress",
        { region: "us-west-2", clusterName: "c", vpcId: "vpc-1", targetGroupArn: entry.targetGroup.arn },
        { providers: [aws, new k8s.Provider("kube", { kubeconfig: "{}" })] },
      );
    });
  });

  it("names the target group so its ARN says which it is, and refuses a name ELB would reject", () => {
    expect(input(one(rs, "aws:lb/targetGroup:TargetGroup"), "name")).toBe("usw2-entry-gw");
    expect(() => new RegionalEntry("x", { region: "us-west-2", vpcId: "v", vpcCidr: "10.1.0.0/16", publicSubnetIds: [], clusterSecurityGroupId: "sg", ...Z, certificateArn: "arn", endpoints: ["chat"], targetGroupName: "-bad-" })).toThrow(
      'RegionalEntry x: targetGroupName "-bad-" must be 1-32 letters, digits or dashes, not starting or ending with a dash',
    );
  });

  it("puts an internet-facing NLB with deletion protection in the public subnets, terminating TLS with a DNS-validated certificate", () => {
    const nlb = one(rs, "aws:lb/loadBalancer:LoadBalancer");
    expect(nlb.inputs).toMatchObject({ loadBalancerType: "network", internal: false, enableDeletionProtection: true, subnets: ["subnet-a", "subnet-b", "subnet-c"] });
    const listener = one(rs, "aws:lb/listener:Listener");
    expect(listener.inputs).toMatchObject({ port: 443, protocol: "TLS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" });
    expect(listener.propertyDependencies!.certificateArn).toEqual([one(rs, "aws:acm/certificateValidation:CertificateValidation").urn]);
    const cert = one(rs, "aws:acm/certificate:Certificate");
    expect(cert.inputs).toMatchObject({ domainName: "*.usw2.inference.example.com", subjectAlternativeNames: ["*.inference.example.com"], validationMethod: "DNS" });
  });

  it("lets the load balancer controller only register targets in its own target group", () => {
    const release = one(rs, "kubernetes:helm.sh/v3:Release");
    expect([input(release, "chart"), input(release, "version")]).toEqual([AWS_LOAD_BALANCER_CONTROLLER_CHART.chart, AWS_LOAD_BALANCER_CONTROLLER_CHART.version]);
    expect(one(rs, "aws:eks/podIdentityAssociation:PodIdentityAssociation").inputs).toMatchObject({ namespace: "kube-system", serviceAccount: "aws-load-balancer-controller" });
    const doc = targetRegistrationPolicy("arn:aws:elasticloadbalancing:us-west-2:1:targetgroup/mine/1");
    expect(isAllowed(doc, { action: "elasticloadbalancing:RegisterTargets", resource: "arn:aws:elasticloadbalancing:us-west-2:1:targetgroup/mine/1" })).toBe(true);
    expect(isAllowed(doc, { action: "elasticloadbalancing:RegisterTargets", resource: "arn:aws:elasticloadbalancing:us-west-2:1:targetgroup/other/2" })).toBe(false);
    expect(isAllowed(doc, { action: "elasticloadbalancing:CreateLoadBalancer", resource: "*" })).toBe(false);
    const binding = one(rs, "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding");
    expect(binding.options.dependsOn).toContain(release.urn);
  });

  it("uses the gateway's unshifted offload port for the target group, its health check, the binding and both security-group rules", () => {
    expect(OFFLOAD_PORT).toBeGreaterThanOrEqual(1024); // Envoy Gateway shifts lower ports by 10000 for the container
    const tg = one(rs, "aws:lb/targetGroup:TargetGroup");
    expect(tg.inputs).toMatchObject({ port: OFFLOAD_PORT, protocol: "TCP", targetType: "ip", healthCheck: { protocol: "TCP", port: "traffic-port" } });
    expect(input(one(rs, "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"), "spec.serviceRef")).toEqual({ name: "inference-gateway", port: OFFLOAD_PORT });
    const nlbSg = one(rs, "aws:ec2/securityGroup:SecurityGroup");
    const egress = one(rs, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule");
    expect(egress.inputs).toMatchObject({ fromPort: OFFLOAD_PORT, toPort: OFFLOAD_PORT, ipProtocol: "tcp", cidrIpv4: "10.1.0.0/16" });
    expect(egress.propertyDependencies!.securityGroupId).toEqual([nlbSg.urn]);
    const fromNlb = ofType(rs, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").find((r) => input(r, "securityGroupId") === "sg-cluster")!;
    expect(fromNlb.inputs).toMatchObject({ fromPort: OFFLOAD_PORT, toPort: OFFLOAD_PORT, ipProtocol: "tcp" });
    expect(fromNlb.propertyDependencies!.referencedSecurityGroupId).toEqual([nlbSg.urn]);
    // A TLS listener keeps AWS's fixed 350 s idle timeout; setting one would be rejected.
    expect(input(one(rs, "aws:lb/listener:Listener"), "tcpIdleTimeoutSeconds")).toBeUndefined();
  });

  it("logs TLS connections to an encrypted, versioned, expiring bucket of its own, kept with its key on delete", () => {
    const nlb = one(rs, "aws:lb/loadBalancer:LoadBalancer");
    const bucket = one(rs, "aws:s3/bucket:Bucket");
    const key = one(rs, "aws:kms/key:Key");
    expect(input(nlb, "accessLogs")).toMatchObject({ prefix: "nlb", enabled: true });
    expect(nlb.propertyDependencies!.accessLogs).toEqual([bucket.urn]);
    for (const r of [bucket, key]) expect(r.options).toMatchObject({ protect: true, retainOnDelete: true });
    const settings = rs.filter((r) => (r.propertyDependencies?.bucket ?? []).includes(bucket.urn));
    expect(settings.map((r) => r.type.split(":").pop()).sort()).toEqual([
      "BucketLifecycleConfiguration",
      "BucketOwnershipControls",
      "BucketPolicy",
      "BucketPublicAccessBlock",
      "BucketServerSideEncryptionConfiguration",
      "BucketVersioning",
    ]);
    for (const r of settings) expect(r.options.retainOnDelete).toBe(true);
    const sse = settings.find((r) => r.type.endsWith("BucketServerSideEncryptionConfiguration"))!;
    expect(input(sse, "rules")).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: expect.stringMatching(/^arn:aws:kms:us-west-2:/) }, bucketKeyEnabled: false }]);
    expect(sse.propertyDependencies!.rules).toEqual([key.urn]);
    const lifecycle = settings.find((r) => r.type.endsWith("BucketLifecycleConfiguration"))!;
    expect((input(lifecycle, "rules") as { expiration: { days: number } }[])[0].expiration.days).toBe(365);
    const policy = settings.find((r) => r.type.endsWith("BucketPolicy"))!;
    const statements = (JSON.parse(String(input(policy, "policy"))) as { Statement: { Sid: string; Resource: string }[] }).Statement;
    expect(statements.find((st) => st.Sid === "AWSLogDeliveryWrite")!.Resource).toBe(`arn:aws:s3:::${(input(nlb, "accessLogs") as { bucket: string }).bucket}/nlb/AWSLogs/123456789012/*`);
    expect(nlb.options.dependsOn).toEqual(expect.arrayContaining([policy.urn, sse.urn]));
  });

  it("refuses an access-log prefix ELB would reject", () => {
    const args = { region: "us-west-2", vpcId: "v", vpcCidr: "10.1.0.0/16", publicSubnetIds: [], clusterSecurityGroupId: "sg", ...Z, certificateArn: "arn", endpoints: ["chat"] };
    expect(() => new RegionalEntry("x", { ...args, accessLogs: { prefix: "logs/AWSLogs" } })).toThrow('RegionalEntry x: accessLogs.prefix "logs/AWSLogs" must not contain AWSLogs (ELB appends AWSLogs/<account>/... itself)');
    expect(() => new RegionalEntry("x", { ...args, accessLogs: { days: 0 } })).toThrow("RegionalEntry x: accessLogs.days 0 must be a whole number of days, at least 1");
  });

  it("gives each endpoint a regional alias to the NLB with target health evaluation", () => {
    const aliases = ofType(rs, "aws:route53/record:Record").filter((r) => input(r, "type") === "A");
    expect(aliases.map((r) => input(r, "name"))).toEqual(["chat.usw2.inference.example.com", "code.usw2.inference.example.com"]);
    for (const a of aliases) expect((input(a, "aliases") as { evaluateTargetHealth: boolean }[])[0].evaluateTargetHealth).toBe(true);
  });
});

/** Plans a committed stack as one program (both projects' keys), optionally editing one structured config key first. */
async function planStack(stack: string, key?: string, edit?: (v: Record<string, unknown>) => void, onError?: (err: unknown) => void) {
  const { config, secretKeys } = combinedStackConfig(stack);
  if (key && edit) {
    const v = JSON.parse(config[`llm-blueprint:${key}`]) as Record<string, unknown>;
    edit(v);
    config[`llm-blueprint:${key}`] = JSON.stringify(v);
  }
  const program = await entryPoint();
  // A config error is caught inside the program, as `pulumi up` would report it, so the mock
  // runtime does not also surface it as an unhandled rejection.
  const run = async () => {
    try {
      return await program();
    } catch (err) {
      if (!onError) throw err;
      onError(err);
      return {};
    }
  };
  return recordWithoutStacks(run, { project: "llm-blueprint", stack, config, secretKeys });
}

describe("stacks with traffic", () => {
  it("prod: one global name per model, a health check in every region, latency routing, typical recovery within 60 s and a named worst case", async () => {
    // The unedited prod stack as one program: recorded once for the whole test run (recordOneStackRun).
    const run = await recordOneStackRun("prod");
    const globals = run.outputs.globalEndpoints as Record<string, { url: string; routing: string; recoveryTime: RecoveryTime }>;
    expect(Object.keys(globals)).toEqual(["chat-large", "chat-small"]);
    for (const [name, g] of Object.entries(globals)) {
      expect(g.url).toBe(`https://${name}.inference.example.com/v1`);
      expect(g.routing).toBe("latency");
      expect(g.recoveryTime.typicalSeconds).toBeLessThanOrEqual(60);
      // The worst case keeps pooled connections to the failed NLB until its 350 s idle timeout and waits for survivors to scale.
      expect(g.recoveryTime.terms.find((t) => t.term === "pooled client connections")!.worstSeconds).toBe(350);
      expect(g.recoveryTime.worstSeconds).toBeGreaterThan(g.recoveryTime.typicalSeconds);
      // Every route stays within the NLB's idle timeout.
      const routes = run.resources.filter((r) => r.type === "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute" && r.name.endsWith(`${name}-route`));
      for (const r of routes) expect((r.inputs.spec as { rules: { timeouts: { request: string } }[] }).rules[0].timeouts.request).toBe("300s");
      const checks = run.resources.filter((r) => r.type === "aws:route53/healthCheck:HealthCheck" && String(r.inputs.fqdn).startsWith(`${name}.`));
      expect(checks.map((c) => c.inputs.fqdn)).toEqual(["use1", "usw2", "use2"].map((rc) => `${name}.${rc}.inference.example.com`));
    }
  });

  it("staging: draining a region changes only that region's record weights", async () => {
    const before = await planStack("staging");
    const after = await planStack("staging", "traffic", (t) => ((t.regions as Record<string, Record<string, unknown>>)["us-west-2"].drain = true));
    const state = (rs: PlanResource[]) => new Map(rs.map((r) => [r.urn, JSON.stringify([r.inputs, r.options])]));
    const [a, b] = [state(before.resources), state(after.resources)];
    expect([...b.keys()].filter((u) => !a.has(u))).toEqual([]);
    expect([...a.keys()].filter((u) => !b.has(u))).toEqual([]);
    // Besides the record, only the plan's failover estimate of that name (a component, no cloud resource) follows.
    const [estimates, changed] = [true, false].map((est) => [...a.keys()].filter((u) => a.get(u) !== b.get(u) && u.includes("FailoverEstimate") === est));
    expect(changed.map((u) => u.split("::").pop())).toEqual(["chat-small-global-us-west-2"]);
    expect(estimates.map((u) => u.split("::").pop())).toEqual(["chat-small-failover"]);
    expect(after.resources.find((r) => r.urn === estimates[0])!.inputs.regions).toEqual(["us-east-1"]);
    const record = after.resources.find((r) => r.urn === changed[0])!;
    expect(record.inputs.weightedRoutingPolicies).toEqual([{ weight: 0 }]);
  });

  it("refuses failover when a model is not served in both the primary and the secondary region", async () => {
    let caught: unknown;
    const run = await planStack(
      "staging",
      "traffic",
      (t) => {
        t.routing = "failover";
        t.regions = { "us-east-1": { role: "primary" }, "us-west-2": { role: "secondary" } };
      },
      (e) => (caught = e),
    );
    expect(run.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
    expect(StackConfigError.isInstance(caught)).toBe(true);
    expect(String((caught as Error).message)).toContain('llm-blueprint:serving.models[0].regions: "chat-large" is not served in us-west-2, which failover routing needs');
  });
});
