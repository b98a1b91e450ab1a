/**
 * GPU capacity rules: GPU nodes come from Karpenter NodePools (no managed GPU node groups, no
 * cluster-autoscaler), each GPU class a workload uses has a NodePool in its cluster, and every
 * NodePool/EC2NodeClass keeps the properties the serving path depends on. They read the recorded
 * plan (the objects' props, their annotations), never the code that builds them.
 */
import { planNow } from "../../lib/clock";
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { KUBERNETES_BASELINES } from "../../lib/baseline";
import { GPU_CLASS_LABEL, GPU_CLASSES, GPU_RESOURCE_NAME, GPU_TAINT_KEY, GpuClass, gpuInstanceSpec, instanceTypesOf } from "../../lib/gpu";
import { arr, at, byType, containersOf, list, obj, podSpecOf, statementsOf, str, strMap, TYPES } from "./common";

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

export const NODEPOOL_TYPE = "kubernetes:karpenter.sh/v1:NodePool";
export const EC2NODECLASS_TYPE = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass";
const AUTOSCALING_TAG_TYPE = "aws:autoscaling/tag:Tag";

/**
 * karpenter.sh/capacity-type values in Karpenter's order of use (reserved, then spot, then on-demand:
 * aws/karpenter-provider-aws website/content/en/v1.14/concepts/nodepools.md, v1.14.1, read 2026-11-25).
 * The requirement's order does not steer Karpenter; the pack asks for this one so the plan reads as it behaves.
 */
const CAPACITY_ORDER = ["reserved", "spot", "on-demand"];
/** Classes whose NodePools may never allow spot (a reclaimed p5 is a long cold start). */
const NO_SPOT_CLASSES: readonly string[] = ["h100"];
/** Shortest node expiry accepted: a week (model nodes take minutes to become useful). */
const MIN_EXPIRE_HOURS = 168;
/** Root volume throughput floor, MiB/s: 4x gp3's 125 MiB/s default, so image pulls are not throttled. */
const MIN_ROOT_THROUGHPUT_MIBPS = 500;
const RESERVATIONS_ANNOTATION = "llm-blueprint.io/capacity-reservations";
const DISCOVERY_TAG = "karpenter.sh/discovery";

const hoursOf = (d: string): number | undefined => {
  if (d === "Never") return Infinity;
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(d);
  if (!m || d === "") return undefined;
  return Number(m[1] ?? 0) + Number(m[2] ?? 0) / 60 + Number(m[3] ?? 0) / 3600;
};
const nameOf = (r: PolicyResource): string => str(at(r.props, "metadata.name")) ?? r.name;
const sameCluster = (a: PolicyResource, b: PolicyResource): boolean => (a.provider?.urn ?? "") === (b.provider?.urn ?? "");
const requirementValues = (reqs: unknown[], key: string): string[] | undefined => {
  const r = reqs.map(obj).find((x) => x.key === key && x.operator === "In");
  return r ? arr(r.values).map(String) : undefined;
};

export const noClusterAutoscaler: StackValidationPolicy = {
  name: "no-cluster-autoscaler",
  description: "GPU capacity is Karpenter's alone: no cluster-autoscaler release, IAM grant or node-template tag, and no managed node group of GPU instances (two autoscalers on one cluster fight).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const r of args.resources) {
      if (r.type === TYPES.helmRelease && /(^|\/)cluster-autoscaler$/.test(str(r.props.chart) ?? "")) report(`Helm release ${r.name} installs cluster-autoscaler; GPU nodes come from Karpenter NodePools, remove it`, r.urn);
      if (r.type === TYPES.rolePolicy || r.type === TYPES.iamPolicy) {
        const granted = statementsOf(r.props.policy)
          .filter((s) => s.Effect === "Allow")
          .flatMap((s) => list(s.Action))
          .filter((a) => /^autoscaling:(SetDesiredCapacity|TerminateInstanceInAutoScalingGroup|\*)$/.test(a) || a === "*");
        if (granted.length > 0) report(`${r.type} ${r.name} grants ${[...new Set(granted)].join(", ")}: the cluster-autoscaler's scaling calls; nothing here scales node groups`, r.urn);
      }
      if (r.type === AUTOSCALING_TAG_TYPE && (str(at(r.props, "tag.key")) ?? "").startsWith("k8s.io/cluster-autoscaler")) report(`autoscaling tag ${r.name} (${str(at(r.props, "tag.key"))}) is a cluster-autoscaler node template; remove it`, r.urn);
      if (r.type === TYPES.nodeGroup) {
        const gpuTypes = arr(r.props.instanceTypes).map(String).filter((t) => gpuInstanceSpec(t));
        if (gpuTypes.length > 0 || strMap(r.props.labels)[GPU_CLASS_LABEL] !== undefined) {
          report(`managed node group ${r.name} runs GPU nodes (${gpuTypes.join(", ") || strMap(r.props.labels)[GPU_CLASS_LABEL]}); GPU nodes come from Karpenter NodePools only`, r.urn);
        }
      }
    }
  },
};

