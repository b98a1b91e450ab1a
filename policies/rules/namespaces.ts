/**
 * Namespace isolation: Pod Security Admission labels on every namespace the plan declares, and a
 * default-deny NetworkPolicy with explicit allow policies in every namespace that runs something.
 * Reads only the recorded plan (Namespace, NetworkPolicy, Helm Release, Service, Gateway and pod
 * template resources), never the constants of the components it checks.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { arr, at, byType, obj, podSpecOf, str, strMap, TYPES, withFlagger } from "./common";

const T = {
  namespace: "kubernetes:core/v1:Namespace",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  service: "kubernetes:core/v1:Service",
  gateway: "kubernetes:gateway.networking.k8s.io/v1:Gateway",
} as const;

const PSA = { enforce: "pod-security.kubernetes.io/enforce", audit: "pod-security.kubernetes.io/audit", warn: "pod-security.kubernetes.io/warn" } as const;
const LEVELS = ["restricted", "baseline", "privileged"];
const REASON_ANNOTATION = "llm-blueprint/pod-security-reason";
const ALLOWS_RELEASE_LABEL = "llm-blueprint/allows-release";

/**
 * The only namespaces that may run below `restricted`, and why (each chart's pods at its pinned
 * version, read 2026-11-25). Adding one is a reviewed change here; the namespace must also carry
 * its reason in the llm-blueprint/pod-security-reason annotation.
 */
export const NODE_AGENT_NAMESPACES: Readonly<Record<string, string>> = {
  "nvidia-device-plugin": "NVIDIA/k8s-device-plugin v0.17.4 daemonset-device-plugin.yml mounts hostPath /var/lib/kubelet/device-plugins, the MPS root and /var/run/cdi",
  "monitoring-node-agents":
    "prometheus-node-exporter 4.51.1 (hostNetwork, hostPID, host root filesystem), NVIDIA/dcgm-exporter chart 4.4.0 (root, SYS_ADMIN, hostPath pod-resources), aws-for-fluent-bit 0.2.0 (hostPath /var/log)",
};

/**
 * Namespaces the blueprint installs into without owning them, so no default deny is required:
 * kube-system holds the EKS-managed add-ons (VPC CNI, kube-proxy and the Pod Identity agent on the
 * host network, CoreDNS that every pod resolves through, the EBS CSI driver) whose flows AWS
 * changes with each add-on build; a default deny there would risk cluster DNS and storage for the
 * sake of cluster-autoscaler and the load balancer controller.
 */
export const UNMANAGED_NAMESPACES: Readonly<Record<string, string>> = {
  "kube-system": "EKS-managed add-ons (CoreDNS, VPC CNI, kube-proxy, Pod Identity agent, EBS CSI) with flows AWS owns",
};

/**
 * Charts whose pods need no network flow at all, so a default deny with no allow policy is right
 * (keyed by chart name; read at the pinned version 2026-11-25).
 */
export const CHARTS_WITHOUT_FLOWS: Readonly<Record<string, string>> = {
  "nvidia-device-plugin": "NVIDIA/k8s-device-plugin v0.17.4: registers with the kubelet over the hostPath socket; no service account (no API access) unless a config map is set",
};

const sameProvider = (a: PolicyResource, b: PolicyResource) => a.provider?.urn === b.provider?.urn;
const nsOf = (r: PolicyResource) => str(at(r.props, "metadata.namespace")) ?? "default";
const k8sName = (r: PolicyResource) => `${nsOf(r)}/${str(at(r.props, "metadata.name")) ?? "?"}`;
const isEmptySelector = (sel: unknown) => Object.keys(strMap(at(sel, "matchLabels"))).length === 0 && arr(at(sel, "matchExpressions")).length === 0;
const selects = (policy: PolicyResource, podLabels: Record<string, string>) => {
  const sel = at(policy.props, "spec.podSelector");
  if (arr(at(sel, "matchExpressions")).length > 0) return false;
  return Object.entries(strMap(at(sel, "matchLabels"))).every(([k, v]) => podLabels[k] === v);
};

function namespaceResource(rs: readonly PolicyResource[], near: PolicyResource, name: string): PolicyResource | undefined {
  return byType(rs, T.namespace).find((n) => sameProvider(n, near) && at(n.props, "metadata.name") === name);
}

/** Namespace workloads of the plan: pod templates, Services and Helm releases, with the namespace each runs in. */
function workloads(rs: readonly PolicyResource[]): { r: PolicyResource; namespace: string; what: string }[] {
  const out: { r: PolicyResource; namespace: string; what: string }[] = [];
  for (const r of rs) {
    if (r.type === TYPES.helmRelease) out.push({ r, namespace: str(r.props.namespace) ?? "default", what: `Helm release ${str(r.props.name) ?? r.name}` });
    else if (r.type === T.service || podSpecOf(r.type, r.props)) out.push({ r, namespace: nsOf(r), what: `${r.type.split(":").pop()} ${k8sName(r)}` });
  }
  return out;
}

