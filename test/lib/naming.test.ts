import { describe, expect, it } from "vitest";
import { clusterName, regionCode } from "../../lib/naming";

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
