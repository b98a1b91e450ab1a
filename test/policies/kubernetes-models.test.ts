import * as path from "path";
import { createRequire } from "module";
import { beforeAll, describe, expect, it } from "vitest";
import { PlanResource } from "../../lib/plan/document";
import { MODEL_MODULES } from "../../policies/rules/kubernetesModels";
import { HAND_WRITTEN_SCHEMAS, kubernetesKindOf, modelModuleOf, NOT_SERVED_BY_INSTALLED_CRDS } from "../../policies/rules/schemas";
import { committedStacks, run } from "../spawn";
import { recordStack } from "./harness";

// policies/rules/kubernetesModels.ts lists the schema models the plan's bundle compiles in (tools/launch.mjs).
// The table may only make a model load faster: each entry is the module its key names, and the compiled copy
// validates exactly as the package does.

const root = path.resolve(__dirname, "../..");
const kindOfSpecifier = (specifier: string) => specifier.split("/").pop()!;

interface ModelClass {
  prototype: { validate(this: unknown): void };
}

/** The schema errors a model reports for `body` ([] when it validates). */
function schemaErrors(model: ModelClass, body: unknown): unknown[] {
  try {
    model.prototype.validate.call(body);
    return [];
  } catch (err) {
    const errors = (err as { errors?: unknown[] }).errors;
    if (!Array.isArray(errors)) throw err;
    return errors;
  }
}

/** Bodies each model judges: the bare kind, and one breaking types at the top, in metadata and in spec. */
const bodiesOf = (specifier: string) => {
  const kind = kindOfSpecifier(specifier);
  return [
    { kind },
    { kind, metadata: { name: 7, labels: { a: 1 } }, spec: "not an object" },
    { kind, metadata: { name: "x" }, spec: { replicas: "three", selector: [], rules: {}, endpoints: 1, groups: [{ name: 2 }] }, data: [1] },
  ];
};

describe("the bundled Kubernetes schema models", () => {
  const stacks: Record<string, PlanResource[]> = {};
  beforeAll(async () => {
    for (const s of committedStacks(root)) stacks[s] = await recordStack(s);
  }, 300_000);

  it("list every kind with a published schema that a committed stack declares", () => {
    const needed = new Set<string>();
    for (const resources of Object.values(stacks)) {
      for (const r of resources) {
        const k = kubernetesKindOf(r.type);
        if (!k || HAND_WRITTEN_SCHEMAS[`${k.apiVersion} ${k.kind}`] || NOT_SERVED_BY_INSTALLED_CRDS[`${k.apiVersion} ${k.kind}`]) continue;
        needed.add(modelModuleOf(k)!);
      }
    }
    expect(needed.size).toBeGreaterThan(10);
    expect([...needed].filter((m) => !Object.hasOwn(MODEL_MODULES, m))).toEqual([]);
  });

  it.each(Object.keys(MODEL_MODULES))("%s: the entry imports the module its key names", async (specifier) => {
    const kind = kindOfSpecifier(specifier);
    const viaTable = (await MODEL_MODULES[specifier]())[kind];
    expect(typeof (viaTable as ModelClass | undefined)?.prototype?.validate).toBe("function");
    expect(viaTable).toBe(((await import(specifier)) as Record<string, unknown>)[kind]);
  });

  it("validate in the compiled package bundle exactly as in the packages", async () => {
    const built = await run(process.execPath, [path.join(root, "tools", "launch.mjs"), "--build", "tools/plan.ts"], { cwd: root, timeoutMs: 120_000 });
    expect(built.stderr).toBe("");
    const bundled = createRequire(__filename)(path.join(root, ".build", "kubernetes-models.cjs")) as { MODEL_MODULES: typeof MODEL_MODULES };
    expect(Object.keys(bundled.MODEL_MODULES)).toEqual(Object.keys(MODEL_MODULES));
    let compared = 0;
    for (const specifier of Object.keys(MODEL_MODULES)) {
      const kind = kindOfSpecifier(specifier);
      const fromBundle = (await bundled.MODEL_MODULES[specifier]())[kind] as ModelClass;
      const fromPackage = ((await import(specifier)) as Record<string, unknown>)[kind] as ModelClass;
      expect(fromBundle).not.toBe(fromPackage);
      for (const body of bodiesOf(specifier)) {
        const expected = schemaErrors(fromPackage, body);
        expect(expected.length, `${specifier} finds nothing wrong in ${JSON.stringify(body)}`).toBeGreaterThan(0);
        expect(schemaErrors(fromBundle, body), specifier).toEqual(expected);
        compared++;
      }
    }
    expect(compared).toBe(3 * Object.keys(MODEL_MODULES).length);
  });
});
