/**
 * NetworkPolicies of the namespaces the blueprint declares: a default deny (ingress and egress) in
 * each, and allow policies that open only the flows each namespace's pods need. The VPC CNI enforces
 * them (GpuCluster sets enableNetworkPolicy on the vpc-cni add-on) and always admits traffic from the
 * pod's own node, so kubelet probes need no rule (aws/aws-network-policy-agent#56, fixed in VPC CNI
 * 1.15.1; amazon-vpc-cni-k8s#2571, read 2026-11-25). Policies never apply to hostNetwork pods.
 *
 * Pod labels and ports below were read from each chart at its pinned version on 2026-11-25:
 * - envoyproxy/gateway v1.7.4: charts/gateway-helm/values.tmpl.yaml (controller ports 18000 xDS,
 *   18001 rate limit, 18002 wasm, 19001 metrics; topologyInjector webhook 9443 on by default),
 *   templates/_helpers.tpl (eg.selectorLabels: app.kubernetes.io/name=gateway-helm,
 *   app.kubernetes.io/instance=<release>), templates/certgen.yaml (hook Job, pod label app=certgen),
 *   internal/infrastructure/kubernetes/proxy/resource.go (EnvoyAppLabel on every proxy pod).
 * - kedacore/charts v2.19.0: keda/templates/{manager,metrics-server,webhooks}/networkpolicy.yaml
 *   (pod labels app=keda-operator, app=keda-operator-metrics-apiserver, app=keda-admission-webhooks;
 *   gRPC 9666 metrics-apiserver -> operator, 6443 aggregated API, 9443 webhooks, all from the API server).
 * - prometheus-community/helm-charts kube-prometheus-stack-81.6.2: values.yaml (operator webhook
 *   internalPort 10250), templates/prometheus-operator/_prometheus-operator.tpl (component label);
 *   prometheus-operator/prometheus-operator v0.88.1 pkg/prometheus/server/operator.go (Prometheus pods
 *   app.kubernetes.io/name=prometheus).
 * - NVIDIA/dcgm-exporter 4.3.1-4.4.0 (chart 4.4.0): deployment/values.yaml (port 9400, args read
 *   the counters from a file: no API server), templates/_helpers.tpl (app.kubernetes.io/name).
 * - aws/eks-charts 2942cdc (aws-for-fluent-bit 0.2.0): values.yaml (kubernetes filter calls the API
 *   server on 443, hostNetwork false), templates/_helpers.tpl (app.kubernetes.io/name).
 * - NVIDIA/k8s-device-plugin v0.17.4: templates/daemonset-device-plugin.yml (talks to the kubelet
 *   over the hostPath socket; a service account only with a config map, which the blueprint does not set).
 */

export interface NetworkPolicyPeer {
  readonly namespaceSelector?: { readonly matchLabels?: Record<string, string> };
  readonly podSelector?: { readonly matchLabels?: Record<string, string> };
  readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] };
}
export interface NetworkPolicyPort {
  readonly protocol: "TCP" | "UDP";
  readonly port: number;
}
export interface NetworkPolicyRule {
  /** Omitted: any source / destination (only the ports limit the rule). */
  readonly peers?: readonly NetworkPolicyPeer[];
  /** Omitted: every port. */
  readonly ports?: readonly NetworkPolicyPort[];
}
export interface NetworkPolicySpec {
  readonly podSelector: { readonly matchLabels?: Record<string, string> };
  readonly policyTypes: readonly ("Ingress" | "Egress")[];
  readonly ingress?: readonly Record<string, unknown>[];
  readonly egress?: readonly Record<string, unknown>[];
}

/** One policy to declare: its name in the namespace, the Helm release it opens flows for, and the spec. */
export interface NetworkPolicyDecl {
  readonly name: string;
  /** Release name whose pods this policy serves (label ALLOWS_RELEASE_LABEL), read by namespaces-default-deny. */
  readonly allowsRelease?: string;
  readonly spec: NetworkPolicySpec;
}

/** Label on an allow policy naming the Helm release (in the same namespace) whose pods it serves. */
export const ALLOWS_RELEASE_LABEL = "llm-blueprint/allows-release";
export const DEFAULT_DENY_POLICY = "default-deny";
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
/** EKS Pod Identity agent's link-local endpoint (EKS user guide, pod-id-how-it-works.html). */
export const POD_IDENTITY_AGENT_CIDR = "169.254.170.23/32";
export const INSTANCE_METADATA_CIDR = "169.254.169.254/32";

