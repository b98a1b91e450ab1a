import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { scrapeTargetViolations } from "../../lib/observability";
import { arr, at, obj, str, strMap } from "./common";

/**
 * Monitoring that works on EKS from day one, read from the recorded plan: every scrape target the
 * plan enables is one EKS can serve (a target that never comes up fires its Down alert forever), and
 * every endpoint's error-rate SLO counts the gateway's 5xx, from Envoy proxies a PodMonitor scrapes.
 */

const T = {
  prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
  podMonitor: "kubernetes:monitoring.coreos.com/v1:PodMonitor",
  gateway: "kubernetes:gateway.networking.k8s.io/v1:Gateway",
} as const;

export const scrapeTargetsReachable: StackValidationPolicy = {
  name: "scrape-targets-reachable",
  description:
    "Every scrape target the plan enables (kube-prometheus-stack's own over its chart defaults, other charts' monitors, PodMonitors and ServiceMonitors) has a recorded reason why EKS can serve it; the control plane, etcd and node-local kube-proxy targets EKS cannot serve are off.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const v of scrapeTargetViolations(args.resources.map((r) => ({ urn: r.urn, type: r.type, inputs: r.props })))) report(v.message, v.urn);
  },
};

/** The labels Envoy Gateway puts on a Gateway's proxy pods (envoyproxy/gateway v1.7.4, proxy testdata). */
const OWNING_GATEWAY = { name: "gateway.envoyproxy.io/owning-gateway-name", namespace: "gateway.envoyproxy.io/owning-gateway-namespace" };

const sameCluster = (a: PolicyResource, b: PolicyResource) => a.provider?.urn !== undefined && a.provider.urn === b.provider?.urn;
const k8sName = (r: PolicyResource) => `${str(at(r.props, "metadata.namespace")) ?? "default"}/${str(at(r.props, "metadata.name")) ?? "?"}`;

export const errorSloCountsGateway: StackValidationPolicy = {
  name: "error-slo-counts-gateway",
  description:
    "In every cluster with an inference Gateway, a PodMonitor scrapes that Gateway's Envoy proxies (metrics port, /stats/prometheus) and labels route series with their endpoint, and every endpoint's error-rate alert reads the gateway's 5xx (envoy_cluster_upstream_rq_xx, class 5) for that endpoint besides vLLM's.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const rs = args.resources;
    for (const gw of rs.filter((r) => r.type === T.gateway)) {
      const name = str(at(gw.props, "metadata.name"));
      const namespace = str(at(gw.props, "metadata.namespace"));
      const monitors = rs.filter((m) => m.type === T.podMonitor && sameCluster(m, gw));
      const scrapesProxies = monitors.filter((m) => {
        const sel = strMap(at(m.props, "spec.selector.matchLabels"));
        return sel[OWNING_GATEWAY.name] === name && sel[OWNING_GATEWAY.namespace] === namespace;
      });
      if (scrapesProxies.length === 0) {
        report(`Gateway ${k8sName(gw)}: no PodMonitor in its cluster selects its Envoy proxies (${OWNING_GATEWAY.name}=${String(name)}, ${OWNING_GATEWAY.namespace}=${String(namespace)}), so the gateway's own 5xx (no healthy upstream, timeouts) reach no alert`, gw.urn);
        continue;
      }
      // Envoy Gateway runs the proxies in its controller's namespace, or beside the Gateway in
      // GatewayNamespace deploy mode (envoyproxy/gateway v1.7.4, deploy type of the controller config).
      const release = rs.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && sameCluster(r, gw) && /(^|\/)gateway-helm$/.test(str(r.props.chart) ?? ""));
      const perGatewayNs = at(release?.props, "values.config.envoyGateway.provider.kubernetes.deploy.type") === "GatewayNamespace";
      const proxyNs = perGatewayNs ? namespace : str(release?.props.namespace);
      for (const m of scrapesProxies) {
        const nsSel = obj(at(m.props, "spec.namespaceSelector"));
        if (nsSel.any !== true && !(proxyNs !== undefined && arr(nsSel.matchNames).includes(proxyNs)))
          report(`PodMonitor ${k8sName(m)} looks for Gateway ${k8sName(gw)}'s proxies in ${JSON.stringify(nsSel.matchNames ?? [])}, but they run in ${proxyNs ?? "an unknown namespace (no gateway-helm release in the cluster)"}`, m.urn);
        const endpoints = arr(at(m.props, "spec.podMetricsEndpoints")).map(obj);
        const stats = endpoints.find((e) => e.port === "metrics" && e.path === "/stats/prometheus");
        if (!stats) report(`PodMonitor ${k8sName(m)} selects Gateway ${k8sName(gw)}'s proxies but not their metrics port at /stats/prometheus (Envoy Gateway's stats listener, 19001): ${JSON.stringify(endpoints.map((e) => [e.port, e.path]))}`, m.urn);
        else if (!arr(stats.metricRelabelings).map(obj).some((r) => r.targetLabel === "llm_blueprint_endpoint" && arr(r.sourceLabels).includes("envoy_cluster_name")))
          report(`PodMonitor ${k8sName(m)} does not label the gateway's route series with llm_blueprint_endpoint (from envoy_cluster_name), so no SLO can select an endpoint's gateway errors`, m.urn);
      }
    }
    for (const rule of rs.filter((r) => r.type === T.prometheusRule)) {
      const hasGateway = rs.some((g) => g.type === T.gateway && sameCluster(g, rule));
      if (!hasGateway) continue;
      for (const group of arr(at(rule.props, "spec.groups")).map(obj)) {
        for (const alert of arr(group.rules).map(obj).filter((a) => a.alert === "LlmErrorRateAboveSlo")) {
          const endpoint = str(at(alert, "labels.endpoint"));
          const expr = str(alert.expr) ?? "";
          const selectors = [...expr.matchAll(/envoy_cluster_upstream_rq_xx\{([^}]*)\}/g)].map((m) => m[1]);
          const errors = selectors.filter((s) => s.includes(`llm_blueprint_endpoint="${String(endpoint)}"`) && s.includes('envoy_response_code_class="5"'));
          if (errors.length === 0 || !expr.includes("http_requests_total"))
            report(`${k8sName(rule)} group ${String(group.name)}: LlmErrorRateAboveSlo for ${String(endpoint)} must read vLLM's 5xx (http_requests_total) and the gateway's (envoy_cluster_upstream_rq_xx{llm_blueprint_endpoint="${String(endpoint)}",envoy_response_code_class="5"}); it reads: ${expr}`, rule.urn);
        }
      }
    }
  },
};
