/** IAM policy documents as plain data: built here, serialised once, and evaluated by tests and policies. */

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly Principal?: Record<string, string | string[]>;
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: PolicyStatement[];
}

export function policyDocument(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/** Trust policy for a role assumed by an AWS service that acts for no resource of ours (ec2 instances, the EKS cluster role, codebuild). */
export function serviceTrust(service: string): PolicyDocument {
  return policyDocument({ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" });
}

/**
 * Confused-deputy guard for a service role: the service may assume it only while acting for a
 * resource of this account (`aws:SourceAccount`) matching `sourceArn` (`aws:SourceArn`, ArnLike so a
 * resource id unknown before creation can be `*`). Both keys, because some ARNs (S3 buckets) carry
 * no account. IAM user guide "The confused deputy problem" (cross-service prevention), read 2026-11-25.
 */
export function scopedServiceTrust(service: string, accountId: string, sourceArn: string, action: string | string[] = "sts:AssumeRole"): PolicyDocument {
  return policyDocument({
    Effect: "Allow",
    Principal: { Service: service },
    Action: action,
    Condition: { StringEquals: { "aws:SourceAccount": accountId }, ArnLike: { "aws:SourceArn": sourceArn } },
  });
}

/** VPC flow logs to CloudWatch: the role publishes only for flow logs of this account and region. */
export function flowLogTrust(accountId: string, region: string): PolicyDocument {
  // VPC user guide "IAM role for publishing flow logs to CloudWatch Logs" (flow-logs-iam-role), read
  // 2026-11-25: aws:SourceAccount = flow log owner, aws:SourceArn = the flow log's ARN, id may be `*`.
  return scopedServiceTrust("vpc-flow-logs.amazonaws.com", accountId, `arn:aws:ec2:${region}:${accountId}:vpc-flow-log/*`);
}

/** S3 replication: the role is assumed only to replicate from `sourceBucket` of this account. */
export function replicationTrust(accountId: string, sourceBucketArn: string): PolicyDocument {
  return scopedServiceTrust("s3.amazonaws.com", accountId, sourceBucketArn);
}

/** The cluster a Pod Identity role serves. */
export interface PodIdentityScope {
  readonly accountId: string;
  readonly region: string;
  readonly clusterName: string;
}

export function eksClusterArn(scope: PodIdentityScope): string {
  return `arn:aws:eks:${scope.region}:${scope.accountId}:cluster/${scope.clusterName}`;
}

/**
 * Trust policy for EKS Pod Identity, tied to one account and cluster. The EKS user guide documents
 * the session tags Pod Identity adds (pod-id-abac.adoc: eks-cluster-arn, ...; awsdocs/amazon-eks-user-guide
 * f73db2f, read 2026-11-25), so `aws:RequestTag/eks-cluster-arn` names the cluster. EKS Auth also sends
 * `aws:SourceAccount` and, as `aws:SourceArn`, the pod identity association's ARN
 * (`arn:aws:eks:<region>:<account>:podidentityassociation/<cluster>/<id>`): field-tested in
 * awslabs/mountpoint-s3-csi-driver#781 (2026-04-29); the user guide does not list them, so the
 * documented session tag stays as the cluster check of record.
 */
export function podIdentityTrust(scope: PodIdentityScope): PolicyDocument {
  return policyDocument({
    Effect: "Allow",
    Principal: { Service: "pods.eks.amazonaws.com" },
    Action: ["sts:AssumeRole", "sts:TagSession"],
    Condition: {
      StringEquals: { "aws:SourceAccount": scope.accountId, "aws:RequestTag/eks-cluster-arn": eksClusterArn(scope) },
      ArnLike: { "aws:SourceArn": `arn:aws:eks:${scope.region}:${scope.accountId}:podidentityassociation/${scope.clusterName}/*` },
    },
  });
}

/**
 * Key policy of a KMS key that encrypts one CloudWatch log group: the account administers it, and
 * the CloudWatch Logs service of the region may use it for that log group only.
 */
export function logGroupKeyPolicy(accountId: string, region: string, logGroupName: string): PolicyDocument {
  return policyDocument(
    { Sid: "AccountAdmin", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" },
    {
      Sid: "CloudWatchLogs",
      Effect: "Allow",
      Principal: { Service: `logs.${region}.amazonaws.com` },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: "*",
      Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${region}:${accountId}:log-group:${logGroupName}` } },
    },
  );
}

/** Writing into one log group's streams (flow logs, Fluent Bit); the group itself is created by the stack. */
export function logWritePolicy(logGroupArn: string): PolicyDocument {
  return policyDocument({ Sid: "WriteLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: [logGroupArn, `${logGroupArn}:log-stream:*`] });
}

export function managedPolicyArn(name: string): string {
  return `arn:aws:iam::aws:policy/${name}`;
}

/** A request to evaluate: one action on one resource, with the condition keys the caller sends. */
export interface AccessRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string>;
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
  return re.test(value);
}

function conditionHolds(condition: PolicyStatement["Condition"], context: Record<string, string>): boolean {
  if (!condition) return true;
  return Object.entries(condition).every(([operator, entries]) =>
    Object.entries(entries).every(([key, expected]) => {
      const actual = context[key];
      const values = [expected].flat();
      switch (operator) {
        case "StringEquals":
        case "ArnEquals":
          return actual !== undefined && values.includes(actual);
        case "StringLike":
        case "ArnLike":
          return actual !== undefined && values.some((v) => globMatch(v, actual));
        case "Bool":
          return actual !== undefined && values.includes(actual);
        default:
          // An operator this evaluator does not know never grants access: tests must not pass by accident.
          return false;
      }
    }),
  );
}

function statementMatches(st: PolicyStatement, req: AccessRequest): boolean {
  const actions = [st.Action].flat();
  const resources = [st.Resource ?? "*"].flat();
  return (
    actions.some((a) => globMatch(a, req.action)) &&
    resources.some((r) => globMatch(r, req.resource)) &&
    conditionHolds(st.Condition, req.context ?? {})
  );
}

/**
 * Evaluates an identity policy the way IAM does for a single policy: an explicit Deny wins, then
 * any Allow, otherwise implicit deny. Supports the operators this blueprint writes (StringEquals,
 * StringLike, ArnEquals, ArnLike, Bool); any other operator makes its statement not apply.
 */
export function isAllowed(doc: PolicyDocument, req: AccessRequest): boolean {
  const matching = doc.Statement.filter((st) => statementMatches(st, req));
  if (matching.some((st) => st.Effect === "Deny")) return false;
  return matching.some((st) => st.Effect === "Allow");
}
