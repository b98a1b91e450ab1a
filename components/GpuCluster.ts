import * as eks from "@pulumi/aws/eks";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as iam from "@pulumi/aws/iam";
import * as kms from "@pulumi/aws/kms";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { retainedLogGroup } from "./retainedLogGroup";
import { accessPolicyShortName, CI_ROLE_TAG, ciAccessEntries, CiPrincipals, ciPrincipalsProblems } from "../lib/access";
import { EKS_LOG_TYPES, KUBERNETES_BASELINES, SUPPORTED_KUBERNETES_VERSIONS } from "../lib/baseline";
import { managedPolicyArn, podIdentityTrust, policyDocument, serviceTrust } from "../lib/iam";

export interface GpuClusterArgs {
  /** Physical EKS cluster name. */
  readonly clusterName: string;
  readonly region: string;
  /** Pinned Kubernetes minor version; must be a key of KUBERNETES_BASELINES. */
  readonly kubernetesVersion: string;
  /** Private subnets for the control-plane ENIs (and, through NodePool, the nodes). */
  readonly privateSubnetIds: pulumi.Input<string>[];
  /** CIDRs allowed on the public API endpoint. Empty turns the public endpoint off. @default [] */
  readonly publicAccessCidrs?: readonly string[];
  /** IAM roles given cluster admin through access entries. @default [] */
  readonly adminRoleArns?: readonly string[];
  /**
   * IAM roles the CI jobs assume, each given an access entry with the narrowest access policy for its
   * job (lib/access.ts CI_ACCESS): deploy (cluster admin), preview (view, no Secrets, no writes),
   * drift (admin view: reads everything, Secrets included). @default {}
   */
  readonly ciPrincipals?: CiPrincipals;
  /** Extra security groups on the control-plane ENIs (e.g. one admitting only the in-VPC CI runners). @default [] */
  readonly controlPlaneSecurityGroupIds?: pulumi.Input<string>[];
  /** Control-plane log retention in days. @default 90 */
  readonly logRetentionDays?: number;
  /** @default {} */
  readonly tags?: Record<string, string>;
  /**
   * Also create a kubernetes Provider for this cluster (for a program that deploys into the cluster it
   * creates). The blueprint's platform project leaves it off: it never talks to the cluster, so its
   * jobs need no cluster access; the serving project builds its own (ServingStack clusterProvider).
   * @default false
   */
  readonly kubernetesProvider?: boolean;
}

export function gpuClusterProblems(args: GpuClusterArgs): string[] {
  const problems: string[] = [];
  if (!KUBERNETES_BASELINES[args.kubernetesVersion]) {
    problems.push(`kubernetesVersion: "${args.kubernetesVersion}" has no pinned baseline; allowed: ${SUPPORTED_KUBERNETES_VERSIONS.join(", ")}`);
  }
  for (const cidr of args.publicAccessCidrs ?? []) {
    if (cidr.endsWith("/0")) problems.push(`publicAccessCidrs: "${cidr}" opens the API server to the internet; list specific CIDRs`);
  }
  if (!/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(args.clusterName)) problems.push(`clusterName: "${args.clusterName}" must be 1-100 letters, digits, - or _`);
  const principals = args.ciPrincipals ?? {};
  problems.push(...ciPrincipalsProblems(principals));
  // EKS allows one access entry per principal and cluster.
  for (const [role, arn] of Object.entries(principals)) {
    if ((args.adminRoleArns ?? []).includes(arn)) problems.push(`ciPrincipals.${role}: "${arn}" is also in adminRoleArns; a principal has one access entry per cluster, so give CI its own role`);
  }
  return problems;
}

/** Builds the kubeconfig for one cluster; authentication goes through `aws eks get-token`. */
export function kubeconfigFor(name: string, endpoint: string, caData: string, region: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server: endpoint, "certificate-authority-data": caData } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
    users: [
      {
        name,
        user: {
          exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token", "--cluster-name", name, "--region", region, "--output", "json"] },
        },
      },
    ],
  });
}

/** AWS managed policies as separate attachments (the role's managedPolicyArns input is deprecated in aws v7). */
function attachManagedPolicies(prefix: string, role: iam.Role, names: readonly string[], parent: pulumi.Resource): iam.RolePolicyAttachment[] {
  return names.map((n) => new iam.RolePolicyAttachment(`${prefix}-${n}`, { role: role.name, policyArn: managedPolicyArn(n) }, { parent }));
}

/**
 * An EKS control plane ready for GPU node pools: pinned version, KMS envelope encryption of
 * secrets, every control-plane log type in an encrypted log group, private API endpoint, access
 * entries (no aws-auth ConfigMap), Pod Identity, and the pinned core add-ons that do not need
 * nodes. Exposes the node role for NodePool, the facts a kubeconfig needs and, on request, a
 * kubernetes Provider that waits for the access associations.
 */