export const namespacesPodSecurity: StackValidationPolicy = {
  name: "namespaces-pod-security",
  description:
    "Every Namespace the plan declares has Pod Security Admission enforce, audit and warn labels; below restricted only the node-agent namespaces listed in the rule, each carrying its reason; no Helm release creates an unlabelled namespace; no pod template in a restricted or baseline namespace asks for the host (hostPath, host network/PID/IPC, privileged).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const rs = args.resources;
    for (const n of byType(rs, T.namespace)) {
      const name = str(at(n.props, "metadata.name")) ?? "?";
      const labels = strMap(at(n.props, "metadata.labels"));
      for (const key of [PSA.enforce, PSA.audit, PSA.warn]) {
        if (!LEVELS.includes(labels[key] ?? ""))
          report(`Namespace ${name} metadata.labels["${key}"]: ${JSON.stringify(labels[key])}; allowed: ${LEVELS.join(", ")} (restricted unless the namespace runs node agents)`, n.urn);
      }
      const level = labels[PSA.enforce];
      if (level === "baseline" || level === "privileged") {
        if (!(name in NODE_AGENT_NAMESPACES))
          report(`Namespace ${name} enforces Pod Security "${level}", but only the node-agent namespaces ${Object.keys(NODE_AGENT_NAMESPACES).join(", ")} may run below restricted (policies/rules/namespaces.ts NODE_AGENT_NAMESPACES)`, n.urn);
        const reason = strMap(at(n.props, "metadata.annotations"))[REASON_ANNOTATION];
        if (!reason?.trim()) report(`Namespace ${name} enforces Pod Security "${level}" without saying why: set the annotation ${REASON_ANNOTATION}`, n.urn);
      }
    }
    for (const r of byType(rs, TYPES.helmRelease)) {
      if (r.props.createNamespace === true)
        report(`Helm release ${str(r.props.name) ?? r.name} createNamespace: true; the chart would create namespace ${String(r.props.namespace)} without Pod Security labels or NetworkPolicies; declare the Namespace instead`, r.urn);
    }
    for (const r of rs) {
      const pod = podSpecOf(r.type, r.props);
      if (!pod) continue;
      const ns = namespaceResource(rs, r, nsOf(r));
      const level = strMap(at(ns?.props, "metadata.labels"))[PSA.enforce];
      if (level !== "restricted" && level !== "baseline") continue;
      const asks: string[] = [];
      for (const v of arr(pod.volumes).map(obj)) if (v.hostPath !== undefined) asks.push(`volume ${String(v.name)} hostPath ${String(at(v, "hostPath.path"))}`);
      for (const f of ["hostNetwork", "hostPID", "hostIPC"]) if (pod[f] === true) asks.push(f);
      for (const c of [...arr(pod.initContainers), ...arr(pod.containers)].map(obj)) if (at(c, "securityContext.privileged") === true) asks.push(`container ${String(c.name)} privileged`);
      if (asks.length > 0) report(`${r.type.split(":").pop()} ${k8sName(r)} needs the host (${asks.join("; ")}) but its namespace enforces Pod Security "${level}", which refuses it; run it in a node-agent namespace or drop the host access`, r.urn);
    }
  },
};

/** Container ports of a listener: Envoy Gateway shifts ports below 1024 by 10000 (envoyproxy/gateway v1.7.4 listener.go). */
const proxyContainerPort = (listenerPort: number) => (listenerPort < 1024 ? listenerPort + 10000 : listenerPort);
/** Proxy pod labels (envoyproxy/gateway v1.7.4 internal/infrastructure/kubernetes/proxy/resource.go EnvoyAppLabel). */
const ENVOY_PROXY_LABELS = { "app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy", "app.kubernetes.io/managed-by": "envoy-gateway" };

function admitsPort(policy: PolicyResource, port: number, name?: string): boolean {
  return arr(at(policy.props, "spec.ingress"))
    .map(obj)
    .some((rule) => rule.ports === undefined || arr(rule.ports).map(obj).some((p) => (str(p.protocol) ?? "TCP") === "TCP" && (p.port === undefined || p.port === port || (name !== undefined && p.port === name))));
}

