import { PolicyPack } from "@pulumi/policy";
import { buildPolicies, PACK_NAME } from "./pack";

// Starts the analyzer's gRPC server: only the Pulumi CLI loads this file. Tests and the offline
// plan import ./pack instead.
new PolicyPack(PACK_NAME, {
  description: "LLM inference blueprint: approved model versions, configuration drift, security and data-loss baseline.",
  enforcementLevel: "mandatory",
  policies: buildPolicies(),
});