const tcp = (...ports: number[]): NetworkPolicyPort[] => ports.map((port) => ({ protocol: "TCP", port }));

/** Selects every pod, both directions, no rules: nothing in or out unless another policy allows it. */
export function defaultDenySpec(): NetworkPolicySpec {
  return { podSelector: {}, policyTypes: ["Ingress", "Egress"] };
}

export const inNamespace = (namespace: string, podLabels?: Record<string, string>): NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } },
  ...(podLabels ? { podSelector: { matchLabels: podLabels } } : {}),
});
/** Pods in the policy's own namespace. */
export const samePods = (podLabels: Record<string, string> = {}): NetworkPolicyPeer => ({ podSelector: { matchLabels: podLabels } });
/** Every pod in every namespace. */
export const anyPod: NetworkPolicyPeer = { namespaceSelector: {} };
/** Any address but the node's instance metadata service. */
export const anyAddress: NetworkPolicyPeer = { ipBlock: { cidr: "0.0.0.0/0", except: [INSTANCE_METADATA_CIDR] } };

/** DNS to CoreDNS (the EKS add-on's pods carry k8s-app=kube-dns in kube-system). */
export const DNS_EGRESS: NetworkPolicyRule = { peers: [inNamespace("kube-system", { "k8s-app": "kube-dns" })], ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] };
/**
 * The API server and AWS APIs over TLS. The API server's addresses (the `kubernetes` Service IP and
 * the control plane's ENIs in the cluster subnets) carry no labels and differ per cluster, so 443
 * goes to any address except the instance metadata service.
 */
export const HTTPS_EGRESS: NetworkPolicyRule = { peers: [anyAddress], ports: tcp(443) };
/** Credentials of controllers that use EKS Pod Identity. */
export const POD_IDENTITY_EGRESS: NetworkPolicyRule = { peers: [{ ipBlock: { cidr: POD_IDENTITY_AGENT_CIDR } }], ports: tcp(80) };

const rule = (r: NetworkPolicyRule, direction: "from" | "to"): Record<string, unknown> => ({
  ...(r.peers ? { [direction]: r.peers } : {}),
  ...(r.ports ? { ports: r.ports } : {}),
});

/** An allow policy for the pods with `podLabels` (all pods: {}), with the directions it has rules for. */
export function allowPolicy(
  name: string,
  podLabels: Record<string, string>,
  flows: { readonly ingress?: readonly NetworkPolicyRule[]; readonly egress?: readonly NetworkPolicyRule[] },
  allowsRelease?: string,
): NetworkPolicyDecl {
  const ingress = flows.ingress ?? [];
  const egress = flows.egress ?? [];
  return {
    name,
    ...(allowsRelease ? { allowsRelease } : {}),
    spec: {
      podSelector: Object.keys(podLabels).length > 0 ? { matchLabels: podLabels } : {},
      policyTypes: [...(ingress.length > 0 ? (["Ingress"] as const) : []), ...(egress.length > 0 ? (["Egress"] as const) : [])],
      ...(ingress.length > 0 ? { ingress: ingress.map((r) => rule(r, "from")) } : {}),
      ...(egress.length > 0 ? { egress: egress.map((r) => rule(r, "to")) } : {}),
    },
  };
}

/** Prometheus pods (prometheus-operator v0.88.1 labels the pods it creates for a Prometheus). */
export const PROMETHEUS_POD_LABELS = { "app.kubernetes.io/name": "prometheus" };
/** Prometheus' web port (kube-prometheus-stack prometheus.service.port). */
export const PROMETHEUS_PORT = 9090;
/** kubelet and host-network node exporter, reached on the nodes' addresses. */
const NODE_SCRAPE_PORTS = [10250, 9100];

export const KEDA_POD_LABELS = {
  operator: { app: "keda-operator" },
  metricsApiServer: { app: "keda-operator-metrics-apiserver" },
  webhooks: { app: "keda-admission-webhooks" },
} as const;

