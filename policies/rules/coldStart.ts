import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { arr, at, byType, clusterOfProvider, LABELS, obj, podSpecOf, sidePresent, str, strMap, TYPES, vllmContainerOf, vllmWorkload } from "./common";

/**
 * Checks of the cold-start path (issue 15): where a serving node pulls the runtime image from, that
 * the pull stays inside the VPC, and that the failover estimate uses the startup budget the
 * Deployments record. Each reads the recorded plan, never the program's constants.
 */

const PULL_THROUGH_RULE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule";
const VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";
const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
const VPC = "aws:ec2/vpc:Vpc";
const FAILOVER_ESTIMATE = "llm-blueprint:serving:FailoverEstimate";
/** The Deployment annotation with the startup budget (JSON seconds), written by the program. */
const STARTUP_BUDGET_ANNOTATION = "llm-blueprint/startup-budget";
const BUDGET_TERMS = ["nodeStartSeconds", "imagePullSeconds", "weightLoadSeconds", "warmupSeconds", "readinessSeconds"] as const;
/** The recovery term a survivor's scale-up is reported under (lib/traffic.ts recoveryTime). */
const SCALE_UP_TERM = "survivor scale-up";

/** `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<path>@sha256:<digest>`, a private ECR reference by digest. */
const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([a-z0-9._-]+)\/([^@]+)@(sha256:[0-9a-f]{64})$/;

const regionOfProvider = (r: PolicyResource | undefined) => str(r?.provider?.props.region);

/** Region a vLLM Deployment runs in: its cluster's region when the plan has the cluster, else the AWS_REGION it is given. */
function deploymentRegion(d: PolicyResource, resources: readonly PolicyResource[], env: Record<string, string>): { region?: string; problem?: string } {
  const provider = resources.find((p) => p.urn === d.provider?.urn);
  const cluster = provider && sidePresent(resources, "platform") ? clusterOfProvider(resources, provider).cluster : undefined;
  const region = regionOfProvider(cluster) ?? env.AWS_REGION;
  return region ? { region } : { problem: "neither its cluster nor AWS_REGION tells its region" };
}

export const runtimeImageFromRegionalCache: StackValidationPolicy = {
  name: "runtime-image-from-regional-cache",
  description:
    "Every vLLM Deployment pulls its image by digest from the ECR pull-through cache of its own region (<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/...@sha256:...), with the same digest as the approved image it records, and (when the platform is analyzed) that region has a pull-through rule for the prefix.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const rs = args.resources;
    const platform = sidePresent(rs, "platform");
    const rules = byType(rs, PULL_THROUGH_RULE);
    for (const d of rs) {
      const w = vllmWorkload(d.type, d.props);
      if (!w) continue;
      const id = `${w.namespace}/${w.name}`;
      const image = w.container?.image;
      const env = Object.fromEntries(arr(vllmContainerOf(podSpecOf(d.type, d.props) ?? {})?.env).map(obj).filter((e) => typeof e.name === "string" && typeof e.value === "string").map((e) => [e.name as string, e.value as string]));
      const { region, problem } = deploymentRegion(d, rs, env);
      const m = ECR_IMAGE.exec(image ?? "");
      if (!m) {
        report(`${id}: image ${image ?? "(none)"} is not pulled by digest from an in-region ECR pull-through cache (<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<path>@sha256:...); every new node would pull it from upstream through NAT`, d.urn);
        continue;
      }
      const [, , imageRegion, prefix, , digest] = m;
      if (!region) report(`${id}: ${problem}, so whether ${image} is in-region cannot be told`, d.urn);
      else if (imageRegion !== region) report(`${id}: image ${image} is pulled from ECR in ${imageRegion}, not from its own region ${region}: cross-region pulls are slow and billed`, d.urn);
      const recorded = w.annotations[LABELS.imageDigest];
      if (digest !== recorded) report(`${id}: image digest ${digest} differs from the approved image's digest ${recorded ?? "(no llm-blueprint/image-digest annotation)"}; the cache must serve the same image`, d.urn);
      if (platform && region && !rules.some((r) => regionOfProvider(r) === region && r.props.ecrRepositoryPrefix === prefix)) {
        report(`${id}: no ECR pull-through cache rule with prefix "${prefix}" in ${region}, so ${image} cannot be pulled through (rules there: ${rules.filter((r) => regionOfProvider(r) === region).map((r) => String(r.props.ecrRepositoryPrefix)).join(", ") || "none"})`, d.urn);
      }
    }
  },
};

/** The VPC a resource's `vpcId` input came from, when the plan records it. */
const vpcOf = (r: PolicyResource): PolicyResource | undefined => (r.propertyDependencies.vpcId ?? []).find((x) => x.type === VPC);

/** The VPC of an EKS cluster: through its subnets' vpcId. */
function clusterVpc(cluster: PolicyResource): PolicyResource | undefined {
  for (const subnet of (cluster.propertyDependencies.vpcConfig ?? []).filter((x) => x.type === TYPES.subnet)) {
    const vpc = vpcOf(subnet);
    if (vpc) return vpc;
  }
  return undefined;
}

