/**
 * Pulumi entry point of the serving project (serving/Pulumi.yaml `main`). Reads the platform stack
 * named by `llm-blueprint:platformStack`, validates serving's keys together with platform's, then
 * declares what runs in the clusters. Nothing is created when either side is missing or wrong.
 */
import { readPlatform } from "../components/PlatformReference";
import { blueprintSecrets } from "../components/Blueprint";
import { deployServing } from "../components/ServingStack";
import { loadServingConfig, readServingKeys } from "../lib/config/load";

export = async () => {
  const keys = readServingKeys();
  const platform = await readPlatform(keys.platformStack);
  const config = loadServingConfig(platform.platformConfig, keys);
  return deployServing(config, platform.regionViews(config, keys.stackFile), blueprintSecrets());
};
