/**
 * The published schema models of the Kubernetes kinds the blueprint's committed stacks declare, each
 * imported by its literal specifier so a bundler can see it. tools/launch.mjs compiles this module and the
 * model packages (ES modules) into one CommonJS file beside the plan's bundle: resolving, reading and linking
 * the ~600 ES modules behind these 18 kinds cost about half a second of every plan.
 *
 * schemas.ts loads a kind listed here through its entry, and any other kind by name at run time: this table
 * decides how fast a model loads, never which model validates a kind (an entry's key is the module it
 * imports; test/policies/kubernetes-models.test.ts checks both, and that every kind the committed stacks
 * declare is listed).
 */
export const MODEL_MODULES: Readonly<Record<string, () => Promise<Record<string, unknown>>>> = {
  "@kubernetes-models/envoy-gateway/gateway.envoyproxy.io/v1alpha1/BackendTrafficPolicy": () => import("@kubernetes-models/envoy-gateway/gateway.envoyproxy.io/v1alpha1/BackendTrafficPolicy"),
  "@kubernetes-models/envoy-gateway/gateway.envoyproxy.io/v1alpha1/EnvoyProxy": () => import("@kubernetes-models/envoy-gateway/gateway.envoyproxy.io/v1alpha1/EnvoyProxy"),
  "@kubernetes-models/envoy-gateway/gateway.envoyproxy.io/v1alpha1/SecurityPolicy": () => import("@kubernetes-models/envoy-gateway/gateway.envoyproxy.io/v1alpha1/SecurityPolicy"),
  "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway": () => import("@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway"),
  "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GatewayClass": () => import("@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GatewayClass"),
  "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute": () => import("@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute"),
  "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject": () => import("@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject"),
  "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor": () => import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor"),
  "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule": () => import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule"),
  "kubernetes-models/apps/v1/Deployment": () => import("kubernetes-models/apps/v1/Deployment"),
  "kubernetes-models/networking.k8s.io/v1/NetworkPolicy": () => import("kubernetes-models/networking.k8s.io/v1/NetworkPolicy"),
  "kubernetes-models/policy/v1/PodDisruptionBudget": () => import("kubernetes-models/policy/v1/PodDisruptionBudget"),
  "kubernetes-models/storage.k8s.io/v1/StorageClass": () => import("kubernetes-models/storage.k8s.io/v1/StorageClass"),
  "kubernetes-models/v1/ConfigMap": () => import("kubernetes-models/v1/ConfigMap"),
  "kubernetes-models/v1/Namespace": () => import("kubernetes-models/v1/Namespace"),
  "kubernetes-models/v1/Secret": () => import("kubernetes-models/v1/Secret"),
  "kubernetes-models/v1/Service": () => import("kubernetes-models/v1/Service"),
  "kubernetes-models/v1/ServiceAccount": () => import("kubernetes-models/v1/ServiceAccount"),
};
