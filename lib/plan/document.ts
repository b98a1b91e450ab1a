/**
 * The plan document written by `npm run plan -- --json <file>`. Field names are a contract: CI and
 * other tools read them. Add fields; never rename or remove one.
 */

import type { CostEstimate } from "./cost";

export interface PlanResourceOptions {
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly ignoreChanges: readonly string[];
  /** URNs of explicit and implicit dependencies, as the engine receives them. */
  readonly dependsOn: readonly string[];
  readonly deleteBeforeReplace: boolean;
  readonly aliases: readonly unknown[];
  /**
   * `customTimeouts` in seconds, as the engine passes them to analyzers (0 = the provider's default).
   * Absent in plan documents written before it was recorded.
   */
  readonly customTimeouts?: { readonly createSeconds: number; readonly updateSeconds: number; readonly deleteSeconds: number };
}

export interface PlanResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** Parent URN; the root stack resource has none. */
  readonly parent?: string;
  /** URN of the provider resource used, for custom resources. */
  readonly provider?: string;
  readonly custom: boolean;
  /** For each input property, the URNs of the resources its value came from (what the analyzer gets). */
  readonly propertyDependencies?: Record<string, readonly string[]>;
  /** Inputs as registered, with secrets masked as "[secret]". */
  readonly inputs: Record<string, unknown>;
  readonly options: PlanResourceOptions;
  /** Outputs a component registered with registerOutputs (components only). */
  outputs?: Record<string, unknown>;
  /** The Pulumi project that declares it (llm-blueprint-platform or llm-blueprint-serving). */
  readonly project?: string;
  /** Present for a resource the program reads instead of managing (a StackReference): the id it reads. */
  readonly read?: { readonly id: string };
}

/** One project of a plan: its directory, the stack file it read and the stack it planned. */
export interface PlanProject {
  readonly name: string;
  readonly dir: string;
  readonly stackFile: string;
  readonly stack: string;
}

export interface PolicyViolation {
  readonly policy: string;
  readonly policyPack?: string;
  readonly enforcementLevel: "advisory" | "mandatory" | "remediate" | "disabled";
  readonly urn?: string;
  readonly message: string;
}

export interface PlanDocument {
  readonly stack: string;
  /** The planned projects' names joined by "+" (one name when a single project was planned). */
  readonly project: string;
  /** Each planned project, platform first. Absent in plan documents written before the split. */
  readonly projects?: readonly PlanProject[];
  readonly resources: PlanResource[];
  /** Stack outputs by project name (one level: `{ "<project>": { ... } }`). */
  readonly outputs: Record<string, unknown>;
  readonly policy: { violations: PolicyViolation[] };
  /** On-demand cost estimate from the project's price file (absent when it has none). */
  readonly cost?: CostEstimate;
}

export const SECRET_MASK = "[secret]";
