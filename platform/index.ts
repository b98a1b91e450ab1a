/**
 * Pulumi entry point of the platform project (platform/Pulumi.yaml `main`). Validates the stack's
 * platform keys before a single resource exists, then declares the AWS half of the blueprint. The
 * result becomes the stack outputs serving reads through its StackReference.
 */
import { deployPlatform } from "../components/PlatformStack";
import { loadPlatformConfig } from "../lib/config/load";

export = async () => {
  const { config, ownKeys } = loadPlatformConfig();
  return deployPlatform(config, ownKeys).outputs;
};
