import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { beforeAll, describe, expect, it } from "vitest";
import { AlertReceiver, Observability, RECEIVER_SECRET } from "../../components/Observability";
import { DEFAULT_ALERTS } from "../../lib/config/schema";
import { PlanResource } from "../../lib/plan/document";
import { input, ofType, plan, regionProvider } from "../harness";
import { recordStack } from "../policies/harness";
import { ENGINE_TOOLS, requireTool, run, tempDir, writeYaml } from "./tools";

/**
 * The Alertmanager configuration exactly as kube-prometheus-stack renders it from the plan's values,
 * checked by Alertmanager's own parser (`amtool check-config`).
 */

/**
 * kube-prometheus-stack's default `alertmanager.config` (charts/kube-prometheus-stack/values.yaml at
 * tag kube-prometheus-stack-81.6.2, read 2026-11-25). Helm merges the release's values over it, and
 * templates/alertmanager/secret.yaml writes `toYaml .Values.alertmanager.config` (tplConfig is false)
 * as alertmanager.yaml, so keys the blueprint does not set (global, inhibit_rules, templates) stay.
 */
const CHART_DEFAULT_CONFIG = {
  global: { resolve_timeout: "5m" },
  inhibit_rules: [
    { source_matchers: ["severity = critical"], target_matchers: ["severity =~ warning|info"], equal: ["namespace", "alertname"] },
    { source_matchers: ["severity = warning"], target_matchers: ["severity = info"], equal: ["namespace", "alertname"] },
    { source_matchers: ["alertname = InfoInhibitor"], target_matchers: ["severity = info"], equal: ["namespace"] },
    { target_matchers: ["alertname = InfoInhibitor"] },
  ],
  route: { group_by: ["namespace"], group_wait: "30s", group_interval: "5m", repeat_interval: "12h", receiver: "null", routes: [{ receiver: "null", matchers: ['alertname = "Watchdog"'] }] },
  receivers: [{ name: "null" }],
  templates: ["/etc/alertmanager/config/*.tmpl"],
};

/** Helm's value coalescing: maps merge key by key, anything else from the release wins, null deletes. */
function helmMerge(base: unknown, over: unknown): unknown {
  const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isMap(base) || !isMap(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = helmMerge(base[k], v);
  }
  return out;
}

interface RenderedConfig {
  route: { receiver: string };
  receivers: { name: string; [kind: string]: unknown }[];
}

const kpsRelease = (rs: PlanResource[]) => ofType(rs, "kubernetes:helm.sh/v3:Release").filter((r) => input(r, "chart") === "kube-prometheus-stack");
const rendered = (kps: PlanResource) => helmMerge(CHART_DEFAULT_CONFIG, input(kps, "values.alertmanager.config")) as RenderedConfig;

/** Every `*_file` a receiver reads, anywhere in the config. */
function filesRead(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(filesRead);
  if (!v || typeof v !== "object") return [];
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => (k.endsWith("_file") && typeof x === "string" ? [x] : filesRead(x)));
}

async function checkConfig(dir: string, name: string, config: unknown) {
  const file = writeYaml(dir, name, config);
  return run("amtool", ["check-config", file]);
}

describe("Alertmanager configuration in amtool", () => {
  let dir: string;
  let prod: PlanResource[];
  const byReceiver = new Map<AlertReceiver["type"], PlanResource>();

  beforeAll(async () => {
    requireTool("amtool", ENGINE_TOOLS.amtool.debianPackage);
    dir = tempDir("amtool");
    prod = await recordStack("prod");
    const receivers: AlertReceiver[] = [{ type: "sns" }, { type: "slack", channel: "#llm-oncall" }, { type: "pagerduty" }];
    const rs = await plan(() => {
      const aws = regionProvider("us-east-1");
      for (const receiver of receivers) {
        new Observability(
          `am-${receiver.type}`,
          {
            clusterName: `llm-${receiver.type}`,
            clusterNameLiteral: `llm-${receiver.type}`,
            region: "us-east-1",
            alerts: DEFAULT_ALERTS,
            receiver,
            ...(receiver.type === "sns" ? {} : { receiverSecret: pulumi.secret("never-in-the-config") }),
          },
          { providers: [aws, new k8s.Provider(`kube-${receiver.type}`, { kubeconfig: "{}" }), new random.Provider(`random-${receiver.type}`)] },
        );
      }
    });
    for (const receiver of receivers) byReceiver.set(receiver.type, kpsRelease(rs).find((r) => r.name.startsWith(`am-${receiver.type}-`))!);
  }, 180_000); // recording whole stacks can outlast the default hook timeout while the full suite runs

  it("accepts the prod plan's configuration in every region", async () => {
    const releases = kpsRelease(prod);
    expect(releases.length).toBeGreaterThanOrEqual(2);
    for (const kps of releases) {
      const result = await checkConfig(dir, `prod-${kps.name}.yaml`, rendered(kps));
      expect(result.status, result.output).toBe(0);
      expect(result.output).toMatch(/SUCCESS/);
    }
  });

  for (const type of ["sns", "slack", "pagerduty"] as const) {
    it(`accepts a ${type} receiver, and every file it reads comes from the Secret mounted into Alertmanager`, async () => {
      const kps = byReceiver.get(type)!;
      const config = rendered(kps);
      const result = await checkConfig(dir, `${type}.yaml`, config);
      expect(result.status, result.output).toBe(0);
      const main = config.receivers.find((r) => r.name === config.route.receiver)!;
      expect(Object.keys(main).filter((k) => k.endsWith("_configs"))).toEqual([`${type}_configs`]);
      // Alertmanager reads *_file paths only when it notifies, so amtool cannot see a missing file:
      // check here that each one is in a Secret alertmanagerSpec.secrets mounts (…/secrets/<name>/<key>).
      const mounted = (input(kps, "values.alertmanager.alertmanagerSpec.secrets") as string[] | undefined) ?? [];
      const files = filesRead(config.receivers);
      expect(files.length).toBe(type === "sns" ? 0 : 1);
      for (const f of files) {
        const m = /^\/etc\/alertmanager\/secrets\/([^/]+)\/([^/]+)$/.exec(f);
        expect(m, f).not.toBeNull();
        expect(mounted, f).toContain(m![1]);
        expect(m![1]).toBe(RECEIVER_SECRET);
      }
      expect(JSON.stringify(config)).not.toContain("never-in-the-config");
    });
  }

  it("rejects a configuration whose route names a receiver that does not exist (amtool really parses it)", async () => {
    const config = rendered(byReceiver.get("slack")!);
    const broken = { ...config, receivers: config.receivers.filter((r) => r.name !== config.route.receiver) };
    const result = await checkConfig(dir, "broken.yaml", broken);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/undefined receiver "default"/);
  });
});
