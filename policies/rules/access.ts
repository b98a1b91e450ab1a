import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { CI_ROLE_TAG, CI_ROLES, CiRole, EKS_ACCESS_POLICIES, EksAccessPolicyGrants, eksAccessPolicyName } from "../../lib/access";
import { arr, at, byType, clusterOfProvider, projectOf, sidePresent, str, strMap } from "./common";

/**
 * Access of the CI principals to the clusters, read from the recorded access entries (whose
 * `llm-blueprint:ci-role` tag says which role a principal serves) and their policy associations.
 * What each EKS access policy grants is an upstream fact (lib/access.ts EKS_ACCESS_POLICIES, from
 * the EKS user guide); which policy each role is given is NOT imported: it is what this checks.
 */

const TYPE = {
  cluster: "aws:eks/cluster:Cluster",
  accessEntry: "aws:eks/accessEntry:AccessEntry",
  association: "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
  kubernetesProvider: "pulumi:providers:kubernetes",
} as const;

interface Association {
  readonly resource: PolicyResource;
  readonly policyArn: string;
  readonly policyName: string | undefined;
  readonly grants: EksAccessPolicyGrants | undefined;
  /** "cluster", or the sorted namespaces of a namespace scope. */
  readonly scope: "cluster" | readonly string[];
}

interface CiPrincipal {
  readonly entry: PolicyResource;
  readonly roles: readonly CiRole[];
  readonly principalArn: string;
  readonly clusterName: string;
  readonly associations: Association[];
}

const linked = (r: PolicyResource, prop: string, type: string) => (r.propertyDependencies[prop] ?? []).filter((d) => d.type === type);

/** The cluster an entry or association belongs to: the Cluster its clusterName came from, else by name. */
function clusterOf(r: PolicyResource, clusters: readonly PolicyResource[]): PolicyResource | undefined {
  const byDependency = linked(r, "clusterName", TYPE.cluster);
  if (byDependency.length > 0) return byDependency[0];
  const name = str(r.props.clusterName);
  return clusters.find((c) => name !== undefined && str(c.props.name) === name);
}

function scopeOf(props: Record<string, unknown>): Association["scope"] | undefined {
  const type = at(props, "accessScope.type");
  if (type === "cluster") return "cluster";
  if (type === "namespace") return arr(at(props, "accessScope.namespaces")).map(String).sort();
  return undefined;
}

const scopeCovers = (a: Association["scope"], b: Association["scope"]) => a === "cluster" || (b !== "cluster" && b.every((ns) => a.includes(ns)));
const scopeText = (s: Association["scope"]) => (s === "cluster" ? "cluster-wide" : `in namespace(s) ${s.join(", ")}`);
const KNOWN_POLICIES = Object.keys(EKS_ACCESS_POLICIES).join(", ");

// Custom resource tokens name a module path ("aws:eks/cluster:Cluster"); components do not.
const isComponent = (type: string) => !type.startsWith("pulumi:providers:") && !/^[^:]+:[^:]*\/[^:]*:/.test(type);

/**
 * The URNs a resource is ordered after: its dependencies and property dependencies, transitively; a
 * component dependency stands for all its descendants, as Pulumi waits for a component's children.
 */
function orderingOf(all: readonly PolicyResource[]): (r: PolicyResource) => Set<string> {
  const children = new Map<string, PolicyResource[]>();
  for (const x of all) {
    if (x.parent) children.set(x.parent.urn, [...(children.get(x.parent.urn) ?? []), x]);
  }
  return (r) => {
    const seen = new Set<string>();
    const queue = [...r.dependencies, ...Object.values(r.propertyDependencies).flat()];
    while (queue.length > 0) {
      const d = queue.pop()!;
      if (seen.has(d.urn)) continue;
      seen.add(d.urn);
      queue.push(...d.dependencies, ...Object.values(d.propertyDependencies).flat());
      if (isComponent(d.type)) queue.push(...(children.get(d.urn) ?? []));
    }
    return seen;
  };
}

