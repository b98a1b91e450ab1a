import { describe, expect, it } from "vitest";
import { isAllowed, PolicyDocument, policyDocument } from "../../lib/iam";
import { alarmTopicKeyPolicy, alarmTopicPolicy, globalRecords, recoveryTime, RESOLVER_TTL_FLOOR_SECONDS, RegionRouting, regionalName } from "../../lib/traffic";

const Z = "inference.example.com";
const regions = (n: number, extra: Partial<RegionRouting>[] = []): RegionRouting[] =>
  ["us-east-1", "us-west-2", "us-east-2"].slice(0, n).map((region, i) => ({ region, ...(extra[i] ?? {}) }));

describe("global records per routing mode", () => {
  it.each([1, 2, 3])("latency: one health-checkable record per region (%i regions), each tied to its own region", (n) => {
    const recs = globalRecords("chat", Z, "latency", regions(n));
    expect(recs.map((r) => [r.setIdentifier, r.latencyRegion, r.target])).toEqual(regions(n).map((r) => [r.region, r.region, regionalName("chat", r.region, Z)]));
  });

  it.each([1, 2, 3])("weighted: every region gets a record, 100 by default (%i regions)", (n) => {
    expect(globalRecords("chat", Z, "weighted", regions(n)).map((r) => r.weight)).toEqual(Array(n).fill(100));
  });

  it.each([2, 3])("failover: exactly the primary and secondary get records (%i regions)", (n) => {
    const recs = globalRecords("chat", Z, "failover", regions(n, [{ role: "primary" }, { role: "secondary" }]));
    expect(recs.map((r) => [r.region, r.failover])).toEqual([
      ["us-east-1", "PRIMARY"],
      ["us-west-2", "SECONDARY"],
    ]);
  });

  it("drains a region: weight 0 in weighted mode, no record in latency mode", () => {
    const drained = regions(3, [{}, { drain: true }]);
    expect(globalRecords("chat", Z, "weighted", drained).map((r) => [r.region, r.weight])).toEqual([
      ["us-east-1", 100],
      ["us-west-2", 0],
      ["us-east-2", 100],
    ]);
    expect(globalRecords("chat", Z, "latency", drained).map((r) => r.region)).toEqual(["us-east-1", "us-east-2"]);
  });
});

describe("recovery time", () => {
  const base = { intervalSeconds: 10, failureThreshold: 3, dnsTtlSeconds: 15, loadBalancerIdleSeconds: 350, survivorWarmReplicas: 2, spareWarmReplicas: 0, lostMinReplicas: 1, scaleUpSeconds: 900 };
  const term = (t: ReturnType<typeof recoveryTime>, name: string) => t.terms.find((x) => x.term === name)!;

  it("names every term, and the totals are their sums", () => {
    const t = recoveryTime(base);
    expect(t.terms.map((x) => x.term)).toEqual(["health-check consensus", "DNS caching", "pooled client connections", "survivor scale-up"]);
    expect(t.typicalSeconds).toBe(t.terms.reduce((s, x) => s + x.typicalSeconds, 0));
    expect(t.worstSeconds).toBe(t.terms.reduce((s, x) => s + x.worstSeconds, 0));
    for (const x of t.terms) {
      expect(x.source.length).toBeGreaterThan(0);
      expect(x.worstSeconds).toBeGreaterThanOrEqual(x.typicalSeconds);
    }
  });

  it("detection needs most checkers to reach the threshold: between (threshold - 1 + 0.82) and threshold intervals", () => {
    expect(term(recoveryTime(base), "health-check consensus")).toMatchObject({ typicalSeconds: 29, worstSeconds: 30 });
    expect(term(recoveryTime({ ...base, intervalSeconds: 30, failureThreshold: 2 }), "health-check consensus")).toMatchObject({ typicalSeconds: 55, worstSeconds: 60 });
  });

  it("a 15 s TTL is worth 15 s typically but a resolver's 60 s floor at worst; a long TTL is its own worst case", () => {
    expect(term(recoveryTime(base), "DNS caching")).toMatchObject({ typicalSeconds: 15, worstSeconds: RESOLVER_TTL_FLOOR_SECONDS });
    expect(term(recoveryTime({ ...base, dnsTtlSeconds: 120 }), "DNS caching")).toMatchObject({ typicalSeconds: 120, worstSeconds: 120 });
  });

  it("pooled connections last the client's keep-alive typically and the load balancer's idle timeout at worst", () => {
    expect(term(recoveryTime(base), "pooled client connections")).toMatchObject({ typicalSeconds: 5, worstSeconds: 350 });
  });

  it("survivors with warm replicas answer at once, but restoring the lost minimum without spare replicas takes a scale-up", () => {
    expect(term(recoveryTime(base), "survivor scale-up")).toMatchObject({ typicalSeconds: 0, worstSeconds: 900 });
    expect(term(recoveryTime({ ...base, spareWarmReplicas: 1 }), "survivor scale-up")).toMatchObject({ typicalSeconds: 0, worstSeconds: 0 });
    expect(term(recoveryTime({ ...base, survivorWarmReplicas: 0 }), "survivor scale-up")).toMatchObject({ typicalSeconds: 900, worstSeconds: 900 });
  });
});

describe("health-check alarm topic policies", () => {
  // isAllowed evaluates identity policies; a resource policy's statements apply to their principal only.
  const asService = (doc: PolicyDocument, service: string) => policyDocument(...doc.Statement.filter((st) => [st.Principal?.Service ?? []].flat().includes(service)));
  it("lets CloudWatch alarms of this account and region publish, and nobody else", () => {
    const topic = "arn:aws:sns:us-east-1:123456789012:alerts";
    const policy = alarmTopicPolicy(topic, "123456789012", "us-east-1");
    const doc = asService(policy, "cloudwatch.amazonaws.com");
    const own = { "aws:SourceAccount": "123456789012", "aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:chat-large" };
    expect(isAllowed(doc, { action: "sns:Publish", resource: topic, context: own })).toBe(true);
    expect(isAllowed(doc, { action: "sns:Publish", resource: topic, context: { ...own, "aws:SourceAccount": "999999999999" } })).toBe(false);
    expect(isAllowed(doc, { action: "sns:Publish", resource: topic, context: { ...own, "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x" } })).toBe(false);
    expect(isAllowed(asService(policy, "events.amazonaws.com"), { action: "sns:Publish", resource: topic, context: own })).toBe(false);
  });
  it("lets CloudWatch use the topic key for this account only", () => {
    const doc = asService(alarmTopicKeyPolicy("123456789012"), "cloudwatch.amazonaws.com");
    for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
      expect(isAllowed(doc, { action, resource: "*", context: { "aws:SourceAccount": "123456789012" } })).toBe(true);
      expect(isAllowed(doc, { action, resource: "*", context: { "aws:SourceAccount": "999999999999" } })).toBe(false);
    }
    expect(isAllowed(doc, { action: "kms:ScheduleKeyDeletion", resource: "*", context: { "aws:SourceAccount": "123456789012" } })).toBe(false);
  });
});
