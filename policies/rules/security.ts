import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { EKS_LOG_TYPES } from "../../lib/baseline";
import { GPU_CLASS_LABEL, GPU_RESOURCE_NAME, GPU_TAINT_KEY, gpuInstanceSpec } from "../../lib/gpu";
import { arr, at, byType, containersOf, list, obj, podSpecOf, servingPodLabels, statementsOf, str, strMap, TYPES } from "./common";

/**
 * Security and data-loss baseline. Mandatory by default; a dev stack may lower individual rules to
 * advisory through its pack config (policies/config/dev.json), never through its own stack file.
 */

export const eksClusterHardening: ResourceValidationPolicy = {
  name: "eks-cluster-hardening",
  description: "EKS: public API endpoint off or restricted to listed CIDRs, secrets envelope-encrypted with KMS, every control-plane log type on.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== TYPES.eksCluster) return;
    const p = args.props;
    const publicOn = at(p, "vpcConfig.endpointPublicAccess") !== false;
    const cidrs = arr(at(p, "vpcConfig.publicAccessCidrs")).map(String);
    if (publicOn && (cidrs.length === 0 || cidrs.some((c) => c.endsWith("/0")))) {
      report(`the public API endpoint is open to ${cidrs.length === 0 ? "the internet (no publicAccessCidrs)" : cidrs.join(", ")}; turn it off or list specific CIDRs`);
    }
    const enc = arr(p.encryptionConfig).length > 0 ? obj(arr(p.encryptionConfig)[0]) : obj(p.encryptionConfig);
    if (!arr(enc.resources).includes("secrets") || !str(at(enc, "provider.keyArn"))) report("Kubernetes secrets are not envelope-encrypted with a KMS key (encryptionConfig)");
    const logs = arr(p.enabledClusterLogTypes).map(String);
    const missing = EKS_LOG_TYPES.filter((t) => !logs.includes(t));
    if (missing.length > 0) report(`control-plane log types off: ${missing.join(", ")}`);
  },
};

export const nodeHardening: StackValidationPolicy = {
  name: "node-hardening",
  description: "Nodes: IMDSv2 required with hop limit 1, no SSH key or remote access, encrypted volumes, only private subnets, no public IPs on launch.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const r of args.resources) {
      const p = r.props;
      if (r.type === TYPES.launchTemplate) {
        if (at(p, "metadataOptions.httpTokens") !== "required") report("IMDSv2 is not required (metadataOptions.httpTokens must be \"required\")", r.urn);
        if (at(p, "metadataOptions.httpPutResponseHopLimit") !== 1) report(`IMDS hop limit is ${String(at(p, "metadataOptions.httpPutResponseHopLimit"))}; it must be 1 so pods cannot reach node credentials`, r.urn);
        if (p.keyName) report(`launch template sets SSH key pair ${String(p.keyName)}; use SSM Session Manager instead`, r.urn);
        for (const m of arr(p.blockDeviceMappings).map(obj)) {
          if (String(at(m, "ebs.encrypted")) !== "true") report(`volume ${String(m.deviceName)} is not encrypted`, r.urn);
        }
      } else if (r.type === TYPES.nodeGroup) {
        if (p.remoteAccess) report("node group enables SSH remote access", r.urn);
        // Subnets reached through the subnetIds input; public ones are tagged for internet-facing load balancers.
        for (const subnet of r.propertyDependencies.subnetIds ?? []) {
          if (strMap(subnet.props.tags)["kubernetes.io/role/elb"] === "1") report(`node group uses public subnet ${subnet.name}; nodes belong in private subnets`, r.urn);
        }
      } else if (r.type === TYPES.subnet) {
        if (p.mapPublicIpOnLaunch === true) report("subnet assigns public IPs on launch; nodes must stay private and load balancers get their own addresses", r.urn);
      }
    }
  },
};

const hasGpuToleration = (pod: Record<string, unknown>) => arr(pod.tolerations).map(obj).some((t) => t.key === GPU_TAINT_KEY || (t.operator === "Exists" && t.key === undefined));

