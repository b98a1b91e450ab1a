/** Physical names shared between components, derived in one place so tags and names always agree. */

/** Short region code used in physical names: us-east-1 -> use1, ap-southeast-2 -> apse2. */
export function regionCode(region: string): string {
  const [geo, dir, num] = region.split("-");
  const dirCode = dir
    .replace("northeast", "ne")
    .replace("northwest", "nw")
    .replace("southeast", "se")
    .replace("southwest", "sw")
    .replace("north", "n")
    .replace("south", "s")
    .replace("east", "e")
    .replace("west", "w")
    .replace("central", "c");
  return `${geo}${dirCode}${num ?? ""}`;
}

/** EKS cluster name; also the value of the kubernetes.io/cluster/<name> subnet tag. At most 100 characters. */
export function clusterName(prefix: string, stack: string, region: string): string {
  return `${prefix}-${stack}-${regionCode(region)}`.slice(0, 100);
}

/**
 * Registry bucket name: globally unique through the account id, and known at preview time (an
 * autonamed bucket's name is not), so pods' model paths and the policies that read them can be
 * checked by `pulumi preview`. Lower-case, at most 63 characters. The regional entry's NLB access-log
 * bucket is named the same way (kind "nlb-logs").
 */
export function registryBucketName(prefix: string, stack: string, accountId: string, region: string, kind: "models" | "access-logs" | "nlb-logs"): string {
  const suffix = `-${accountId}-${regionCode(region)}-${kind}`;
  const head = `${prefix}-${stack}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 63 - suffix.length).replace(/-+$/, "");
  return `${head}${suffix}`;
}
