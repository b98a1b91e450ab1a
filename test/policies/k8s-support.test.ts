import { beforeAll, describe, expect, it } from "vitest";
import { EKS_VERSION_CALENDAR } from "../../lib/k8sCalendar";
import { PlanResource } from "../../lib/plan/document";
import { evaluatePolicies } from "../../lib/plan/policy";
import { PACK_NAME } from "../../policies/pack";
import { KUBERNETES_STANDARD_SUPPORT, KUBERNETES_SUPPORT_RUNWAY, kubernetesVersionInStandardSupport, kubernetesVersionSupportRunway } from "../../policies/rules/k8sSupport";
import prodLevels from "../../policies/config/prod.json";
import stagingLevels from "../../policies/config/staging.json";
import { recordStack } from "./harness";

const TODAY = "2026-11-25";
const before = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

/** Both policies on a clock set to `today`, over a copy of the plan changed by `mutate`. */
async function check(resources: readonly PlanResource[], today: string, mutate?: (rs: PlanResource[]) => void) {
  const copy = structuredClone(resources) as PlanResource[];
  mutate?.(copy);
  const clock = () => today;
  return evaluatePolicies(copy, [kubernetesVersionInStandardSupport(clock), kubernetesVersionSupportRunway(clock)], { packName: PACK_NAME, packEnforcementLevel: "mandatory" });
}
const clusters = (rs: PlanResource[]) => rs.filter((r) => r.type === "aws:eks/cluster:Cluster");
const pin = (version: unknown) => (rs: PlanResource[]) => clusters(rs).forEach((c) => ((c.inputs as Record<string, unknown>).version = version));

describe("kubernetes-version-in-standard-support / kubernetes-version-support-runway", () => {
  let prod: PlanResource[];
  beforeAll(async () => {
    prod = await recordStack("prod");
  }, 120_000);

  it("are mandatory and advisory in prod and staging", () => {
    for (const levels of [prodLevels, stagingLevels] as Record<string, string>[]) {
      expect(levels[KUBERNETES_STANDARD_SUPPORT]).toBe("mandatory");
      expect(levels[KUBERNETES_SUPPORT_RUNWAY]).toBe("advisory");
    }
  });

  it("pass on the committed prod stack today", async () => {
    expect(clusters(prod).length).toBeGreaterThan(0);
    expect(await check(prod, TODAY)).toEqual([]);
  });

  it("block every cluster still on 1.33 (past standard support since 2026-07-29)", async () => {
    const v = await check(prod, TODAY, pin("1.33"));
    expect(v).toHaveLength(clusters(prod).length);
    expect(v[0]).toMatchObject({ policy: KUBERNETES_STANDARD_SUPPORT, enforcementLevel: "mandatory" });
    expect(v[0].message).toMatch(/^Kubernetes 1\.33 left EKS standard support on 2026-07-29 \(119 days ago\); each cluster bills the extended-support rate .*; move cluster\.kubernetesVersion to a version in standard support/);
  });

  it("warn 90 days before the pinned version leaves standard support, not 91, and block from the end date", async () => {
    const end = EKS_VERSION_CALENDAR["1.36"].endOfStandardSupport;
    expect(await check(prod, before(end, 91))).toEqual([]);
    const soon = await check(prod, before(end, 90));
    expect(soon.map((v) => [v.policy, v.enforcementLevel])).toEqual(clusters(prod).map(() => [KUBERNETES_SUPPORT_RUNWAY, "advisory"]));
    expect(soon[0].message).toContain(`until ${end} (90 days); plan the upgrade now`);
    const gone = await check(prod, end);
    expect(gone.map((v) => v.policy)).toEqual(clusters(prod).map(() => KUBERNETES_STANDARD_SUPPORT));
  });

  it("fail closed on a version the calendar does not list or an unset one", async () => {
    expect((await check(prod, TODAY, pin("1.99")))[0].message).toMatch(/^Kubernetes 1\.99 is not in the EKS version calendar/);
    expect((await check(prod, TODAY, pin(undefined)))[0].message).toMatch(/^version is unset/);
  });
});
