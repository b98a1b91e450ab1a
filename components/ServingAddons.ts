import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ENVOY_GATEWAY_CHART, KEDA_CHART } from "../lib/baseline";
import { pinnedRelease } from "../lib/helm";
import { envoyGatewayPolicies, kedaPolicies } from "../lib/networkPolicy";
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

    this.ready = [this.envoyGateway, this.keda, this.gateway];
    this.registerOutputs({ gateway: `${GATEWAY_NAMESPACE}/${GATEWAY_NAME}`, envoyGatewayStatus: this.envoyGateway.status, kedaStatus: this.keda.status });
  }
}