export const namespacesDefaultDeny: StackValidationPolicy = {
  name: "namespaces-default-deny",
  description:
    "Every namespace that runs something is declared by the plan and holds a default-deny NetworkPolicy (all pods, Ingress and Egress, no rules); each Helm release has an allow policy labelled with its name, each Service's ports are admitted by a policy selecting its pods, and each Gateway's listener ports by a policy selecting its Envoy proxies. kube-system is exempt, with the reason in the rule.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    // Flagger's Services (and the primary they select) must be reachable too.
    const rs = withFlagger(args.resources);
    const policies = byType(rs, T.networkPolicy);
    const inNs = (near: PolicyResource, ns: string) => policies.filter((p) => sameProvider(p, near) && nsOf(p) === ns);
    const checked = new Set<string>();
    for (const w of workloads(rs)) {
      if (w.namespace in UNMANAGED_NAMESPACES) continue;
      const key = `${w.r.provider?.urn ?? ""}|${w.namespace}`;
      if (checked.has(key)) continue;
      checked.add(key);
      if (!namespaceResource(rs, w.r, w.namespace)) {
        report(`${w.what} runs in namespace ${w.namespace}, which the plan does not declare: declare it (Pod Security labels, default-deny NetworkPolicy) or install into a declared namespace`, w.r.urn);
        continue;
      }
      const denies = inNs(w.r, w.namespace).filter((p) => {
        const types = arr(at(p.props, "spec.policyTypes"));
        return isEmptySelector(at(p.props, "spec.podSelector")) && types.includes("Ingress") && types.includes("Egress") && arr(at(p.props, "spec.ingress")).length === 0 && arr(at(p.props, "spec.egress")).length === 0;
      });
      if (denies.length === 0)
        report(`Namespace ${w.namespace} runs workloads (${w.what}) but has no default-deny NetworkPolicy: podSelector {}, policyTypes [Ingress, Egress], no ingress or egress rules`, w.r.urn);
    }
    for (const r of byType(rs, TYPES.helmRelease)) {
      const ns = str(r.props.namespace) ?? "default";
      if (ns in UNMANAGED_NAMESPACES) continue;
      const release = str(r.props.name) ?? r.name;
      if ((str(r.props.chart) ?? "") in CHARTS_WITHOUT_FLOWS) continue;
      const allows = inNs(r, ns).filter((p) => strMap(at(p.props, "metadata.labels"))[ALLOWS_RELEASE_LABEL] === release && arr(at(p.props, "spec.ingress")).length + arr(at(p.props, "spec.egress")).length > 0);
      if (allows.length === 0) report(`Helm release ${release} in ${ns}: no NetworkPolicy labelled ${ALLOWS_RELEASE_LABEL}=${release} opens a flow for its pods, so the namespace's default deny cuts them off`, r.urn);
    }
    for (const svc of byType(rs, T.service)) {
      const ns = nsOf(svc);
      const selector = strMap(at(svc.props, "spec.selector"));
      if (ns in UNMANAGED_NAMESPACES || Object.keys(selector).length === 0) continue;
      const selecting = inNs(svc, ns).filter((p) => selects(p, selector) && arr(at(p.props, "spec.ingress")).length > 0);
      for (const port of arr(at(svc.props, "spec.ports")).map(obj)) {
        const target = port.targetPort ?? port.port;
        const ok = selecting.some((p) => admitsPort(p, typeof target === "number" ? target : Number(port.port), typeof target === "string" ? target : undefined));
        if (!ok) report(`Service ${k8sName(svc)} port ${String(port.port)} (target ${String(target)}): no NetworkPolicy selecting its pods admits it, so nothing can reach the Service`, svc.urn);
      }
    }
    for (const gw of byType(rs, T.gateway)) {
      const release = rs.find((r) => r.type === TYPES.helmRelease && sameProvider(r, gw) && /(^|\/)gateway-helm$/.test(str(r.props.chart) ?? ""));
      const perGatewayNs = at(release?.props, "values.config.envoyGateway.provider.kubernetes.deploy.type") === "GatewayNamespace";
      const proxyNs = perGatewayNs ? nsOf(gw) : str(release?.props.namespace);
      if (proxyNs === undefined || proxyNs in UNMANAGED_NAMESPACES) continue;
      const selecting = inNs(gw, proxyNs).filter((p) => selects(p, ENVOY_PROXY_LABELS) && arr(at(p.props, "spec.ingress")).length > 0);
      for (const l of arr(at(gw.props, "spec.listeners")).map(obj)) {
        const port = typeof l.port === "number" ? proxyContainerPort(l.port) : -1;
        if (!selecting.some((p) => admitsPort(p, port)))
          report(`Gateway ${k8sName(gw)} listener ${String(l.name)} (container port ${port}): no NetworkPolicy in ${proxyNs} selecting the Envoy proxies admits it, so no client reaches the gateway`, gw.urn);
      }
    }
  },
};
