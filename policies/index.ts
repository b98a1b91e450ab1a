import { PolicyPack } from "@pulumi/policy";
import { InputFileError } from "../lib/inputError";
import { buildPolicies, PACK_NAME } from "./pack";

// Starts the analyzer's gRPC server: only the Pulumi CLI loads this file. Tests and the offline
// plan import ./pack instead.
let policies;
try {
  policies = buildPolicies();
} catch (err) {
  // A bad approvals file: its message (file, entry, key) and no stack trace; the pack does not start.
  if (!InputFileError.isInstance(err)) throw err;
  console.error(err.message);
  process.exit(1);
}
new PolicyPack(PACK_NAME, {
  description: "LLM inference blueprint: approved model versions, configuration drift, security and data-loss baseline.",
  enforcementLevel: "mandatory",
  policies,
});
