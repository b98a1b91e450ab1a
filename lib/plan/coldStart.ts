import { ANNOTATION, LABEL } from "../labels";
import { BUDGET_TERMS, STARTUP_BUDGET_ANNOTATION } from "../serving";
import { PlanDocument, PlanResource } from "./document";
import { regionOf } from "./placement";

/**
 * The cold-start budget of every served version as the plan records it: each vLLM Deployment carries
 * its terms (and how the pull and load terms were derived) in an annotation the program wrote, so
 * this reads the plan, not the config.
 */
export interface ColdStartRow {
  readonly region: string;
  readonly endpoint: string;
  readonly track: string;
  readonly model: string;
  /** `name@revision`. */
  readonly version: string;
  readonly gpuClass: string;
  /** Seconds per term, in BUDGET_TERMS order; undefined when the annotation lacks it. */
  readonly terms: Readonly<Record<(typeof BUDGET_TERMS)[number], number | undefined>>;
  /** Sum of the terms (undefined when any is missing). */
  readonly totalSeconds?: number;
  /** The pull and load derivations, when recorded. */
  readonly basis: { readonly imagePull?: string; readonly weightLoad?: string };
  /** The image the pods pull. */
  readonly image?: string;
}

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});

function parseBudget(raw: string | undefined): Obj {
  try {
    return obj(JSON.parse(raw ?? ""));
  } catch {
    return {};
  }
}

/** One row per vLLM Deployment (endpoint and track labels), in plan order. */
export function coldStartBudgets(doc: PlanDocument): ColdStartRow[] {
  const byUrn = new Map<string, PlanResource>(doc.resources.map((r) => [r.urn, r]));
  return doc.resources
    .filter((r) => r.type === DEPLOYMENT)
    .flatMap((d) => {
      const meta = obj(d.inputs.metadata);
      const labels = obj(meta.labels) as Record<string, string>;
      const annotations = obj(meta.annotations) as Record<string, string>;
      if (!labels[LABEL.endpoint] || !labels[LABEL.track]) return [];
      const budget = parseBudget(annotations[STARTUP_BUDGET_ANNOTATION]);
      const terms = Object.fromEntries(BUDGET_TERMS.map((t) => [t, typeof budget[t] === "number" ? (budget[t] as number) : undefined])) as ColdStartRow["terms"];
      const values = BUDGET_TERMS.map((t) => terms[t]);
      const basis = obj(budget.basis);
      const container = obj((obj(obj(obj(d.inputs.spec).template).spec).containers as unknown[] | undefined)?.[0]);
      return [
        {
          region: regionOf(d, byUrn),
          endpoint: labels[LABEL.endpoint],
          track: labels[LABEL.track],
          model: labels[LABEL.model] ?? "?",
          version: annotations[ANNOTATION.version] ?? "?",
          gpuClass: labels[LABEL.gpuClass] ?? "?",
          terms,
          ...(values.every((v) => v !== undefined) ? { totalSeconds: values.reduce<number>((s, v) => s + (v ?? 0), 0) } : {}),
          basis: { ...(typeof basis.imagePull === "string" ? { imagePull: basis.imagePull } : {}), ...(typeof basis.weightLoad === "string" ? { weightLoad: basis.weightLoad } : {}) },
          ...(typeof container.image === "string" ? { image: container.image } : {}),
        },
      ];
    });
}

/** Column headings of the terms, in BUDGET_TERMS order. */
export const TERM_HEADINGS: Readonly<Record<(typeof BUDGET_TERMS)[number], string>> = {
  nodeStartSeconds: "node",
  imagePullSeconds: "pull",
  weightLoadSeconds: "load",
  warmupSeconds: "warm-up",
  readinessSeconds: "ready",
};

/**
 * The table: one row per distinct (model version, class, terms) with the endpoints and regions that
 * share it, then how the pull and load terms were derived.
 */
export function renderColdStart(rows: readonly ColdStartRow[]): string[] {
  if (rows.length === 0) return [];
  const s = (v: number | undefined) => (v === undefined ? "?" : `${v} s`);
  const groups = new Map<string, { row: ColdStartRow; uses: Set<string>; regions: Set<string> }>();
  for (const r of rows) {
    const key = JSON.stringify([r.version, r.gpuClass, r.terms, r.basis]);
    const g = groups.get(key) ?? { row: r, uses: new Set<string>(), regions: new Set<string>() };
    g.uses.add(`${r.endpoint}/${r.track}`);
    g.regions.add(r.region);
    groups.set(key, g);
  }
  const table = [["model", "revision", "class", ...BUDGET_TERMS.map((t) => TERM_HEADINGS[t]), "total", "serves"]];
  for (const { row, uses, regions } of groups.values()) {
    const where = `${[...uses].join(", ")} in ${regions.size === 1 ? [...regions][0] : `${regions.size} regions`}`;
    table.push([row.model, (row.version.split("@")[1] ?? "?").slice(0, 8), row.gpuClass, ...BUDGET_TERMS.map((t) => s(row.terms[t])), s(row.totalSeconds), where]);
  }
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
  const lines = table.map((r) => "  " + r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd());
  const bases = [...new Set([...groups.values()].flatMap(({ row }) => [row.basis.imagePull && `${row.model} pull: ${row.basis.imagePull}`, row.basis.weightLoad && `${row.model} load: ${row.basis.weightLoad}`]).filter((x): x is string => !!x))];
  return [...lines, ...bases.map((b) => `    ${b}`)];
}
