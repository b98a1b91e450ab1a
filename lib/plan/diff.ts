import type { CostRange } from "./cost";
import { PlanDocument, PlanResource, SECRET_MASK } from "./document";
import { componentOf, gpuCapacity, regionOf } from "./summary";

/**
 * Offline plan diff: compares two plan documents the way `pulumi preview --diff` compares state
 * with the program, by URN. Resources only in the new plan are creates, only in the old one
 * deletes, unless an alias on the new resource names the old URN (then it is the same resource).
 */

export interface PropertyChange {
  readonly path: string;
  /** Absent when the property is new. Secrets show as "[secret]". */
  readonly old?: unknown;
  /** Absent when the property is removed. */
  readonly new?: unknown;
}

export type ChangeAction = "create" | "delete" | "update" | "replace";

export interface ResourceChange {
  readonly action: ChangeAction;
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly region: string;
  readonly component: string;
  readonly changes: readonly PropertyChange[];
  /** Changed properties that force a replacement (create-before-delete unless deleteBeforeReplace). */
  readonly replaceBecause?: readonly string[];
  /** The old URN when an alias connected a renamed or moved resource. */
  readonly renamedFrom?: string;
}

export interface GpuDelta {
  readonly gpuClass: string;
  readonly before: CostRange;
  readonly after: CostRange;
}

export interface PlanDiff {
  readonly stack: string;
  readonly baseStack: string;
  readonly changes: readonly ResourceChange[];
  readonly counts: Record<ChangeAction, number>;
  /** GPUs at min / max per class, before and after. */
  readonly gpus: readonly GpuDelta[];
  /** Hourly on-demand cost at min / max, before and after (when both plans carry an estimate). */
  readonly cost?: { readonly before: CostRange; readonly after: CostRange; readonly unpricedBefore: number; readonly unpricedAfter: number };
}

/**
 * Properties whose change makes the provider replace the resource rather than update it in place:
 * forceNew fields of the AWS provider schema and immutable Kubernetes fields (checked against the
 * provider docs, 2026-11-25). Not exhaustive: an update here can still be a replace in a real
 * preview, never the other way round.
 */