/**
 * monitoring (kube-prometheus-stack: operator, Prometheus, Alertmanager, Grafana, kube-state-metrics):
 * pods talk to each other; out to DNS, the API server and AWS (Alertmanager's SNS through Pod
 * Identity, Slack or PagerDuty over 443); the operator's admission webhook from the API server;
 * KEDA's operator reads Prometheus; Prometheus scrapes every pod and the nodes' kubelet and node exporter.
 */
export function monitoringPolicies(o: { readonly release: string; readonly kedaNamespace: string }): NetworkPolicyDecl[] {
  return [
    allowPolicy(
      "monitoring",
      {},
      { ingress: [{ peers: [samePods()] }], egress: [{ peers: [samePods()] }, DNS_EGRESS, HTTPS_EGRESS, POD_IDENTITY_EGRESS] },
      o.release,
    ),
    allowPolicy("prometheus-operator-webhook", { "app.kubernetes.io/component": "prometheus-operator" }, { ingress: [{ ports: tcp(10250) }] }, o.release),
    allowPolicy(
      "prometheus",
      PROMETHEUS_POD_LABELS,
      {
        ingress: [{ peers: [inNamespace(o.kedaNamespace, KEDA_POD_LABELS.operator)], ports: tcp(PROMETHEUS_PORT) }],
        egress: [{ peers: [anyPod] }, { peers: [anyAddress], ports: tcp(...NODE_SCRAPE_PORTS) }],
      },
      o.release,
    ),
  ];
}

/** Node agents: dcgm-exporter scraped by Prometheus; Fluent Bit out to the API server, CloudWatch Logs and Pod Identity. Node exporter is host-network. */
export function nodeAgentPolicies(o: { readonly monitoringNamespace: string; readonly dcgmRelease: string; readonly fluentBitRelease: string; readonly dcgmPort: number }): NetworkPolicyDecl[] {
  return [
    allowPolicy("dcgm-exporter", { "app.kubernetes.io/name": "dcgm-exporter" }, { ingress: [{ peers: [inNamespace(o.monitoringNamespace, PROMETHEUS_POD_LABELS)], ports: tcp(o.dcgmPort) }] }, o.dcgmRelease),
    allowPolicy("fluent-bit", { "app.kubernetes.io/name": "aws-for-fluent-bit" }, { egress: [DNS_EGRESS, HTTPS_EGRESS, POD_IDENTITY_EGRESS] }, o.fluentBitRelease),
  ];
}

/** KEDA: the API server calls the metrics API and the webhooks; the metrics server asks the operator; the operator reads Prometheus. */
export function kedaPolicies(o: { readonly release: string; readonly monitoringNamespace: string }): NetworkPolicyDecl[] {
  const control = [DNS_EGRESS, HTTPS_EGRESS];
  return [
    allowPolicy(
      "keda-operator",
      KEDA_POD_LABELS.operator,
      {
        ingress: [{ peers: [samePods(KEDA_POD_LABELS.metricsApiServer)], ports: tcp(9666) }],
        egress: [...control, { peers: [inNamespace(o.monitoringNamespace, PROMETHEUS_POD_LABELS)], ports: tcp(PROMETHEUS_PORT) }],
      },
      o.release,
    ),
    allowPolicy(
      "keda-metrics-apiserver",
      KEDA_POD_LABELS.metricsApiServer,
      { ingress: [{ ports: tcp(6443) }], egress: [...control, { peers: [samePods(KEDA_POD_LABELS.operator)], ports: tcp(9666) }] },
      o.release,
    ),
    allowPolicy("keda-admission-webhooks", KEDA_POD_LABELS.webhooks, { ingress: [{ ports: tcp(9443) }], egress: control }, o.release),
  ];
}

/** Labels Envoy Gateway puts on every proxy pod (envoyproxy/gateway v1.7.4 EnvoyAppLabel). */
export const ENVOY_PROXY_POD_LABELS = { "app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy", "app.kubernetes.io/managed-by": "envoy-gateway" };
const ENVOY_GATEWAY_XDS_PORT = 18000;
const ENVOY_GATEWAY_RATELIMIT_PORT = 18001;
const ENVOY_STATS_PORT = 19001;

/**
 * envoy-gateway-system: the controller (xDS to its proxies, its topology webhook from the API server,
 * the API server out), the certgen hook Job (API server), and the proxies (the regional NLB and
 * in-cluster clients in on the listener container ports, Prometheus on stats, out to the controller's
 * xDS, the JWT issuers' keys over 443 and the serving namespaces' model port).
 */