export const imagePullInsideVpc: StackValidationPolicy = {
  name: "image-pull-inside-vpc",
  description:
    "The VPC of every EKS cluster (each has GPU pools) has interface endpoints for ECR API and registry (private DNS on, in subnets, security groups admitting TCP 443 from named blocks only) and an S3 gateway endpoint on route tables, so image pulls stay off NAT.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const rs = args.resources;
    const endpoints = byType(rs, VPC_ENDPOINT);
    for (const cluster of byType(rs, TYPES.eksCluster)) {
      const region = regionOfProvider(cluster);
      const vpc = clusterVpc(cluster);
      const label = `EKS cluster ${String(cluster.props.name ?? cluster.name)}`;
      if (!region || !vpc) {
        report(`${label}: its ${region ? "VPC (through its subnets)" : "region"} cannot be told, so its image-pull endpoints cannot be checked`, cluster.urn);
        continue;
      }
      const inVpc = endpoints.filter((e) => vpcOf(e)?.urn === vpc.urn);
      for (const [service, kind] of [
        [`com.amazonaws.${region}.ecr.api`, "Interface"],
        [`com.amazonaws.${region}.ecr.dkr`, "Interface"],
        [`com.amazonaws.${region}.s3`, "Gateway"],
      ] as const) {
        const found = inVpc.filter((e) => e.props.serviceName === service);
        if (found.length === 0) {
          report(`${label}: VPC ${vpc.name} has no ${kind} endpoint for ${service}; nodes would pull images through NAT (endpoints there: ${inVpc.map((e) => String(e.props.serviceName)).join(", ") || "none"})`, cluster.urn);
          continue;
        }
        for (const e of found) {
          const type = e.props.vpcEndpointType ?? "Gateway";
          if (type !== kind) report(`${label}: endpoint ${e.name} for ${service} is ${String(type)}, expected ${kind}`, e.urn);
          if (kind === "Gateway") {
            if (arr(e.props.routeTableIds).length === 0) report(`${label}: S3 gateway endpoint ${e.name} is on no route table, so layer downloads still leave through NAT`, e.urn);
            continue;
          }
          if (e.props.privateDnsEnabled !== true) report(`${label}: endpoint ${e.name} for ${service} has privateDnsEnabled ${String(e.props.privateDnsEnabled ?? "unset")}; without private DNS the nodes resolve the public ECR name and go through NAT`, e.urn);
          if (arr(e.props.subnetIds).length === 0) report(`${label}: endpoint ${e.name} for ${service} is in no subnet`, e.urn);
          const groups = (e.propertyDependencies.securityGroupIds ?? []).filter((g) => g.type === SECURITY_GROUP);
          const admits443 = groups.some((g) =>
            arr(g.props.ingress)
              .map(obj)
              .some((rule) => {
                const cidrs = arr(rule.cidrBlocks).map(String);
                return (rule.protocol === "tcp" || rule.protocol === "6") && Number(rule.fromPort) <= 443 && Number(rule.toPort) >= 443 && cidrs.length > 0 && !cidrs.includes("0.0.0.0/0");
              }),
          );
          if (!admits443) report(`${label}: endpoint ${e.name} for ${service} has no security group of this plan admitting TCP 443 from named blocks (the node subnets); pulls would time out`, e.urn);
        }
      }
    }
  },
};

/** Sum of a Deployment's recorded budget terms, or undefined when the annotation lacks any. */
export function recordedColdStart(d: PolicyResource): number | undefined {
  let budget: Record<string, unknown>;
  try {
    budget = obj(JSON.parse(strMap(at(d.props, "metadata.annotations"))[STARTUP_BUDGET_ANNOTATION] ?? ""));
  } catch {
    return undefined;
  }
  const values = BUDGET_TERMS.map((t) => budget[t]);
  return values.every((v) => typeof v === "number" && Number.isInteger(v) && v >= 0) ? (values as number[]).reduce((s, v) => s + v, 0) : undefined;
}

export const failoverScaleUpIsColdStart: StackValidationPolicy = {
  name: "failover-scale-up-is-cold-start",
  description:
    "Each global endpoint's failover estimate (FailoverEstimate) counts a survivor's scale-up as the startup budget its stable Deployments record: the sum of node start, image pull, weight load, warm-up and readiness of the slowest region.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const rs = args.resources;
    for (const est of byType(rs, FAILOVER_ESTIMATE)) {
      const endpoint = str(est.props.endpoint);
      const term = arr(at(est.props, "recoveryTime.terms"))
        .map(obj)
        .find((t) => t.term === SCALE_UP_TERM);
      const stable = rs.filter((d) => {
        const w = vllmWorkload(d.type, d.props);
        return w && w.labels[LABELS.endpoint] === endpoint && w.labels[LABELS.track] === "stable";
      });
      if (!endpoint || !term) {
        report(`failover estimate ${est.name}: no endpoint or no "${SCALE_UP_TERM}" term, so its scale-up cannot be checked`, est.urn);
        continue;
      }
      if (stable.length === 0) {
        report(`failover estimate of ${endpoint}: no stable vLLM Deployment of the endpoint in the plan, so its scale-up has no budget to match`, est.urn);
        continue;
      }
      const budgets = stable.map(recordedColdStart);
      if (budgets.some((b) => b === undefined)) {
        report(`failover estimate of ${endpoint}: a stable Deployment lacks a complete ${STARTUP_BUDGET_ANNOTATION} annotation (${BUDGET_TERMS.join(", ")})`, est.urn);
        continue;
      }
      const budget = Math.max(...(budgets as number[]));
      for (const k of ["typicalSeconds", "worstSeconds"] as const) {
        const v = term[k];
        // 0: warm replicas cover that case; otherwise it is a new replica on a new node.
        if (typeof v !== "number" || (v !== 0 && v !== budget)) {
          report(`failover estimate of ${endpoint}: "${SCALE_UP_TERM}" ${k === "typicalSeconds" ? "typical" : "worst"} is ${String(v)} s, but its stable Deployments budget ${budget} s for a new replica on a new node (slowest region); derive it from the same budget`, est.urn);
        }
      }
    }
  },
};
