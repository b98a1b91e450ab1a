import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { arr, byType, obj, str, TYPES } from "./common";

/**
 * AWS-side hardening found by an outside audit (issue 14): service roles that any resource of any
 * account could make a service assume, an unprotected cluster, and DNS records with two owners.
 * Mandatory in every stack.
 */

const ROLE = "aws:iam/role:Role";

/**
 * Service principals whose trust must carry the confused-deputy conditions, each with the ARN shape
 * `aws:SourceArn` must match (the service's own resources, in this account).
 */
const SCOPED_SERVICES: Record<string, { readonly sourceArn: RegExp; readonly what: string }> = {
  // EKS Pod Identity: the pod identity association of one cluster (lib/iam.ts podIdentityTrust).
  "pods.eks.amazonaws.com": { sourceArn: /^arn:aws[a-z-]*:eks:[a-z0-9-]+:(\d{12}):podidentityassociation\/[^/*]+\/\*$/, what: "arn:aws:eks:<region>:<account>:podidentityassociation/<cluster>/*" },
  // VPC flow logs (VPC user guide, flow-logs-iam-role): the flow logs of this account and region.
  "vpc-flow-logs.amazonaws.com": { sourceArn: /^arn:aws[a-z-]*:ec2:[a-z0-9-]+:(\d{12}):vpc-flow-log\/[\w*-]+$/, what: "arn:aws:ec2:<region>:<account>:vpc-flow-log/<id or *>" },
  // S3 replication: the source bucket (its ARN has no account, so aws:SourceAccount carries it).
  "s3.amazonaws.com": { sourceArn: /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, what: "arn:aws:s3:::<source bucket>" },
};

/**
 * Service principals trusted without those conditions, each for a reason. Any other service is a
 * violation until it is added to one of the two lists (fail closed).
 */
const UNSCOPED_SERVICES: Record<string, string> = {
  // An instance profile role: EC2 assumes it for the instance, no source resource to name.
  "ec2.amazonaws.com": "node instance role",
  // The EKS cluster role; EKS accepts aws:SourceArn here since 2025-08 (cross-service-confused-deputy-prevention), left for a follow-up.
  "eks.amazonaws.com": "EKS cluster role",
  // CodeBuild runner service role (components/CiRunners.ts, not in this change's scope).
  "codebuild.amazonaws.com": "CodeBuild service role",
};

function conditionValues(condition: unknown, key: string, operators: readonly string[]): string[] {
  const out: string[] = [];
  for (const [op, entries] of Object.entries(obj(condition))) {
    if (!operators.includes(op)) continue;
    const v = obj(entries)[key];
    if (typeof v === "string") out.push(v);
    else out.push(...arr(v).filter((x): x is string => typeof x === "string"));
  }
  return out;
}

/** Problems of one trust policy document (a role's assumeRolePolicy), for the services it names. */
export function trustPolicyProblems(policy: unknown): string[] {
  let doc: unknown = policy;
  if (typeof policy === "string") {
    try {
      doc = JSON.parse(policy);
    } catch {
      return ["the trust policy is not valid JSON"];
    }
  }
  const raw = obj(doc).Statement;
  const statements = (Array.isArray(raw) ? raw : raw ? [raw] : []).map(obj);
  if (statements.length === 0) return ["the trust policy has no statements"];
  const problems: string[] = [];
  for (const [i, st] of statements.entries()) {
    if (st.Effect !== "Allow") continue;
    const principal = obj(st.Principal);
    const services = [principal.Service].flat().filter((s): s is string => typeof s === "string");
    for (const service of services) {
      if (UNSCOPED_SERVICES[service]) continue;
      const scoped = SCOPED_SERVICES[service];
      const label = `statement ${String(st.Sid ?? i)} trusts ${service}`;
      if (!scoped) {
        problems.push(`${label}, which this rule does not know; add it to SCOPED_SERVICES (with its aws:SourceArn shape) or UNSCOPED_SERVICES (with the reason) in policies/rules/hardening.ts`);
        continue;
      }
      const accounts = conditionValues(st.Condition, "aws:SourceAccount", ["StringEquals"]);
      const arns = conditionValues(st.Condition, "aws:SourceArn", ["ArnEquals", "ArnLike", "StringEquals", "StringLike"]);
      if (accounts.length !== 1 || !/^\d{12}$/.test(accounts[0])) {
        problems.push(`${label} without StringEquals aws:SourceAccount = <this account> (found ${JSON.stringify(accounts)}): any account's resource could make the service assume it`);
      }
      if (arns.length !== 1) {
        problems.push(`${label} without one aws:SourceArn condition naming ${scoped.what} (found ${JSON.stringify(arns)})`);
        continue;
      }
      const m = scoped.sourceArn.exec(arns[0]);
      if (!m) problems.push(`${label} with aws:SourceArn "${arns[0]}", which is not ${scoped.what}`);
      else if (m[1] !== undefined && accounts.length === 1 && m[1] !== accounts[0]) problems.push(`${label}: aws:SourceArn "${arns[0]}" names account ${m[1]}, aws:SourceAccount ${accounts[0]}`);
    }
  }
  return problems;
}

export const trustPoliciesScoped: ResourceValidationPolicy = {
  name: "trust-policies-scoped",
  description:
    "IAM roles trusted by a service acting for a resource (EKS Pod Identity, VPC flow logs, S3 replication) carry the confused-deputy conditions: aws:SourceAccount = this account and aws:SourceArn = that resource.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== ROLE) return;
    for (const problem of trustPolicyProblems(args.props.assumeRolePolicy)) report(problem);
  },
};

export const eksClusterProtected: ResourceValidationPolicy = {
  name: "eks-cluster-protected",
  description: "EKS clusters are protected: deleting or replacing one (a rename, a region change) needs an explicit unprotect first.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type === TYPES.eksCluster && args.opts.protect !== true) {
      report(`cluster ${str(args.props.name) ?? args.name} is not protected (protect: true); a rename or region change would delete it with its workloads`);
    }
  },
};

