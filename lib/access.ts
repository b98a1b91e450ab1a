/**
 * Kubernetes API access for the CI principals (the IAM roles GitHub Actions assumes through OIDC),
 * granted through EKS access entries and access policies: clusters run authenticationMode API with
 * bootstrapClusterCreatorAdminPermissions off, so nobody gets in without an entry declared here.
 *
 * Sources (read 2026-11-25):
 * - [EKS] "Review access policy permissions", Amazon EKS user guide,
 *   https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html
 *   (github.com/awsdocs/amazon-eks-user-guide latest/ug/manage-access/k8s-access/access-policy-reference.adoc).
 * - [RBAC] "Using RBAC Authorization", privilege escalation prevention and bootstrapping,
 *   https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping
 * - [DRYRUN] "API concepts", dry-run authorization: "Authorization for dry-run and non-dry-run requests
 *   is identical", https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run-authorization
 * - [K8SP] pulumi/pulumi-kubernetes provider/pkg/provider/provider.go and helm_release.go at commit
 *   94977969d (2026-07-01, after v4.32.0; v4.34.2, the pinned SDK, is not in the snapshot read).
 */

export type CiRole = "deploy" | "preview" | "drift";
export const CI_ROLES: readonly CiRole[] = ["deploy", "preview", "drift"];

/**
 * Tag on each CI access entry naming the role(s) it serves ("deploy", or "deploy+drift" if one
 * principal serves two roles with the same policies). Tags are recorded inputs, so the policy pack
 * can tell which entry is which without importing this module's decisions.
 */
export const CI_ROLE_TAG = "llm-blueprint:ci-role";

/** What one EKS access policy grants, reduced to the questions a CI role asks of it. From [EKS]. */
export interface EksAccessPolicyGrants {
  /** Any create/update/patch/delete verb on any resource. A server-side dry-run needs these too [DRYRUN]. */
  readonly writes: boolean;
  /** get/list/watch on core/v1 Secrets. */
  readonly readsSecrets: boolean;
  /** get/list/watch on every API group and resource ("*"), custom resources and RBAC objects included. */
  readonly readsEveryResource: boolean;
  /** Every verb on every resource, non-resource URLs included: may create CRDs, ClusterRoles, webhooks. */
  readonly clusterAdmin: boolean;
  /** Policies every one of whose rules this policy's rules also grant (so associating both is redundant). */
  readonly covers: readonly EksAccessPolicyName[];
}

export type EksAccessPolicyName =
  | "AmazonEKSClusterAdminPolicy"
  | "AmazonEKSAdminPolicy"
  | "AmazonEKSEditPolicy"
  | "AmazonEKSAdminViewPolicy"
  | "AmazonEKSViewPolicy"
  | "AmazonEKSSecretReaderPolicy";

/**
 * The general-purpose EKS access policies, from the rule tables in [EKS]. The others on that page
 * (AmazonEKSAutoNodePolicy, AmazonEKSBlockStoragePolicy, ...) serve EKS components and are not for CI.
 */
