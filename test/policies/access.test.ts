import { beforeAll, describe, expect, it } from "vitest";
import { GpuCluster } from "../../components/GpuCluster";
import { PlanResource } from "../../lib/plan/document";
import { plan, regionProvider } from "../harness";
import { evaluate, recordOneStack, recordStack } from "./harness";

const POLICY = "ci-access-least-privilege";
const ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation";
const ENTRY = "aws:eks/accessEntry:AccessEntry";
const policyArn = (name: string) => `arn:aws:eks::aws:cluster-access-policy/${name}`;
const ci = {
  deploy: "arn:aws:iam::123456789012:role/ci-deploy",
  preview: "arn:aws:iam::123456789012:role/ci-preview",
  drift: "arn:aws:iam::123456789012:role/ci-drift",
};

/** Mutable view of a recorded resource (the plan document's types are read-only). */
type Mutable = { -readonly [K in keyof PlanResource]: PlanResource[K] } & { inputs: Record<string, unknown>; options: { dependsOn: string[] } };
const byName = (rs: PlanResource[], name: string) => {
  const r = rs.find((x) => x.name === name);
  if (!r) throw new Error(`no resource named ${name}`);
  return r as Mutable;
};

async function messages(resources: readonly PlanResource[], mutate?: (rs: PlanResource[]) => void): Promise<string[]> {
  const vs = await evaluate(resources, { policy: POLICY, mutate });
  for (const v of vs) expect(v.policy).toBe(POLICY);
  return vs.map((v) => v.message);
}

// A cluster whose CI principals are set (the committed stacks may not set them yet).
let withPrincipals: PlanResource[];
// Both projects of prod, as the offline plan evaluates them.
let prod: PlanResource[];
beforeAll(async () => {
  prod = await recordStack("prod");
}, 300_000);
beforeAll(async () => {
  withPrincipals = await plan(
    () => new GpuCluster("c", { clusterName: "llm-ci-use1", region: "us-east-1", kubernetesVersion: "1.33", privateSubnetIds: ["subnet-a", "subnet-b"], adminRoleArns: ["arn:aws:iam::123456789012:role/platform-admin"], ciPrincipals: ci, kubernetesProvider: true }, { providers: [regionProvider()] }),
  );
});

describe("ci-access-least-privilege passes", () => {
  it("on the committed prod stack", async () => {
    expect(await messages(prod)).toEqual([]);
  });

  it("on the one-stack composition of prod", async () => {
    expect(await messages(await recordOneStack("prod"))).toEqual([]);
  }, 300_000);

  it("on a cluster with deploy, preview and drift principals as GpuCluster declares them", async () => {
    expect(withPrincipals.filter((r) => r.type === ENTRY).map((r) => r.name).sort()).toEqual(["c-admin-0", "c-ci-deploy", "c-ci-drift", "c-ci-preview"]);
    expect(await messages(withPrincipals)).toEqual([]);
  });
});

