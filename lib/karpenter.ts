/**
 * Karpenter for the GPU pools, as plain data: the controller's IAM policy, the interruption rules,
 * the Helm values and, per pool, the EC2NodeClass and NodePool specs. Pure (no Pulumi), so the
 * components (KarpenterAws in platform, KarpenterGpuPools in serving) and the policy pack share it.
 *
 * Upstream facts, all from aws/karpenter-provider-aws at the v1.14.1 release commit 1d927085d
 * (2026-08-21; the tag itself precedes the chart bump), read 2026-11-25:
 * - charts/karpenter/Chart.yaml and charts/karpenter-crd/Chart.yaml: version 1.14.1; the chart is published
 *   at oci://public.ecr.aws/karpenter/karpenter(-crd).
 * - charts/karpenter/values.yaml: settings.clusterName, settings.interruptionQueue, settings.featureGates
 *   (reservedCapacity beta, on by default; nodeRepair alpha, off by default), nodeSelector, replicas,
 *   podDisruptionBudget, controller.resources, serviceAccount.name.
 * - website/content/en/v1.14/getting-started/getting-started-with-karpenter/cloudformation.yaml: the
 *   controller policy statements and the five EventBridge rules copied below, the queue (300 s
 *   retention, SQS-managed SSE) and its policy.
 * - pkg/apis/crds/karpenter.k8s.aws_ec2nodeclasses.yaml and karpenter.sh_nodepools.yaml: the fields,
 *   enums and patterns KARPENTER_CRD_RULES lists.
 */
import { GPU_CLASS_LABEL, GPU_RESOURCE_NAME, GPU_TAINT_KEY, gpuInstanceSpec } from "./gpu";
import type { PoolCapacity, ResolvedReservation } from "./capacity";
import { policyDocument, PolicyDocument } from "./iam";

export { KARPENTER_CHART, KARPENTER_CRD_CHART } from "./baseline";
/** Karpenter's docs install it in kube-system (getting-started step01 KARPENTER_NAMESPACE); its service account is "karpenter". */
export const KARPENTER_NAMESPACE = "kube-system";
export const KARPENTER_SERVICE_ACCOUNT = "karpenter";
/** Tag Karpenter's subnet and security group selectors match (the getting-started guide's convention). */
export const DISCOVERY_TAG = "karpenter.sh/discovery";