export const EKS_ACCESS_POLICIES: Readonly<Record<EksAccessPolicyName, EksAccessPolicyGrants>> = {
  // "*" verbs on "*" resources in "*" groups, plus "*" nonResourceURLs.
  AmazonEKSClusterAdminPolicy: {
    writes: true,
    readsSecrets: true,
    readsEveryResource: true,
    clusterAdmin: true,
    covers: ["AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSAdminViewPolicy", "AmazonEKSViewPolicy", "AmazonEKSSecretReaderPolicy"],
  },
  // Edit's rules plus roles/rolebindings and localsubjectaccessreviews; fixed API groups, no CRDs,
  // no ClusterRoles, no namespace create, no webhooks.
  AmazonEKSAdminPolicy: {
    writes: true,
    readsSecrets: true,
    readsEveryResource: false,
    clusterAdmin: false,
    covers: ["AmazonEKSEditPolicy", "AmazonEKSViewPolicy", "AmazonEKSSecretReaderPolicy"],
  },
  // Writes workloads, Services, ConfigMaps, Secrets, PDBs, HPAs in fixed groups; reads Secrets.
  AmazonEKSEditPolicy: { writes: true, readsSecrets: true, readsEveryResource: false, clusterAdmin: false, covers: ["AmazonEKSViewPolicy", "AmazonEKSSecretReaderPolicy"] },
  // get/list/watch on "*"/"*": "Note this includes Kubernetes Secrets".
  AmazonEKSAdminViewPolicy: { writes: false, readsSecrets: true, readsEveryResource: true, clusterAdmin: false, covers: ["AmazonEKSViewPolicy", "AmazonEKSSecretReaderPolicy"] },
  // get/list/watch on a fixed list (apps, batch, autoscaling, policy, networking, core minus Secrets);
  // no custom resources, no RBAC objects, no CRDs.
  AmazonEKSViewPolicy: { writes: false, readsSecrets: false, readsEveryResource: false, clusterAdmin: false, covers: [] },
  // get/list/watch on secrets only.
  AmazonEKSSecretReaderPolicy: { writes: false, readsSecrets: true, readsEveryResource: false, clusterAdmin: false, covers: [] },
};

const POLICY_ARN_PREFIX = "arn:aws:eks::aws:cluster-access-policy/";

export function eksAccessPolicyArn(name: EksAccessPolicyName): string {
  return `${POLICY_ARN_PREFIX}${name}`;
}

/** The policy name of an access policy ARN in any partition, or undefined if it is not one. */
export function eksAccessPolicyName(arn: string): string | undefined {
  return /^arn:aws(?:-[a-z]+)*:eks::aws:cluster-access-policy\/([A-Za-z0-9]+)$/.exec(arn)?.[1];
}

export interface CiAccessGrant {
  readonly policies: readonly EksAccessPolicyName[];
  readonly scope: "cluster";
}

/** The narrowest EKS access policy that lets each CI role do its job, cluster-wide. */
export const CI_ACCESS: Readonly<Record<CiRole, CiAccessGrant>> = {
  // `pulumi up` of the serving project installs Helm charts that create CRDs, namespaces,
  // ClusterRoles/ClusterRoleBindings and admission webhooks. RBAC refuses to let anyone create a role
  // or binding granting permissions they do not hold themselves unless they have `escalate`/`bind`
  // [RBAC], so the deployer needs cluster-admin-equivalent rights either way. AmazonEKSAdminPolicy
  // covers fixed API groups only (no CRDs, ClusterRoles, namespaces, webhooks) [EKS]; custom RBAC
  // through kubernetesGroups would still need escalate/bind, i.e. cluster admin by another name.
  deploy: { policies: ["AmazonEKSClusterAdminPolicy"], scope: "cluster" },
  // The PR preview runs the PR's own program, so it gets no write and no Secrets. It works read-only:
  // the provider diffs client-side against the state file (Diff: inputPatch of pruned live state vs
  // new inputs; Helm releases: three-way merge of inputs), and when the server-side apply dry-run of
  // a Create/Update is forbidden, which it is for any read-only principal because a dry-run is
  // authorized exactly like the write [DRYRUN], it returns the program's inputs as the planned state
  // ("unable to compute Server-side dry-run and defaulting to client-side") instead of failing [K8SP,
  // provider.go Create/Update, IsForbidden on preview]. Consequence: PR previews do not show
  // server-side defaults, admission-webhook mutations or server validation errors; those surface
  // at `pulumi up`. Helm releases are rendered client-side in preview either way [K8SP helm_release.go].
  preview: { policies: ["AmazonEKSViewPolicy"], scope: "cluster" },
  // The nightly refresh reads every object the stack manages: custom resources (Gateway API, KEDA,
  // Prometheus operator), ClusterRoles, and Helm release records, which the provider's Helm driver
  // stores as Secrets (default driver "secret" [K8SP provider.go]). View cannot read those; AdminView
  // is the one read-only policy that reads "*" including Secrets [EKS].
  drift: { policies: ["AmazonEKSAdminViewPolicy"], scope: "cluster" },
};

