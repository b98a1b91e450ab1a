import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import type { ConfigProblem } from "./validate";

/**
 * Config keys whose values are secrets by nature: a stack file must hold them as `secure:` values
 * (encrypted by the stack's secrets provider), never as plaintext that lands in git and in state.
 */
export const SECRET_CONFIG_KEYS: Readonly<Record<string, string>> = {
  huggingFaceToken: "Hugging Face token",
  alertReceiverSecret: "Slack webhook URL or PagerDuty routing key",
};

/** Keys of `present` that are secrets by nature but not secret in the stack file. */
export function plaintextSecretProblems(namespace: string, present: readonly string[], isSecret: (fullKey: string) => boolean): ConfigProblem[] {
  return present
    .filter((key) => SECRET_CONFIG_KEYS[key] !== undefined && !isSecret(`${namespace}:${key}`))
    .map((key) => ({
      path: `${namespace}:${key}`,
      message: `holds a ${SECRET_CONFIG_KEYS[key]} as plaintext; remove the line and set it encrypted with \`pulumi config set --secret ${key} <value>\` (the stack file then carries it as "secure:")`,
    }));
}

/**
 * Whether the running program received `fullKey` as a secret. The CLI passes the secret keys in
 * PULUMI_CONFIG_SECRET_KEYS and the offline plan through setAllConfig(config, secretKeys); the SDK
 * reads them with runtime/config.js isConfigSecret (@pulumi/pulumi 3.248.0, marked @internal, so not
 * in its .d.ts). Fail closed: without it the program cannot tell, and refuses to guess.
 */
export function isConfigSecret(fullKey: string): boolean {
  const check = (runtimeConfig as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  if (typeof check !== "function") throw new Error("@pulumi/pulumi no longer exports runtime/config isConfigSecret: the blueprint cannot tell secret config values from plaintext; update lib/config/secrets.ts");
  return check(fullKey);
}
