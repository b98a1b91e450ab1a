import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as kms from "@pulumi/aws/kms";
import * as sns from "@pulumi/aws/sns";
import * as pulumi from "@pulumi/pulumi";
import { alarmTopicKeyPolicy, alarmTopicPolicy } from "../lib/traffic";

export interface HealthCheckAlertsArgs {
  /** Region of the aws provider passed in; alarms of this region may publish. @default "us-east-1" */
  readonly region?: string;
  /** Addresses subscribed to the topic (each confirms by email). @default [] */
  readonly alertEmails?: readonly string[];
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * Where the Route 53 health-check alarms notify: a KMS-encrypted SNS topic that CloudWatch alarms of
 * this account may publish to (topic policy and key policy both grant cloudwatch.amazonaws.com).
 * Route 53 health-check metrics exist only in us-east-1, so pass a us-east-1 aws provider: an alarm
 * can only notify a topic in its own region.
 */
export class HealthCheckAlerts extends pulumi.ComponentResource {
  readonly topicArn: pulumi.Output<string>;

  constructor(name: string, args: HealthCheckAlertsArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("llm-blueprint:traffic:HealthCheckAlerts", name, {}, opts);
    const tags = args.tags ?? {};
    const identity = getCallerIdentityOutput({}, { parent: this });
    const region = args.region ?? "us-east-1";

    const key = new kms.Key(
      `${name}-key`,
      {
        description: "Route 53 health-check alarm topic",
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: identity.accountId.apply((id) => JSON.stringify(alarmTopicKeyPolicy(id))),
        tags,
      },
      // Like every key of the stack: a topic's undelivered messages stay encrypted under it.
      { parent: this, retainOnDelete: true },
    );
    const topic = new sns.Topic(`${name}-topic`, { kmsMasterKeyId: key.arn, tags }, { parent: this });
    new sns.TopicPolicy(
      `${name}-topic`,
      { arn: topic.arn, policy: pulumi.all([topic.arn, identity.accountId]).apply(([arn, id]) => JSON.stringify(alarmTopicPolicy(arn, id, region))) },
      { parent: this },
    );
    for (const [i, email] of (args.alertEmails ?? []).entries()) {
      new sns.TopicSubscription(`${name}-email-${i}`, { topic: topic.arn, protocol: "email", endpoint: email }, { parent: this });
    }
    this.topicArn = topic.arn;
    this.registerOutputs({ topicArn: this.topicArn });
  }
}