export class GpuCluster extends pulumi.ComponentResource {
  readonly cluster: eks.Cluster;
  readonly clusterName: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;
  /** Security group EKS puts on the control-plane ENIs, the managed nodes and their pods. */
  readonly clusterSecurityGroupId: pulumi.Output<string>;
  readonly nodeRole: iam.Role;
  /** Node groups depend on these so nodes never boot without their policies. */
  readonly nodeRoleAttachments: iam.RolePolicyAttachment[];
  readonly secretsKey: kms.Key;
  readonly kubeconfig: pulumi.Output<string>;
  /** Base64 PEM of the cluster CA, for kubeconfigs built by another project (StackReference). */
  readonly certificateAuthorityData: pulumi.Output<string>;
  /** Access policy associations of each CI role that has a principal (keys: deploy, preview, drift). */
  readonly ciAccess: Record<string, eks.AccessPolicyAssociation[]>;
  /**
   * Resolves, to the deploy associations' ids joined with ",", only once every one of them exists:
   * a project that reaches this cluster through a StackReference waits on it before its first
   * Kubernetes call. Empty when no deploy principal is declared.
   */
  readonly deployAccessReady: pulumi.Output<string>;
  /** Depends on the admin and deploy access policy associations, so it never races them. */
  /** Present with `kubernetesProvider: true`; waits for the admin and deploy access associations. */
  readonly kubernetesProvider?: k8s.Provider;

  constructor(name: string, args: GpuClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = gpuClusterProblems(args);
    if (problems.length > 0) throw new Error(`GpuCluster ${name}: invalid args:\n  - ${problems.join("\n  - ")}`);
    super("llm-blueprint:cluster:GpuCluster", name, {}, opts);

    const tags = { ...(args.tags ?? {}) };
    const baseline = KUBERNETES_BASELINES[args.kubernetesVersion];
    const publicCidrs = [...(args.publicAccessCidrs ?? [])];
    const account = getCallerIdentityOutput({}, { parent: this }).accountId;

    // Losing this key makes every Kubernetes secret unreadable: keep it even if the stack is destroyed.
    this.secretsKey = new kms.Key(
      `${name}-secrets`,
      { description: `EKS secrets envelope encryption for ${args.clusterName}`, enableKeyRotation: true, deletionWindowInDays: 30, tags },
      { parent: this, retainOnDelete: true },
    );
    new kms.Alias(`${name}-secrets`, { name: `alias/eks/${args.clusterName}/secrets`, targetKeyId: this.secretsKey.keyId }, { parent: this });

    const logGroupName = `/aws/eks/${args.clusterName}/cluster`;
    // The audit trail outlives the cluster: a destroy or a rename leaves the log group (and its key) in place.
    const { group: logGroup } = retainedLogGroup(
      {
        keyResourceName: `${name}-logs`,
        groupResourceName: `${name}-control-plane`,
        logGroupName,
        description: `EKS control-plane log encryption for ${args.clusterName}`,
        region: args.region,
        accountId: account,
        retentionInDays: args.logRetentionDays ?? 90,
        tags,
      },
      this,
    );

    const clusterRole = new iam.Role(
      `${name}-cluster`,
      {
        assumeRolePolicy: JSON.stringify(policyDocument({ Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] })),
        tags,
      },
      { parent: this },
    );

    this.cluster = new eks.Cluster(
      `${name}-eks`,
      {
        name: args.clusterName,
        version: args.kubernetesVersion,
        roleArn: clusterRole.arn,
        accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
        // Core add-ons are managed (and pinned) below instead of the unmanaged bootstrap copies.
        bootstrapSelfManagedAddons: false,
        encryptionConfig: { provider: { keyArn: this.secretsKey.arn }, resources: ["secrets"] },
        enabledClusterLogTypes: [...EKS_LOG_TYPES],
        vpcConfig: {
          subnetIds: args.privateSubnetIds,
          endpointPrivateAccess: true,
          endpointPublicAccess: publicCidrs.length > 0,
          ...(args.controlPlaneSecurityGroupIds?.length ? { securityGroupIds: args.controlPlaneSecurityGroupIds } : {}),
          ...(publicCidrs.length > 0 ? { publicAccessCidrs: publicCidrs } : {}),
        },
        tags,
      },
      // Protected: deleting or replacing the cluster (a rename, a region change) needs an explicit unprotect first.
      { parent: this, protect: true, dependsOn: [logGroup, ...attachManagedPolicies(`${name}-cluster`, clusterRole, ["AmazonEKSClusterPolicy"], this)] },
    );
    this.clusterName = this.cluster.name;
    this.endpoint = this.cluster.endpoint;
    this.clusterSecurityGroupId = this.cluster.vpcConfig.clusterSecurityGroupId;

