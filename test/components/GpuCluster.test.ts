import { beforeAll, describe, expect, it } from "vitest";
import { GpuCluster, GpuClusterArgs, gpuClusterProblems } from "../../components/GpuCluster";
import { EKS_LOG_TYPES, KUBERNETES_BASELINES } from "../../lib/baseline";
import { PlanResource, SECRET_MASK } from "../../lib/plan/document";
import { input, ofType, one, plan, regionProvider, resourcesWithoutExplicitProvider } from "../harness";

const args: GpuClusterArgs = {
  clusterName: "llm-test-use1",
  region: "us-east-1",
  kubernetesVersion: "1.33",
  privateSubnetIds: ["subnet-a", "subnet-b", "subnet-c"],
};

describe("GpuCluster validation", () => {
  it("rejects an unpinned Kubernetes version and an API endpoint open to the internet", () => {
    expect(gpuClusterProblems(args)).toEqual([]);
    expect(gpuClusterProblems({ ...args, kubernetesVersion: "1.29" })).toEqual([expect.stringContaining('"1.29" has no pinned baseline; allowed: 1.36, 1.33')]);
    expect(gpuClusterProblems({ ...args, publicAccessCidrs: ["0.0.0.0/0"] })).toEqual([expect.stringContaining("opens the API server to the internet")]);
  });
});

