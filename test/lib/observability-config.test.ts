import { describe, expect, it } from "vitest";
import { readProjectConfig } from "../../lib/config/load";
import { parseStackConfig } from "../../lib/config/validate";
import { BLUEPRINT_NAMESPACE } from "../../lib/config/projects";
import { combinedStackConfig, configProblems } from "../stackConfig";

const NS = BLUEPRINT_NAMESPACE;
const FILE = "serving/stacks/Pulumi.prod.yaml";

/** The committed prod config (both projects' keys) with its observability block replaced. */
function prod(observability: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...readProjectConfig(NS, combinedStackConfig("prod").config), observability, ...extra };
}

const problemsOf = (raw: unknown) => configProblems(raw, FILE, NS);

describe("observability config", () => {
  it("is on by default with the documented defaults", () => {
    const raw = prod(undefined);
    delete raw.observability;
    const cfg = parseStackConfig(raw, { namespace: NS, stackFile: FILE });
    expect(cfg.observability).toEqual({
      retentionDays: 15,
      storageGiB: 100,
      logRetentionDays: 90,
      receiver: { type: "sns" },
      alertEmails: [],
      defaultSlo: { ttftP99Seconds: 2, tpotP99Seconds: 0.1, errorRatePercent: 1 },
      slos: {},
      alerts: { queueDepthPerReplica: 10, kvCacheUsage: 0.9, latencyFor: "10m", saturationFor: "10m", idleGpuFor: "2h" },
    });
  });

  it("refuses an SLO for an endpoint the stack does not serve, naming the ones it does", () => {
    expect(problemsOf(prod({ slos: { "chat-lrage": { ttftP99Seconds: 2, tpotP99Seconds: 0.1, errorRatePercent: 1 } } }))).toEqual([
      `${NS}:observability.slos.chat-lrage: "chat-lrage" is not a served endpoint; served: chat-large, chat-small`,
    ]);
  });

  it("refuses retention CloudWatch does not accept, windows Prometheus cannot read, and an SLO without a unit bound", () => {
    const problems = problemsOf(prod({ logRetentionDays: 100, alerts: { latencyFor: "10 minutes" }, defaultSlo: { ttftP99Seconds: 0, tpotP99Seconds: 0.1, errorRatePercent: 1 } }));
    expect(problems).toContainEqual(expect.stringMatching(new RegExp(`^${NS}:observability.logRetentionDays: must be a CloudWatch retention value: 1, 3, 5, 7, 14, 30, 60, 90`)));
    expect(problems).toContainEqual(`${NS}:observability.alerts.latencyFor: must be a Prometheus duration such as "5m" or "2h"`);
    expect(problems).toContainEqual(expect.stringMatching(new RegExp(`^${NS}:observability.defaultSlo.ttftP99Seconds: `)));
  });

  it("needs the receiver secret for Slack and PagerDuty, and emails only with SNS", () => {
    expect(problemsOf(prod({ receiver: { type: "slack", channel: "#llm-oncall" }, alertEmails: ["oncall@example.com"] }))).toEqual([
      `${NS}:alertReceiverSecret: is required by observability.receiver.type "slack": set the Slack webhook URL with \`pulumi config set --secret alertReceiverSecret <value>\``,
      `${NS}:observability.alertEmails: subscribe to the SNS topic, which only exists with receiver.type "sns" (this stack uses "slack")`,
    ]);
    const cfg = parseStackConfig(prod({ receiver: { type: "pagerduty" } }, { alertReceiverSecret: "R0UT1NGKEY" }), { namespace: NS, stackFile: FILE });
    expect(cfg.observability.receiver).toEqual({ type: "pagerduty" });
    // The secret never travels in the plain config object.
    expect(JSON.stringify(cfg)).not.toContain("R0UT1NGKEY");
  });

  it("names the allowed receiver types", () => {
    expect(problemsOf(prod({ receiver: { type: "opsgenie" } }))).toEqual([`${NS}:observability.receiver.type: type must be one of "sns", "slack", "pagerduty"`]);
  });
});