describe("ci-access-least-privilege fails", () => {
  it("when the preview principal can write (AmazonEKSEditPolicy)", async () => {
    const got = await messages(withPrincipals, (rs) => {
      byName(rs, "c-ci-preview-view").inputs.policyArn = policyArn("AmazonEKSEditPolicy");
    });
    expect(got).toEqual([
      `preview principal ${ci.preview} on cluster llm-ci-use1: AmazonEKSEditPolicy can write (cluster-wide); preview and drift jobs must be read-only, and a Kubernetes dry-run is authorized like the write itself, so a write grant is a real write grant. Use AmazonEKSViewPolicy (preview) or AmazonEKSAdminViewPolicy (drift)`,
    ]);
  });

  it("when the preview principal can write in one namespace only", async () => {
    const got = await messages(withPrincipals, (rs) => {
      const a = byName(rs, "c-ci-preview-view");
      a.inputs.policyArn = policyArn("AmazonEKSAdminPolicy");
      a.inputs.accessScope = { type: "namespace", namespaces: ["serving"] };
    });
    expect(got).toEqual([expect.stringContaining("AmazonEKSAdminPolicy can write (in namespace(s) serving)")]);
  });

  it("when the drift principal has View only, which cannot read Secrets", async () => {
    const got = await messages(withPrincipals, (rs) => {
      byName(rs, "c-ci-drift-admin-view").inputs.policyArn = policyArn("AmazonEKSViewPolicy");
    });
    expect(got).toEqual([
      `drift principal ${ci.drift} on cluster llm-ci-use1 cannot read every object cluster-wide, Secrets included (has AmazonEKSViewPolicy); the drift refresh reads Helm release Secrets and custom resources. Use AmazonEKSAdminViewPolicy at cluster scope`,
    ]);
  });

  it("when the drift principal reads everything but in one namespace only", async () => {
    const got = await messages(withPrincipals, (rs) => {
      byName(rs, "c-ci-drift-admin-view").inputs.accessScope = { type: "namespace", namespaces: ["serving"] };
    });
    expect(got).toEqual([expect.stringMatching(/^drift principal .* cannot read every object cluster-wide, Secrets included \(has AmazonEKSAdminViewPolicy\)/)]);
  });

  it("when one principal holds two policies where one suffices", async () => {
    const got = await messages(withPrincipals, (rs) => {
      const view = structuredClone(byName(rs, "c-ci-drift-admin-view")) as Mutable;
      view.urn = view.urn.replace(/c-ci-drift-admin-view$/, "c-ci-drift-view");
      view.name = "c-ci-drift-view";
      view.inputs.policyArn = policyArn("AmazonEKSViewPolicy");
      rs.push(view);
    });
    expect(got).toEqual([
      `drift principal ${ci.drift} on cluster llm-ci-use1: AmazonEKSViewPolicy (cluster-wide) is redundant: AmazonEKSAdminViewPolicy (cluster-wide) already grants all of it; associate one policy`,
    ]);
  });

  it("when the kubernetes provider does not depend on the deploy access association", async () => {
    const got = await messages(withPrincipals, (rs) => {
      const deploy = byName(rs, "c-ci-deploy-cluster-admin");
      const provider = byName(rs, "c-k8s");
      provider.options.dependsOn = provider.options.dependsOn.filter((u) => u !== deploy.urn);
    });
    expect(got).toEqual([
      "kubernetes provider c-k8s talks to cluster llm-ci-use1 but does not depend on its deploy access association(s) c-ci-deploy-cluster-admin: its first request can race the access grant and fail with Unauthorized. Add them to the provider's dependsOn",
    ]);
  });

  it("accepts the dependency through a component: depending on the cluster component waits for its children", async () => {
    const got = await messages(withPrincipals, (rs) => {
      const component = rs.find((r) => r.type === "llm-blueprint:cluster:GpuCluster")!;
      const provider = byName(rs, "c-k8s");
      const deploy = byName(rs, "c-ci-deploy-cluster-admin");
      // A provider outside the component that waits on the whole component instead of the association.
      provider.parent = undefined;
      provider.options.dependsOn = [...provider.options.dependsOn.filter((u) => u !== deploy.urn), component.urn];
    });
    expect(got).toEqual([]);
  });

  it("when the deploy principal is not cluster admin, or a CI entry carries an unknown role or policy", async () => {
    const got = await messages(withPrincipals, (rs) => {
      byName(rs, "c-ci-deploy-cluster-admin").inputs.policyArn = policyArn("AmazonEKSAdminPolicy");
      byName(rs, "c-ci-preview").inputs.tags = { "llm-blueprint:ci-role": "previw" };
      byName(rs, "c-ci-drift-admin-view").inputs.policyArn = policyArn("AmazonEKSAutoNodePolicy");
    });
    expect(got).toEqual([
      'access entry c-ci-preview: tag llm-blueprint:ci-role is "previw"; allowed: deploy, preview, drift (several joined with "+")',
      `drift principal ${ci.drift}: access policy "${policyArn("AmazonEKSAutoNodePolicy")}" is not one this pack knows what it grants; allowed: AmazonEKSClusterAdminPolicy, AmazonEKSAdminPolicy, AmazonEKSEditPolicy, AmazonEKSAdminViewPolicy, AmazonEKSViewPolicy, AmazonEKSSecretReaderPolicy`,
      `deploy principal ${ci.deploy} on cluster llm-ci-use1 is not cluster admin (has AmazonEKSAdminPolicy); installing charts creates CRDs, ClusterRoles and webhooks, which RBAC allows only to a principal holding those rights. Use AmazonEKSClusterAdminPolicy at cluster scope`,
      expect.stringMatching(/^drift principal .* cannot read every object cluster-wide, Secrets included \(has AmazonEKSAutoNodePolicy\)/),
    ]);
  });

  it("when a CI entry has no access policy at all", async () => {
    const got = await messages(withPrincipals, (rs) => {
      rs.splice(rs.findIndex((r) => r.type === ASSOCIATION && r.name === "c-ci-preview-view"), 1);
    });
    expect(got).toEqual([`preview principal ${ci.preview} on cluster llm-ci-use1 has an access entry but no access policy: its CI job cannot reach the Kubernetes API`]);
  });
});

describe("ci-access-least-privilege across the two projects", () => {
  const K8S_PROVIDER = "pulumi:providers:kubernetes";
  const servingProvider = (rs: PlanResource[]) => {
    const p = rs.find((r) => r.type === K8S_PROVIDER && r.project === "llm-blueprint-serving" && r.name.startsWith("us-east-1-"));
    if (!p) throw new Error("no serving kubernetes provider in us-east-1");
    return p as Mutable & { propertyDependencies: Record<string, string[]> };
  };

  it("finds the serving provider's cluster by its `cluster` input: without the platform's StackReference it would race the deploy access", async () => {
    const provider = servingProvider(prod);
    expect(provider.inputs.cluster).toBe("llm-prod-use1");
    expect(provider.propertyDependencies.kubeconfig).toEqual([expect.stringMatching(/::pulumi:pulumi:StackReference::/)]);
    const got = await messages(prod, (rs) => {
      const p = servingProvider(rs);
      p.options.dependsOn = [];
      p.propertyDependencies = { ...p.propertyDependencies, kubeconfig: [] };
    });
    expect(got).toEqual([
      expect.stringMatching(/^kubernetes provider us-east-1-k8s talks to cluster llm-prod-use1 but does not depend on its deploy access association\(s\) \S+: its first request can race the access grant/),
    ]);
  });

  it("fails a provider whose `cluster` names no cluster, unless the clusters are another project's (a serving-only preview)", async () => {
    const stray = (rs: PlanResource[]) => (servingProvider(rs).inputs.cluster = "llm-prod-use1-old");
    expect(await messages(prod, stray)).toEqual([
      'kubernetes provider us-east-1-k8s cluster "llm-prod-use1-old" names no EKS cluster of this plan (clusters: llm-prod-use1 (us-east-1), llm-prod-usw2 (us-west-2), llm-prod-use2 (us-east-2)), so whose deploy access it must wait for cannot be checked',
    ]);
    expect(await messages(prod.filter((r) => r.project === "llm-blueprint-serving"), stray)).toEqual([]);
  });
});
