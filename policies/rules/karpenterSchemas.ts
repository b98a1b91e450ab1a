/**
 * Hand-written schemas of Karpenter's karpenter.sh/v1 NodePool and karpenter.k8s.aws/v1 EC2NodeClass,
 * from the CRDs chart karpenter-crd 1.14.1 installs: aws/karpenter-provider-aws
 * pkg/apis/crds/karpenter.sh_nodepools.yaml and karpenter.k8s.aws_ec2nodeclasses.yaml at the v1.14.1
 * release commit 1d927085d, read 2026-11-25. (@kubernetes-models/karpenter 2.0.0 exists on npm but does
 * not say which Karpenter version it was generated from and needs kubernetes-models 5.x, so it is not used.)
 * Required fields, enums and patterns as the CRDs give them; strict where the blueprint writes, so a
 * misspelt field fails here instead of being pruned by the API server. Fields the blueprint never sets
 * (kubelet, userData, networkInterfaces, placementGroupSelector, NodePool replicas, ...) are left out,
 * so setting one fails until it is added here from the CRD.
 */
import { z } from "zod";

const metadata = z
  .object({
    name: z.string().min(1),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .strict();
/** karpenter.sh_nodepools.yaml duration patterns. */
const duration = z.string().regex(/^(([0-9]+(s|m|h))+|Never)$/, "must match ^(([0-9]+(s|m|h))+|Never)$");
const labelKey = z.string().max(316).regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(\/))?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/);
const labelValue = z.string().max(63).regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/);
const tagTerm = z.record(z.string().min(1), z.string().min(1)).refine((t) => Object.keys(t).length <= 20, "at most 20 tags");

const requirement = z
  .object({
    key: labelKey,
    operator: z.enum(["Gte", "Lte", "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]),
    values: z.array(labelValue).optional(),
    minValues: z.number().int().min(1).max(50).optional(),
  })
  .strict()
  .refine((r) => r.operator !== "In" || (r.values?.length ?? 0) > 0, "requirements with operator 'In' must have a value defined");

export const nodePoolV1 = z
  .object({
    apiVersion: z.literal("karpenter.sh/v1"),
    kind: z.literal("NodePool"),
    metadata,
    spec: z
      .object({
        template: z
          .object({
            metadata: z.object({ labels: z.record(labelKey, labelValue).optional(), annotations: z.record(z.string(), z.string()).optional() }).strict().optional(),
            spec: z
              .object({
                nodeClassRef: z.object({ group: z.string().min(1), kind: z.string().min(1), name: z.string().min(1) }).strict(),
                requirements: z.array(requirement).max(100),
                taints: z.array(z.object({ key: z.string().min(1), value: z.string().optional(), effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]) }).strict()).optional(),
                startupTaints: z.array(z.object({ key: z.string().min(1), value: z.string().optional(), effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]) }).strict()).optional(),
                expireAfter: duration.optional(),
                terminationGracePeriod: z.string().regex(/^([0-9]+(s|m|h))+$/).optional(),
              })
              .strict(),
          })
          .strict(),
        limits: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
        disruption: z
          .object({
            consolidationPolicy: z.enum(["WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"]).optional(),
            consolidateAfter: duration,
            budgets: z
              .array(
                z
                  .object({
                    nodes: z.string().regex(/^((100|[0-9]{1,2})%|[0-9]+)$/),
                    reasons: z.array(z.enum(["Underutilized", "Empty", "Drifted"])).max(50).optional(),
                    schedule: z.string().optional(),
                    duration: z.string().regex(/^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$/).optional(),
                  })
                  .strict()
                  .refine((b) => (b.schedule === undefined) === (b.duration === undefined), "'schedule' must be set with 'duration'"),
              )
              .max(50)
              .optional(),
          })
          .strict()
          .optional(),
        weight: z.number().int().min(1).max(100).optional(),
      })
      .strict(),
  })
  .strict();

