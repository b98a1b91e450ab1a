import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../lib/config/schema";
import { deployPlatform } from "./PlatformStack";
import { deployServing, ServingSecrets } from "./ServingStack";

/**
 * The whole blueprint in one program: the platform half and the serving half wired directly, with
 * no StackReference between them. The blueprint's own projects (platform/, serving/) deploy the two
 * halves as two stacks with two lifecycles; this is for a team that wants one stack. `secrets`
 * default to the stack's `llm-blueprint:huggingFaceToken` and `llm-blueprint:alertReceiverSecret`.
 * Returns the stack outputs: platform's (clusters, registries, names) with serving's endpoints.
 */
export function deployBlueprint(cfg: StackConfig, secrets?: ServingSecrets, parent?: pulumi.Resource): Record<string, unknown> {
  const platform = deployPlatform(cfg, undefined, parent);
  const serving = deployServing(cfg, platform.regions, secrets ?? blueprintSecrets(), { parent, providers: platform.providers });
  const platformRegions = platform.outputs.regions as Record<string, Record<string, unknown>>;
  const servingRegions = serving.regions as Record<string, { endpoints: Record<string, unknown> }>;
  return {
    ...platform.outputs,
    ...(serving.globalEndpoints ? { globalEndpoints: serving.globalEndpoints } : {}),
    regions: Object.fromEntries(Object.entries(platformRegions).map(([r, o]) => [r, { ...o, endpoints: servingRegions[r]?.endpoints ?? {} }])),
  };
}

/** The serving secrets as the blueprint's stack config holds them, read as Pulumi secrets (masked, encrypted in state). */
export function blueprintSecrets(): ServingSecrets {
  const config = new pulumi.Config("llm-blueprint");
  return { huggingFaceToken: config.getSecret("huggingFaceToken"), alertReceiverSecret: config.getSecret("alertReceiverSecret") };
}

export interface InferenceBlueprintArgs {
  /** Validated config (lib/config/load.ts loadStackConfig, or parseStackConfig for config from elsewhere). */
  readonly config: StackConfig;
  /** @default the stack's llm-blueprint:huggingFaceToken and llm-blueprint:alertReceiverSecret secrets */
  readonly secrets?: ServingSecrets;
}

/**
 * The whole blueprint as one component, for a team's own program:
 * `new InferenceBlueprint("llm", { config: loadStackConfig() })`. Every resource is its child.
 */
export class InferenceBlueprint extends pulumi.ComponentResource {
  readonly outputs: Record<string, unknown>;

  constructor(name: string, args: InferenceBlueprintArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-blueprint:index:InferenceBlueprint", name, {}, opts);
    this.outputs = deployBlueprint(args.config, args.secrets, this);
    this.registerOutputs(this.outputs);
  }
}
