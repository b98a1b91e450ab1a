import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { DEFAULT_KUBERNETES_VERSION, KUBERNETES_BASELINES } from "../../lib/baseline";
import { daysBetween, EKS_VERSION_CALENDAR, STANDARD_SUPPORT_WARNING_DAYS, versionSupport } from "../../lib/k8sCalendar";
import { PlanDocument, PlanResource } from "../../lib/plan/document";
import { estimateCost } from "../../lib/plan/cost";
import { kubernetesSupportLines } from "../../lib/plan/summary";
import { readPriceFile } from "../../lib/pricing";

const root = path.resolve(__dirname, "../..");
const TODAY = "2026-11-25";
/** `n` days before `day` (UTC). */
const before = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

describe("EKS version calendar", () => {
  it("records 1.33 leaving standard support on 2026-07-29 (the issue's date) and its extended support to 2027-07-29", () => {
    expect(EKS_VERSION_CALENDAR["1.33"]).toMatchObject({ endOfStandardSupport: "2026-07-29", endOfExtendedSupport: "2027-07-29" });
    expect(versionSupport("1.33", TODAY)?.phase).toBe("extended");
  });

  it("gives every version about 14 months of standard then 12 of extended support, with a source and read date", () => {
    for (const [version, d] of Object.entries(EKS_VERSION_CALENDAR)) {
      const standard = daysBetween(d.eksRelease, d.endOfStandardSupport);
      const extended = daysBetween(d.endOfStandardSupport, d.endOfExtendedSupport);
      expect({ version, standard: standard >= 420 && standard <= 430, extended: extended >= 365 && extended <= 366 }).toEqual({ version, standard: true, extended: true });
      expect(d.source.url).toMatch(/^https:\/\//);
      expect(d.source.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it("pins by default the baseline version with the longest standard-support runway today", () => {
    const inStandard = Object.keys(KUBERNETES_BASELINES).filter((v) => versionSupport(v, TODAY)?.phase === "standard");
    const longest = inStandard.sort((a, b) => versionSupport(b, TODAY)!.daysToEndOfStandardSupport - versionSupport(a, TODAY)!.daysToEndOfStandardSupport)[0];
    expect(longest).toBe(DEFAULT_KUBERNETES_VERSION);
    expect(versionSupport(DEFAULT_KUBERNETES_VERSION, TODAY)?.endingSoon).toBe(false);
    // GPU node classes pin an AL2023 AMI release, never "latest".
    for (const b of Object.values(KUBERNETES_BASELINES)) expect(b.gpuNodeAmiAlias).toMatch(/^al2023@v\d{8}$/);
  });

  it("warns from 90 days before the end of standard support, not at 91; on the end date the version is in extended support", () => {
    const end = EKS_VERSION_CALENDAR[DEFAULT_KUBERNETES_VERSION].endOfStandardSupport;
    expect(versionSupport(DEFAULT_KUBERNETES_VERSION, before(end, STANDARD_SUPPORT_WARNING_DAYS + 1))).toMatchObject({ phase: "standard", endingSoon: false, daysToEndOfStandardSupport: 91 });
    expect(versionSupport(DEFAULT_KUBERNETES_VERSION, before(end, STANDARD_SUPPORT_WARNING_DAYS))).toMatchObject({ phase: "standard", endingSoon: true, daysToEndOfStandardSupport: 90 });
    expect(versionSupport(DEFAULT_KUBERNETES_VERSION, end)).toMatchObject({ phase: "extended", endingSoon: false, daysToEndOfStandardSupport: 0 });
  });

  it("returns nothing for a version it does not list and refuses a malformed day", () => {
    expect(versionSupport("1.99", TODAY)).toBeUndefined();
    expect(() => versionSupport("1.36", "2026-02-30")).toThrow('today: "2026-02-30" is not a date (YYYY-MM-DD)');
  });

  it("is what every committed platform stack pins", () => {
    const dir = path.join(root, "platform", "stacks");
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".yaml"))) {
      expect({ f, line: /kubernetesVersion: "([\d.]+)"/.exec(fs.readFileSync(path.join(dir, f), "utf8"))?.[1] }).toEqual({ f, line: DEFAULT_KUBERNETES_VERSION });
    }
  });
});

describe("control-plane pricing by the calendar", () => {
  const prices = readPriceFile(path.join(root, "pricing", "aws-on-demand.yaml"));
  const cluster = (version: unknown): PlanResource => ({
    urn: "urn:pulumi:prod::p::llm:region:InferenceRegion$aws:eks/cluster:Cluster::llm-prod-use1",
    type: "aws:eks/cluster:Cluster",
    name: "llm-prod-use1",
    custom: true,
    provider: "urn:pulumi:prod::p::pulumi:providers:aws::use1",
    inputs: version === undefined ? {} : { version },
    options: { protect: false, retainOnDelete: false, ignoreChanges: [], dependsOn: [], deleteBeforeReplace: false, aliases: [] },
  });
  const provider: PlanResource = { ...cluster("1.36"), urn: "urn:pulumi:prod::p::pulumi:providers:aws::use1", type: "pulumi:providers:aws", name: "use1", provider: undefined, inputs: { region: "us-east-1" } };
  const doc = (version: unknown): PlanDocument => ({ stack: "prod", project: "p", resources: [provider, cluster(version)], outputs: {}, policy: { violations: [] } });
  const controlPlane = (version: unknown, today: string) => estimateCost(doc(version), prices, { today });

  it("prices a version in standard support at the standard rate and one past it at the extended rate", () => {
    expect(prices.regions["us-east-1"].eksClusterHour.price).toBe(0.1);
    expect(prices.regions["us-east-1"].eksClusterExtendedHour.price).toBe(0.6);
    expect(controlPlane("1.36", TODAY).total.hourly).toEqual({ min: 0.1, max: 0.1 });
    expect(controlPlane("1.33", TODAY).total.hourly).toEqual({ min: 0.6, max: 0.6 });
    // The day before and the day 1.33 left standard support.
    expect(controlPlane("1.33", "2026-07-28").total.hourly.max).toBe(0.1);
    expect(controlPlane("1.33", "2026-07-29").total.hourly.max).toBe(0.6);
    expect(controlPlane("1.33", TODAY).asOf).toBe(TODAY);
  });

  it("leaves a version the calendar does not list, or none, unpriced rather than at the standard rate", () => {
    expect(controlPlane("1.99", TODAY)).toMatchObject({ lines: [], unpriced: [{ reason: expect.stringContaining("Kubernetes 1.99 is not in the EKS version calendar") }] });
    expect(controlPlane(undefined, TODAY).unpriced[0].reason).toMatch(/^Kubernetes version unset/);
  });

  it("prints a warning line in the verdict block 90 days out and after the end, an info line otherwise", () => {
    const end = EKS_VERSION_CALENDAR["1.36"].endOfStandardSupport;
    expect(kubernetesSupportLines(doc("1.36"), before(end, 91))).toEqual([`  kubernetes    Kubernetes 1.36 is in EKS standard support until ${end} (91 days)`]);
    expect(kubernetesSupportLines(doc("1.36"), before(end, 90))[0]).toMatch(/^ {2}WARNING {7}Kubernetes 1\.36 is in EKS standard support until 2027-08-02 \(90 days\); plan the upgrade now/);
    expect(kubernetesSupportLines(doc("1.33"), TODAY)[0]).toMatch(/^ {2}WARNING {7}Kubernetes 1\.33 left EKS standard support on 2026-07-29 \(119 days ago\); each cluster bills the extended-support rate/);
  });
});