export const ciAccessLeastPrivilege: StackValidationPolicy = {
  name: "ci-access-least-privilege",
  description:
    "CI principals on EKS: preview and drift cannot write, drift reads every object including Secrets, deploy is cluster admin, no principal holds a policy another of its policies already grants, and each cluster's kubernetes provider waits for the deploy access.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const clusters = byType(args.resources, TYPE.cluster);
    const entries = byType(args.resources, TYPE.accessEntry);
    const associations = byType(args.resources, TYPE.association);

    // CI principals, from the role tag of their access entries (fail closed on a role it does not know).
    const principals: CiPrincipal[] = [];
    for (const entry of entries) {
      const tag = strMap(entry.props.tags)[CI_ROLE_TAG];
      if (tag === undefined) continue;
      const roles = tag.split("+");
      const unknown = roles.filter((r) => !(CI_ROLES as readonly string[]).includes(r));
      if (unknown.length > 0 || roles.length === 0) {
        report(`access entry ${entry.name}: tag ${CI_ROLE_TAG} is "${tag}"; allowed: ${CI_ROLES.join(", ")} (several joined with "+")`, entry.urn);
        continue;
      }
      const principalArn = str(entry.props.principalArn) ?? "";
      const cluster = clusterOf(entry, clusters);
      principals.push({ entry, roles: roles as CiRole[], principalArn, clusterName: str(cluster?.props.name) ?? str(entry.props.clusterName) ?? "", associations: [] });
    }

    // Each association belongs to the entry its principalArn came from, else to the entry with the
    // same principal on the same cluster (EKS keys an association by cluster and principal).
    for (const resource of associations) {
      const fromEntry = linked(resource, "principalArn", TYPE.accessEntry).map((e) => e.urn);
      const cluster = clusterOf(resource, clusters);
      const clusterName = str(cluster?.props.name) ?? str(resource.props.clusterName) ?? "";
      const principalArn = str(resource.props.principalArn);
      const owner = principals.find((p) => fromEntry.includes(p.entry.urn) || (p.principalArn === principalArn && p.clusterName === clusterName));
      if (!owner) continue;
      const policyArn = str(resource.props.policyArn) ?? "";
      const policyName = eksAccessPolicyName(policyArn);
      const grants = policyName ? EKS_ACCESS_POLICIES[policyName as keyof typeof EKS_ACCESS_POLICIES] : undefined;
      const scope = scopeOf(resource.props);
      if (!grants) {
        report(`${owner.roles.join("+")} principal ${owner.principalArn}: access policy "${policyArn}" is not one this pack knows what it grants; allowed: ${KNOWN_POLICIES}`, resource.urn);
      }
      if (!scope) report(`${owner.roles.join("+")} principal ${owner.principalArn}: accessScope.type is ${JSON.stringify(at(resource.props, "accessScope.type"))}; allowed: cluster, namespace`, resource.urn);
      owner.associations.push({ resource, policyArn, policyName, grants, scope: scope ?? [] });
    }

    for (const p of principals) {
      const who = `${p.roles.join("+")} principal ${p.principalArn} on cluster ${p.clusterName}`;
      const known = p.associations.filter((a) => a.grants);
      if (p.associations.length === 0) {
        report(`${who} has an access entry but no access policy: its CI job cannot reach the Kubernetes API`, p.entry.urn);
        continue;
      }
      if (p.roles.includes("preview") || p.roles.includes("drift")) {
        for (const a of known.filter((x) => x.grants!.writes)) {
          report(
            `${who}: ${a.policyName} can write (${scopeText(a.scope)}); preview and drift jobs must be read-only, and a Kubernetes dry-run is authorized like the write itself, so a write grant is a real write grant. Use AmazonEKSViewPolicy (preview) or AmazonEKSAdminViewPolicy (drift)`,
            a.resource.urn,
          );
        }
      }
      if (p.roles.includes("drift") && !known.some((a) => a.grants!.readsSecrets && a.grants!.readsEveryResource && a.scope === "cluster")) {
        report(
          `${who} cannot read every object cluster-wide, Secrets included (has ${p.associations.map((a) => a.policyName ?? a.policyArn).join(", ")}); the drift refresh reads Helm release Secrets and custom resources. Use AmazonEKSAdminViewPolicy at cluster scope`,
          p.entry.urn,
        );
      }
      if (p.roles.includes("deploy") && !known.some((a) => a.grants!.clusterAdmin && a.scope === "cluster")) {
        report(
          `${who} is not cluster admin (has ${p.associations.map((a) => a.policyName ?? a.policyArn).join(", ")}); installing charts creates CRDs, ClusterRoles and webhooks, which RBAC allows only to a principal holding those rights. Use AmazonEKSClusterAdminPolicy at cluster scope`,
          p.entry.urn,
        );
      }
      // Redundant grants: one association already grants everything another does, at least as widely.
      for (const a of known) {
        for (const b of known) {
          if (a === b) continue;
          const duplicate = a.policyName === b.policyName && known.indexOf(a) < known.indexOf(b);
          const covers = a.policyName !== b.policyName && a.grants!.covers.includes(b.policyName as never);
          if ((duplicate || covers) && scopeCovers(a.scope, b.scope)) {
            report(`${who}: ${b.policyName} (${scopeText(b.scope)}) is redundant: ${a.policyName} (${scopeText(a.scope)}) already grants all of it; associate one policy`, b.resource.urn);
          }
        }
      }
    }

    // A kubernetes provider reaching a cluster must wait for that cluster's deploy access.
    const deployByCluster = new Map<string, Association[]>();
    for (const p of principals.filter((x) => x.roles.includes("deploy"))) {
      deployByCluster.set(p.clusterName, [...(deployByCluster.get(p.clusterName) ?? []), ...p.associations]);
    }
    const orderedAfter = orderingOf(args.resources);
    const typeOf = new Map(args.resources.map((r) => [r.urn, r.type]));
    // Under a serving-only preview the clusters are in the other project (common.ts sidePresent).
    const platformPresent = sidePresent(args.resources, "platform");
    for (const provider of byType(args.resources, TYPE.kubernetesProvider)) {
      const after = orderedAfter(provider);
      // The cluster(s) its kubeconfig was built from; else the one its `cluster` input names.
      const kubeconfigSources = provider.propertyDependencies.kubeconfig ?? [];
      let reached = clusters.filter((c) => kubeconfigSources.some((d) => d.urn === c.urn || orderedAfter(d).has(c.urn)));
      if (reached.length === 0) {
        const { cluster, problem } = clusterOfProvider(args.resources, provider);
        if (!cluster) {
          if (platformPresent) report(`${problem ?? `kubernetes provider ${provider.name} reaches no EKS cluster of this plan`}, so whose deploy access it must wait for cannot be checked`, provider.urn);
          continue;
        }
        reached = [cluster];
      }
      // Another project's resources all exist before this one's update starts when this provider reads
      // that stack (a StackReference it is ordered after): serving is deployed after platform, whose
      // outputs it reads, and an association in the platform stack is done by then.
      const readsAnotherStack = [...after].some((urn) => typeOf.get(urn) === "pulumi:pulumi:StackReference");
      const deployedBefore = (a: Association) => after.has(a.resource.urn) || (readsAnotherStack && projectOf(a.resource.urn) !== projectOf(provider.urn));
      for (const cluster of reached) {
        const deploy = deployByCluster.get(str(cluster.props.name) ?? "") ?? [];
        const missing = deploy.filter((a) => !deployedBefore(a));
        if (missing.length > 0) {
          report(
            `kubernetes provider ${provider.name} talks to cluster ${String(cluster.props.name)} but does not depend on its deploy access association(s) ${missing.map((a) => a.resource.name).join(", ")}: its first request can race the access grant and fail with Unauthorized. Add them to the provider's dependsOn`,
            provider.urn,
          );
        }
      }
    }
  },
};
