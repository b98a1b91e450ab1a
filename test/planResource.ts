import type { PlanResource, PlanResourceOptions } from "../lib/plan/document";

/** The options the engine records for a resource declared with none. */
export const NO_OPTIONS: PlanResourceOptions = { protect: false, retainOnDelete: false, ignoreChanges: [], dependsOn: [], deleteBeforeReplace: false, aliases: [] };

/**
 * A plan-document resource for hand-built plans: named after the last part of its URN, custom unless it is
 * one of the blueprint's components, no inputs and no options unless `extra` gives them.
 */
export function planResource(urn: string, type: string, extra: Partial<PlanResource> = {}): PlanResource {
  return { urn, type, name: urn.split("::").pop()!, custom: !type.startsWith("llm-blueprint:"), inputs: {}, options: NO_OPTIONS, ...extra };
}