export const gpuPoolIsolation: ResourceValidationPolicy = {
  name: "gpu-pool-isolation",
  description: "GPU pools carry the nvidia.com/gpu NoSchedule taint and a class label; only workloads that request GPUs tolerate the taint.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const p = args.props;
    if (args.type === TYPES.nodeGroup) {
      const gpu = arr(p.instanceTypes).some((t) => gpuInstanceSpec(String(t))) || strMap(p.labels)[GPU_CLASS_LABEL] !== undefined;
      if (!gpu) return;
      const tainted = arr(p.taints).map(obj).some((t) => t.key === GPU_TAINT_KEY && t.effect === "NO_SCHEDULE");
      if (!tainted) report(`GPU node group lacks the ${GPU_TAINT_KEY} NoSchedule taint: any pod could land on GPU nodes`);
      if (!strMap(p.labels)[GPU_CLASS_LABEL]) report(`GPU node group lacks the ${GPU_CLASS_LABEL} label that workloads select on`);
      return;
    }
    const pod = podSpecOf(args.type, p);
    if (!pod || !hasGpuToleration(pod)) return;
    const requestsGpu = containersOf(pod).some((c) => Number(c.resources.limits[GPU_RESOURCE_NAME] ?? 0) > 0);
    if (!requestsGpu) report(`${str(at(p, "metadata.name")) ?? args.name} tolerates the GPU taint but requests no ${GPU_RESOURCE_NAME}; only GPU workloads may run on GPU nodes`);
  },
};

/**
 * Resources whose `prop` input came from `bucket`. Linking through property dependencies (not
 * through ids) works in a preview, where a new bucket's id is still unknown.
 */
const LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer";

function dependents(resources: readonly PolicyResource[], type: string, prop: string, bucket: PolicyResource) {
  return byType(resources, type).filter((r) => (r.propertyDependencies[prop] ?? []).some((d) => d.urn === bucket.urn));
}

