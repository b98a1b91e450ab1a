/**
 * helm-values-known: every key path a helm.sh/v3 Release sets in `values` exists in the pinned chart
 * version's values (subcharts under their dependency name), because Helm silently ignores an unknown
 * key: a misspelt `nodeSelectr` deploys with no node selector and no error.
 *
 * The valid paths of each chart version live in policies/charts/<chart>@<version>.paths, derived from
 * the chart's values.yaml at the pinned tag (each file's header names repo, path, commit and date read).
 * A chart version with no list is a violation (fail closed): add the list when bumping a chart.
 */
import * as fs from "fs";
import * as path from "path";
import type { StackValidationPolicy } from "@pulumi/policy";
import { editDistance } from "./schemas";
import { obj, Props, str, TYPES } from "./common";

export const CHART_PATHS_DIR = path.join(__dirname, "..", "charts");

/** A tree of valid keys; `open` = any key below is allowed. */
export interface ValuesTree {
  readonly children: Map<string, ValuesTree>;
  open: boolean;
}

const newTree = (): ValuesTree => ({ children: new Map(), open: false });

/** Splits `a."b.c".d` into [a, b.c, d]. */
export function splitPath(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === "\\" && i + 1 < line.length) cur += line[++i];
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ".") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export const joinPath = (keys: readonly string[]): string => keys.map((k) => (/^[A-Za-z0-9_\-/]+$/.test(k) ? k : `"${k.replace(/"/g, '\\"')}"`)).join(".");

/** Parses a .paths file: `#` lines are comments, every other line a path. */
export function parseValuePaths(text: string): ValuesTree {
  const root = newTree();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    let node = root;
    for (const key of splitPath(line)) {
      if (key === "*") {
        node.open = true;
        break;
      }
      let next = node.children.get(key);
      if (!next) node.children.set(key, (next = newTree()));
      node = next;
    }
  }
  return root;
}

/** The chart's name as the paths file is named: the last segment of `chart` (OCI references too). */
export const chartNameOf = (chart: string): string => chart.replace(/\/+$/, "").split("/").pop() ?? chart;

const trees = new Map<string, ValuesTree | undefined>();
/** The valid paths of one chart version, read once; undefined when there is no list. */
export function loadChartPaths(chart: string, version: string, dir = CHART_PATHS_DIR): ValuesTree | undefined {
  const file = path.join(dir, `${chartNameOf(chart)}@${version}.paths`);
  if (!trees.has(file)) trees.set(file, fs.existsSync(file) ? parseValuePaths(fs.readFileSync(file, "utf8")) : undefined);
  return trees.get(file);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

export interface UnknownValuesKey {
  /** The path the release sets. */
  readonly path: string;
  /** The closest valid path at that level, if any. */
  readonly nearest?: string;
}

/** Every key path in `values` that `tree` does not allow. */
export function unknownValuesKeys(values: Record<string, unknown>, tree: ValuesTree): UnknownValuesKey[] {
  const found: UnknownValuesKey[] = [];
  const walk = (value: Record<string, unknown>, node: ValuesTree, at: string[]) => {
    if (node.open) return;
    for (const [key, v] of Object.entries(value)) {
      const child = node.children.get(key);
      const here = [...at, key];
      if (!child) {
        let nearestKey: string | undefined;
        let best = Infinity;
        for (const k of node.children.keys()) {
          const d = editDistance(key.toLowerCase(), k.toLowerCase());
          if (d < best) [nearestKey, best] = [k, d];
        }
        found.push({ path: joinPath(here), nearest: nearestKey === undefined ? undefined : joinPath([...at, nearestKey]) });
        continue;
      }
      if (isPlainObject(v)) walk(v, child, here);
    }
  };
  walk(values, tree, []);
  return found;
}

export const helmValuesKnown: StackValidationPolicy = {
  name: "helm-values-known",
  description:
    "Every Helm values key a release sets exists in the pinned chart version's values.yaml (policies/charts/<chart>@<version>.paths); Helm ignores unknown keys silently.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const r of args.resources) {
      if (r.type !== TYPES.helmRelease) continue;
      const props = r.props as Props;
      const chart = str(props.chart);
      const version = str(props.version);
      if (!chart || !version) {
        reportViolation(`Helm release ${r.name}: chart ${JSON.stringify(props.chart)} version ${JSON.stringify(props.version)}; a release needs both to check its values`, r.urn);
        continue;
      }
      const tree = loadChartPaths(chart, version);
      if (!tree) {
        reportViolation(
          `Helm release ${r.name}: no list of valid values paths for chart ${chartNameOf(chart)} ${version} ` +
            `(policies/charts/${chartNameOf(chart)}@${version}.paths); derive it from the chart's values.yaml at that version before using it`,
          r.urn,
        );
        continue;
      }
      for (const u of unknownValuesKeys(obj(props.values), tree)) {
        reportViolation(
          `Helm release ${r.name} (${chartNameOf(chart)} ${version}): values key ${u.path} is not in the chart's values and Helm ignores it` +
            (u.nearest ? `; nearest valid key: ${u.nearest}` : ""),
          r.urn,
        );
      }
    }
  },
};