/** The problems of one GPU NodePool and its EC2NodeClass (undefined when the class is missing). */
export function gpuNodePoolProblems(pool: PolicyResource, nodeClass: PolicyResource | undefined): string[] {
  const problems: string[] = [];
  const add = (m: string) => problems.push(`NodePool ${nameOf(pool)}: ${m}`);
  const spec = obj(pool.props.spec);
  const labels = strMap(at(spec, "template.metadata.labels"));
  const cls = labels[GPU_CLASS_LABEL];
  if (!cls || !(GPU_CLASSES as readonly string[]).includes(cls)) {
    add(`template label ${GPU_CLASS_LABEL} is ${JSON.stringify(cls)}; it must name a GPU class (${GPU_CLASSES.join(", ")}) workloads select on`);
    return problems;
  }
  if (labels["nvidia.com/gpu.present"] !== "true") add(`template label nvidia.com/gpu.present is ${JSON.stringify(labels["nvidia.com/gpu.present"])}; must be "true" (dcgm-exporter and the device plugin select on it)`);
  const taints = arr(at(spec, "template.spec.taints")).map(obj);
  if (!taints.some((t) => t.key === GPU_TAINT_KEY && t.effect === "NoSchedule")) add(`no ${GPU_TAINT_KEY} NoSchedule taint: any pod could land on a GPU node`);

  const reqs = arr(at(spec, "template.spec.requirements"));
  const types = requirementValues(reqs, "node.kubernetes.io/instance-type");
  const allowed = instanceTypesOf(cls as GpuClass);
  if (!types || types.length === 0) add(`no node.kubernetes.io/instance-type In requirement: Karpenter could launch any type; allowed for ${cls}: ${allowed.join(", ")}`);
  else for (const t of types.filter((x) => !allowed.includes(x))) add(`instance type ${t} is not a ${cls} type; allowed: ${allowed.join(", ")}`);
  const capacity = requirementValues(reqs, "karpenter.sh/capacity-type");
  if (!capacity || capacity.length === 0) add(`no karpenter.sh/capacity-type In requirement; list the capacity types in order (${CAPACITY_ORDER.join(", ")})`);
  else {
    const unknown = capacity.filter((c) => !CAPACITY_ORDER.includes(c));
    if (unknown.length > 0) add(`capacity types ${unknown.join(", ")} are not Karpenter's; allowed: ${CAPACITY_ORDER.join(", ")}`);
    const known = capacity.filter((c) => CAPACITY_ORDER.includes(c));
    const ordered = [...known].sort((a, b) => CAPACITY_ORDER.indexOf(a) - CAPACITY_ORDER.indexOf(b));
    if (known.join() !== ordered.join()) add(`capacity types ${capacity.join(", ")} are out of order; list them as Karpenter uses them: reserved, spot, on-demand (${ordered.join(", ")})`);
    if (NO_SPOT_CLASSES.includes(cls) && capacity.includes("spot")) add(`a ${cls} NodePool allows spot; spot is refused for ${NO_SPOT_CLASSES.join(", ")}`);
  }
  const zones = requirementValues(reqs, "topology.kubernetes.io/zone");

  const limit = obj(spec.limits)[GPU_RESOURCE_NAME];
  const limitNum = typeof limit === "string" && /^\d+$/.test(limit) ? Number(limit) : num(limit);
  if (limitNum === undefined || limitNum < 1) add(`limits.${GPU_RESOURCE_NAME} is ${JSON.stringify(limit)}; set it to the pool's maximum GPUs so Karpenter cannot launch past the pool`);
  const policy = str(at(spec, "disruption.consolidationPolicy"));
  if (policy !== "WhenEmpty") add(`disruption.consolidationPolicy is ${JSON.stringify(policy ?? "(unset: WhenEmptyOrUnderutilized)")}; must be "WhenEmpty": a serving node is never consolidated while it runs a model`);
  const budgets = arr(at(spec, "disruption.budgets")).map(obj);
  if (budgets.length === 0) add(`no disruption budget (the default is 10% of nodes); set nodes: "1"`);
  for (const b of budgets) {
    const n = str(b.nodes) ?? "";
    if (!/^[01]$/.test(n)) add(`disruption budget nodes ${JSON.stringify(b.nodes)} may take more than one node of the class at a time; use "1" (or "0")`);
  }
  const expire = str(at(spec, "template.spec.expireAfter")) ?? "720h";
  const hours = hoursOf(expire);
  if (hours === undefined || hours < MIN_EXPIRE_HOURS) add(`expireAfter ${expire} is shorter than ${MIN_EXPIRE_HOURS}h: model nodes would be replaced (and cold-started) for nothing`);

  if (!nodeClass) {
    add(`nodeClassRef ${JSON.stringify(str(at(spec, "template.spec.nodeClassRef.name")))} names no EC2NodeClass of the same cluster in the plan`);
    return problems;
  }
  // Reserved capacity: the node class selects reservations, the pool uses them first and stays in their zones.
  const terms = arr(at(nodeClass.props, "spec.capacityReservationSelectorTerms"));
  let reservations: { availabilityZone?: unknown }[] = [];
  try {
    reservations = arr(JSON.parse(strMap(at(nodeClass.props, "metadata.annotations"))[RESERVATIONS_ANNOTATION] ?? "[]")).map(obj);
  } catch {
    add(`EC2NodeClass ${nameOf(nodeClass)} annotation ${RESERVATIONS_ANNOTATION} is not JSON; the reservations' zones cannot be checked`);
  }
  if (terms.length > 0 && capacity && capacity[0] !== "reserved") add(`its EC2NodeClass selects ${terms.length} capacity reservation(s) but capacity types start with ${JSON.stringify(capacity[0])}; put "reserved" first so reservations (billed anyway) are used before on-demand`);
  if (capacity?.includes("reserved") && terms.length === 0) add(`allows capacity type "reserved" but EC2NodeClass ${nameOf(nodeClass)} selects no capacity reservation`);
  if (terms.length > 0) {
    if (reservations.length !== terms.length) add(`EC2NodeClass ${nameOf(nodeClass)} has ${terms.length} reservation selector terms but its ${RESERVATIONS_ANNOTATION} annotation lists ${reservations.length}; each reservation needs its zone`);
    const reservedZones = [...new Set(reservations.map((r) => str(r.availabilityZone)).filter((z): z is string => z !== undefined))].sort();
    const pinned = [...new Set(zones ?? [])].sort();
    if (reservedZones.length > 0 && pinned.join() !== reservedZones.join()) {
      add(`zones ${zones ? pinned.join(", ") : "(any)"} are not its reservations' zones ${reservedZones.join(", ")}; pin the pool to them (topology.kubernetes.io/zone In) so its nodes land beside the reserved capacity`);
    }
  }
  return problems;
}