export const s3BucketBaseline: StackValidationPolicy = {
  name: "s3-bucket-baseline",
  description: "S3: all public access blocked, default encryption (SSE-KMS for data buckets), versioning (access-log buckets too), TLS-only policy, protected from deletion; data buckets replicated in multi-region stacks.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const buckets = byType(args.resources, TYPES.bucket);
    if (buckets.length === 0) args.notApplicable("no S3 buckets");
    // Log buckets: S3 server access-log targets and load balancers' access-log buckets (regional by
    // nature: an NLB logs to a bucket of its own region, so they are not replicated).
    const logBuckets = new Set([
      ...byType(args.resources, TYPES.bucketLogging).flatMap((l) => (l.propertyDependencies.targetBucket ?? []).map((d) => d.urn)),
      ...byType(args.resources, LOAD_BALANCER).flatMap((lb) => (lb.propertyDependencies.accessLogs ?? []).map((d) => d.urn)),
    ]);
    const replicated = new Set(
      byType(args.resources, TYPES.bucketReplication).flatMap((r) => [...(r.propertyDependencies.bucket ?? []), ...(r.propertyDependencies.rules ?? [])].map((d) => d.urn)),
    );
    const dataBuckets = buckets.filter((b) => !logBuckets.has(b.urn));
    for (const b of buckets) {
      const label = `bucket ${b.name}`;
      const isLogBucket = logBuckets.has(b.urn);
      const [pab] = dependents(args.resources, TYPES.bucketPab, "bucket", b);
      if (!pab || !["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every((k) => pab.props[k] === true)) report(`${label}: all four public access blocks must be on`, b.urn);
      const sse = dependents(args.resources, TYPES.bucketSse, "bucket", b).flatMap((x) => arr(x.props.rules).map((r) => str(at(r, "applyServerSideEncryptionByDefault.sseAlgorithm"))));
      if (sse.length === 0) report(`${label}: no default encryption configured`, b.urn);
      // S3 server access logs cannot be delivered to an SSE-KMS bucket, so log buckets may use SSE-S3.
      else if (!isLogBucket && !sse.includes("aws:kms")) report(`${label}: data buckets must use SSE-KMS with a customer-managed key, found ${sse.join(", ")}`, b.urn);
      const statements = dependents(args.resources, TYPES.bucketPolicy, "bucket", b).flatMap((x) => statementsOf(x.props.policy));
      const tlsOnly = statements.some((st) => st.Effect === "Deny" && JSON.stringify(st.Condition ?? {}).includes('"aws:SecureTransport":"false"'));
      if (!tlsOnly) report(`${label}: no TLS-only policy (Deny when aws:SecureTransport is false)`, b.urn);
      if (!b.opts.protect) report(`${label}: not protected; a destroy or refactor could delete its data`, b.urn);
      if (b.props.forceDestroy === true) report(`${label}: forceDestroy would empty the bucket on delete`, b.urn);
      // Access-log buckets too: an overwritten or deleted log is the trace of an abuse.
      const versioned = dependents(args.resources, TYPES.bucketVersioning, "bucket", b).some((v) => at(v.props, "versioningConfiguration.status") === "Enabled");
      if (!versioned) report(`${label}: versioning is not enabled${isLogBucket ? " (access logs must survive an overwrite or delete)" : ""}`, b.urn);
    }
    const regions = new Set(dataBuckets.map((b) => b.provider?.props.region));
    if (regions.size > 1) {
      for (const b of dataBuckets) {
        if (!replicated.has(b.urn)) report(`bucket ${b.name}: registry buckets must be replicated between regions (source or destination of a replication rule)`, b.urn);
      }
    }
  },
};

export const kmsKeyRotation: ResourceValidationPolicy = {
  name: "kms-key-rotation",
  description: "Customer-managed KMS keys rotate automatically.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type === TYPES.kmsKey && args.props.enableKeyRotation !== true) report("KMS key rotation is off (enableKeyRotation must be true)");
  },
};

export const logsAndAlertsEncrypted: ResourceValidationPolicy = {
  name: "logs-and-alerts-encrypted",
  description: "CloudWatch log groups are KMS-encrypted with a finite retention; SNS topics are KMS-encrypted.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type === TYPES.logGroup) {
      if (!args.props.kmsKeyId) report("log group is not encrypted with a KMS key (kmsKeyId)");
      const days = Number(args.props.retentionInDays ?? 0);
      if (!(days > 0)) report("log group keeps logs forever; set retentionInDays");
    }
    if (args.type === TYPES.snsTopic && !args.props.kmsMasterKeyId) report("SNS topic is not encrypted with a KMS key (kmsMasterKeyId)");
  },
};

const SERVING_READ_ACTIONS = new Set(["s3:GetObject", "s3:ListBucket", "kms:Decrypt"]);

