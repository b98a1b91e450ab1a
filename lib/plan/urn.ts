import { PlanResource } from "./document";

/**
 * The SDK's mock monitor builds a child's URN from its parent's last type only, and keeps the root
 * stack type in front of top-level resources. The engine does neither: it prefixes the parent's
 * full qualified type and skips the root stack (pkg/resource/deploy/deployment.go generateURN).
 * These helpers rewrite a recorded run to the URNs `pulumi preview` would show, so policies, tests
 * and diffs key on the same names as a real deployment.
 */

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** The engine's URN for a resource, given its parent's engine URN. */
export function engineUrn(stack: string, project: string, type: string, name: string, parentUrn?: string): string {
  let qualified = type;
  if (parentUrn) {
    const parentQualified = parentUrn.split("::")[2];
    if (parentQualified !== ROOT_STACK_TYPE) qualified = `${parentQualified}$${type}`;
  }
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

function remapStrings(value: unknown, map: ReadonlyMap<string, string>): unknown {
  if (typeof value === "string") return map.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => remapStrings(v, map));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, remapStrings(v, map)]));
  }
  return value;
}

/**
 * Rewrites urn, parent, provider, dependsOn and resource references inside inputs and outputs.
 * Resources must be in registration order (a parent always registers before its children).
 */
export function withEngineUrns(resources: readonly PlanResource[], stack: string, project: string): PlanResource[] {
  const map = new Map<string, string>();
  for (const r of resources) {
    const parent = r.parent ? map.get(r.parent) ?? r.parent : undefined;
    map.set(r.urn, engineUrn(stack, project, r.type, r.name, parent));
  }
  return resources.map((r) => ({
    ...r,
    urn: map.get(r.urn)!,
    parent: r.parent ? map.get(r.parent) ?? r.parent : undefined,
    provider: r.provider ? map.get(r.provider) ?? r.provider : undefined,
    inputs: remapStrings(r.inputs, map) as Record<string, unknown>,
    options: { ...r.options, dependsOn: r.options.dependsOn.map((u) => map.get(u) ?? u) },
    ...(r.propertyDependencies
      ? { propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, urns]) => [k, urns.map((u) => map.get(u) ?? u)])) }
      : {}),
    ...(r.outputs ? { outputs: remapStrings(r.outputs, map) as Record<string, unknown> } : {}),
  }));
}