/** The problems of one EC2NodeClass; `instanceTypes` are the types of the NodePools that use it. */
export function ec2NodeClassProblems(nodeClass: PolicyResource, instanceTypes: readonly string[]): string[] {
  const problems: string[] = [];
  const add = (m: string) => problems.push(`EC2NodeClass ${nameOf(nodeClass)}: ${m}`);
  const spec = obj(nodeClass.props.spec);
  const aliases = arr(spec.amiSelectorTerms).map((t) => str(obj(t).alias));
  const pinnedAliases = [...new Set(Object.values(KUBERNETES_BASELINES).map((b) => b.gpuNodeAmiAlias))];
  if (aliases.length !== 1 || aliases[0] === undefined) add(`amiSelectorTerms must be one EKS-optimized alias pinned to a release (baseline: ${pinnedAliases.join(" or ")})`);
  else if (/@latest$/.test(aliases[0])) add(`AMI alias ${aliases[0]} floats: every AMI release drifts and replaces every GPU node; pin ${pinnedAliases.join(" or ")}`);
  else if (!pinnedAliases.includes(aliases[0])) add(`AMI alias ${aliases[0]} is not the pinned baseline ${pinnedAliases.join(" or ")} (lib/baseline.ts gpuNodeAmiAlias)`);
  const md = obj(spec.metadataOptions);
  if (md.httpTokens !== "required") add(`metadataOptions.httpTokens is ${JSON.stringify(md.httpTokens)}; must be "required" (IMDSv2 only)`);
  if (md.httpPutResponseHopLimit !== 1) add(`metadataOptions.httpPutResponseHopLimit is ${JSON.stringify(md.httpPutResponseHopLimit)}; must be 1 so pods cannot reach the node's credentials`);
  const devices = arr(spec.blockDeviceMappings).map(obj);
  const root = devices.find((d) => d.rootVolume === true) ?? devices.find((d) => d.deviceName === "/dev/xvda");
  if (!root) add("no root volume in blockDeviceMappings (rootVolume: true): its encryption and throughput are the AMI's defaults");
  else {
    const ebs = obj(root.ebs);
    if (ebs.encrypted !== true) add(`root volume encrypted is ${JSON.stringify(ebs.encrypted)}; must be true`);
    const throughput = num(ebs.throughput);
    if (throughput === undefined || throughput < MIN_ROOT_THROUGHPUT_MIBPS) add(`root volume throughput is ${JSON.stringify(ebs.throughput)} MiB/s; set at least ${MIN_ROOT_THROUGHPUT_MIBPS} (gp3's 125 MiB/s default throttles image pulls and weight spills)`);
  }
  const nvme = instanceTypes.length > 0 && instanceTypes.every((t) => (gpuInstanceSpec(t)?.instanceStoreGiB ?? 0) > 0);
  if (nvme && spec.instanceStorePolicy !== "RAID0") add(`instanceStorePolicy is ${JSON.stringify(spec.instanceStorePolicy)} but every type it launches (${instanceTypes.join(", ")}) has local NVMe; set "RAID0" so image layers and caches live there`);
  for (const key of ["subnetSelectorTerms", "securityGroupSelectorTerms"] as const) {
    const terms = arr(spec[key]).map(obj);
    if (terms.length === 0 || !terms.every((t) => strMap(t.tags)[DISCOVERY_TAG] !== undefined)) add(`${key} must select by the ${DISCOVERY_TAG} tag (ids pin it to resources a network change replaces)`);
  }
  return problems;
}