export const NODEPOOL_API = { apiVersion: "karpenter.sh/v1", kind: "NodePool" } as const;
export const EC2NODECLASS_API = { apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass" } as const;

/** Well-known labels Karpenter schedules on (karpenter.sh_nodepools.yaml requirement keys). */
export const CAPACITY_TYPE_LABEL = "karpenter.sh/capacity-type";
export const INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type";
export const ZONE_LABEL = "topology.kubernetes.io/zone";
/** Annotation on each EC2NodeClass listing its reservations (id or tags, zone, count, window): the plan reads it. */
export const RESERVATIONS_ANNOTATION = "llm-blueprint.io/capacity-reservations";
/** Annotation on each NodePool with the node bounds the capacity plan uses (Karpenter itself has no minimum). */
export const CAPACITY_ANNOTATION = "llm-blueprint.io/capacity";

/**
 * Node expiry: long, because a model node's cold start is minutes (image, weights, CUDA graphs) and an
 * expiry only replaces a healthy node; 720h is also the CRD's default, written out so it is reviewed.
 */
export const GPU_NODE_EXPIRE_AFTER = "720h";
/** Shortest expiry the policy accepts (a week): anything shorter churns serving nodes for nothing. */
export const MIN_EXPIRE_AFTER_HOURS = 168;
/**
 * gp3 root volume of a GPU node: 1000 MiB/s (gp3's provisioned throughput ceiling at 4000+ IOPS; the
 * default is 125 MiB/s), so an image pull or a weight spill to EBS is not throttled at the default.
 * EBS gp3 volume characteristics (docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html), read 2026-11-25.
 */
export const GPU_ROOT_VOLUME = { throughputMiBps: 1000, iops: 4000 } as const;
/** Root device of the AL2023 EKS AMIs. */
export const AL2023_ROOT_DEVICE = "/dev/xvda";

/** An AMI alias pinned to a release ("al2023@v20260714"), the CRD's family@version format, never "latest". */
export const PINNED_ALIAS = /^al2023@v\d{8}$/;

/** EC2 reads the reference policy grants on "*", limited to the cluster's region by aws:RequestedRegion. */
const KARPENTER_REGIONAL_READ_ACTIONS: readonly string[] = [
  "ec2:DescribeCapacityReservations",
  "ec2:DescribeImages",
  "ec2:DescribeInstances",
  "ec2:DescribeInstanceStatus",
  "ec2:DescribeInstanceTypeOfferings",
  "ec2:DescribeInstanceTypes",
  "ec2:DescribeLaunchTemplates",
  "ec2:DescribePlacementGroups",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeSpotPriceHistory",
  "ec2:DescribeSubnets",
];

/**
 * The controller policy of Karpenter's reference CloudFormation template at v1.14.1 (its six managed
 * policies in one document): EC2 launches scoped to this cluster's tags and region, instance profiles
 * scoped to this cluster's node classes, PassRole of the node role only, the interruption queue only.
 * Describe calls and pricing are account-wide as documented there (no resource-level scoping exists).
 */
export function karpenterControllerPolicy(p: { partition?: string; region: string; accountId: string; clusterName: string; nodeRoleArn: string; queueArn: string }): PolicyDocument {
  const part = p.partition ?? "aws";
  const ec2 = (what: string) => `arn:${part}:ec2:${p.region}:*:${what}/*`;
  const cluster = `kubernetes.io/cluster/${p.clusterName}`;
  const profile = `arn:${part}:iam::${p.accountId}:instance-profile/*`;
  const launched = [ec2("fleet"), ec2("instance"), ec2("volume"), ec2("network-interface"), ec2("launch-template"), ec2("spot-instances-request")];
  return policyDocument(
    {
      Sid: "AllowScopedEC2InstanceAccessActions",
      Effect: "Allow",
      Resource: [`arn:${part}:ec2:${p.region}::image/*`, `arn:${part}:ec2:${p.region}::snapshot/*`, ec2("security-group"), ec2("subnet"), ec2("capacity-reservation"), ec2("placement-group")],
      Action: ["ec2:RunInstances", "ec2:CreateFleet"],
    },
    {
      Sid: "AllowScopedEC2LaunchTemplateAccessActions",
      Effect: "Allow",
      Resource: ec2("launch-template"),
      Action: ["ec2:RunInstances", "ec2:CreateFleet"],
      Condition: { StringEquals: { [`aws:ResourceTag/${cluster}`]: "owned" }, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
    },
    {
      Sid: "AllowScopedEC2InstanceActionsWithTags",
      Effect: "Allow",
      Resource: launched,
      Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
      Condition: {
        StringEquals: { [`aws:RequestTag/${cluster}`]: "owned", "aws:RequestTag/eks:eks-cluster-name": p.clusterName },
        StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
      },
    },
    {
      Sid: "AllowScopedResourceCreationTagging",
      Effect: "Allow",
      Resource: launched,
      Action: "ec2:CreateTags",
      Condition: {
        StringEquals: {
          [`aws:RequestTag/${cluster}`]: "owned",
          "aws:RequestTag/eks:eks-cluster-name": p.clusterName,
          "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
        },
        StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
      },
    },
    {
      Sid: "AllowScopedResourceTagging",
      Effect: "Allow",
      Resource: ec2("instance"),
      Action: "ec2:CreateTags",
      Condition: {
        StringEquals: { [`aws:ResourceTag/${cluster}`]: "owned" },
        StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
        StringEqualsIfExists: { "aws:RequestTag/eks:eks-cluster-name": p.clusterName },
        "ForAllValues:StringEquals": { "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"] },
      },
    },
    {
      Sid: "AllowScopedDeletion",
      Effect: "Allow",
      Resource: [ec2("instance"), ec2("launch-template")],
      Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
      Condition: { StringEquals: { [`aws:ResourceTag/${cluster}`]: "owned" }, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
    },
    {
      Sid: "AllowPassingInstanceRole",
      Effect: "Allow",
      Resource: p.nodeRoleArn,
      Action: "iam:PassRole",
      Condition: { StringEquals: { "iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] } },
    },
    {
      Sid: "AllowScopedInstanceProfileCreationActions",
      Effect: "Allow",
      Resource: profile,
      Action: ["iam:CreateInstanceProfile"],
      Condition: {
        StringEquals: { [`aws:RequestTag/${cluster}`]: "owned", "aws:RequestTag/eks:eks-cluster-name": p.clusterName, "aws:RequestTag/topology.kubernetes.io/region": p.region },
        StringLike: { "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
      },
    },
    {
      Sid: "AllowScopedInstanceProfileTagActions",
      Effect: "Allow",
      Resource: profile,
      Action: ["iam:TagInstanceProfile"],
      Condition: {
        StringEquals: {
          [`aws:ResourceTag/${cluster}`]: "owned",
          "aws:ResourceTag/topology.kubernetes.io/region": p.region,
          [`aws:RequestTag/${cluster}`]: "owned",
          "aws:RequestTag/eks:eks-cluster-name": p.clusterName,
          "aws:RequestTag/topology.kubernetes.io/region": p.region,
        },
        StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*", "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
      },
    },
    {
      Sid: "AllowScopedInstanceProfileActions",
      Effect: "Allow",
      Resource: profile,
      Action: ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
      Condition: {
        StringEquals: { [`aws:ResourceTag/${cluster}`]: "owned", "aws:ResourceTag/topology.kubernetes.io/region": p.region },
        StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*" },
      },
    },
    { Sid: "AllowAPIServerEndpointDiscovery", Effect: "Allow", Resource: `arn:${part}:eks:${p.region}:${p.accountId}:cluster/${p.clusterName}`, Action: "eks:DescribeCluster" },
    { Sid: "AllowInterruptionQueueActions", Effect: "Allow", Resource: p.queueArn, Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"] },
    {
      Sid: "AllowRegionalReadActions",
      Effect: "Allow",
      Resource: "*",
      Action: [...KARPENTER_REGIONAL_READ_ACTIONS],
      Condition: { StringEquals: { "aws:RequestedRegion": p.region } },
    },
    { Sid: "AllowSSMReadActions", Effect: "Allow", Resource: `arn:${part}:ssm:${p.region}::parameter/aws/service/*`, Action: "ssm:GetParameter" },
    { Sid: "AllowPricingReadActions", Effect: "Allow", Resource: "*", Action: "pricing:GetProducts" },
    { Sid: "AllowUnscopedInstanceProfileListAction", Effect: "Allow", Resource: "*", Action: "iam:ListInstanceProfiles" },
    { Sid: "AllowInstanceProfileReadActions", Effect: "Allow", Resource: profile, Action: "iam:GetInstanceProfile" },
  );
}

/** Actions the reference policy grants on "*" (the only unscoped ones): the policy pack refuses any other. */
export const KARPENTER_UNSCOPED_ACTIONS: readonly string[] = [...KARPENTER_REGIONAL_READ_ACTIONS, "pricing:GetProducts", "iam:ListInstanceProfiles"];

/** The EventBridge rules of the reference template, each sending to the interruption queue. */
export const INTERRUPTION_RULES: readonly { readonly name: string; readonly source: string; readonly detailType: string }[] = [
  { name: "scheduled-change", source: "aws.health", detailType: "AWS Health Event" },
  { name: "spot-interruption", source: "aws.ec2", detailType: "EC2 Spot Instance Interruption Warning" },
  { name: "rebalance", source: "aws.ec2", detailType: "EC2 Instance Rebalance Recommendation" },
  { name: "instance-state-change", source: "aws.ec2", detailType: "EC2 Instance State-change Notification" },
  { name: "capacity-reservation-interruption", source: "aws.ec2", detailType: "EC2 Capacity Reservation Instance Interruption Warning" },
];

/** The queue policy of the reference template: EventBridge (and SQS) may send; anything without TLS is denied. */
export function interruptionQueuePolicy(queueArn: string): PolicyDocument {
  return policyDocument(
    { Sid: "EC2InterruptionPolicy", Effect: "Allow", Principal: { Service: ["events.amazonaws.com", "sqs.amazonaws.com"] }, Action: "sqs:SendMessage", Resource: queueArn },
    { Sid: "DenyHTTP", Effect: "Deny", Principal: { AWS: "*" }, Action: "sqs:*", Resource: queueArn, Condition: { Bool: { "aws:SecureTransport": "false" } } },
  );
}

/**
 * Helm values of the controller: on the system node group (it must not run on nodes it manages), two
 * replicas with the chart's PDB, reserved capacity on (beta, the default; stated so a chart upgrade
 * cannot turn it off unnoticed), node repair on (alpha) so a GPU node whose AcceleratedHardwareReady
 * condition fails (EKS node monitoring agent) is replaced.
 */
export function karpenterValues(p: { clusterName: string; interruptionQueue: string; systemNodeSelector: Record<string, string> }): Record<string, unknown> {
  return {
    settings: { clusterName: p.clusterName, interruptionQueue: p.interruptionQueue, featureGates: { reservedCapacity: true, nodeRepair: true } },
    serviceAccount: { create: true, name: KARPENTER_SERVICE_ACCOUNT },
    nodeSelector: { "kubernetes.io/os": "linux", ...p.systemNodeSelector },
    replicas: 2,
    controller: { resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } } },
  };
}

export interface Ec2NodeClassInput {
  readonly pool: PoolCapacity;
  readonly clusterName: string;
  /** IAM role name of the nodes; Karpenter makes the instance profile. */
  readonly nodeRoleName: string;
  /** Pinned alias, such as "al2023@v20260714". */
  readonly amiAlias: string;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/** One reservation as a capacityReservationSelectorTerm: by id alone, or by tags (the CRD makes id exclusive). */
export function reservationTerm(r: ResolvedReservation): Record<string, unknown> {
  return r.id !== undefined ? { id: r.id } : { tags: { ...(r.tags ?? {}) } };
}

/** Whether every allowed type of the pool has local NVMe (then RAID0 puts the kubelet and containerd on it). */
export function poolHasInstanceStore(pool: PoolCapacity): boolean {
  return pool.instanceTypes.every((t) => (gpuInstanceSpec(t)?.instanceStoreGiB ?? 0) > 0);
}

/** The EC2NodeClass spec of one pool. */
export function ec2NodeClassSpec(i: Ec2NodeClassInput): Record<string, unknown> {
  const selector = [{ tags: { [DISCOVERY_TAG]: i.clusterName } }];
  return {
    role: i.nodeRoleName,
    amiSelectorTerms: [{ alias: i.amiAlias }],
    subnetSelectorTerms: selector,
    securityGroupSelectorTerms: selector,
    ...(i.pool.reservations.length > 0 ? { capacityReservationSelectorTerms: i.pool.reservations.map(reservationTerm) } : {}),
    metadataOptions: { httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" },
    blockDeviceMappings: [
      {
        deviceName: AL2023_ROOT_DEVICE,
        rootVolume: true,
        ebs: { volumeSize: `${i.pool.diskSizeGiB}Gi`, volumeType: "gp3", encrypted: true, deleteOnTermination: true, throughput: GPU_ROOT_VOLUME.throughputMiBps, iops: GPU_ROOT_VOLUME.iops },
      },
    ],
    ...(poolHasInstanceStore(i.pool) ? { instanceStorePolicy: "RAID0" } : {}),
    detailedMonitoring: true,
    tags: { ...(i.tags ?? {}), "llm-blueprint:gpu-pool": i.pool.pool },
  };
}

/** Node labels every GPU node carries (the scheduling contract of the vLLM pods, as with the managed groups before). */
export function gpuNodeLabels(pool: PoolCapacity): Record<string, string> {
  return { "node.role": "gpu", [GPU_CLASS_LABEL]: pool.gpuClass, "nvidia.com/gpu.present": "true" };
}

/** The NodePool spec of one pool: its types, zones and capacity types, the GPU taint, the pool's GPU limit, gentle disruption. */
export function nodePoolSpec(pool: PoolCapacity, nodeClassName: string): Record<string, unknown> {
  return {
    template: {
      metadata: { labels: gpuNodeLabels(pool) },
      spec: {
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: nodeClassName },
        requirements: [
          { key: INSTANCE_TYPE_LABEL, operator: "In", values: [...pool.instanceTypes] },
          { key: CAPACITY_TYPE_LABEL, operator: "In", values: [...pool.capacityTypes] },
          { key: ZONE_LABEL, operator: "In", values: [...pool.availabilityZones] },
        ],
        taints: [{ key: GPU_TAINT_KEY, value: "true", effect: "NoSchedule" }],
        expireAfter: GPU_NODE_EXPIRE_AFTER,
      },
    },
    limits: { [GPU_RESOURCE_NAME]: String(pool.maxGpus) },
    // Only empty nodes are consolidated, one node of the pool at a time, after 5 minutes empty.
    disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: "5m", budgets: [{ nodes: "1" }] },
  };
}

/** The NodePool annotation the plan reads for capacity (bounds and reservations as resolved from config). */
export function capacityAnnotation(pool: PoolCapacity): string {
  return JSON.stringify({
    region: pool.region,
    pool: pool.pool,
    gpuClass: pool.gpuClass,
    instanceType: pool.instanceType,
    gpusPerNode: pool.gpusPerNode,
    minNodes: pool.minNodes,
    maxNodes: pool.maxNodes,
    reservedNodes: pool.reservedNodes,
  });
}

/** The EC2NodeClass annotation listing its reservations with their zones (the selector terms carry no zone). */
export function reservationsAnnotation(pool: PoolCapacity): string {
  return JSON.stringify(pool.reservations);
}

/** Kubernetes object names of a pool's node class and pool: "gpu-<pool>". */
export const karpenterObjectName = (pool: string): string => `gpu-${pool}`;