const selectorTerm = z.object({ tags: tagTerm.optional(), id: z.string().optional() }).strict();
export const ec2NodeClassV1 = z
  .object({
    apiVersion: z.literal("karpenter.k8s.aws/v1"),
    kind: z.literal("EC2NodeClass"),
    metadata,
    spec: z
      .object({
        role: z.string().max(64).optional(),
        instanceProfile: z.string().optional(),
        amiFamily: z.enum(["AL2", "AL2023", "Bottlerocket", "Custom", "Windows2019", "Windows2022", "Windows2025"]).optional(),
        amiSelectorTerms: z
          .array(
            z
              .object({
                alias: z
                  .string()
                  .max(30)
                  .regex(/^[a-zA-Z0-9]+@.+$/, "'alias' is improperly formatted, must match the format 'family@version'")
                  .refine((a) => ["al2", "al2023", "bottlerocket", "windows2019", "windows2022", "windows2025"].includes(a.split("@")[0]), "family is not supported")
                  .optional(),
                id: z.string().regex(/^ami-[0-9a-z]+$/).optional(),
                name: z.string().optional(),
                owner: z.string().optional(),
                ssmParameter: z.string().optional(),
                tags: tagTerm.optional(),
              })
              .strict(),
          )
          .min(1)
          .max(30)
          .refine((terms) => !(terms.some((t) => t.alias !== undefined) && terms.length !== 1), "'alias' is mutually exclusive, cannot be set with a combination of other amiSelectorTerms"),
        subnetSelectorTerms: z.array(selectorTerm).min(1).max(30),
        securityGroupSelectorTerms: z.array(selectorTerm.extend({ name: z.string().optional() }).strict()).min(1).max(30),
        capacityReservationSelectorTerms: z
          .array(
            z
              .object({
                id: z.string().regex(/^cr-[0-9a-z]+$/).optional(),
                instanceMatchCriteria: z.enum(["open", "targeted"]).optional(),
                ownerID: z.string().regex(/^[0-9]{12}$/).optional(),
                tags: tagTerm.optional(),
              })
              .strict()
              .refine((t) => t.tags !== undefined || t.id !== undefined || t.instanceMatchCriteria !== undefined, "expected at least one, got none, ['tags', 'id', 'instanceMatchCriteria']")
              .refine((t) => !(t.id !== undefined && (t.tags !== undefined || t.ownerID !== undefined || t.instanceMatchCriteria !== undefined)), "'id' is mutually exclusive"),
          )
          .max(30)
          .optional(),
        metadataOptions: z
          .object({
            httpEndpoint: z.enum(["enabled", "disabled"]).optional(),
            httpProtocolIPv6: z.enum(["enabled", "disabled"]).optional(),
            httpPutResponseHopLimit: z.number().int().min(1).max(64).optional(),
            httpTokens: z.enum(["required", "optional"]).optional(),
          })
          .strict()
          .optional(),
        blockDeviceMappings: z
          .array(
            z
              .object({
                deviceName: z.string().optional(),
                rootVolume: z.boolean().optional(),
                ebs: z
                  .object({
                    deleteOnTermination: z.boolean().optional(),
                    encrypted: z.boolean().optional(),
                    iops: z.number().int().optional(),
                    kmsKeyID: z.string().optional(),
                    snapshotID: z.string().optional(),
                    throughput: z.number().int().optional(),
                    volumeSize: z
                      .string()
                      .regex(/^((?:[1-9][0-9]{0,3}|[1-4][0-9]{4}|[5][0-8][0-9]{3}|59000)Gi|(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|[6][0-3][0-9]{3}|64000)G|([1-9]||[1-5][0-7]|58)Ti|([1-9]||[1-5][0-9]|6[0-3]|64)T)$/)
                      .optional(),
                    volumeType: z.enum(["standard", "io1", "io2", "gp2", "sc1", "st1", "gp3"]).optional(),
                  })
                  .strict()
                  .refine((e) => e.snapshotID !== undefined || e.volumeSize !== undefined, "snapshotID or volumeSize must be defined")
                  .optional(),
              })
              .strict(),
          )
          .max(50)
          .optional(),
        instanceStorePolicy: z.enum(["RAID0"]).optional(),
        detailedMonitoring: z.boolean().optional(),
        associatePublicIPAddress: z.boolean().optional(),
        tags: z.record(z.string(), z.string()).optional(),
      })
      .strict()
      .refine((s) => (s.role === undefined) !== (s.instanceProfile === undefined), "must specify exactly one of ['role', 'instanceProfile']"),
  })
  .strict();

export const KARPENTER_SCHEMA_SOURCE = "aws/karpenter-provider-aws pkg/apis/crds @ v1.14.1 (release commit 1d927085d)";
