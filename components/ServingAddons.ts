import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ENVOY_GATEWAY_CHART, FLAGGER_CHART, FLAGGER_LOADTESTER_CHART, KEDA_CHART } from "../lib/baseline";
import { pinnedRelease } from "../lib/helm";
import { envoyGatewayPolicies, flaggerPolicies, kedaPolicies } from "../lib/networkPolicy";
import { APPROVALS_CONFIGMAP, APPROVALS_FILE, APPROVALS_MOUNT, approvalRecordLine, FLAGGER_NAMESPACE, FLAGGER_PROVIDER, FLAGGER_SELECTOR_LABEL, LOADTESTER_RELEASE } from "../lib/rollout";
import { podSecurityMetadata } from "../lib/podSecurity";
import { VLLM_PORT } from "../lib/serving";
import { declareNetworkPolicies } from "./networkPolicies";

export const GATEWAY_NAMESPACE = "inference-gateway";
export const GATEWAY_NAME = "inference";
export const GATEWAY_CLASS = "envoy-gateway";
/** Namespaces carrying this label may attach routes to the inference Gateway. */
export const SERVING_NAMESPACE_LABEL = "llm-blueprint/serving";
export const ENVOY_GATEWAY_NAMESPACE = "envoy-gateway-system";
export const KEDA_NAMESPACE = "keda";
/** Fixed name of the gateway's proxy Service, so a regional load balancer can target it. */
export const GATEWAY_SERVICE = "inference-gateway";
// Shared with the platform project's RegionalEntry (NLB target group and security group rules).
export { OFFLOAD_PORT } from "../lib/gateway";
import { OFFLOAD_PORT } from "../lib/gateway";

export interface ServingAddonsArgs {
  /**
   * Resources that must exist first (the system node pool). A component's own dependsOn does not
   * hold back its children, so the wait is applied to each child. @default []
   */
  readonly waitFor?: pulumi.Input<pulumi.Resource>[];
  /** Namespace of the Prometheus that KEDA queries and that scrapes the proxies. @default "monitoring" (Observability) */
  readonly monitoringNamespace?: string;
  /** Prometheus Flagger reads the gate metrics from. @default the kube-prometheus-stack service in monitoringNamespace */
  readonly prometheusUrl?: string;
  /**
   * Version tuples (`name@revision`) whose approval record is `approved` with an evaluation report
   * (policies/approvals.json): the pre-rollout gate lets only these take traffic. @default [] (every canary refused)
   */
  readonly approvedVersions?: readonly string[];
}

const SYSTEM_NODES = { "node.role": "system" };
const servingNamespacesOnly = { namespaces: { from: "Selector", selector: { matchLabels: { [SERVING_NAMESPACE_LABEL]: "true" } } } };

/**
 * What serving needs in a cluster before any model: Envoy Gateway (Gateway API CRDs and the
 * controller that applies route weights and request mirroring), KEDA (autoscaling on Prometheus
 * queries), and one shared Gateway that model routes attach to. Pass the cluster's kubernetes
 * provider in `opts.providers`.
 */