export const karpenterGpuNodePools: StackValidationPolicy = {
  name: "karpenter-gpu-nodepools",
  description:
    "Every GPU class a workload runs on has a Karpenter NodePool in its cluster with the GPU taint and labels, the class's instance types, capacity types reserved-first (no spot on h100), GPU limit, WhenEmpty consolidation, one-node budgets, long expiry and the reservations' zones; its EC2NodeClass pins the AMI alias, IMDSv2 hop 1, an encrypted root with throughput, RAID0 on NVMe, tag selectors.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const pools = byType(args.resources, NODEPOOL_TYPE);
    const classes = byType(args.resources, EC2NODECLASS_TYPE);
    const classOf = (p: PolicyResource) => classes.find((c) => sameCluster(c, p) && nameOf(c) === str(at(p.props, "spec.template.spec.nodeClassRef.name")));
    for (const p of pools) for (const m of gpuNodePoolProblems(p, classOf(p))) report(m, p.urn);
    for (const c of classes) {
      const users = pools.filter((p) => classOf(p) === c);
      if (users.length === 0) report(`EC2NodeClass ${nameOf(c)}: no NodePool uses it`, c.urn);
      const types = users.flatMap((p) => requirementValues(arr(at(p.props, "spec.template.spec.requirements")), "node.kubernetes.io/instance-type") ?? []);
      for (const m of ec2NodeClassProblems(c, types)) report(m, c.urn);
    }
    // Coverage: a GPU workload's class must have a NodePool in the same cluster, or its pods stay Pending.
    for (const r of args.resources) {
      const pod = podSpecOf(r.type, r.props);
      if (!pod || !containersOf(pod).some((c) => Number(c.resources.limits[GPU_RESOURCE_NAME] ?? 0) > 0)) continue;
      const terms = arr(at(pod, "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms")).map(obj);
      const fromAffinity = terms.flatMap((t) => arr(t.matchExpressions).map(obj)).find((e) => e.key === GPU_CLASS_LABEL)?.values;
      const cls = str(arr(fromAffinity)[0]) ?? strMap(pod.nodeSelector)[GPU_CLASS_LABEL];
      if (!cls) continue; // gpu-pool-isolation and capacity-headroom report workloads without a class
      const covered = pools.some((p) => sameCluster(p, r) && strMap(at(p.props, "spec.template.metadata.labels"))[GPU_CLASS_LABEL] === cls);
      if (!covered) report(`${r.type.split(":").pop()} ${str(at(r.props, "metadata.name")) ?? r.name} runs on ${GPU_CLASS_LABEL}=${cls} but its cluster has no Karpenter NodePool of class ${cls}: its pods would stay Pending`, r.urn);
    }
  },
};

