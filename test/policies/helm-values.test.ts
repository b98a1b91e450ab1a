import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { CHART_PATHS_DIR, chartNameOf, loadChartPaths, parseValuePaths, splitPath, unknownValuesKeys } from "../../policies/rules/helmValues";
import { evaluate, find, recordStack } from "./harness";

const P = "helm-values-known";
const RELEASE = "kubernetes:helm.sh/v3:Release";

let prod: PlanResource[];
beforeAll(async () => {
  prod = await recordStack("prod");
}, 180_000);

const valuesOf = (r: PlanResource) => r.inputs.values as Record<string, unknown>;

describe("helm-values-known", () => {
  it("passes on the committed prod stack, every release's chart version having a path list", async () => {
    const releases = prod.filter((r) => r.type === RELEASE);
    expect(releases.length).toBeGreaterThan(0);
    for (const r of releases) expect(loadChartPaths(String(r.inputs.chart), String(r.inputs.version)), `${r.inputs.chart}@${r.inputs.version}`).toBeDefined();
    expect(await evaluate(prod, { policy: P })).toEqual([]);
  });

  it("fails a misspelt key, naming the release, the path and the nearest valid path", async () => {
    const vs = await evaluate(prod, {
      policy: P,
      mutate: (rs) => {
        const v = valuesOf(find(rs, RELEASE, "us-east-1-serving-keda"));
        v.nodeSelectr = v.nodeSelector;
        delete v.nodeSelector;
      },
    });
    expect(vs.map((v) => v.message)).toEqual([
      "Helm release us-east-1-serving-keda (keda 2.19.0): values key nodeSelectr is not in the chart's values and Helm ignores it; nearest valid key: nodeSelector",
    ]);
  });

  it("checks subchart values under their dependency name, and nested keys", async () => {
    const vs = await evaluate(prod, {
      policy: P,
      mutate: (rs) => {
        const v = valuesOf(find(rs, RELEASE, "us-east-1-observability-kube-prometheus-stack"));
        (v.grafana as Record<string, unknown>).persistance = { enabled: true };
        ((v.alertmanager as Record<string, Record<string, unknown>>).alertmanagerSpec).nodeSelectors = {};
      },
    });
    expect(vs.map((v) => v.message)).toEqual([
      "Helm release us-east-1-observability-kube-prometheus-stack (kube-prometheus-stack 81.6.2): values key alertmanager.alertmanagerSpec.nodeSelectors is not in the chart's values and Helm ignores it; nearest valid key: alertmanager.alertmanagerSpec.nodeSelector",
      "Helm release us-east-1-observability-kube-prometheus-stack (kube-prometheus-stack 81.6.2): values key grafana.persistance is not in the chart's values and Helm ignores it; nearest valid key: grafana.persistence",
    ]);
  });

  it("fails closed on a chart version with no path list", async () => {
    const vs = await evaluate(prod, {
      policy: P,
      mutate: (rs) => {
        (find(rs, RELEASE, "us-east-1-serving-keda").inputs as Record<string, unknown>).version = "2.99.0";
      },
    });
    expect(vs.map((v) => v.message)).toEqual([
      "Helm release us-east-1-serving-keda: no list of valid values paths for chart keda 2.99.0 (policies/charts/keda@2.99.0.paths); derive it from the chart's values.yaml at that version before using it",
    ]);
  });

  it("allows any key under an open map, and nothing under a leaf", () => {
    const tree = parseValuePaths(['# comment', "nodeSelector", "nodeSelector.*", "image", "image.tag", 'grafana."grafana.ini"', 'grafana."grafana.ini".*'].join("\n"));
    expect(unknownValuesKeys({ nodeSelector: { "node.role": "system" }, image: { tag: "v1" }, grafana: { "grafana.ini": { auth: { x: 1 } } } }, tree)).toEqual([]);
    expect(unknownValuesKeys({ image: { tag: { nested: 1 }, tagg: "v1" } }, tree)).toEqual([
      { path: "image.tag.nested", nearest: undefined },
      { path: "image.tagg", nearest: "image.tag" },
    ]);
    expect(splitPath('a."b.c".d')).toEqual(["a", "b.c", "d"]);
    expect(chartNameOf("oci://docker.io/envoyproxy/gateway-helm")).toBe("gateway-helm");
  });

  it("every path list names its source (repo, path, commit, date read)", () => {
    const files = fs.readdirSync(CHART_PATHS_DIR).filter((f) => f.endsWith(".paths"));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const f of files) {
      const text = fs.readFileSync(path.join(CHART_PATHS_DIR, f), "utf8");
      expect(text, f).toMatch(/^# Source: github\.com\/[\w.-]+\/[\w.-]+ \S+values[\w.]*\.yaml at \S+ \(commit [0-9a-f]{12}\), read \d{4}-\d{2}-\d{2}/m);
    }
    // A list is read from the directory it is given: no file, no list.
    expect(loadChartPaths("keda", "2.19.0", fs.mkdtempSync(path.join(os.tmpdir(), "charts-")))).toBeUndefined();
  });
});