export class ServingAddons extends pulumi.ComponentResource {
  readonly envoyGateway: k8s.helm.v3.Release;
  readonly keda: k8s.helm.v3.Release;
  /** Flagger: owns the model routes' weights and the primary Deployments (lib/rollout.ts). */
  readonly flagger: k8s.helm.v3.Release;
  readonly loadtester: k8s.helm.v3.Release;
  readonly gateway: k8s.apiextensions.CustomResource;
  /** Serving resources that use CRDs wait for these. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: ServingAddonsArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("llm-blueprint:serving:ServingAddons", name, {}, opts);
    const waitFor = args.waitFor ?? [];
    const monitoringNamespace = args.monitoringNamespace ?? "monitoring";

    // Namespaces the charts would otherwise create unlabelled: restricted Pod Security (both charts'
    // pods and Envoy Gateway's proxies run non-root, no privilege escalation, ALL dropped, RuntimeDefault
    // seccomp: gateway-helm v1.7.4 values.tmpl.yaml and internal/infrastructure/kubernetes/resource/
    // resource.go; keda v2.19.0 values.yaml), a default deny and the flows each needs.
    const namespaced = (suffix: string, nsName: string) =>
      new k8s.core.v1.Namespace(`${name}-${suffix}-ns`, { metadata: podSecurityMetadata(nsName, "restricted") }, { parent: this, dependsOn: waitFor });
    const envoyGatewayNamespace = namespaced("envoy-gateway", ENVOY_GATEWAY_NAMESPACE);
    const kedaNamespace = namespaced("keda", KEDA_NAMESPACE);
    // Gateway listener ports below 1024 reach the proxy container 10000 higher (lib/gateway.ts).
    const listenerContainerPorts = [80, OFFLOAD_PORT].map((p) => (p < 1024 ? p + 10000 : p));
    const envoyGatewayFlows = declareNetworkPolicies(
      `${name}-envoy-gateway`,
      envoyGatewayNamespace.metadata.name,
      envoyGatewayPolicies({ release: "envoy-gateway", listenerContainerPorts, servingNamespaceLabel: SERVING_NAMESPACE_LABEL, modelPort: VLLM_PORT, monitoringNamespace }),
      { parent: this, dependsOn: waitFor },
    );
    const kedaFlows = declareNetworkPolicies(`${name}-keda`, kedaNamespace.metadata.name, kedaPolicies({ release: "keda", monitoringNamespace }), {
      parent: this,
      dependsOn: waitFor,
    });

    this.envoyGateway = pinnedRelease(
      `${name}-envoy-gateway`,
      ENVOY_GATEWAY_CHART,
      envoyGatewayNamespace.metadata.name,
      { deployment: { pod: { nodeSelector: SYSTEM_NODES } } },
      { parent: this, dependsOn: [...waitFor, ...envoyGatewayFlows] },
      { releaseName: "envoy-gateway" },
    );
    this.keda = pinnedRelease(
      `${name}-keda`,
      KEDA_CHART,
      kedaNamespace.metadata.name,
      { nodeSelector: SYSTEM_NODES, podSecurityContext: { operator: { runAsNonRoot: true }, metricServer: { runAsNonRoot: true }, webhooks: { runAsNonRoot: true } } },
      { parent: this, dependsOn: [...waitFor, ...kedaFlows] },
    );

    // Flagger and its load tester: both run non-root with every capability dropped when told so (chart
    // values securityContext.context, rendered whole on the container; flagger v1.44.0 templates/deployment.yaml).
    const restrictedContainer = { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } };
    const flaggerNamespace = namespaced("flagger", FLAGGER_NAMESPACE);
    const flaggerFlows = declareNetworkPolicies(`${name}-flagger`, flaggerNamespace.metadata.name, flaggerPolicies({ release: "flagger", loadtesterRelease: LOADTESTER_RELEASE, monitoringNamespace }), {
      parent: this,
      dependsOn: waitFor,
    });
    const approvals = new k8s.core.v1.ConfigMap(
      `${name}-model-approvals`,
      { metadata: { name: APPROVALS_CONFIGMAP, namespace: flaggerNamespace.metadata.name }, data: { [APPROVALS_FILE]: [...(args.approvedVersions ?? [])].sort().map((v) => `${approvalRecordLine(v)}\n`).join("") } },
      { parent: this, dependsOn: waitFor },
    );
    this.flagger = pinnedRelease(
      `${name}-flagger`,
      FLAGGER_CHART,
      flaggerNamespace.metadata.name,
      {
        meshProvider: FLAGGER_PROVIDER,
        metricsServer: args.prometheusUrl ?? `http://kube-prometheus-stack-prometheus.${monitoringNamespace}.svc:9090`,
        // Canaries may reference MetricTemplates and AlertProviders in their own namespace only.
        noCrossNamespaceRefs: true,
        selectorLabels: FLAGGER_SELECTOR_LABEL,
        nodeSelector: SYSTEM_NODES,
        securityContext: { enabled: true, context: { ...restrictedContainer, runAsUser: 10001 } },
        podMonitor: { enabled: true, namespace: flaggerNamespace.metadata.name },
        prometheus: { install: false },
      },
      { parent: this, dependsOn: [...waitFor, ...flaggerFlows, this.envoyGateway, this.keda] },
    );
    this.loadtester = pinnedRelease(
      `${name}-flagger-loadtester`,
      FLAGGER_LOADTESTER_CHART,
      flaggerNamespace.metadata.name,
      {
        nodeSelector: SYSTEM_NODES,
        securityContext: { enabled: true, context: { ...restrictedContainer, runAsUser: 100, runAsGroup: 101 } },
        podSecurityContext: { enabled: true, context: { fsGroup: 101 } },
        volumes: [{ name: "approvals", configMap: { name: APPROVALS_CONFIGMAP } }],
        volumeMounts: [{ name: "approvals", mountPath: APPROVALS_MOUNT, readOnly: true }],
      },
      { parent: this, dependsOn: [...waitFor, ...flaggerFlows, approvals] },
      { releaseName: LOADTESTER_RELEASE },
    );

    const gatewayClass = new k8s.apiextensions.CustomResource(
      `${name}-gateway-class`,
      { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: GATEWAY_CLASS }, spec: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" } },
      { parent: this, dependsOn: [this.envoyGateway] },
    );
    const namespace = new k8s.core.v1.Namespace(
      `${name}-gateway`,
      { metadata: podSecurityMetadata(GATEWAY_NAMESPACE, "restricted") },
      { parent: this, dependsOn: waitFor },
    );
    // Holds the Gateway and its EnvoyProxy, no pods (the proxies run in the controller's namespace).
    declareNetworkPolicies(`${name}-gateway`, namespace.metadata.name, [], { parent: this, dependsOn: waitFor });
    // The proxies sit behind a ClusterIP Service with a fixed name. In-cluster clients use it on
    // port 80 (container 10080 after the shift); a RegionalIngress registers its pods in an NLB
    // target group on OFFLOAD_PORT, which is not shifted.
    const proxyConfig = new k8s.apiextensions.CustomResource(
      `${name}-proxy`,
      {
        apiVersion: "gateway.envoyproxy.io/v1alpha1",
        kind: "EnvoyProxy",
        metadata: { name: GATEWAY_NAME, namespace: namespace.metadata.name },
        spec: {
          provider: {
            type: "Kubernetes",
            kubernetes: {
              envoyDeployment: { replicas: 2, pod: { nodeSelector: SYSTEM_NODES } },
              envoyService: { name: GATEWAY_SERVICE, type: "ClusterIP" },
            },
          },
        },
      },
      { parent: this, dependsOn: [this.envoyGateway] },
    );
    this.gateway = new k8s.apiextensions.CustomResource(
      `${name}-gateway`,
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: GATEWAY_NAME, namespace: namespace.metadata.name },
        spec: {
          gatewayClassName: GATEWAY_CLASS,
          infrastructure: { parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name: GATEWAY_NAME } },
          listeners: [
            { name: "http", protocol: "HTTP", port: 80, allowedRoutes: servingNamespacesOnly },
            // TLS ends at the regional NLB (ACM certificate); the proxies get plain HTTP on OFFLOAD_PORT.
            { name: "tls-offload", protocol: "HTTP", port: OFFLOAD_PORT, allowedRoutes: servingNamespacesOnly },
          ],
        },
      },
      { parent: this, dependsOn: [gatewayClass, proxyConfig] },
    );

    this.ready = [this.envoyGateway, this.keda, this.gateway, this.flagger, this.loadtester];
    this.registerOutputs({ gateway: `${GATEWAY_NAMESPACE}/${GATEWAY_NAME}`, envoyGatewayStatus: this.envoyGateway.status, kedaStatus: this.keda.status });
  }
}