describe("GpuCluster, private endpoint only", () => {
  let resources: PlanResource[];
  beforeAll(async () => {
    resources = await plan(() => new GpuCluster("c", { ...args, kubernetesProvider: true, adminRoleArns: ["arn:aws:iam::123456789012:role/platform-admin"] }, { providers: [regionProvider()] }));
  });

  it("encrypts secrets with its own rotating KMS key that survives destroy", () => {
    const eks = one(resources, "aws:eks/cluster:Cluster");
    const key = one(resources, "aws:kms/key:Key", "secrets");
    expect(input(key, "enableKeyRotation")).toBe(true);
    expect(key.options.retainOnDelete).toBe(true);
    expect(input(eks, "encryptionConfig.resources")).toEqual(["secrets"]);
    expect(input(eks, "encryptionConfig.provider.keyArn")).toMatch(/^arn:aws:kms:us-east-1:\d{12}:key\//);
    expect(eks.options.dependsOn).toContain(key.urn);
  });

  it("turns on every control-plane log type into a KMS-encrypted log group it creates first", () => {
    const eks = one(resources, "aws:eks/cluster:Cluster");
    expect(input(eks, "enabledClusterLogTypes")).toEqual([...EKS_LOG_TYPES]);
    const group = one(resources, "aws:cloudwatch/logGroup:LogGroup");
    expect(input(group, "name")).toBe("/aws/eks/llm-test-use1/cluster");
    expect(input(group, "kmsKeyId")).toMatch(/^arn:aws:kms:/);
    expect(eks.options.dependsOn).toContain(group.urn);
  });

  it("keeps the API endpoint private and uses access entries, not aws-auth", () => {
    const eks = one(resources, "aws:eks/cluster:Cluster");
    expect(input(eks, "vpcConfig")).toMatchObject({ endpointPrivateAccess: true, endpointPublicAccess: false });
    expect(input(eks, "vpcConfig.publicAccessCidrs")).toBeUndefined();
    expect(input(eks, "accessConfig")).toEqual({ authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false });
    const entry = one(resources, "aws:eks/accessEntry:AccessEntry");
    expect(input(entry, "principalArn")).toBe("arn:aws:iam::123456789012:role/platform-admin");
    expect(input(one(resources, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"), "policyArn")).toMatch(/AmazonEKSClusterAdminPolicy$/);
  });

  it("pins the core add-ons to the baseline and gives vpc-cni its own Pod Identity role", () => {
    const addons = ofType(resources, "aws:eks/addon:Addon");
    const pins = KUBERNETES_BASELINES["1.33"].addons;
    expect(addons.map((a) => input(a, "addonName")).sort()).toEqual(["eks-pod-identity-agent", "kube-proxy", "vpc-cni"]);
    for (const a of addons) expect(input(a, "addonVersion")).toBe(pins[input(a, "addonName") as keyof typeof pins]);
    const cni = addons.find((a) => input(a, "addonName") === "vpc-cni")!;
    expect(JSON.parse(input(cni, "configurationValues") as string)).toEqual({ enableNetworkPolicy: "true" });
    expect(input(cni, "podIdentityAssociations")).toEqual([{ roleArn: expect.stringMatching(/^arn:aws:iam::/), serviceAccount: "aws-node" }]);
    const attached = (role: string) =>
      ofType(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        .filter((a) => a.name.startsWith(`c-${role}-`))
        .map((a) => String(input(a, "policyArn")).split("/").pop())
        .sort();
    expect(attached("node")).toEqual(["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy", "AmazonSSMManagedInstanceCore"]);
    expect(attached("vpc-cni")).toEqual(["AmazonEKS_CNI_Policy"]);
    expect(attached("cluster")).toEqual(["AmazonEKSClusterPolicy"]);
  });

  it("hands out the kubeconfig only as a secret, to a kubernetes provider it owns", () => {
    const k8s = one(resources, "pulumi:providers:kubernetes");
    expect(input(k8s, "kubeconfig")).toBe(SECRET_MASK);
    expect(k8s.parent).toBe(one(resources, "llm-blueprint:cluster:GpuCluster").urn);
    expect(resourcesWithoutExplicitProvider(resources)).toEqual([]);
  });
});

describe("GpuCluster with a restricted public endpoint", () => {
  it("opens the public endpoint only to the listed CIDRs", async () => {
    const resources = await plan(() => new GpuCluster("c", { ...args, publicAccessCidrs: ["203.0.113.0/24"] }, { providers: [regionProvider()] }));
    expect(input(one(resources, "aws:eks/cluster:Cluster"), "vpcConfig")).toMatchObject({ endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] });
  });
});

describe("GpuCluster with CI principals", () => {
  const ci = {
    deploy: "arn:aws:iam::123456789012:role/ci-deploy",
    preview: "arn:aws:iam::123456789012:role/ci-preview",
    drift: "arn:aws:iam::123456789012:role/ci-drift",
  };
  let resources: PlanResource[];
  beforeAll(async () => {
    resources = await plan(
      () =>
        new GpuCluster(
          "c",
          { ...args, kubernetesProvider: true, adminRoleArns: ["arn:aws:iam::123456789012:role/platform-admin"], ciPrincipals: ci, controlPlaneSecurityGroupIds: ["sg-0runners"] },
          { providers: [regionProvider()] },
        ),
    );
  });
  const entryOf = (arn: string) => ofType(resources, "aws:eks/accessEntry:AccessEntry").find((e) => input(e, "principalArn") === arn)!;
  const associationsOf = (arn: string) => ofType(resources, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation").filter((a) => input(a, "principalArn") === arn);

  it("gives each CI principal a role-tagged entry and exactly its role's access policy, cluster-wide", () => {
    const expected = { deploy: "AmazonEKSClusterAdminPolicy", preview: "AmazonEKSViewPolicy", drift: "AmazonEKSAdminViewPolicy" };
    for (const [role, arn] of Object.entries(ci)) {
      const entry = entryOf(arn);
      expect(entry.name).toBe(`c-ci-${role}`);
      expect(input(entry, "tags")).toEqual({ "llm-blueprint:ci-role": role });
      expect(input(entry, "type")).toBe("STANDARD");
      const associations = associationsOf(arn);
      expect(associations.map((a) => [input(a, "policyArn"), input(a, "accessScope")])).toEqual([
        [`arn:aws:eks::aws:cluster-access-policy/${expected[role as keyof typeof expected]}`, { type: "cluster" }],
      ]);
      // Linked to its entry, so the association waits for the entry.
      expect(associations[0].propertyDependencies?.principalArn).toEqual([entry.urn]);
      expect(associations[0].parent).toBe(one(resources, "llm-blueprint:cluster:GpuCluster").urn);
    }
  });

  it("keeps the kubernetes provider waiting for the admin and deploy associations, not the read-only ones", () => {
    const provider = one(resources, "pulumi:providers:kubernetes");
    const admin = associationsOf("arn:aws:iam::123456789012:role/platform-admin")[0];
    expect(provider.options.dependsOn).toEqual(expect.arrayContaining([admin.urn, associationsOf(ci.deploy)[0].urn]));
    expect(provider.options.dependsOn).not.toContain(associationsOf(ci.preview)[0].urn);
    expect(provider.options.dependsOn).not.toContain(associationsOf(ci.drift)[0].urn);
  });

  it("exports deploy readiness, the CA data and the CI associations", () => {
    const outputs = one(resources, "llm-blueprint:cluster:GpuCluster").outputs ?? {};
    const deployId = associationsOf(ci.deploy)[0].name;
    expect(String(outputs.deployAccessReady)).toMatch(new RegExp(`^${deployId}-[0-9a-f]+$`));
    expect(outputs.certificateAuthorityData).toBe(Buffer.from("mock-ca-llm-test-use1").toString("base64"));
    expect(Object.keys(outputs.ciAccess as object).sort()).toEqual(["deploy", "drift", "preview"]);
  });

  it("adds the given security groups to the control plane", () => {
    expect(input(one(resources, "aws:eks/cluster:Cluster"), "vpcConfig.securityGroupIds")).toEqual(["sg-0runners"]);
  });

  it("rejects a CI principal that is also an admin role, or is not an IAM role", () => {
    expect(gpuClusterProblems({ ...args, adminRoleArns: [ci.deploy], ciPrincipals: { deploy: ci.deploy } })).toEqual([
      `ciPrincipals.deploy: "${ci.deploy}" is also in adminRoleArns; a principal has one access entry per cluster, so give CI its own role`,
    ]);
    expect(() => new GpuCluster("bad", { ...args, ciPrincipals: { preview: "arn:aws:iam::123456789012:user/bob" } })).toThrow(
      /^GpuCluster bad: invalid args:\n {2}- ciPrincipals\.preview: "arn:aws:iam::123456789012:user\/bob" is not an IAM role ARN/,
    );
  });
});

describe("GpuCluster without CI principals", () => {
  it("declares no CI entries and reports deploy readiness as empty", async () => {
    const resources = await plan(() => new GpuCluster("c", args, { providers: [regionProvider()] }));
    expect(ofType(resources, "aws:eks/accessEntry:AccessEntry")).toEqual([]);
    expect(input(one(resources, "aws:eks/cluster:Cluster"), "vpcConfig.securityGroupIds")).toBeUndefined();
    expect(one(resources, "llm-blueprint:cluster:GpuCluster").outputs?.deployAccessReady).toBe("");
  });
});

describe("GpuCluster without kubernetesProvider (the platform project's default)", () => {
  it("creates no kubernetes provider: nothing in the platform talks to the cluster", async () => {
    const resources = await plan(() => new GpuCluster("c", { clusterName: "llm-t-use1", region: "us-east-1", kubernetesVersion: "1.33", privateSubnetIds: ["subnet-a", "subnet-b"] }, { providers: [regionProvider()] }));
    expect(ofType(resources, "pulumi:providers:kubernetes")).toEqual([]);
    expect(ofType(resources, "aws:eks/cluster:Cluster")).toHaveLength(1);
  });
});
