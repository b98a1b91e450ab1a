import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { AWS_LOAD_BALANCER_CONTROLLER_CHART, DCGM_EXPORTER_CHART, ENVOY_GATEWAY_CHART, FLAGGER_CHART, FLAGGER_LOADTESTER_CHART, FLUENT_BIT_CHART, KARPENTER_CHART, KARPENTER_CRD_CHART, KEDA_CHART, KUBE_PROMETHEUS_STACK_CHART, KUBERNETES_BASELINES, NVIDIA_DEVICE_PLUGIN_CHART, SUPPORTED_KUBERNETES_VERSIONS } from "../../lib/baseline";
import { GPU_AMI_TYPE, GPU_CLASS_LABEL, GPU_CLASSES, GpuClass, gpuInstanceSpec, instanceTypesOf, SYSTEM_AMI_TYPE } from "../../lib/gpu";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { approvedModelItemSchema, approvedRuntimeItemSchema } from "../approvalsSchema";
import { Approvals, ApprovedModel, ApprovedRuntime, findApproval } from "./approvals";
import { arr, at, containersOf, digestOf, flag, LABELS, podSpecOf, str, strMap, TYPES, vllmWorkload } from "./common";

/** Configuration drift: what is declared must stay equal to the approved and pinned baseline. */

export function servingProfileMatchesApproval(approvals: Approvals): ResourceValidationPolicy {
  return {
    name: "serving-profile-matches-approval",
    description: "vLLM serving flags equal the approved profile of that version for that GPU class (tensor-parallel size, max model length, memory utilisation, max sequences, extra flags such as quantization).",
    enforcementLevel: "mandatory",
    // Entries as strict as approvals.json itself, in every stack, not only where the prod lock applies.
    configSchema: { properties: { models: { type: "array", items: approvedModelItemSchema as PolicyConfigJSONSchema, default: approvals.models } } },
    validateResource: (args, report) => {
      const w = vllmWorkload(args.type, args.props);
      if (!w?.container) return;
      const { models } = args.getConfig<{ models: ApprovedModel[] }>();
      const approval = findApproval(models ?? [], w.labels[LABELS.model], w.labels[LABELS.revision]);
      if (!approval) return; // approved-model-versions reports it
      const cls = w.labels[LABELS.gpuClass];
      const profile = approval.profiles[cls];
      if (!profile) {
        report(`${w.namespace}/${w.name} runs ${approval.name}@${approval.revision} on ${cls}, for which no serving profile was approved`);
        return;
      }
      const a = w.container.args;
      const expected: [string, string][] = [
        ["--tensor-parallel-size", String(profile.tensorParallelSize)],
        ["--max-model-len", String(profile.maxModelLen)],
        ["--gpu-memory-utilization", String(profile.gpuMemoryUtilization)],
        ["--max-num-seqs", String(profile.maxNumSeqs)],
      ];
      for (const [f, want] of expected) {
        const got = flag(a, f);
        if (got === undefined || Number(got) !== Number(want)) report(`${w.namespace}/${w.name}: ${f} is ${got ?? "unset"} but the approved ${cls} profile says ${want}`);
      }
      // --shutdown-timeout is the pod's drain (checked with the grace period), not part of a model's profile.
      const managed = new Set(["--model", "--load-format", "--served-model-name", "--host", "--port", "--shutdown-timeout", ...expected.map(([f]) => f)]);
      const extras: string[] = [];
      for (let i = 0; i < a.length; i++) {
        const name = a[i].split("=")[0];
        if (managed.has(name)) {
          if (!a[i].includes("=")) i++;
          continue;
        }
        extras.push(a[i]);
      }
      const approvedExtras = profile.extraArgs ?? [];
      if (JSON.stringify([...extras].sort()) !== JSON.stringify([...approvedExtras].sort())) {
        report(`${w.namespace}/${w.name}: extra vLLM flags [${extras.join(" ")}] differ from the approved [${approvedExtras.join(" ")}]`);
      }
    },
  };
}

