import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { KUBERNETES_API_PORT, RUNNER_WEBHOOK_EVENT } from "../../lib/ci";
import { CI_SUBNET_TIER, SUBNET_TIER_TAG } from "../../lib/network";
import { arr, at, byType, obj, str, strMap, TYPES } from "./common";

/**
 * The Kubernetes API of every cluster is reachable from the in-VPC CI runners and nothing else.
 * Everything is read from the plan: the cluster's extra security groups through its vpcConfig
 * property dependencies, their ingress rules (separate rule resources and inline blocks), the runner
 * projects (CodeBuild projects with a WORKFLOW_JOB_QUEUED webhook) and their security groups and
 * subnets, and CI subnets by their tier tag.
 */

const T = {
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  legacyRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  project: "aws:codebuild/project:Project",
  webhook: "aws:codebuild/webhook:Webhook",
} as const;

const deps = (r: PolicyResource, prop: string, type?: string) => (r.propertyDependencies[prop] ?? []).filter((d) => !type || d.type === type);
const isCiSubnet = (s: PolicyResource) => s.type === TYPES.subnet && strMap(s.props.tags)[SUBNET_TIER_TAG] === CI_SUBNET_TIER;
/** The VPC resource a subnet was created in, when its vpcId came from one. */
const vpcOf = (s: PolicyResource) => deps(s, "vpcId")[0]?.urn;

const ALLOWED = `only TCP ${KUBERNETES_API_PORT} from a runner security group (named in a runner project's vpcConfig) or from a CI subnet's CIDR (${SUBNET_TIER_TAG}: ${CI_SUBNET_TIER}) may reach the Kubernetes API`;

/** CodeBuild projects that a webhook on WORKFLOW_JOB_QUEUED turns into GitHub Actions runners. */
function runnerProjects(resources: readonly PolicyResource[]): PolicyResource[] {
  const hooked = new Set(
    byType(resources, T.webhook)
      .filter((w) => arr(w.props.filterGroups).some((g) => arr(obj(g).filters).some((f) => obj(f).type === "EVENT" && String(obj(f).pattern).split(",").map((p) => p.trim()).includes(RUNNER_WEBHOOK_EVENT))))
      .flatMap((w) => deps(w, "projectName").map((d) => d.urn)),
  );
  return byType(resources, T.project).filter((p) => hooked.has(p.urn));
}

interface RuleSource {
  protocol: unknown;
  fromPort: unknown;
  toPort: unknown;
  cidrs: string[];
  /** Security groups the rule names, and how many of them were traced to resources of this stack. */
  groups: { named: number; traced: PolicyResource[] };
  other: string[];
}

/** What is wrong with one ingress rule, or nothing. */
function ruleProblems(rule: RuleSource, runnerGroups: ReadonlySet<string>, ciCidrs: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const protocol = String(rule.protocol).toLowerCase();
  if (protocol !== "tcp" && protocol !== "6") problems.push(`allows protocol ${String(rule.protocol)}`);
  if (Number(rule.fromPort) !== KUBERNETES_API_PORT || Number(rule.toPort) !== KUBERNETES_API_PORT) problems.push(`opens ports ${String(rule.fromPort)}-${String(rule.toPort)}`);
  for (const cidr of rule.cidrs) if (!ciCidrs.has(cidr)) problems.push(`admits ${cidr}, which is not a CI subnet`);
  for (const g of rule.groups.traced) if (!runnerGroups.has(g.urn)) problems.push(`admits security group ${g.name}, which no runner project uses`);
  if (rule.groups.named > rule.groups.traced.length) problems.push("admits a security group that is not created in this stack, so it cannot be checked");
  problems.push(...rule.other);
  if (rule.cidrs.length === 0 && rule.groups.named === 0 && rule.other.length === 0) problems.push("names no source");
  return problems;
}

