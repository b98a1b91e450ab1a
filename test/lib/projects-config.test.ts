import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { readProjectConfig, platformRules } from "../../lib/config/load";
import { BLUEPRINT_NAMESPACE, KEY_OWNERS, mergeServingConfig, ownershipProblems, platformOwnedKeys, PROJECT_DIRS, PROJECT_NAMES } from "../../lib/config/projects";
import { stackConfigSchema } from "../../lib/config/schema";
import { parseStackConfig, StackConfigError } from "../../lib/config/validate";
import { combinedRawConfig, projectStackFile } from "../stackConfig";

const root = path.resolve(__dirname, "../..");
const NS = BLUEPRINT_NAMESPACE;
const raw = (project: "platform" | "serving", stack: string) => readProjectConfig(NS, projectStackFile(project, stack).config);

describe("the two Pulumi projects", () => {
  it.each(["platform", "serving"] as const)("%s/Pulumi.yaml names its project, its entry point, its stacks directory and the root tsconfig", (role) => {
    const file = path.join(root, PROJECT_DIRS[role], "Pulumi.yaml");
    const doc = parseYaml(fs.readFileSync(file, "utf8")) as { name: string; main: string; stackConfigDir: string; runtime: { name: string; options: Record<string, unknown> } };
    expect(doc.name).toBe(PROJECT_NAMES[role]);
    expect(doc.main).toBe("index.ts");
    expect(fs.existsSync(path.join(path.dirname(file), doc.main))).toBe(true);
    expect(doc.stackConfigDir).toBe("stacks");
    expect(doc.runtime.name).toBe("nodejs");
    expect(doc.runtime.options).toMatchObject({ typescript: true, packagemanager: "npm", tsconfig: "../tsconfig.json" });
    expect(fs.existsSync(path.resolve(path.dirname(file), String(doc.runtime.options.tsconfig)))).toBe(true);
    // No package.json of its own: `pulumi install` would make a second node_modules beside the root's.
    expect(fs.existsSync(path.join(path.dirname(file), "package.json"))).toBe(false);
  });

  it("every key of the schema has an owner, and only environment has two", () => {
    expect(Object.keys(stackConfigSchema.shape).filter((k) => !KEY_OWNERS[k])).toEqual([]);
    expect(Object.entries(KEY_OWNERS).filter(([, owners]) => owners.length > 1).map(([k]) => k)).toEqual(["environment", "dataLossAllowList"]);
  });

  it.each(["dev", "staging", "prod"])("the committed %s stack files each hold only their project's keys, and together pass validation", (stack) => {
    expect(ownershipProblems("platform", raw("platform", stack), stack)).toEqual([]);
    expect(ownershipProblems("serving", raw("serving", stack), stack)).toEqual([]);
    expect(raw("serving", stack).platformStack).toBe(`organization/${PROJECT_NAMES.platform}/${stack}`);
    const cfg = parseStackConfig(combinedRawConfig(stack), { namespace: NS, stackFile: `serving/stacks/Pulumi.${stack}.yaml` });
    expect(platformRules(cfg)).toEqual([]);
  });
});

describe("key ownership", () => {
  it("a platform key in serving's file, or a serving key in platform's, says where it belongs", () => {
    expect(ownershipProblems("serving", { regions: [], serving: {} }, "prod")).toEqual([
      { path: "llm-blueprint:regions", message: "belongs to the platform project: set it in platform/stacks/Pulumi.prod.yaml (the serving project reads it from platform through its StackReference)" },
    ]);
    expect(ownershipProblems("platform", { observability: {}, platformStack: "x" }, "dev").map((p) => p.message)).toEqual([
      "belongs to the serving project: set it in serving/stacks/Pulumi.dev.yaml (the platform project does not read it)",
      "belongs to the serving project: set it in serving/stacks/Pulumi.dev.yaml (the platform project does not read it)",
    ]);
  });

  it("platform hands serving only its own keys", () => {
    expect(Object.keys(platformOwnedKeys({ ...raw("platform", "prod"), serving: { x: 1 } })).sort()).toEqual(Object.keys(raw("platform", "prod")).sort());
  });
});

describe("serving's view: platform's keys from its output, serving's from its file", () => {
  const where = { platformStack: "org/llm-blueprint-platform/prod", servingStackFile: "serving/stacks/Pulumi.prod.yaml" };

  it("merges the two into what the one-stack program reads", () => {
    const { config, problems } = mergeServingConfig(raw("platform", "prod"), raw("serving", "prod"), where);
    expect(problems).toEqual([]);
    expect(config).toEqual(combinedRawConfig("prod"));
  });

  it("fails closed on a platform stack without platformConfig, with keys serving does not know, or of another environment", () => {
    expect(mergeServingConfig(undefined, raw("serving", "prod"), where).problems.map((p) => p.message)).toEqual([
      'stack org/llm-blueprint-platform/prod exports no "platformConfig" object, which serving reads for the regions, clusters and names it deploys into; run `pulumi up` of llm-blueprint-platform first, or name the right stack',
    ]);
    expect(mergeServingConfig({ ...raw("platform", "prod"), serving: {} }, raw("serving", "prod"), where).problems.map((p) => p.message)).toEqual([
      'stack org/llm-blueprint-platform/prod exports keys serving does not own or know in "platformConfig": serving; deploy platform and serving from the same commit',
    ]);
    expect(mergeServingConfig({ ...raw("platform", "prod"), environment: "staging" }, raw("serving", "prod"), where).problems.map((p) => p.path)).toEqual(["llm-blueprint:environment"]);
  });
});

describe("what only the platform project requires", () => {
  const problems = (edit: (r: Record<string, unknown>) => void) => {
    const r = structuredClone(raw("platform", "prod"));
    edit(r);
    return platformRules(parseStackConfig(r, { namespace: NS, stackFile: "platform/stacks/Pulumi.prod.yaml" }));
  };

  it("names the public endpoints when it has traffic", () => {
    expect(problems((r) => delete (r.traffic as Record<string, unknown>).endpoints).map((p) => p.path)).toEqual(["llm-blueprint:traffic.endpoints"]);
  });

  it("has in-VPC runners when the API endpoint is private-only, and an access entry role for each CI job", () => {
    expect(problems((r) => delete r.ci).map((p) => p.path)).toEqual(["llm-blueprint:ci"]);
    expect(problems((r) => delete ((r.cluster as Record<string, unknown>).ciPrincipals as Record<string, unknown>).preview)).toEqual([
      { path: "llm-blueprint:cluster.ciPrincipals.preview", message: "is required with ci: the preview jobs run on the in-VPC runners as this role and need an access entry" },
    ]);
  });

  it("a served model outside platform's public names is refused, naming the model and the region", () => {
    const combined = combinedRawConfig("prod");
    ((combined.traffic as Record<string, unknown>).endpoints as Record<string, string[]>)["chat-small"] = ["us-east-1"];
    let err: unknown;
    try {
      parseStackConfig(combined, { namespace: NS, stackFile: "serving/stacks/Pulumi.prod.yaml" });
    } catch (e) {
      err = e;
    }
    expect(StackConfigError.isInstance(err)).toBe(true);
    expect((err as StackConfigError).problems).toEqual([
      {
        path: "llm-blueprint:serving.models[1].regions",
        message: '"chat-small" is served in us-west-2, us-east-2, where traffic.endpoints (platform) gives it no name (it lists us-east-1); add the region there first',
      },
    ]);
  });
});