export function imagesPinnedByDigest(approvals: Approvals): ResourceValidationPolicy {
  return {
    name: "images-pinned-by-digest",
    description: "Every container image is pinned by digest, and the vLLM runtime image is on the approved runtime list.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { runtimeImages: { type: "array", items: approvedRuntimeItemSchema as PolicyConfigJSONSchema, default: approvals.runtimeImages } } },
    validateResource: (args, report) => {
      const pod = podSpecOf(args.type, args.props);
      if (!pod) return;
      const name = str(at(args.props, "metadata.name")) ?? args.name;
      for (const c of containersOf(pod)) {
        if (!digestOf(c.image)) report(`${name}: container ${c.name} image ${c.image} is not pinned by digest (<repo>@sha256:...)`);
      }
      const w = vllmWorkload(args.type, args.props);
      if (w?.container) {
        const { runtimeImages } = args.getConfig<{ runtimeImages: ApprovedRuntime[] }>();
        const digest = digestOf(w.container.image);
        if (digest && !(runtimeImages ?? []).some((r) => r.digest === digest)) {
          report(`${w.namespace}/${w.name}: vLLM image digest ${digest} is not on the approved runtime list (policies/approvals.json runtimeImages)`);
        }
      }
    },
  };
}

export const noCrossRegionSkew: StackValidationPolicy = {
  name: "no-cross-region-skew",
  description: "Every region serves the same stable version and profile for a given endpoint; only canaries may differ.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const stable = new Map<string, { urn: string; version: string; profile: string; image: string }[]>();
    for (const r of args.resources) {
      const w = vllmWorkload(r.type, r.props);
      if (!w || w.labels[LABELS.track] !== "stable") continue;
      const key = w.labels[LABELS.endpoint];
      // The image by digest: each region pulls it from its own in-region cache, same digest.
      const entry = { urn: r.urn, version: w.annotations[LABELS.version] ?? "", profile: w.labels[LABELS.profileHash] ?? "", image: digestOf(w.container?.image) ?? w.container?.image ?? "" };
      stable.set(key, [...(stable.get(key) ?? []), entry]);
    }
    for (const [endpoint, entries] of stable) {
      const first = entries[0];
      for (const e of entries.slice(1)) {
        if (e.version !== first.version || e.profile !== first.profile || e.image !== first.image) {
          report(
            `endpoint ${endpoint}: stable differs between regions (${e.version}, profile ${e.profile}, image ${e.image} vs ${first.version}, profile ${first.profile}, image ${first.image}); roll out through a canary and promote everywhere`,
            e.urn,
          );
        }
      }
    }
  },
};

/** ignoreChanges paths that do not hide drift of governed properties, by type. */
const ALLOWED_IGNORE_CHANGES: Record<string, string[]> = {
  [TYPES.deployment]: ["spec.replicas"],
  [TYPES.nodeGroup]: ["scalingConfig.desiredSize"],
};
const GOVERNED_TYPES = new Set<string>([
  TYPES.deployment,
  TYPES.nodeGroup,
  TYPES.launchTemplate,
  TYPES.eksCluster,
  TYPES.eksAddon,
  TYPES.helmRelease,
  TYPES.kmsKey,
  TYPES.bucket,
  TYPES.bucketPab,
  TYPES.bucketSse,
  TYPES.bucketVersioning,
  TYPES.bucketPolicy,
  TYPES.bucketReplication,
  TYPES.rolePolicy,
  TYPES.iamPolicy,
]);

export const noIgnoreChangesOnGovernedProperties: ResourceValidationPolicy = {
  name: "no-ignore-changes-on-governed-properties",
  description: "ignoreChanges is not used on governed properties (images, args, model paths, taints, instance types, encryption, versions), since it would hide drift.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!GOVERNED_TYPES.has(args.type)) return;
    const allowed = ALLOWED_IGNORE_CHANGES[args.type] ?? [];
    for (const path of args.opts.ignoreChanges ?? []) {
      if (!allowed.includes(path)) report(`ignoreChanges "${path}" on ${args.type} would hide drift of a governed property; allowed here: ${allowed.join(", ") || "none"}`);
    }
  },
};

