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

/** Trust policy for a role assumed by an AWS service (ec2, eks, vpc-flow-logs). */
export function serviceTrust(service: string): PolicyDocument {
  return policyDocument({ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" });
}

/** Trust policy for EKS Pod Identity: the agent assumes the role and tags the session with pod attributes. */
export function podIdentityTrust(): PolicyDocument {
  return policyDocument({ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] });
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