    // Nodes get only what the kubelet and image pulls need; the CNI policy goes to vpc-cni's own role.
    this.nodeRole = new iam.Role(
      `${name}-node`,
      {
        assumeRolePolicy: JSON.stringify(serviceTrust("ec2.amazonaws.com")),
        tags,
      },
      { parent: this },
    );
    this.nodeRoleAttachments = attachManagedPolicies(`${name}-node`, this.nodeRole, ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore"], this);

    const podIdentityAgent = new eks.Addon(
      `${name}-pod-identity-agent`,
      { clusterName: this.cluster.name, addonName: "eks-pod-identity-agent", addonVersion: baseline.addons["eks-pod-identity-agent"], resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "OVERWRITE", tags },
      { parent: this },
    );
    const cniRole = new iam.Role(
      `${name}-vpc-cni`,
      { assumeRolePolicy: account.apply((accountId) => JSON.stringify(podIdentityTrust({ accountId, region: args.region, clusterName: args.clusterName }))), tags },
      { parent: this },
    );
    const cniPolicy = attachManagedPolicies(`${name}-vpc-cni`, cniRole, ["AmazonEKS_CNI_Policy"], this);
    new eks.Addon(
      `${name}-vpc-cni`,
      {
        clusterName: this.cluster.name,
        addonName: "vpc-cni",
        addonVersion: baseline.addons["vpc-cni"],
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
        podIdentityAssociations: [{ roleArn: cniRole.arn, serviceAccount: "aws-node" }],
        // Enforce Kubernetes NetworkPolicy (the serving namespaces rely on it).
        configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }),
        tags,
      },
      { parent: this, dependsOn: [podIdentityAgent, ...cniPolicy] },
    );
    new eks.Addon(
      `${name}-kube-proxy`,
      { clusterName: this.cluster.name, addonName: "kube-proxy", addonVersion: baseline.addons["kube-proxy"], resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "OVERWRITE", tags },
      { parent: this },
    );

    const adminAssociations: eks.AccessPolicyAssociation[] = [];
    for (const [i, roleArn] of (args.adminRoleArns ?? []).entries()) {
      const entry = new eks.AccessEntry(`${name}-admin-${i}`, { clusterName: this.cluster.name, principalArn: roleArn, type: "STANDARD", tags }, { parent: this });
      const association = new eks.AccessPolicyAssociation(
        `${name}-admin-${i}`,
        {
          clusterName: this.cluster.name,
          principalArn: entry.principalArn,
          policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
          accessScope: { type: "cluster" },
        },
        { parent: this },
      );
      adminAssociations.push(association);
    }

    // CI principals: the entry's tag names its role(s) so the policy pack can check each one's access.
    this.ciAccess = {};
    for (const access of ciAccessEntries(args.ciPrincipals ?? {})) {
      const entryName = `${name}-ci-${access.roles.join("-")}`;
      const entry = new eks.AccessEntry(
        entryName,
        { clusterName: this.cluster.name, principalArn: access.principalArn, type: "STANDARD", tags: { ...tags, [CI_ROLE_TAG]: access.roleTag } },
        { parent: this },
      );
      const associations = access.policies.map(
        (policy) =>
          new eks.AccessPolicyAssociation(
            `${entryName}-${accessPolicyShortName(policy.name)}`,
            { clusterName: this.cluster.name, principalArn: entry.principalArn, policyArn: policy.arn, accessScope: { type: policy.scope } },
            { parent: this },
          ),
      );
      for (const role of access.roles) this.ciAccess[role] = associations;
    }
    const deployAssociations = this.ciAccess.deploy ?? [];
    this.deployAccessReady = pulumi.all(deployAssociations.map((a) => a.id)).apply((ids) => ids.join(","));
    this.certificateAuthorityData = this.cluster.certificateAuthority.apply((ca) => ca.data ?? "");

    this.kubeconfig = pulumi.secret(
      pulumi.all([this.cluster.name, this.cluster.endpoint, this.cluster.certificateAuthority]).apply(([n, endpoint, ca]) => kubeconfigFor(n, endpoint, ca.data ?? "", args.region)),
    );
    this.kubernetesProvider = args.kubernetesProvider
      ? new k8s.Provider(
          `${name}-k8s`,
          { kubeconfig: this.kubeconfig, cluster: this.cluster.name, enableServerSideApply: true },
          { parent: this, dependsOn: [...adminAssociations, ...deployAssociations] },
        )
      : undefined;

    this.registerOutputs({
      clusterName: this.clusterName,
      endpoint: this.endpoint,
      nodeRoleArn: this.nodeRole.arn,
      secretsKeyArn: this.secretsKey.arn,
      kubeconfig: this.kubeconfig,
      certificateAuthorityData: this.certificateAuthorityData,
      ciAccess: Object.fromEntries(Object.entries(this.ciAccess).map(([role, associations]) => [role, associations.map((a) => a.id)])),
      deployAccessReady: this.deployAccessReady,
    });
  }
}