/** A Capacity Block ending within this many days draws the advisory. */
const BLOCK_WARNING_DAYS = 14;

/**
 * capacity-block-window: a Capacity Block a NodePool depends on (its EC2NodeClass's reservations
 * annotation, with the window EC2 sold) ends within 14 days, or has ended: its nodes then fall back to
 * on-demand in the pinned zone or wait. Advisory: config refuses an ended block at plan time (exit 2),
 * this reminds before. `now` is injectable (ms since epoch) so the check is deterministic in tests.
 */
export function capacityBlockWindow(now: () => number = planNow): StackValidationPolicy {
  return {
    name: "capacity-block-window",
    description: `Capacity Blocks the GPU NodePools depend on do not end within ${BLOCK_WARNING_DAYS} days (or have ended).`,
    enforcementLevel: "advisory",
    validateStack: (args, report) => {
      const t = now();
      for (const c of byType(args.resources, EC2NODECLASS_TYPE)) {
        let reservations: unknown[] = [];
        try {
          reservations = arr(JSON.parse(strMap(at(c.props, "metadata.annotations"))[RESERVATIONS_ANNOTATION] ?? "[]"));
        } catch {
          report(`EC2NodeClass ${nameOf(c)}: annotation ${RESERVATIONS_ANNOTATION} is not JSON, so its Capacity Block windows cannot be checked`, c.urn);
          continue;
        }
        for (const r of reservations.map(obj).filter((x) => x.kind === "capacity-block")) {
          const end = Date.parse(str(r.end) ?? "");
          const name = str(r.id) ?? JSON.stringify(r.tags);
          if (Number.isNaN(end)) report(`EC2NodeClass ${nameOf(c)}: Capacity Block ${name} has no end date, so its window cannot be checked`, c.urn);
          else if (end <= t) report(`EC2NodeClass ${nameOf(c)}: Capacity Block ${name} ended at ${str(r.end)}; its nodes are gone or going, remove it from the pool's config`, c.urn);
          else if (end - t <= BLOCK_WARNING_DAYS * 86_400_000) {
            const days = Math.ceil((end - t) / 86_400_000);
            report(`EC2NodeClass ${nameOf(c)}: Capacity Block ${name} ends at ${str(r.end)}, in ${days} day(s): buy the next block or make room on demand before then`, c.urn);
          }
        }
      }
    },
  };
}
