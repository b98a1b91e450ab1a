import { describe, expect, it } from "vitest";
import { SUPPORTED_KUBERNETES_VERSIONS } from "../../lib/baseline";
import { BLUEPRINT_NAMESPACE } from "../../lib/config/projects";
import { plaintextSecretProblems, SECRET_CONFIG_KEYS } from "../../lib/config/secrets";
import { parseStackConfig, StackConfigError } from "../../lib/config/validate";

const NS = BLUEPRINT_NAMESPACE;
const FILE = "platform/stacks/Pulumi.test.yaml";

const config = (flowLogRetentionDays?: unknown) => ({
  environment: "staging",
  cluster: { kubernetesVersion: SUPPORTED_KUBERNETES_VERSIONS[0] },
  regions: [
    {
      region: "us-east-1",
      vpcCidr: "10.0.0.0/16",
      availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"],
      ...(flowLogRetentionDays === undefined ? {} : { flowLogRetentionDays }),
      gpuPools: [{ class: "l4", instanceType: "g6.12xlarge", minSize: 1, maxSize: 3 }],
    },
  ],
});

describe("regions[].flowLogRetentionDays", () => {
  it("defaults to 365 days and takes any CloudWatch retention value", () => {
    expect(parseStackConfig(config(), { namespace: NS, stackFile: FILE }).regions[0].flowLogRetentionDays).toBe(365);
    expect(parseStackConfig(config(731), { namespace: NS, stackFile: FILE }).regions[0].flowLogRetentionDays).toBe(731);
  });

  it("refuses a value CloudWatch does not offer, naming the key and the allowed values", () => {
    let caught: unknown;
    try {
      parseStackConfig(config(100), { namespace: NS, stackFile: FILE });
    } catch (err) {
      caught = err;
    }
    expect(StackConfigError.isInstance(caught)).toBe(true);
    expect((caught as StackConfigError).problems).toEqual([{ path: `${NS}:regions[0].flowLogRetentionDays`, message: expect.stringMatching(/^must be a CloudWatch retention value: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, /) }]);
  });
});

describe("plaintextSecretProblems", () => {
  it("reports a secret-by-nature key the stack file holds as plaintext, and nothing for secure values or other keys", () => {
    const secret = new Set([`${NS}:alertReceiverSecret`]);
    expect(plaintextSecretProblems(NS, ["huggingFaceToken", "alertReceiverSecret", "environment"], (k) => secret.has(k))).toEqual([
      { path: `${NS}:huggingFaceToken`, message: 'holds a Hugging Face token as plaintext; remove the line and set it encrypted with `pulumi config set --secret huggingFaceToken <value>` (the stack file then carries it as "secure:")' },
    ]);
    expect(Object.keys(SECRET_CONFIG_KEYS).sort()).toEqual(["alertReceiverSecret", "huggingFaceToken"]);
  });
});