/** Route 53 record identity: a record set is zone + name + type (+ set identifier for routing policies). */
function recordKey(props: Record<string, unknown>): string | undefined {
  const zone = str(props.zoneId);
  const name = str(props.name);
  const type = str(props.type);
  if (!zone || !name || !type) return undefined;
  return [zone, name.toLowerCase().replace(/\.$/, ""), type.toUpperCase(), str(props.setIdentifier) ?? ""].join("|");
}

export const dnsRecordSingleOwner: StackValidationPolicy = {
  name: "dns-record-single-owner",
  description:
    "Each Route 53 record set (zone, name, type, set identifier) is declared by one resource, and none takes over an existing record with allowOverwrite: a record two resources declare is deleted when either goes.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const records = byType(args.resources, TYPES.route53Record);
    if (records.length === 0) args.notApplicable("no Route 53 records");
    const owners = new Map<string, string[]>();
    for (const r of records) {
      if (r.props.allowOverwrite === true) report(`record ${String(r.props.name)} (${String(r.props.type)}) sets allowOverwrite: it takes over a record another owner may delete; declare it once`, r.urn);
      const key = recordKey(r.props);
      if (!key) continue;
      owners.set(key, [...(owners.get(key) ?? []), r.urn]);
    }
    for (const [key, urns] of owners) {
      if (urns.length < 2) continue;
      const [zone, name, type, setId] = key.split("|");
      const names = urns.map((u) => u.split("::").pop()).join(", ");
      report(`record ${name} ${type}${setId ? ` (${setId})` : ""} in zone ${zone} is declared by ${urns.length} resources (${names}); removing any one deletes it for the others: declare it once`, urns[1]);
    }
  },
};
