import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as kms from "@pulumi/aws/kms";
import * as pulumi from "@pulumi/pulumi";
import { logGroupKeyPolicy } from "../lib/iam";

export interface RetainedLogGroupArgs {
  /** Child name of the KMS key. */
  readonly keyResourceName: string;
  /** Child name of the log group. */
  readonly groupResourceName: string;
  /** Physical log group name; the key policy admits CloudWatch Logs for this group only. */
  readonly logGroupName: string;
  /** Description of the key. */
  readonly description: string;
  readonly region: string;
  readonly accountId: pulumi.Output<string>;
  readonly retentionInDays: number;
  readonly tags: Record<string, string>;
}

/**
 * A CloudWatch log group encrypted with a rotating key of its own, both kept on delete: a destroy or
 * a rename leaves the evidence and the key that reads it (the plan-level data-retained-on-delete check).
 */
export function retainedLogGroup(args: RetainedLogGroupArgs, parent: pulumi.Resource): { key: kms.Key; group: cloudwatch.LogGroup } {
  const key = new kms.Key(
    args.keyResourceName,
    {
      description: args.description,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: args.accountId.apply((id) => JSON.stringify(logGroupKeyPolicy(id, args.region, args.logGroupName))),
      tags: args.tags,
    },
    { parent, retainOnDelete: true },
  );
  const group = new cloudwatch.LogGroup(
    args.groupResourceName,
    { name: args.logGroupName, retentionInDays: args.retentionInDays, kmsKeyId: key.arn, tags: args.tags },
    { parent, retainOnDelete: true },
  );
  return { key, group };
}
