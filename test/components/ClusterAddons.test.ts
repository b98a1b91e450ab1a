import * as k8s from "@pulumi/kubernetes";
import { beforeAll, describe, expect, it } from "vitest";
import { CLUSTER_AUTOSCALER_SERVICE_ACCOUNT, ClusterAddons, clusterAutoscalerPolicy, ENCRYPTED_STORAGE_CLASS } from "../../components/ClusterAddons";
import { KUBERNETES_BASELINES, NVIDIA_DEVICE_PLUGIN_CHART } from "../../lib/baseline";
import { PlanResource } from "../../lib/plan/document";
import { input, ofType, one, plan, regionProvider, resourcesWithoutExplicitProvider } from "../harness";

describe("cluster-autoscaler IAM policy", () => {
  const doc = clusterAutoscalerPolicy("llm-prod-use1");
  it("only lets the autoscaler change groups EKS tagged as owned by its cluster", () => {
    const mutating = doc.Statement.filter((s) => [s.Action].flat().some((a) => a === "autoscaling:SetDesiredCapacity" || a === "autoscaling:TerminateInstanceInAutoScalingGroup"));
    expect(mutating).toHaveLength(1);
    expect(mutating[0].Condition).toEqual({ StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/llm-prod-use1": "owned" } });
  });
  it("grants no wildcard actions and nothing outside autoscaling, ec2 and eks reads", () => {
    const actions = doc.Statement.flatMap((s) => [s.Action].flat());
    expect(actions.some((a) => a.includes("*"))).toBe(false);
    const unconditioned = doc.Statement.filter((s) => !s.Condition).flatMap((s) => [s.Action].flat());
    for (const a of unconditioned) expect(a).toMatch(/^(autoscaling|ec2|eks):(Describe|Get)/);
  });
});

describe("ClusterAddons", () => {
  let resources: PlanResource[];
  beforeAll(async () => {
    resources = await plan(() => {
      const aws = regionProvider("us-east-1");
      const kube = new k8s.Provider("kube", { kubeconfig: "{}" });
      new ClusterAddons("addons", { clusterName: "llm-test-use1", clusterNameLiteral: "llm-test-use1", region: "us-east-1", kubernetesVersion: "1.33" }, { providers: [aws, kube] });
    });
  });

  it("pins both Helm releases and makes failed upgrades roll back", () => {
    const releases = ofType(resources, "kubernetes:helm.sh/v3:Release");
    expect(releases).toHaveLength(2);
    const ca = releases.find((r) => input(r, "chart") === "cluster-autoscaler")!;
    expect(input(ca, "version")).toBe(KUBERNETES_BASELINES["1.33"].clusterAutoscaler.version);
    const dp = releases.find((r) => input(r, "chart") === "nvidia-device-plugin")!;
    expect(input(dp, "version")).toBe(NVIDIA_DEVICE_PLUGIN_CHART.version);
    for (const r of releases) {
      expect(input(r, "version")).toMatch(/^\d+\.\d+\.\d+$/);
      expect(input(r, "atomic")).toBe(true);
    }
  });

  it("binds cluster-autoscaler's service account to its role through Pod Identity before installing it", () => {
    const assoc = one(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation");
    const ca = ofType(resources, "kubernetes:helm.sh/v3:Release").find((r) => input(r, "chart") === "cluster-autoscaler")!;
    expect(input(assoc, "serviceAccount")).toBe(CLUSTER_AUTOSCALER_SERVICE_ACCOUNT);
    expect(input(ca, "values.rbac.serviceAccount.name")).toBe(input(assoc, "serviceAccount"));
    expect(input(ca, "namespace")).toBe(input(assoc, "namespace"));
    expect(input(ca, "values.autoDiscovery.clusterName")).toBe("llm-test-use1");
    expect(input(ca, "values.nodeSelector")).toEqual({ "node.role": "system" });
    expect(ca.options.dependsOn).toContain(assoc.urn);
    const role = one(resources, "aws:iam/role:Role", "cluster-autoscaler");
    expect(JSON.parse(input(role, "assumeRolePolicy") as string).Statement[0].Principal).toEqual({ Service: "pods.eks.amazonaws.com" });
  });

  it("runs the device plugin only on GPU nodes, tolerating their taint", () => {
    const dp = ofType(resources, "kubernetes:helm.sh/v3:Release").find((r) => input(r, "chart") === "nvidia-device-plugin")!;
    expect(input(dp, "values.tolerations")).toContainEqual({ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" });
    expect(JSON.stringify(input(dp, "values.affinity"))).toContain('"key":"gpu.class","operator":"Exists"');
  });

  it("pins CoreDNS to the baseline, on system nodes", () => {
    const coredns = one(resources, "aws:eks/addon:Addon", "coredns");
    expect(input(coredns, "addonVersion")).toBe(KUBERNETES_BASELINES["1.33"].addons.coredns);
    expect(JSON.parse(input(coredns, "configurationValues") as string)).toEqual({ nodeSelector: { "node.role": "system" } });
  });

  it("installs the EBS CSI driver with the AWS managed policy through Pod Identity, and an encrypted gp3 class that keeps volumes", () => {
    const csi = one(resources, "aws:eks/addon:Addon", "ebs-csi");
    expect(input(csi, "addonVersion")).toBe(KUBERNETES_BASELINES["1.33"].addons["aws-ebs-csi-driver"]);
    const role = one(resources, "aws:iam/role:Role", "ebs-csi");
    const [association] = input(csi, "podIdentityAssociations") as { roleArn: string; serviceAccount: string }[];
    expect(association.serviceAccount).toBe("ebs-csi-controller-sa");
    expect(association.roleArn).toMatch(new RegExp(`:role/${role.name}-[0-9a-f]+$`));
    const attachment = one(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ebs-csi");
    expect(input(attachment, "policyArn")).toBe("arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy");
    expect(csi.options.dependsOn).toContain(attachment.urn);
    const sc = one(resources, "kubernetes:storage.k8s.io/v1:StorageClass");
    expect(input(sc, "metadata.name")).toBe(ENCRYPTED_STORAGE_CLASS);
    expect(input(sc, "provisioner")).toBe("ebs.csi.aws.com");
    expect(input(sc, "parameters")).toEqual({ type: "gp3", encrypted: "true" });
    expect(input(sc, "reclaimPolicy")).toBe("Retain");
    expect(sc.options.dependsOn).toContain(csi.urn);
  });

  it("puts Kubernetes objects on the cluster's provider and AWS ones on the regional provider", () => {
    for (const r of resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"))) {
      expect(r.provider).toMatch(r.type.startsWith("kubernetes:") ? /pulumi:providers:kubernetes::kube$/ : /pulumi:providers:aws::aws-us-east-1$/);
    }
    expect(resourcesWithoutExplicitProvider(resources)).toEqual([]);
  });

  it("refuses a Kubernetes version without a pinned baseline", async () => {
    await plan(() => {
      expect(() => new ClusterAddons("x", { clusterName: "c", clusterNameLiteral: "c", region: "us-east-1", kubernetesVersion: "1.40" })).toThrow(/"1.40" has no pinned baseline/);
    });
  });
});
