import * as path from "path";
import { describe, expect, it } from "vitest";
import { sdkClassOf } from "../../tools/sdkClasses";
import { recordStack } from "../policies/harness";
import { committedStacks } from "../spawn";

const root = path.resolve(__dirname, "../..");

/** The class's own type token: `static __pulumiType` of generated classes ("aws" for aws.Provider). */
function declaredType(Class: unknown): string | undefined {
  return (Class as { __pulumiType?: string } | undefined)?.__pulumiType;
}

describe("sdkClassOf (the bench's bare script declares each resource with the program's SDK class)", () => {
  it("places every custom resource and provider type of every committed stack on the class declaring that type", async () => {
    for (const stack of committedStacks(root)) {
      const types = new Set((await recordStack(stack)).filter((r) => r.custom && !r.read).map((r) => r.type));
      expect(types.size).toBeGreaterThan(20);
      for (const type of types) {
        const { module, exportName } = sdkClassOf(type);
        const Class = ((await import(module)) as Record<string, unknown>)[exportName];
        expect(typeof Class, `${type} -> ${module}#${exportName}`).toBe("function");
        // Generated classes carry their type token ("aws" for aws.Provider); CRD kinds share CustomResource.
        const expected = type.startsWith("pulumi:providers:") ? type.slice("pulumi:providers:".length) : exportName === "CustomResource" ? undefined : type;
        expect(exportName === "CustomResource" ? module : declaredType(Class), type).toBe(expected ?? "@pulumi/kubernetes/apiextensions");
      }
    }
  });

  it("declares kinds of other API groups (CRDs) with apiextensions.CustomResource, as the program does", () => {
    expect(sdkClassOf("kubernetes:flagger.app/v1beta1:Canary")).toEqual({ module: "@pulumi/kubernetes/apiextensions", exportName: "CustomResource" });
    expect(sdkClassOf("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")).toEqual({ module: "@pulumi/kubernetes/apiextensions", exportName: "CustomResource" });
    expect(sdkClassOf("kubernetes:networking.k8s.io/v1:NetworkPolicy")).toEqual({ module: "@pulumi/kubernetes/networking/v1/networkPolicy", exportName: "NetworkPolicy" });
  });

  it("refuses a type it cannot place instead of guessing a class", () => {
    expect(() => sdkClassOf("azure-native:network:VirtualNetwork")).toThrow(/no SDK package known for resource type "azure-native:network:VirtualNetwork"/);
    expect(() => sdkClassOf("pulumi:providers:gcp")).toThrow(/no SDK package known for provider type/);
    expect(() => sdkClassOf("aws:s3")).toThrow(/is not <package>:<module>:<name>/);
    expect(() => sdkClassOf("aws:s3:Bucket")).toThrow(/has no <module>\/<file> part/);
  });
});