export const REPLACE_ON: Readonly<Record<string, readonly string[]>> = {
  "aws:ec2/vpc:Vpc": ["cidrBlock"],
  "aws:ec2/subnet:Subnet": ["cidrBlock", "availabilityZone", "vpcId"],
  "aws:ec2/natGateway:NatGateway": ["subnetId", "allocationId", "connectivityType"],
  "aws:eks/cluster:Cluster": ["name", "kubernetesNetworkConfig", "bootstrapSelfManagedAddons"],
  "aws:eks/nodeGroup:NodeGroup": ["nodeGroupName", "nodeRoleArn", "subnetIds", "instanceTypes", "amiType", "capacityType", "diskSize", "clusterName"],
  "aws:eks/addon:Addon": ["addonName", "clusterName"],
  "aws:eks/podIdentityAssociation:PodIdentityAssociation": ["clusterName", "namespace", "serviceAccount"],
  "aws:s3/bucket:Bucket": ["bucket", "objectLockEnabled"],
  "aws:kms/alias:Alias": ["name"],
  "aws:iam/role:Role": ["name"],
  "aws:ec2/launchTemplate:LaunchTemplate": ["name"],
  "aws:lb/loadBalancer:LoadBalancer": ["name", "internal", "loadBalancerType"],
  "aws:lb/targetGroup:TargetGroup": ["name", "port", "protocol", "vpcId", "targetType"],
  "aws:acm/certificate:Certificate": ["domainName", "subjectAlternativeNames"],
  "aws:route53/record:Record": ["name", "type", "zoneId", "setIdentifier"],
  "aws:route53/healthCheck:HealthCheck": ["type", "requestInterval", "measureLatency"],
  "aws:cloudwatch/logGroup:LogGroup": ["name"],
  "aws:sns/topic:Topic": ["name", "fifoTopic"],
  "kubernetes:apps/v1:Deployment": ["spec.selector"],
  "kubernetes:helm.sh/v3:Release": ["name", "namespace"],
  "kubernetes:storage.k8s.io/v1:StorageClass": ["provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"],
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Leaf-level differences between two input trees; secrets are compared and shown masked. */
export function propertyChanges(before: unknown, after: unknown, prefix = ""): PropertyChange[] {
  if (before === SECRET_MASK || after === SECRET_MASK) {
    // A masked value cannot be compared; only a change between secret and plain is visible.
    return before === after ? [] : [{ path: prefix, ...(before === undefined ? {} : { old: before }), ...(after === undefined ? {} : { new: after }) }];
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => propertyChanges(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const n = Math.max(before.length, after.length);
    return Array.from({ length: n }, (_, i) => propertyChanges(before[i], after[i], `${prefix}[${i}]`)).flat();
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path: prefix, ...(before === undefined ? {} : { old: before }), ...(after === undefined ? {} : { new: after }) }];
}

/** The old URN an alias stands for: a full URN, or a spec renaming the last name and/or type. */
function aliasUrns(r: PlanResource): string[] {
  return (r.options.aliases as unknown[]).flatMap((a) => {
    if (typeof a === "string") return [a];
    if (!isObject(a)) return [];
    if (typeof a.urn === "string" && a.urn) return [a.urn];
    const spec = isObject(a.spec) ? a.spec : a;
    const name = typeof spec.name === "string" && spec.name ? spec.name : undefined;
    const type = typeof spec.type === "string" && spec.type ? spec.type : undefined;
    if (!name && !type) return [];
    // urn:pulumi:<stack>::<project>::<parent types $ type>::<name>
    const [prefix, project, qualified] = r.urn.split("::");
    const types = qualified.split("$");
    if (type) types[types.length - 1] = type;
    return [`${prefix}::${project}::${types.join("$")}::${name ?? r.name}`];
  });
}

const OPTION_KEYS = ["protect", "retainOnDelete", "ignoreChanges", "deleteBeforeReplace"] as const;

function resourceDiff(before: PlanResource, after: PlanResource): { changes: PropertyChange[]; replaceBecause: string[] } {
  const changes = [
    ...propertyChanges(before.inputs, after.inputs),
    ...OPTION_KEYS.flatMap((k) => propertyChanges(before.options[k], after.options[k], `(options).${k}`)),
    ...(before.provider !== after.provider ? [{ path: "(provider)", old: before.provider, new: after.provider }] : []),
  ];
  const triggers = REPLACE_ON[after.type] ?? [];
  const k8sIdentity = after.type.startsWith("kubernetes:") && after.type !== "kubernetes:helm.sh/v3:Release" ? ["metadata.name", "metadata.namespace"] : [];
  const replaceBecause = [...new Set(changes.map((c) => [...triggers, ...k8sIdentity].find((t) => c.path === t || c.path.startsWith(`${t}.`) || c.path.startsWith(`${t}[`))).filter((t): t is string => t !== undefined))];
  return { changes, replaceBecause };
}

function gpuTotals(doc: PlanDocument): Map<string, CostRange> {
  const totals = new Map<string, CostRange>();
  for (const p of gpuCapacity(doc)) {
    const t = totals.get(p.gpuClass) ?? { min: 0, max: 0 };
    totals.set(p.gpuClass, { min: t.min + p.minGpus, max: t.max + p.maxGpus });
  }
  return totals;
}

export function diffPlans(base: PlanDocument, head: PlanDocument): PlanDiff {
  const baseByUrn = new Map(base.resources.map((r) => [r.urn, r]));
  const headByUrn = new Map(head.resources.map((r) => [r.urn, r]));
  const where = (r: PlanResource, doc: Map<string, PlanResource>) => ({ region: regionOf(r, doc), component: componentOf(r, doc) });
  const changes: ResourceChange[] = [];
  const matchedBase = new Set<string>();

  // Only custom resources are changed by `pulumi up`; components just group them.
  for (const r of head.resources.filter((x) => x.custom)) {
    let old = baseByUrn.get(r.urn);
    let renamedFrom: string | undefined;
    if (!old) {
      const aliased = aliasUrns(r).find((u) => baseByUrn.has(u) && !headByUrn.has(u));
      if (aliased) {
        old = baseByUrn.get(aliased);
        renamedFrom = aliased;
      }
    }
    const at = { urn: r.urn, type: r.type, name: r.name, ...where(r, headByUrn) };
    if (!old) {
      changes.push({ action: "create", ...at, changes: propertyChanges(undefined, r.inputs) });
      continue;
    }
    matchedBase.add(old.urn);
    const { changes: props, replaceBecause } = resourceDiff(old, r);
    if (props.length === 0 && !renamedFrom) continue;
    changes.push({ action: replaceBecause.length > 0 ? "replace" : "update", ...at, changes: props, ...(replaceBecause.length ? { replaceBecause } : {}), ...(renamedFrom ? { renamedFrom } : {}) });
  }
  for (const r of base.resources.filter((x) => x.custom && !matchedBase.has(x.urn) && !headByUrn.has(x.urn))) {
    changes.push({ action: "delete", urn: r.urn, type: r.type, name: r.name, ...where(r, baseByUrn), changes: propertyChanges(r.inputs, undefined) });
  }
  changes.sort((a, b) => a.region.localeCompare(b.region) || a.component.localeCompare(b.component) || a.urn.localeCompare(b.urn));

  const counts: Record<ChangeAction, number> = { create: 0, delete: 0, update: 0, replace: 0 };
  for (const c of changes) counts[c.action]++;
  const [gBefore, gAfter] = [gpuTotals(base), gpuTotals(head)];
  const gpus = [...new Set([...gBefore.keys(), ...gAfter.keys()])]
    .sort()
    .map((gpuClass) => ({ gpuClass, before: gBefore.get(gpuClass) ?? { min: 0, max: 0 }, after: gAfter.get(gpuClass) ?? { min: 0, max: 0 } }));
  return {
    stack: head.stack,
    baseStack: base.stack,
    changes,
    counts,
    gpus,
    ...(base.cost && head.cost
      ? { cost: { before: base.cost.total.hourly, after: head.cost.total.hourly, unpricedBefore: base.cost.unpriced.length, unpricedAfter: head.cost.unpriced.length } }
      : {}),
  };
}

export function hasChanges(diff: PlanDiff): boolean {
  return diff.changes.length > 0;
}

const SYMBOL: Record<ChangeAction, string> = { create: "+", delete: "-", update: "~", replace: "+-" };

function show(v: unknown): string {
  const s = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? "undefined";
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** Text rendering, grouped by region and component, like `pulumi preview --diff` but offline. */
export function renderDiff(diff: PlanDiff, baseLabel: string, opts: { maxPaths?: number } = {}): string {
  const max = opts.maxPaths ?? 20;
  const c = diff.counts;
  const lines = [`Changes against ${baseLabel}: ${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to delete`];
  if (diff.changes.length === 0) lines.push("  no changes");
  let group = "";
  for (const ch of diff.changes) {
    const g = `${ch.region} / ${ch.component}`;
    if (g !== group) {
      lines.push(`  ${g}`);
      group = g;
    }
    const extra = [ch.renamedFrom ? `renamed from ${ch.renamedFrom.split("::").pop()}` : "", ch.replaceBecause ? `replace because ${ch.replaceBecause.join(", ")} changed` : ""].filter(Boolean).join("; ");
    lines.push(`    ${SYMBOL[ch.action].padEnd(2)} ${ch.type} ${ch.name}${extra ? ` (${extra})` : ""}`);
    if (ch.action === "update" || ch.action === "replace") {
      for (const p of ch.changes.slice(0, max)) {
        lines.push(`         ${p.path}: ${"old" in p ? show(p.old) : "(unset)"} => ${"new" in p ? show(p.new) : "(unset)"}`);
      }
      if (ch.changes.length > max) lines.push(`         ... ${ch.changes.length - max} more`);
    }
  }
  const gpuChanges = diff.gpus.filter((g) => g.before.min !== g.after.min || g.before.max !== g.after.max);
  lines.push(
    gpuChanges.length === 0
      ? "  GPU capacity: unchanged"
      : `  GPU capacity (min / max): ${gpuChanges.map((g) => `${g.gpuClass} ${g.before.min} / ${g.before.max} => ${g.after.min} / ${g.after.max}`).join(", ")}`,
  );
  if (diff.cost) {
    const d = diff.cost;
    const fmt = (n: number) => `$${n.toFixed(2)}`;
    const delta = (a: number, b: number) => `${b - a >= 0 ? "+" : "-"}${fmt(Math.abs(b - a))}`;
    lines.push(
      `  Cost per hour (min / max): ${fmt(d.before.min)} / ${fmt(d.before.max)} => ${fmt(d.after.min)} / ${fmt(d.after.max)} (${delta(d.before.min, d.after.min)} / ${delta(d.before.max, d.after.max)})` +
        (d.unpricedBefore !== d.unpricedAfter ? `; unpriced items ${d.unpricedBefore} => ${d.unpricedAfter}` : ""),
    );
  }
  return lines.join("\n");
}