export function envoyGatewayPolicies(o: {
  readonly release: string;
  /** Container ports of the Gateway listeners (listener ports below 1024 shifted by 10000). */
  readonly listenerContainerPorts: readonly number[];
  readonly servingNamespaceLabel: string;
  readonly modelPort: number;
  readonly monitoringNamespace: string;
}): NetworkPolicyDecl[] {
  const controller = { "app.kubernetes.io/name": "gateway-helm", "app.kubernetes.io/instance": o.release };
  return [
    allowPolicy(
      "envoy-gateway",
      controller,
      {
        ingress: [
          { peers: [samePods(ENVOY_PROXY_POD_LABELS)], ports: tcp(ENVOY_GATEWAY_XDS_PORT, ENVOY_GATEWAY_RATELIMIT_PORT) },
          { ports: tcp(9443) },
          { peers: [inNamespace(o.monitoringNamespace, PROMETHEUS_POD_LABELS)], ports: tcp(ENVOY_STATS_PORT) },
        ],
        egress: [DNS_EGRESS, HTTPS_EGRESS],
      },
      o.release,
    ),
    allowPolicy("envoy-gateway-certgen", { app: "certgen" }, { egress: [DNS_EGRESS, HTTPS_EGRESS] }, o.release),
    allowPolicy(
      "envoy-proxy",
      ENVOY_PROXY_POD_LABELS,
      {
        // The NLB's security group limits who reaches the offload port; in-cluster clients use the plain listener.
        ingress: [{ ports: tcp(...o.listenerContainerPorts) }, { peers: [inNamespace(o.monitoringNamespace, PROMETHEUS_POD_LABELS)], ports: tcp(ENVOY_STATS_PORT) }],
        egress: [
          DNS_EGRESS,
          // JWT authentication fetches the issuer's keys (SecurityPolicy remoteJWKS, HTTPS).
          HTTPS_EGRESS,
          { peers: [samePods(controller)], ports: tcp(ENVOY_GATEWAY_XDS_PORT) },
          { peers: [{ namespaceSelector: { matchLabels: { [o.servingNamespaceLabel]: "true" } } }], ports: tcp(o.modelPort) },
        ],
      },
      o.release,
    ),
  ];
}

/** Pod labels of the Flagger controller and its load tester (fluxcd/flagger v1.44.0 charts/flagger and charts/loadtester templates/deployment.yaml). */
export const FLAGGER_POD_LABELS = { controller: { "app.kubernetes.io/name": "flagger" }, loadtester: { app: "loadtester" } } as const;
/** Flagger's metrics and health port; the load tester's HTTP port behind its Service port 80 (same templates). */
export const FLAGGER_HTTP_PORT = 8080;

/**
 * flagger-system: the controller reads the API server, queries Prometheus for the gates, calls the load
 * tester's webhooks and is scraped on 8080; the load tester takes the webhooks from the controller and
 * runs only local checks (no egress but DNS).
 */
export function flaggerPolicies(o: { readonly release: string; readonly loadtesterRelease: string; readonly monitoringNamespace: string }): NetworkPolicyDecl[] {
  return [
    allowPolicy(
      "flagger",
      FLAGGER_POD_LABELS.controller,
      {
        ingress: [{ peers: [inNamespace(o.monitoringNamespace, PROMETHEUS_POD_LABELS)], ports: tcp(FLAGGER_HTTP_PORT) }],
        egress: [DNS_EGRESS, HTTPS_EGRESS, { peers: [inNamespace(o.monitoringNamespace, PROMETHEUS_POD_LABELS)], ports: tcp(PROMETHEUS_PORT) }, { peers: [samePods(FLAGGER_POD_LABELS.loadtester)], ports: tcp(FLAGGER_HTTP_PORT) }],
      },
      o.release,
    ),
    allowPolicy("flagger-loadtester", FLAGGER_POD_LABELS.loadtester, { ingress: [{ peers: [samePods(FLAGGER_POD_LABELS.controller)], ports: tcp(FLAGGER_HTTP_PORT) }], egress: [DNS_EGRESS] }, o.loadtesterRelease),
  ];
}
