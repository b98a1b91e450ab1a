import * as path from "path";
import { describe, expect, it } from "vitest";
import { readCatalog } from "../../lib/catalog";
import { InputFileError, readJsonFile } from "../../lib/inputFile";
import { readPriceFile } from "../../lib/pricing";
import { AWS_REGIONS, AZ_LETTERS } from "../../lib/regions";
import { readConfigFile, readProjectFile, readStackFile } from "../../lib/plan/stackfile";

const root = path.resolve(__dirname, "../..");
const fixture = (name: string) => path.join(root, "test/fixtures", name);

/** The InputFileError `f` throws; fails if it throws nothing or something else. */
function inputError(f: () => unknown): InputFileError {
  try {
    f();
  } catch (err) {
    if (InputFileError.isInstance(err)) return err;
    throw err;
  }
  throw new Error("expected an InputFileError");
}

describe("YAML and JSON syntax errors name the file, line and column and show the line, nothing else", () => {
  it("stack file", () => {
    const err = inputError(() => readConfigFile(fixture("syntax/Pulumi.unclosed-list.yaml"), "test/fixtures/syntax/Pulumi.unclosed-list.yaml", "llm-blueprint"));
    expect(err.exitCode).toBe(2);
    const [first, ...snippet] = err.message.split("\n");
    expect(first).toMatch(/^test\/fixtures\/syntax\/Pulumi\.unclosed-list\.yaml:\d+:\d+: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a \]$/);
    expect(snippet.join("\n")).toContain("llm-blueprint:regions: [us-east-1, us-west-2");
    expect(snippet.at(-1)).toMatch(/^\s*\^+$/);
    expect(err.message).not.toMatch(/\n\s+at /);
  });

  it("catalog", () => {
    const { catalog, problems } = readCatalog(fixture("syntax/catalog-tab-indent.yaml"));
    expect(catalog).toBeUndefined();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/catalog-tab-indent\.yaml:3:1: YAML syntax error: Tabs are not allowed as indentation\n/);
  });

  it("price file", () => {
    expect(() => readPriceFile(fixture("syntax/prices-duplicate-key.yaml"))).toThrow(/prices-duplicate-key\.yaml:3:1: YAML syntax error: Map keys must be unique\n {2}hoursPerMonth: 730\n {2}hoursPerMonth: 720/);
  });

  it("pack config JSON", () => {
    const err = inputError(() => readJsonFile(fixture("syntax/pack-config-trailing-comma.json"), "policies/config/x.json"));
    expect(err.message).toBe('policies/config/x.json:4:1: JSON syntax error: Expected double-quoted property name\n  }\n  ^');
  });

  it("a missing file is one line", () => {
    expect(inputError(() => readJsonFile(fixture("nope.json"), "nope.json")).message).toBe("nope.json does not exist");
    const platform = path.join(root, "platform");
    expect(inputError(() => readStackFile(platform, readProjectFile(platform), "nope")).message).toBe('stack file stacks/Pulumi.nope.yaml does not exist (stack "nope")');
  });
});

describe("stack file shape", () => {
  it("a misspelt top-level key is refused with the nearest valid one, not read as an empty config", () => {
    expect(inputError(() => readConfigFile(fixture("Pulumi.misspelt-config-key.yaml"), "Pulumi.misspelt-config-key.yaml", "llm-blueprint")).message).toBe(
      'Pulumi.misspelt-config-key.yaml: unknown top-level key "confg" (did you mean "config"?); allowed: secretsprovider, encryptedkey, encryptionsalt, config, environment',
    );
  });
});

describe("region data", () => {
  it("lists exactly the regions of the pinned provider's Region enum", async () => {
    const { Region } = (await import("@pulumi/aws/types/enums")) as { Region: Record<string, string> };
    expect([...AWS_REGIONS].sort()).toEqual(Object.values(Region).sort());
  });

  it("zone letters are given for every region the committed stacks use", () => {
    const platform = path.join(root, "platform");
    const project = readProjectFile(platform);
    for (const stack of ["dev", "staging", "prod"]) {
      const regions = JSON.parse(readStackFile(platform, project, stack).config["llm-blueprint:regions"]) as { region: string; availabilityZones: string[] }[];
      for (const r of regions) {
        const letters = AZ_LETTERS[r.region as keyof typeof AZ_LETTERS];
        expect(letters, r.region).toBeDefined();
        for (const az of r.availabilityZones) expect(letters).toContain(az.slice(-1));
      }
    }
  });
});
