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
    expect(gpuClusterProblems({ ...args, kubernetesVersion: "1.29" })).toEqual([expect.stringContaining('"1.29" has no pinned baseline; allowed: 1.33')]);
    expect(gpuClusterProblems({ ...args, publicAccessCidrs: ["0.0.0.0/0"] })).toEqual([expect.stringContaining("opens the API server to the internet")]);
  });
});

describe("GpuCluster, private endpoint only", () => {
  let resources: PlanResource[];
  beforeAll(async () => {
    resources = await plan(() => new GpuCluster("c", { ...args, adminRoleArns: ["arn:aws:iam::123456789012:role/platform-admin"] }, { providers: [regionProvider()] }));
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
