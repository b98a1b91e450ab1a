import { describe, expect, it } from "vitest";
import { StackConfigInput } from "../../lib/config/schema";
import { parseStackConfig } from "../../lib/config/validate";
import { BLUEPRINT_NAMESPACE } from "../../lib/config/projects";
import { configProblemList } from "../stackConfig";

const NS = BLUEPRINT_NAMESPACE;
const FILE = "platform/stacks/Pulumi.test.yaml";
const ARN = (region: string, name = "ecr-pullthroughcache/docker-hub-AbCdEf") => `arn:aws:secretsmanager:${region}:123456789012:secret:${name}`;

function config(credential: string | undefined, quotas?: unknown): StackConfigInput {
  return {
    environment: "staging",
    cluster: { kubernetesVersion: "1.36" },
    regions: [
      {
        region: "us-east-1",
        vpcCidr: "10.0.0.0/16",
        availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"],
        gpuPools: [{ class: "l4", instanceType: "g6.12xlarge", minSize: 1, maxSize: 3 }],
        ...(credential !== undefined ? { dockerHubCredentialArn: credential } : {}),
      },
    ],
    ...(quotas !== undefined ? { quotas } : {}),
  } as StackConfigInput;
}

const problemsOf = (raw: unknown) => configProblemList(raw, FILE, { namespace: NS });

describe("image cache and quota config", () => {
  it("takes a pull-through credential of the region, and quota requests off by default", () => {
    const cfg = parseStackConfig(config(ARN("us-east-1")), { namespace: NS, stackFile: FILE });
    expect(cfg.regions[0].dockerHubCredentialArn).toBe(ARN("us-east-1"));
    expect(cfg.quotas).toEqual({ requestIncreases: false });
    expect(parseStackConfig(config(undefined, { requestIncreases: true }), { namespace: NS, stackFile: FILE }).quotas.requestIncreases).toBe(true);
  });

  it("refuses a secret of another region, and one not named ecr-pullthroughcache/", () => {
    expect(problemsOf(config(ARN("us-west-2")))).toContainEqual({
      path: `${NS}:regions[0].dockerHubCredentialArn`,
      message: "the secret is in us-west-2, but a pull-through rule reads its credential from its own region us-east-1; replicate the secret to us-east-1 and use that ARN",
    });
    expect(problemsOf(config(ARN("us-east-1", "docker-hub")))).toContainEqual(expect.objectContaining({ path: `${NS}:regions[0].dockerHubCredentialArn`, message: expect.stringContaining("named ecr-pullthroughcache/") }));
  });
});
