import * as k8s from "@pulumi/kubernetes";
import { beforeAll, describe, expect, it } from "vitest";
import { ClusterAddons, ENCRYPTED_STORAGE_CLASS } from "../../components/ClusterAddons";
import { KUBERNETES_BASELINES, NVIDIA_DEVICE_PLUGIN_CHART } from "../../lib/baseline";
import { PlanResource } from "../../lib/plan/document";
import { input, ofType, one, plan, regionProvider, resourcesWithoutExplicitProvider } from "../harness";

describe("ClusterAddons", () => {
  let resources: PlanResource[];
  beforeAll(async () => {
    resources = await plan(() => {
      const aws = regionProvider("us-east-1");
      const kube = new k8s.Provider("kube", { kubeconfig: "{}" });
      new ClusterAddons("addons", { clusterName: "llm-test-use1", clusterNameLiteral: "llm-test-use1", region: "us-east-1", kubernetesVersion: "1.33" }, { providers: [aws, kube] });
    });
  });

  it("pins the device plugin release (the only chart here) and makes failed upgrades roll back; no cluster-autoscaler", () => {
    const releases = ofType(resources, "kubernetes:helm.sh/v3:Release");
    expect(releases.map((r) => input(r, "chart"))).toEqual(["nvidia-device-plugin"]);
    expect(input(releases[0], "version")).toBe(NVIDIA_DEVICE_PLUGIN_CHART.version);
    expect(input(releases[0], "atomic")).toBe(true);
    expect(ofType(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation")).toEqual([]);
    expect(resources.some((r) => /autoscaler/.test(r.name))).toBe(false);
  });

  it("installs the EKS node monitoring agent add-on at the baseline version, after the system nodes", () => {
    const agent = one(resources, "aws:eks/addon:Addon", "node-monitoring-agent");
    expect(input(agent, "addonName")).toBe("eks-node-monitoring-agent");
    expect(input(agent, "addonVersion")).toBe(KUBERNETES_BASELINES["1.33"].addons["eks-node-monitoring-agent"]);
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
