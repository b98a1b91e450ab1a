import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { replacementKey } from "../../lib/plan/replaceOn";

/**
 * Deterministic, realistic mock outputs for the offline plan: ids, ARNs and endpoints derive from
 * type, name, region and the inputs that force a replacement (lib/plan/replaceOn.ts), so two runs of
 * the same stack print the same plan, and a replaced resource gets a new id, as it would in AWS: what
 * refers to it (a subnet's vpcId, a node group's subnetIds) changes and shows in the diff too.
 */

export const MOCK_ACCOUNT_ID = "123456789012";

function hex(seed: string, length: number): string {
  let out = "";
  for (let i = 0; out.length < length; i++) out += createHash("sha256").update(`${seed}#${i}`).digest("hex");
  return out.slice(0, length);
}

function uuid(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Maps an AWS resource type token to the EC2-style id prefix AWS uses for it. */
const EC2_ID_PREFIX: Record<string, string> = {
  "aws:ec2/vpc:Vpc": "vpc",
  "aws:ec2/subnet:Subnet": "subnet",
  "aws:ec2/internetGateway:InternetGateway": "igw",
  "aws:ec2/natGateway:NatGateway": "nat",
  "aws:ec2/eip:Eip": "eipalloc",
  "aws:ec2/routeTable:RouteTable": "rtb",
  "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
  "aws:ec2/securityGroup:SecurityGroup": "sg",
  "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
  "aws:ec2/launchTemplate:LaunchTemplate": "lt",
  "aws:ec2/flowLog:FlowLog": "fl",
  "aws:ec2/networkAcl:NetworkAcl": "acl",
};

const NLB_ZONE_IDS: Record<string, string> = {
  "us-east-1": "Z26RNL4JYFTOTI",
  "us-east-2": "ZLMOA37VPKANP",
  "us-west-2": "Z18D5FSROUN65G",
};

/** A StackReference to a stack the offline plan does not have: the plan names both sides. */
export class StackReferenceError extends Error {
  readonly isStackReferenceError = true;
  static isInstance(err: unknown): err is StackReferenceError {
    return err instanceof Error && (err as Partial<StackReferenceError>).isStackReferenceError === true;
  }
}

export class PlanMocks implements pulumi.runtime.Mocks {
  /** Provider id -> region, learnt when each aws provider is registered. */
  private readonly providerRegions = new Map<string, string>();
  /** Subnet id -> its VPC id: an EKS cluster cannot leave its VPC, so a new VPC is a new cluster. */
  private readonly subnetVpcs = new Map<string, string>();

  /**
   * @param stackOutputs outputs of the stacks planned earlier in this run, by "<project>/<stack>": what a
   *   StackReference to "[<org>/]<project>/<stack>" reads, as the engine's pulumi:pulumi:StackReference
   *   resource returns them (state `outputs`, `secretOutputNames`).
   */
  constructor(private readonly stackOutputs: ReadonlyMap<string, Record<string, unknown>> = new Map()) {}

  private stackReference(name: string): { id: string; state: Record<string, unknown> } {
    const parts = name.split("/");
    const key = parts.slice(-2).join("/");
    const outputs = parts.length >= 2 ? this.stackOutputs.get(key) : undefined;
    if (!outputs) {
      const known = [...this.stackOutputs.keys()];
      throw new StackReferenceError(
        `StackReference "${name}" names a stack this plan did not produce (it planned ${known.join(", ") || "no other stack"}); name the platform stack as <org>/<project>/<stack>`,
      );
    }
    return { id: name, state: { name, outputs, secretOutputNames: [] } };
  }

  private regionOf(args: pulumi.runtime.MockResourceArgs): string {
    const providerId = args.provider?.split("::").pop();
    return (providerId && this.providerRegions.get(providerId)) || "us-east-1";
  }

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    const { type, name, inputs } = args;
    if (type.startsWith("pulumi:providers:")) {
      const id = uuid(`${type}/${name}`);
      if (type === "pulumi:providers:aws" && typeof inputs.region === "string") this.providerRegions.set(id, inputs.region);
      return { id, state: inputs };
    }
    if (!args.custom) return { id: undefined, state: {} };
    if (type === "pulumi:pulumi:StackReference") return this.stackReference(String(inputs.name ?? args.id ?? name));

    const region = this.regionOf(args);
    const clusterVpcs =
      type === "aws:eks/cluster:Cluster" ? [...new Set(((inputs.vpcConfig as { subnetIds?: unknown[] } | undefined)?.subnetIds ?? []).map((s) => this.subnetVpcs.get(String(s)) ?? ""))].sort() : [];
    const replacement = replacementKey(type, inputs, clusterVpcs);
    const seed = `${type}/${name}/${region}${replacement ? `/${replacement}` : ""}`;
    const [pkg, mod] = type.split(":");
    const state: Record<string, unknown> = { ...inputs };
    let id = `${name}-${hex(seed, 8)}`;

    if (pkg === "aws") {
      const service = mod.split("/")[0];
      const prefix = EC2_ID_PREFIX[type];
      if (prefix) id = `${prefix}-${hex(seed, 17)}`;
      const physical = (inputs.name as string | undefined) ?? id;
      state.arn = `arn:aws:${service}:${region}:${MOCK_ACCOUNT_ID}:${mod.split("/")[1]?.split(":")[0] ?? service}/${physical}`;
      switch (type) {
        case "aws:iam/role:Role":
        case "aws:iam/policy:Policy": {
          const roleName = (inputs.name as string | undefined) ?? `${name}-${hex(seed, 7)}`;
          id = roleName;
          state.name = roleName;
          state.arn = `arn:aws:iam::${MOCK_ACCOUNT_ID}:${type === "aws:iam/role:Role" ? "role" : "policy"}/${roleName}`;
          break;
        }
        case "aws:kms/key:Key":
          id = uuid(seed);
          state.keyId = id;
          state.arn = `arn:aws:kms:${region}:${MOCK_ACCOUNT_ID}:key/${id}`;
          break;
        case "aws:kms/alias:Alias":
          state.arn = `arn:aws:kms:${region}:${MOCK_ACCOUNT_ID}:${inputs.name as string}`;
          break;
        case "aws:eks/cluster:Cluster": {
          const clusterName = (inputs.name as string | undefined) ?? name;
          const oidc = hex(seed, 32).toUpperCase();
          id = clusterName;
          state.name = clusterName;
          state.arn = `arn:aws:eks:${region}:${MOCK_ACCOUNT_ID}:cluster/${clusterName}`;
          state.endpoint = `https://${oidc}.gr7.${region}.eks.amazonaws.com`;
          state.certificateAuthority = { data: Buffer.from(`mock-ca-${clusterName}`).toString("base64") };
          state.identities = [{ oidcs: [{ issuer: `https://oidc.eks.${region}.amazonaws.com/id/${oidc}` }] }];
          state.vpcConfig = { ...(inputs.vpcConfig as object), clusterSecurityGroupId: `sg-${hex(`${seed}/sg`, 17)}` };
          state.status = "ACTIVE";
          break;
        }
        case "aws:eks/nodeGroup:NodeGroup":
          state.arn = `arn:aws:eks:${region}:${MOCK_ACCOUNT_ID}:nodegroup/${inputs.clusterName as string}/${name}/${uuid(seed)}`;
          state.resources = [{ autoscalingGroups: [{ name: `eks-${name}-${uuid(seed)}` }], remoteAccessSecurityGroupId: "" }];
          state.status = "ACTIVE";
          break;
        case "aws:s3/bucket:Bucket": {
          // Autonamed like Pulumi does: logical name plus a random-looking suffix.
          const bucket = (inputs.bucket as string | undefined) ?? `${name}-${hex(seed, 7)}`;
          id = bucket;
          state.bucket = bucket;
          state.arn = `arn:aws:s3:::${bucket}`;
          state.bucketRegionalDomainName = `${bucket}.s3.${region}.amazonaws.com`;
          break;
        }
        case "aws:lb/loadBalancer:LoadBalancer": {
          const lbName = `${name.slice(0, 20)}-${hex(seed, 16)}`;
          state.arn = `arn:aws:elasticloadbalancing:${region}:${MOCK_ACCOUNT_ID}:loadbalancer/net/${lbName}/${hex(`${seed}/id`, 16)}`;
          id = state.arn as string;
          state.dnsName = `${lbName}.elb.${region}.amazonaws.com`;
          // NLB canonical hosted zone ids (ELB endpoints table, AWS General Reference, read 2026-11-25).
          state.zoneId = NLB_ZONE_IDS[region] ?? "ZNLBMOCK";
          break;
        }
        case "aws:lb/targetGroup:TargetGroup":
          state.arn = `arn:aws:elasticloadbalancing:${region}:${MOCK_ACCOUNT_ID}:targetgroup/${(inputs.name as string | undefined) ?? name.slice(0, 20)}/${hex(seed, 16)}`;
          id = state.arn as string;
          break;
        case "aws:acm/certificate:Certificate": {
          state.arn = `arn:aws:acm:${region}:${MOCK_ACCOUNT_ID}:certificate/${uuid(seed)}`;
          id = state.arn as string;
          const domains = [inputs.domainName as string, ...((inputs.subjectAlternativeNames as string[] | undefined) ?? [])];
          // ACM's validation CNAME belongs to the domain (a wildcard shares its base's) and the account:
          // every certificate of the account naming it, in any region, gets the same name and value
          // (ACM user guide "DNS validation", read 2026-11-25).
          state.domainValidationOptions = domains.map((d) => {
            const base = d.replace(/^\*\./, "").toLowerCase();
            return {
              domainName: d,
              resourceRecordName: `_${hex(`acm/${MOCK_ACCOUNT_ID}/${base}`, 32)}.${base}.`,
              resourceRecordType: "CNAME",
              resourceRecordValue: `_${hex(`acm-value/${MOCK_ACCOUNT_ID}/${base}`, 32)}.acm-validations.aws.`,
            };
          });
          break;
        }
        case "aws:acm/certificateValidation:CertificateValidation":
          state.certificateArn = inputs.certificateArn;
          break;
        case "aws:route53/healthCheck:HealthCheck":
          id = uuid(seed);
          state.arn = `arn:aws:route53:::healthcheck/${id}`;
          break;
        case "aws:route53/record:Record":
          id = `${inputs.zoneId as string}_${inputs.name as string}_${inputs.type as string}${inputs.setIdentifier ? `_${inputs.setIdentifier as string}` : ""}`;
          state.fqdn = inputs.name;
          break;
        case "aws:ec2/launchTemplate:LaunchTemplate":
          state.latestVersion = 1;
          state.defaultVersion = 1;
          break;
        case "aws:cloudwatch/logGroup:LogGroup":
          id = (inputs.name as string | undefined) ?? id;
          state.arn = `arn:aws:logs:${region}:${MOCK_ACCOUNT_ID}:log-group:${id}`;
          break;
        case "aws:ec2/eip:Eip":
          state.publicIp = `198.51.100.${parseInt(hex(seed, 2), 16) % 254 + 1}`;
          break;
        case "aws:ec2/subnet:Subnet":
          this.subnetVpcs.set(id, String(inputs.vpcId));
          state.ownerId = MOCK_ACCOUNT_ID;
          break;
        case "aws:ec2/vpc:Vpc":
          state.ownerId = MOCK_ACCOUNT_ID;
          break;
      }
    } else if (pkg === "kubernetes") {
      const meta = (inputs.metadata ?? {}) as { name?: string; namespace?: string };
      const k8sName = meta.name ?? (inputs.name as string | undefined) ?? name;
      id = meta.namespace ? `${meta.namespace}/${k8sName}` : k8sName;
      if (type === "kubernetes:helm.sh/v3:Release") {
        state.status = { name: inputs.name ?? name, namespace: inputs.namespace ?? "default", status: "deployed", version: inputs.version, revision: 1 };
      }
    }
    return { id, state };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: MOCK_ACCOUNT_ID, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/plan`, userId: "AIDAPLAN", id: MOCK_ACCOUNT_ID };
      case "aws:index/getPartition:getPartition":
        return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
      default:
        // An unmocked invoke would make the plan depend on a cloud answer it cannot get: fail loudly.
        throw new Error(`offline plan: no mock for invoke ${args.token}; add one to tools/engine/mocks.ts or avoid the invoke`);
    }
  }
}
