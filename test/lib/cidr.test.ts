import { describe, expect, it } from "vitest";
import { carveSubnets, cidrsOverlap, parseIpv4Cidr } from "../../lib/cidr";

describe("cidr", () => {
  it("parses canonical blocks and refuses host bits and garbage", () => {
    expect(parseIpv4Cidr("10.1.0.0/16")).toMatchObject({ prefix: 16, first: 10 * 2 ** 24 + 2 ** 16, last: 10 * 2 ** 24 + 2 * 2 ** 16 - 1 });
    expect(() => parseIpv4Cidr("10.1.2.0/16")).toThrow('"10.1.2.0/16" has host bits set; the network address is 10.1.0.0/16');
    expect(() => parseIpv4Cidr("10.1.0.0")).toThrow("is not an IPv4 CIDR");
    expect(() => parseIpv4Cidr("300.1.0.0/16")).toThrow("is not an IPv4 CIDR");
  });

  it("detects overlap, containment and adjacency correctly", () => {
    expect(cidrsOverlap("10.0.0.0/16", "10.0.128.0/17")).toBe(true);
    expect(cidrsOverlap("10.0.0.0/17", "10.0.128.0/17")).toBe(false);
    expect(cidrsOverlap("10.0.0.0/16", "10.1.0.0/16")).toBe(false);
    expect(cidrsOverlap("10.0.0.0/8", "10.200.0.0/16")).toBe(true);
  });

  it("carves consecutive subnets and refuses to carve past the block", () => {
    expect(carveSubnets("10.0.0.0/16", 18, 3)).toEqual(["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18"]);
    expect(carveSubnets("10.0.0.0/16", 22, 2, 48)).toEqual(["10.0.192.0/22", "10.0.196.0/22"]);
    expect(() => carveSubnets("10.0.0.0/20", 22, 5)).toThrow("10.0.0.0/20 holds 4 /22 subnets; 5 were asked for");
    expect(() => carveSubnets("10.0.0.0/20", 16, 1)).toThrow("cannot carve /16 subnets out of 10.0.0.0/20");
  });
});
