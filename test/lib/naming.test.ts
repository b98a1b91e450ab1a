import { describe, expect, it } from "vitest";
import { clusterName, regionCode, registryBucketName } from "../../lib/naming";

describe("naming", () => {
  it.each([
    ["us-east-1", "use1"],
    ["us-west-2", "usw2"],
    ["eu-central-1", "euc1"],
    ["ap-southeast-2", "apse2"],
    ["ap-northeast-1", "apne1"],
    ["eu-north-1", "eun1"],
  ])("region %s -> %s", (region, code) => {
    expect(regionCode(region)).toBe(code);
  });

  it("cluster names are distinct per region and stack", () => {
    expect(clusterName("llm", "prod", "us-east-1")).toBe("llm-prod-use1");
    expect(clusterName("llm", "prod", "us-east-2")).not.toBe(clusterName("llm", "prod", "us-east-1"));
    expect(clusterName("llm", "dev", "us-east-1")).not.toBe(clusterName("llm", "prod", "us-east-1"));
  });
});

describe("registry bucket names", () => {
  it("are unique per stack, account and region, and valid S3 names even for long stack names", () => {
    expect(registryBucketName("llm", "prod", "123456789012", "us-east-1", "models")).toBe("llm-prod-123456789012-use1-models");
    const long = registryBucketName("llm", "a-very-long-feature-branch-stack-name-for-review", "123456789012", "ap-southeast-2", "access-logs");
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
    expect(long.endsWith("-123456789012-apse2-access-logs")).toBe(true);
  });
});
