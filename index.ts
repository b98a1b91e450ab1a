/**
 * Pulumi entry point (Pulumi.yaml `main`). Validates the whole stack config before a single resource
 * exists, then builds the blueprint. The exported function's result becomes the stack outputs.
 */
import { deployBlueprint } from "./components/Blueprint";
import { loadStackConfig } from "./lib/config/load";

export = async () => deployBlueprint(loadStackConfig());