const CHART_PINS = [
  KARPENTER_CHART,
  KARPENTER_CRD_CHART,
  NVIDIA_DEVICE_PLUGIN_CHART,
  ENVOY_GATEWAY_CHART,
  KEDA_CHART,
  AWS_LOAD_BALANCER_CONTROLLER_CHART,
  KUBE_PROMETHEUS_STACK_CHART,
  DCGM_EXPORTER_CHART,
  FLUENT_BIT_CHART,
  FLAGGER_CHART,
  FLAGGER_LOADTESTER_CHART,
];

export const pinnedPlatformBaseline: ResourceValidationPolicy = {
  name: "pinned-platform-baseline",
  description: "Kubernetes version, add-on and chart versions, AMI type and instance types per pool class match the pinned baseline (lib/baseline.ts, lib/gpu.ts).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const p = args.props;
    switch (args.type) {
      case TYPES.eksCluster: {
        const v = str(p.version);
        if (!v || !SUPPORTED_KUBERNETES_VERSIONS.includes(v)) report(`EKS version ${v ?? "(unset: floats to the default)"} is not a pinned baseline; allowed: ${SUPPORTED_KUBERNETES_VERSIONS.join(", ")}`);
        return;
      }
      case TYPES.eksAddon: {
        const addon = str(p.addonName) ?? "";
        const pins = Object.values(KUBERNETES_BASELINES).map((b) => (b.addons as unknown as Record<string, string>)[addon]).filter(Boolean);
        if (pins.length > 0 && !pins.includes(str(p.addonVersion) ?? "")) report(`add-on ${addon} version ${str(p.addonVersion) ?? "(unset)"} is not the pinned ${pins.join(" or ")}`);
        return;
      }
      case TYPES.helmRelease: {
        const pin = CHART_PINS.find((c) => c.chart === str(p.chart));
        if (pin && str(p.version) !== pin.version) report(`chart ${pin.chart} version ${str(p.version) ?? "(unset)"} is not the pinned ${pin.version}`);
        if (!pin) report(`chart ${str(p.chart)} has no pinned baseline entry; add it to lib/baseline.ts`);
        return;
      }
      case TYPES.nodeGroup: {
        const v = str(p.version);
        if (!v || !SUPPORTED_KUBERNETES_VERSIONS.includes(v)) report(`node group version ${v ?? "(unset)"} is not a pinned baseline; allowed: ${SUPPORTED_KUBERNETES_VERSIONS.join(", ")}`);
        const cls = strMap(p.labels)[GPU_CLASS_LABEL];
        const types = arr(p.instanceTypes).map(String);
        const ami = str(p.amiType);
        if (cls) {
          if (!(GPU_CLASSES as readonly string[]).includes(cls)) {
            report(`GPU class ${cls} is not one of ${GPU_CLASSES.join(", ")}`);
            return;
          }
          const allowed = instanceTypesOf(cls as GpuClass);
          for (const t of types) if (!allowed.includes(t)) report(`instance type ${t} is not a ${cls} instance type; allowed: ${allowed.join(", ")}`);
          if (ami !== GPU_AMI_TYPE) report(`GPU pool uses AMI type ${ami}; the baseline is ${GPU_AMI_TYPE}`);
        } else {
          for (const t of types) if (gpuInstanceSpec(t)) report(`${t} is a GPU instance in a pool without a ${GPU_CLASS_LABEL} label; GPU pools must be labelled and tainted`);
          if (ami !== SYSTEM_AMI_TYPE) report(`system pool uses AMI type ${ami}; the baseline is ${SYSTEM_AMI_TYPE}`);
        }
        return;
      }
      default:
        return;
    }
  },
};