export interface CiPrincipals {
  readonly deploy?: string;
  readonly preview?: string;
  readonly drift?: string;
}

/** One access entry to declare: a principal, the CI role(s) it serves and its policy associations. */
export interface CiAccessEntry {
  readonly principalArn: string;
  readonly roles: readonly CiRole[];
  /** Value of the CI_ROLE_TAG tag: the roles joined with "+". */
  readonly roleTag: string;
  readonly policies: readonly { readonly name: EksAccessPolicyName; readonly arn: string; readonly scope: "cluster" }[];
}

// An IAM role ARN (with optional path). Access entries take the role, never an sts assumed-role
// session ARN, which changes with every session.
const IAM_ROLE_ARN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/** Problems with the CI principals, as `ciPrincipals.<role>: ...` lines; empty when they are fine. */
export function ciPrincipalsProblems(principals: CiPrincipals, table: Readonly<Record<CiRole, CiAccessGrant>> = CI_ACCESS): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(principals)) {
    if (!(CI_ROLES as readonly string[]).includes(key)) problems.push(`ciPrincipals.${key}: is not a CI role; allowed: ${CI_ROLES.join(", ")}`);
  }
  const byArn = new Map<string, CiRole[]>();
  for (const role of CI_ROLES) {
    const arn = principals[role];
    if (arn === undefined) continue;
    if (!IAM_ROLE_ARN.test(arn)) {
      problems.push(`ciPrincipals.${role}: "${arn}" is not an IAM role ARN; expected arn:aws:iam::<12-digit account>:role/<name> (not an assumed-role session or a user)`);
      continue;
    }
    byArn.set(arn, [...(byArn.get(arn) ?? []), role]);
  }
  for (const [arn, roles] of byArn) {
    const policySets = new Set(roles.map((r) => [...table[r].policies].sort().join(",")));
    if (policySets.size > 1) {
      problems.push(
        `ciPrincipals: "${arn}" is given for ${roles.join(" and ")}, which need different access (${roles.map((r) => `${r}: ${table[r].policies.join(", ")}`).join("; ")}); ` +
          "use one IAM role per CI role so the weaker one does not inherit the stronger one's access",
      );
    }
  }
  return problems;
}

/**
 * The access entries and policy associations to declare for the CI principals: one entry per
 * principal ARN. Throws, listing every problem, if the principals are invalid.
 */
export function ciAccessEntries(principals: CiPrincipals, table: Readonly<Record<CiRole, CiAccessGrant>> = CI_ACCESS): CiAccessEntry[] {
  const problems = ciPrincipalsProblems(principals, table);
  if (problems.length > 0) throw new Error(`invalid CI principals:\n  - ${problems.join("\n  - ")}`);
  const byArn = new Map<string, CiRole[]>();
  for (const role of CI_ROLES) {
    const arn = principals[role];
    if (arn !== undefined) byArn.set(arn, [...(byArn.get(arn) ?? []), role]);
  }
  return [...byArn].map(([principalArn, roles]) => {
    const grant = table[roles[0]];
    return {
      principalArn,
      roles,
      roleTag: roles.join("+"),
      policies: grant.policies.map((name) => ({ name, arn: eksAccessPolicyArn(name), scope: grant.scope })),
    };
  });
}

/** Short kebab-case name of an access policy for resource names: AmazonEKSAdminViewPolicy -> admin-view. */
export function accessPolicyShortName(name: EksAccessPolicyName): string {
  return name
    .replace(/^AmazonEKS/, "")
    .replace(/Policy$/, "")
    .replace(/([a-z])([A-Z])/g, "$1-$2")
    .toLowerCase();
}
