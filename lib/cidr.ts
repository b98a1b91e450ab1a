import * as ipaddr from "ipaddr.js";

/** An IPv4 CIDR block as an inclusive numeric range. */
export interface Ipv4Block {
  readonly cidr: string;
  readonly first: number;
  readonly last: number;
  readonly prefix: number;
}

function toNumber(addr: ipaddr.IPv4): number {
  return addr.octets.reduce((n, o) => n * 256 + o, 0);
}

function toDotted(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** Parses "a.b.c.d/p"; throws a readable Error when the text is not a canonical IPv4 CIDR. */
export function parseIpv4Cidr(cidr: string): Ipv4Block {
  if (!ipaddr.IPv4.isValidCIDR(cidr)) throw new Error(`"${cidr}" is not an IPv4 CIDR such as 10.0.0.0/16`);
  const [addr, prefix] = ipaddr.IPv4.parseCIDR(cidr);
  const size = 2 ** (32 - prefix);
  const start = toNumber(addr);
  if (start % size !== 0) {
    throw new Error(`"${cidr}" has host bits set; the network address is ${toDotted(start - (start % size))}/${prefix}`);
  }
  return { cidr, first: start, last: start + size - 1, prefix };
}

export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseIpv4Cidr(a);
  const y = parseIpv4Cidr(b);
  return x.first <= y.last && y.first <= x.last;
}

/**
 * Carves `count` consecutive subnets of `newPrefix` out of `cidr`, starting at subnet `offset`.
 * Pure arithmetic, so subnet layouts are stable across runs and reviewable in a diff.
 */
export function carveSubnets(cidr: string, newPrefix: number, count: number, offset = 0): string[] {
  const block = parseIpv4Cidr(cidr);
  if (newPrefix < block.prefix || newPrefix > 28) {
    throw new Error(`cannot carve /${newPrefix} subnets out of ${cidr}`);
  }
  const size = 2 ** (32 - newPrefix);
  const available = 2 ** (newPrefix - block.prefix);
  if (offset + count > available) {
    throw new Error(`${cidr} holds ${available} /${newPrefix} subnets; ${offset + count} were asked for`);
  }
  return Array.from({ length: count }, (_, i) => `${toDotted(block.first + (offset + i) * size)}/${newPrefix}`);
}
