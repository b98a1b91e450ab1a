import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ENVOY_GATEWAY_CHART, KEDA_CHART } from "../lib/baseline";
import { pinnedRelease } from "../lib/helm";

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

    this.envoyGateway = pinnedRelease(
      `${name}-envoy-gateway`,
      ENVOY_GATEWAY_CHART,
      ENVOY_GATEWAY_NAMESPACE,
      { deployment: { pod: { nodeSelector: SYSTEM_NODES } } },
      { parent: this, dependsOn: waitFor },
      { createNamespace: true, releaseName: "envoy-gateway" },
    );
    this.keda = pinnedRelease(
      `${name}-keda`,
      KEDA_CHART,
      KEDA_NAMESPACE,
      { nodeSelector: SYSTEM_NODES, podSecurityContext: { operator: { runAsNonRoot: true }, metricServer: { runAsNonRoot: true }, webhooks: { runAsNonRoot: true } } },
      { parent: this, dependsOn: waitFor },
      { createNamespace: true },
    );

    const gatewayClass = new k8s.apiextensions.CustomResource(
      `${name}-gateway-class`,
      { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: GATEWAY_CLASS }, spec: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" } },
      { parent: this, dependsOn: [this.envoyGateway] },
    );
    const namespace = new k8s.core.v1.Namespace(
      `${name}-gateway`,
      { metadata: { name: GATEWAY_NAMESPACE, labels: { "pod-security.kubernetes.io/enforce": "restricted" } } },
      { parent: this, dependsOn: waitFor },
    );
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