export const iamLeastPrivilege: ResourceValidationPolicy = {
  name: "iam-least-privilege",
  description: "IAM: no wildcard actions on all resources; roles that read model artifacts are read-only and scoped to one version prefix.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== TYPES.rolePolicy && args.type !== TYPES.iamPolicy) return;
    const statements = statementsOf(args.props.policy).filter((s) => s.Effect === "Allow");
    for (const s of statements) {
      const wildcard = list(s.Action).filter((a) => a === "*" || a.endsWith(":*"));
      if (wildcard.length > 0 && list(s.Resource).includes("*")) report(`statement ${s.Sid ?? ""} allows ${wildcard.join(", ")} on every resource`);
    }
    // Registry buckets are named *-models (lib/naming.ts) and keep artifacts under models/.
    const readsModels = statements.some((s) => list(s.Action).includes("s3:GetObject") && list(s.Resource).some((r) => /:s3:::[^/]*-models(\/|$)/.test(r) || /:s3:::[^/]+\/models\//.test(r)));
    if (!readsModels) return;
    for (const s of statements) {
      const extra = list(s.Action).filter((a) => !SERVING_READ_ACTIONS.has(a));
      if (extra.length > 0) report(`a model-reading role may only ${[...SERVING_READ_ACTIONS].join(", ")}; it also allows ${extra.join(", ")}`);
      if (list(s.Action).includes("s3:GetObject")) {
        for (const r of list(s.Resource)) {
          if (!/:s3:::[^/]+\/models\/[^/*]+\/[0-9a-f]{40}\/\*$/.test(r)) report(`s3:GetObject on ${r} is wider than one model version prefix (models/<name>/<revision>/*)`);
        }
      }
    }
  },
};

export const podHardening: StackValidationPolicy = {
  name: "pod-hardening",
  description: "Workloads: non-root, no privilege escalation, no host namespaces or hostPath, resource requests and limits, readiness and liveness probes, and a PodDisruptionBudget.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const pdbs = byType(args.resources, TYPES.pdb);
    for (const r of args.resources) {
      const pod = podSpecOf(r.type, r.props);
      if (!pod) continue;
      const name = `${str(at(r.props, "metadata.namespace")) ?? "default"}/${str(at(r.props, "metadata.name")) ?? r.name}`;
      const podNonRoot = at(pod, "securityContext.runAsNonRoot") === true;
      for (const k of ["hostNetwork", "hostPID", "hostIPC"]) if (pod[k] === true) report(`${name} uses ${k}`, r.urn);
      if (arr(pod.volumes).some((v) => obj(v).hostPath)) report(`${name} mounts a hostPath volume`, r.urn);
      for (const c of containersOf(pod)) {
        if (!podNonRoot && c.securityContext.runAsNonRoot !== true) report(`${name}: container ${c.name} may run as root (runAsNonRoot)`, r.urn);
        if (c.securityContext.allowPrivilegeEscalation !== false) report(`${name}: container ${c.name} allows privilege escalation`, r.urn);
        if (c.securityContext.privileged === true) report(`${name}: container ${c.name} is privileged`, r.urn);
        if (!c.resources.requests.cpu || !c.resources.requests.memory || !c.resources.limits.memory) report(`${name}: container ${c.name} needs cpu and memory requests and a memory limit`, r.urn);
        if (!c.readinessProbe || !c.livenessProbe) report(`${name}: container ${c.name} needs readiness and liveness probes`, r.urn);
      }
      if (r.type === TYPES.deployment || r.type === "kubernetes:apps/v1:StatefulSet") {
        const ns = str(at(r.props, "metadata.namespace"));
        // A Canary's target serves through the primary Flagger makes of it: the budget guards those pods.
        const labels = servingPodLabels(r, args.resources);
        // Same cluster (same kubernetes provider) and namespace: namespaces repeat across regions.
        const covered = pdbs.some((p) => {
          const sel = strMap(at(p.props, "spec.selector.matchLabels"));
          return p.provider?.urn === r.provider?.urn && str(at(p.props, "metadata.namespace")) === ns && Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);
        });
        if (!covered) report(`${name} has no PodDisruptionBudget selecting its pods`, r.urn);
      }
    }
  },
};

export const failoverReadiness: StackValidationPolicy = {
  name: "failover-readiness",
  description: "Every routed global DNS record is health-checked, and every region keeps warm serving replicas so a failover has somewhere to go.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const r of byType(args.resources, TYPES.route53Record)) {
      if (r.props.setIdentifier && !r.props.healthCheckId) report(`DNS record ${String(r.props.name)} (${String(r.props.setIdentifier)}) is routed but not health-checked`, r.urn);
    }
    for (const s of byType(args.resources, TYPES.scaledObject)) {
      const min = Number(at(s.props, "spec.minReplicaCount") ?? 0);
      if (min < 1) report(`${String(at(s.props, "metadata.namespace"))}/${String(at(s.props, "metadata.name"))} may scale to zero; a failover standby must keep at least one warm replica`, s.urn);
    }
  },
};
