import { describe, expect, it } from "vitest";
import {
  accessPolicyShortName,
  CI_ACCESS,
  CI_ROLE_TAG,
  CI_ROLES,
  ciAccessEntries,
  ciPrincipalsProblems,
  CiRole,
  EKS_ACCESS_POLICIES,
  EksAccessPolicyGrants,
  EksAccessPolicyName,
  eksAccessPolicyArn,
  eksAccessPolicyName,
} from "../../lib/access";

const deploy = "arn:aws:iam::123456789012:role/ci-deploy";
const preview = "arn:aws:iam::123456789012:role/ci/preview";
const drift = "arn:aws:iam::123456789012:role/ci-drift";

/** What each CI job needs from the Kubernetes API, stated independently of CI_ACCESS. */
const NEEDS: Record<CiRole, (g: EksAccessPolicyGrants) => boolean> = {
  deploy: (g) => g.clusterAdmin,
  preview: (g) => !g.writes && !g.readsSecrets,
  drift: (g) => !g.writes && g.readsSecrets && g.readsEveryResource,
};
const ALL = Object.keys(EKS_ACCESS_POLICIES) as EksAccessPolicyName[];

describe("EKS access policy table", () => {
  it("'covers' only ever points at another policy with no more rights", () => {
    const rights = ["writes", "readsSecrets", "readsEveryResource", "clusterAdmin"] as const;
    const widened = ALL.flatMap((name) =>
      EKS_ACCESS_POLICIES[name].covers.flatMap((covered) =>
        covered === name ? [`${name} covers itself`] : rights.filter((r) => EKS_ACCESS_POLICIES[covered][r] && !EKS_ACCESS_POLICIES[name][r]).map((r) => `${name} covers ${covered} but lacks ${r}`),
      ),
    );
    expect(widened).toEqual([]);
    expect(ALL.flatMap((n) => EKS_ACCESS_POLICIES[n].covers).length).toBeGreaterThan(0);
  });

  it("cluster admin covers every other policy; read-only policies cover no writer", () => {
    expect([...EKS_ACCESS_POLICIES.AmazonEKSClusterAdminPolicy.covers].sort()).toEqual(ALL.filter((n) => n !== "AmazonEKSClusterAdminPolicy").sort());
    for (const name of ALL.filter((n) => !EKS_ACCESS_POLICIES[n].writes)) {
      expect(EKS_ACCESS_POLICIES[name].covers.filter((c) => EKS_ACCESS_POLICIES[c].writes)).toEqual([]);
    }
  });

  it("round-trips policy ARNs in any partition and refuses other ARNs", () => {
    expect(eksAccessPolicyArn("AmazonEKSViewPolicy")).toBe("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy");
    expect(eksAccessPolicyName(eksAccessPolicyArn("AmazonEKSAdminViewPolicy"))).toBe("AmazonEKSAdminViewPolicy");
    expect(eksAccessPolicyName("arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSEditPolicy")).toBe("AmazonEKSEditPolicy");
    expect(eksAccessPolicyName("arn:aws:iam::aws:policy/AdministratorAccess")).toBeUndefined();
  });

  it("names policies briefly for resource names", () => {
    expect(ALL.map(accessPolicyShortName).sort()).toEqual(["admin", "admin-view", "cluster-admin", "edit", "secret-reader", "view"]);
  });
});

describe("CI_ACCESS", () => {
  it.each(CI_ROLES)("gives %s a cluster-wide policy that does its job", (role) => {
    const grant = CI_ACCESS[role];
    expect(grant.scope).toBe("cluster");
    expect(grant.policies).toHaveLength(1);
    expect(NEEDS[role](EKS_ACCESS_POLICIES[grant.policies[0]])).toBe(true);
  });

  it.each(CI_ROLES)("gives %s the narrowest such policy: it covers no other policy that would also do", (role) => {
    const chosen = EKS_ACCESS_POLICIES[CI_ACCESS[role].policies[0]];
    const narrowerThatWorks = chosen.covers.filter((n) => NEEDS[role](EKS_ACCESS_POLICIES[n]));
    expect(narrowerThatWorks).toEqual([]);
  });

  it("never lets preview or drift write, and keeps Secrets from the PR preview", () => {
    for (const role of ["preview", "drift"] as const) expect(CI_ACCESS[role].policies.map((p) => EKS_ACCESS_POLICIES[p].writes)).toEqual([false]);
    expect(EKS_ACCESS_POLICIES[CI_ACCESS.preview.policies[0]].readsSecrets).toBe(false);
  });
});