/** Every ingress rule on `sg`, from rule resources and from its inline `ingress` blocks. */
function ingressRulesOf(resources: readonly PolicyResource[], sg: PolicyResource): { label: string; urn: string; source: RuleSource }[] {
  const onGroup = (r: PolicyResource) => deps(r, "securityGroupId").some((d) => d.urn === sg.urn);
  const separate = byType(resources, T.ingressRule)
    .filter(onGroup)
    .map((r) => {
      const p = r.props;
      const refs = p.referencedSecurityGroupId === undefined ? 0 : 1;
      const other = [
        ...(str(p.cidrIpv6) ? [`admits ${String(p.cidrIpv6)}, which is not a CI subnet`] : []),
        ...(str(p.prefixListId) ? [`admits prefix list ${String(p.prefixListId)}, which is not a CI subnet`] : []),
      ];
      return {
        label: `ingress rule ${r.name}`,
        urn: r.urn,
        source: { protocol: p.ipProtocol, fromPort: p.fromPort, toPort: p.toPort, cidrs: str(p.cidrIpv4) ? [String(p.cidrIpv4)] : [], groups: { named: refs, traced: deps(r, "referencedSecurityGroupId", T.securityGroup) }, other },
      };
    });
  const legacy = byType(resources, T.legacyRule)
    .filter((r) => r.props.type === "ingress" && onGroup(r))
    .map((r) => {
      const p = r.props;
      const other = [
        ...(p.self === true ? ["admits every member of the group itself (self)"] : []),
        ...arr(p.ipv6CidrBlocks).map((c) => `admits ${String(c)}, which is not a CI subnet`),
        ...arr(p.prefixListIds).map((c) => `admits prefix list ${String(c)}, which is not a CI subnet`),
      ];
      return {
        label: `ingress rule ${r.name}`,
        urn: r.urn,
        source: {
          protocol: p.protocol,
          fromPort: p.fromPort,
          toPort: p.toPort,
          cidrs: arr(p.cidrBlocks).map(String),
          groups: { named: p.sourceSecurityGroupId === undefined ? 0 : 1, traced: deps(r, "sourceSecurityGroupId", T.securityGroup) },
          other,
        },
      };
    });
  // Inline blocks share one property dependency list, so their groups are traced for the whole list.
  const inlineGroups = deps(sg, "ingress", T.securityGroup);
  const inline = arr(sg.props.ingress).map((block, i) => {
    const b = obj(block);
    const named = arr(b.securityGroups).length;
    const other = [
      ...(b.self === true ? ["admits every member of the group itself (self)"] : []),
      ...arr(b.ipv6CidrBlocks).map((c) => `admits ${String(c)}, which is not a CI subnet`),
      ...arr(b.prefixListIds).map((c) => `admits prefix list ${String(c)}, which is not a CI subnet`),
    ];
    return {
      label: `inline ingress rule ${i} of ${sg.name}`,
      urn: sg.urn,
      source: { protocol: b.protocol, fromPort: b.fromPort, toPort: b.toPort, cidrs: arr(b.cidrBlocks).map(String), groups: { named, traced: named > 0 ? inlineGroups : [] }, other },
    };
  });
  return [...separate, ...legacy, ...inline];
}

export const clusterApiReachableByRunnersOnly: StackValidationPolicy = {
  name: "cluster-api-reachable-by-runners-only",
  description:
    "EKS: the Kubernetes API is private (public endpoint off, or limited to listed CIDRs), the control plane carries an extra security group whose every ingress rule is TCP 443 from a runner security group or a CI subnet CIDR, and every cluster's VPC has a CodeBuild runner project in its CI subnets.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const clusters = byType(args.resources, TYPES.eksCluster);
    if (clusters.length === 0) args.notApplicable("no EKS clusters");
    const runners = runnerProjects(args.resources);
    const runnerGroups = new Set(runners.flatMap((p) => deps(p, "vpcConfig", T.securityGroup).map((g) => g.urn)));
    const ciCidrs = new Set(byType(args.resources, TYPES.subnet).filter(isCiSubnet).map((s) => String(s.props.cidrBlock)));

    for (const c of clusters) {
      const label = `cluster ${str(c.props.name) ?? c.name}`;
      const publicOn = at(c.props, "vpcConfig.endpointPublicAccess") !== false;
      if (publicOn && arr(at(c.props, "vpcConfig.publicAccessCidrs")).length === 0) {
        report(`${label}: the public API endpoint is on for every address; turn it off (vpcConfig.endpointPublicAccess: false) so only the runners reach the API`, c.urn);
      }

      const named = arr(at(c.props, "vpcConfig.securityGroupIds")).length;
      const groups = deps(c, "vpcConfig", T.securityGroup);
      if (named === 0) report(`${label}: no extra security group on the control plane (vpcConfig.securityGroupIds); give it CiRunners.controlPlaneSecurityGroupId so ${ALLOWED}`, c.urn);
      else if (groups.length < named) report(`${label}: vpcConfig.securityGroupIds names ${named} group(s) but only ${groups.length} are created in this stack; the others' rules cannot be checked`, c.urn);
      for (const sg of groups) {
        for (const rule of ingressRulesOf(args.resources, sg)) {
          const problems = ruleProblems(rule.source, runnerGroups, ciCidrs);
          if (problems.length > 0) report(`${label}: control-plane security group ${sg.name}, ${rule.label} ${problems.join("; ")}; ${ALLOWED}`, rule.urn);
        }
      }

      const vpcs = [...new Set(deps(c, "vpcConfig", TYPES.subnet).map(vpcOf))];
      if (vpcs.length !== 1 || vpcs[0] === undefined) {
        report(`${label}: its subnets cannot be traced to one VPC of this stack, so its runner project cannot be found`, c.urn);
        continue;
      }
      const runsHere = runners.some((p) => {
        const subnets = deps(p, "vpcConfig", TYPES.subnet);
        const named = arr(at(p.props, "vpcConfig.subnets")).length;
        return subnets.length > 0 && subnets.length >= named && subnets.every((s) => isCiSubnet(s) && vpcOf(s) === vpcs[0]);
      });
      if (!runsHere) {
        report(
          `${label}: no runner project (a CodeBuild project with a ${RUNNER_WEBHOOK_EVENT} webhook) has its vpcConfig subnets in the CI subnets (${SUBNET_TIER_TAG}: ${CI_SUBNET_TIER}) of this cluster's VPC, so no deploy job can reach its private API; add CiRunners for the region`,
          c.urn,
        );
      }
    }
  },
};