describe("CI principals", () => {
  it("declares one tagged entry per principal with its role's policy", () => {
    const entries = ciAccessEntries({ deploy, preview, drift });
    expect(entries).toEqual([
      { principalArn: deploy, roles: ["deploy"], roleTag: "deploy", policies: [{ name: "AmazonEKSClusterAdminPolicy", arn: eksAccessPolicyArn("AmazonEKSClusterAdminPolicy"), scope: "cluster" }] },
      { principalArn: preview, roles: ["preview"], roleTag: "preview", policies: [{ name: "AmazonEKSViewPolicy", arn: eksAccessPolicyArn("AmazonEKSViewPolicy"), scope: "cluster" }] },
      { principalArn: drift, roles: ["drift"], roleTag: "drift", policies: [{ name: "AmazonEKSAdminViewPolicy", arn: eksAccessPolicyArn("AmazonEKSAdminViewPolicy"), scope: "cluster" }] },
    ]);
    expect(ciAccessEntries({})).toEqual([]);
    expect(CI_ROLE_TAG).toBe("llm-blueprint:ci-role");
  });

  it("merges one ARN given for two roles that need the same policies into one entry", () => {
    const table = { ...CI_ACCESS, drift: CI_ACCESS.deploy };
    expect(ciAccessEntries({ deploy, drift: deploy }, table).map((e) => [e.principalArn, e.roleTag, e.policies.map((p) => p.name)])).toEqual([
      [deploy, "deploy+drift", ["AmazonEKSClusterAdminPolicy"]],
    ]);
  });

  it("refuses one ARN for two roles with different policies, naming both and what each needs", () => {
    expect(ciPrincipalsProblems({ deploy, preview: deploy })).toEqual([
      `ciPrincipals: "${deploy}" is given for deploy and preview, which need different access (deploy: AmazonEKSClusterAdminPolicy; preview: AmazonEKSViewPolicy); use one IAM role per CI role so the weaker one does not inherit the stronger one's access`,
    ]);
    expect(() => ciAccessEntries({ deploy, preview: deploy })).toThrow(/^invalid CI principals:\n {2}- ciPrincipals: ".*" is given for deploy and preview/);
  });

  it("refuses ARNs that are not IAM roles: users, assumed-role sessions, typos", () => {
    const problems = ciPrincipalsProblems({
      deploy: "arn:aws:iam::123456789012:user/ci",
      preview: "arn:aws:sts::123456789012:assumed-role/ci-preview/run-42",
      drift: "arn:aws:iam::12345:role/ci-drift",
    });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toBe(
      'ciPrincipals.deploy: "arn:aws:iam::123456789012:user/ci" is not an IAM role ARN; expected arn:aws:iam::<12-digit account>:role/<name> (not an assumed-role session or a user)',
    );
    expect(problems[1]).toMatch(/^ciPrincipals\.preview: "arn:aws:sts::.*" is not an IAM role ARN/);
    expect(problems[2]).toMatch(/^ciPrincipals\.drift: "arn:aws:iam::12345:role\/ci-drift" is not an IAM role ARN/);
  });

  it("refuses a role name it does not know (a typo would otherwise grant nothing silently)", () => {
    expect(ciPrincipalsProblems({ deploy, previw: preview } as never)).toEqual(["ciPrincipals.previw: is not a CI role; allowed: deploy, preview, drift"]);
  });
});
