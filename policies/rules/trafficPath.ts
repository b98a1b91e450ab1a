import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { GPU_CLASS_LABEL, GPU_RESOURCE_NAME } from "../../lib/gpu";
import { takeoverBackends } from "../../lib/rollout";
import { arr, at, byType, clusterOfProvider, containersOf, flag, LABELS, list, obj, podSpecOf, ProviderCluster, sidePresent, statementsOf, str, strMap, TYPES, vllmContainerOf, withFlagger } from "./common";

/**
 * The serving path as it works at run time, read from the recorded plan: every hop a request takes
 * from a Route 53 health check or client through the regional NLB, Envoy Gateway and the vLLM pods
 * must line up (ports, protocols, names, timeouts), the health-check alarms must notify someone, and
 * the regions left after losing one must have room for its load. Each check derives what it compares
 * from the resources' own inputs; the one upstream behaviour modelled is Envoy Gateway's port shift.
 */

const T = {
  ...TYPES,
  listener: "aws:lb/listener:Listener",
  loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  sgIngress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  sgEgress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  healthCheck: "aws:route53/healthCheck:HealthCheck",
  metricAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  targetGroupBinding: "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding",
  gateway: "kubernetes:gateway.networking.k8s.io/v1:Gateway",
  envoyProxy: "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy",
  clientTrafficPolicy: "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy",
  service: "kubernetes:core/v1:Service",
  namespace: "kubernetes:core/v1:Namespace",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  k8sProvider: "pulumi:providers:kubernetes",
  awsProvider: "pulumi:providers:aws",
} as const;

type Report = (message: string, urn?: string) => void;

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : undefined);
const deps = (r: PolicyResource, key: string, type?: string) => (r.propertyDependencies[key] ?? []).filter((d) => !type || d.type === type);
const k8sName = (r: PolicyResource) => `${str(at(r.props, "metadata.namespace")) ?? "default"}/${str(at(r.props, "metadata.name")) ?? "?"}`;
const sameProvider = (a: PolicyResource, b: PolicyResource) => a.provider?.urn !== undefined && a.provider.urn === b.provider?.urn;
const matchesLabels = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/**
 * Envoy Gateway's container port for a Gateway listener port: ports below 1024 get +10000 so the
 * non-root proxy can bind them, unless the EnvoyProxy sets useListenerPortAsContainerPort. The
 * Service it creates keeps the listener port and targets this container port. envoyproxy/gateway
 * v1.7.4: internal/gatewayapi/listener.go servicePortToContainerPort, translator.go
 * (minEphemeralPort 1024, wellKnownPortShift 10000), api/v1alpha1/envoyproxy_helpers.go
 * NeedToSwitchPorts, internal/infrastructure/kubernetes/proxy/resource_provider.go Service(); read
 * 2026-11-25. Pinned chart: lib/baseline.ts ENVOY_GATEWAY_CHART.
 */
export function envoyContainerPort(listenerPort: number, useListenerPortAsContainerPort: boolean): number {
  return !useListenerPortAsContainerPort && listenerPort < 1024 ? listenerPort + 10000 : listenerPort;
}

/** Seconds of a Gateway API duration ("600s", "10m", "1h30m", "500ms"); undefined when unreadable. */
export function durationSeconds(v: unknown): number | undefined {
  if (typeof v !== "string" || !/^(\d+(h|m|s|ms))+$/.test(v)) return undefined;
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  return [...v.matchAll(/(\d+)(ms|h|m|s)/g)].reduce((sum, m) => sum + Number(m[1]) * unit[m[2]], 0);
}

const covers = (rule: PolicyResource, port: number) => {
  const proto = str(rule.props.ipProtocol);
  if (proto === "-1") return true;
  const from = num(rule.props.fromPort);
  const to = num(rule.props.toPort);
  return proto === "tcp" && from !== undefined && to !== undefined && from <= port && port <= to;
};
const ruleText = (rules: PolicyResource[]) => rules.map((r) => (str(r.props.ipProtocol) === "-1" ? "all" : `${String(r.props.ipProtocol)}/${String(r.props.fromPort)}${r.props.toPort !== r.props.fromPort ? `-${String(r.props.toPort)}` : ""}`)).join(", ") || "none";

/** The gateway Service Envoy Gateway will create for one Gateway, modelled from the plan. */
interface GatewayService {
  readonly gateway: PolicyResource;
  readonly namespace: string;
  readonly name: string;
  readonly ports: readonly { listener: string; protocol: string; port: number; targetPort: number; allowedRoutes: Record<string, unknown> }[];
}

function gatewayServices(resources: readonly PolicyResource[], report?: Report): GatewayService[] {
  const out: GatewayService[] = [];
  for (const gw of byType(resources, T.gateway)) {
    const gwNs = str(at(gw.props, "metadata.namespace")) ?? "default";
    const release = byType(resources, T.helmRelease).find((r) => sameProvider(r, gw) && /(^|\/)gateway-helm$/.test(str(r.props.chart) ?? ""));
    if (!release) {
      report?.(`Gateway ${k8sName(gw)} -> Envoy Gateway controller: no gateway-helm release in the same cluster, so the proxies' Service cannot be derived`, gw.urn);
      continue;
    }
    const ref = obj(at(gw.props, "spec.infrastructure.parametersRef"));
    const proxy = ref.kind === "EnvoyProxy" ? byType(resources, T.envoyProxy).find((p) => sameProvider(p, gw) && at(p.props, "metadata.name") === ref.name && (str(at(p.props, "metadata.namespace")) ?? "default") === gwNs) : undefined;
    const kube = obj(at(proxy?.props, "spec.provider.kubernetes"));
    const serviceName = str(at(kube, "envoyService.name"));
    if (!serviceName || at(kube, "envoyService.patch") !== undefined) {
      report?.(
        `Gateway ${k8sName(gw)} -> gateway Service: ${proxy ? `EnvoyProxy ${k8sName(proxy)}` : "no EnvoyProxy parametersRef"} ${serviceName ? "patches the Service, which this check cannot model" : "does not fix envoyService.name, so Envoy Gateway generates a hashed Service name no TargetGroupBinding can name"}`,
        gw.urn,
      );
      continue;
    }
    // GatewayNamespace deploy mode puts the proxies beside the Gateway; the default, in the controller's namespace.
    const perGatewayNs = at(release.props, "values.config.envoyGateway.provider.kubernetes.deploy.type") === "GatewayNamespace";
    const unshifted = at(kube, "useListenerPortAsContainerPort") === true;
    out.push({
      gateway: gw,
      namespace: perGatewayNs ? gwNs : (str(release.props.namespace) ?? "default"),
      name: serviceName,
      ports: arr(at(gw.props, "spec.listeners"))
        .map(obj)
        .map((l) => ({ listener: str(l.name) ?? "?", protocol: str(l.protocol) ?? "?", port: num(l.port) ?? -1, targetPort: envoyContainerPort(num(l.port) ?? -1, unshifted), allowedRoutes: obj(l.allowedRoutes) })),
    });
  }
  return out;
}

/** HTTPRoutes attached to a Gateway listener, honouring parentRef sectionName/port and allowedRoutes. */
function attachedRoutes(resources: readonly PolicyResource[], svc: GatewayService, listener: GatewayService["ports"][number]): PolicyResource[] {
  const gwName = at(svc.gateway.props, "metadata.name");
  const gwNs = str(at(svc.gateway.props, "metadata.namespace")) ?? "default";
  return byType(resources, T.httpRoute).filter((route) => {
    if (!sameProvider(route, svc.gateway)) return false;
    const routeNs = str(at(route.props, "metadata.namespace")) ?? "default";
    const parent = arr(at(route.props, "spec.parentRefs"))
      .map(obj)
      .some((p) => p.name === gwName && (str(p.namespace) ?? routeNs) === gwNs && (p.sectionName === undefined || p.sectionName === listener.listener) && (p.port === undefined || p.port === listener.port));
    if (!parent) return false;
    const from = str(at(listener.allowedRoutes, "namespaces.from")) ?? "Same";
    if (from === "All") return true;
    if (from === "Same") return routeNs === gwNs;
    const ns = byType(resources, T.namespace).find((n) => sameProvider(n, route) && at(n.props, "metadata.name") === routeNs);
    const labels = { ...strMap(at(ns?.props, "metadata.labels")), "kubernetes.io/metadata.name": routeNs };
    return matchesLabels(strMap(at(listener.allowedRoutes, "namespaces.selector.matchLabels")), labels);
  });
}

/** The EKS cluster a Kubernetes object is deployed to, through its provider (common.ts clusterOfProvider). */
function clusterOf(resources: readonly PolicyResource[], r: PolicyResource): ProviderCluster {
  const provider = resources.find((p) => p.urn === r.provider?.urn);
  return provider ? clusterOfProvider(resources, provider) : { problem: `${r.name} has no kubernetes provider of this plan` };
}

/** AWS region of a resource, from its explicit provider. */
const regionOf = (r: PolicyResource | undefined) => str(r?.provider?.props.region);

/**
 * Region, account and name of an ELB target group ARN,
 * arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id> (AWS Service
 * Authorization Reference, Elastic Load Balancing V2 resource type "targetgroup"; names are 1-32
 * letters, digits and hyphens, unique per region and account: ELB API Reference, CreateTargetGroup
 * Name; read 2026-11-25).
 */
export function parseTargetGroupArn(arn: unknown): { region: string; account: string; name: string } | undefined {
  const m = typeof arn === "string" ? /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):(\d{12}):targetgroup\/([A-Za-z0-9-]{1,32})\/[0-9a-f]+$/.exec(arn) : null;
  return m ? { region: m[1], account: m[2], name: m[3] } : undefined;
}

/**
 * The target group a TargetGroupBinding fills: the one its ARN came from (one program), else the one
 * whose recorded `name` and provider region its ARN names (a serving stack reads the ARN from the
 * platform's outputs as a plain string). Region and name identify a target group in one account.
 */
function targetGroupOf(resources: readonly PolicyResource[], binding: PolicyResource): { targetGroup?: PolicyResource; problem?: string } {
  const linked = deps(binding, "spec", T.targetGroup);
  if (linked.length > 0) return { targetGroup: linked[0] };
  const raw = at(binding.props, "spec.targetGroupARN");
  const arn = parseTargetGroupArn(raw);
  if (!arn) return { problem: `${JSON.stringify(raw)} is not a target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>)` };
  const inRegion = byType(resources, T.targetGroup).filter((tg) => regionOf(tg) === arn.region);
  const named = inRegion.filter((tg) => tg.props.name === arn.name);
  if (named.length === 1) return { targetGroup: named[0] };
  const there = inRegion.map((tg) => String(tg.props.name ?? `${tg.name} (no name input)`)).join(", ") || "none";
  return {
    problem:
      named.length === 0
        ? `${JSON.stringify(raw)} is not a target group of this plan (no target group named ${arn.name} in ${arn.region}; there: ${there})`
        : `${JSON.stringify(raw)} names ${named.length} target groups of this plan (${named.map((tg) => tg.name).join(", ")}), but a target group name is unique in its region and account`,
  };
}

/** One regional path: NLB listener -> target group -> TargetGroupBinding -> gateway Service listener. */
interface NlbPath {
  readonly listener: PolicyResource;
  readonly loadBalancer: PolicyResource;
  readonly targetGroup: PolicyResource;
  readonly binding: PolicyResource;
  readonly service: GatewayService;
  readonly servicePort: GatewayService["ports"][number];
}

function nlbPaths(resources: readonly PolicyResource[], report?: Report): NlbPath[] {
  const services = gatewayServices(resources, report);
  const paths: NlbPath[] = [];
  for (const listener of byType(resources, T.listener)) {
    const loadBalancer = deps(listener, "loadBalancerArn", T.loadBalancer)[0];
    if (!loadBalancer || loadBalancer.props.loadBalancerType !== "network") continue;
    const lp = `NLB listener ${String(listener.props.protocol)}/${String(listener.props.port)}`;
    const targetGroup = deps(listener, "defaultActions", T.targetGroup)[0];
    if (!targetGroup) {
      report?.(`${lp} -> target group: it forwards to no target group of this stack`, listener.urn);
      continue;
    }
    const bindings = byType(resources, T.targetGroupBinding).filter((b) => targetGroupOf(resources, b).targetGroup?.urn === targetGroup.urn);
    // Under a platform-only preview the bindings are in the other project (common.ts sidePresent).
    if (bindings.length === 0 && sidePresent(resources, "serving")) report?.(`target group ${targetGroup.name} -> TargetGroupBinding: no binding fills it, so it never gets a target`, targetGroup.urn);
    for (const binding of bindings) {
      const ref = obj(at(binding.props, "spec.serviceRef"));
      const bindingNs = str(at(binding.props, "metadata.namespace")) ?? "default";
      const service = services.find((s) => sameProvider(s.gateway, binding) && s.name === ref.name && s.namespace === bindingNs);
      if (!service) {
        const known = services.filter((s) => sameProvider(s.gateway, binding)).map((s) => `${s.namespace}/${s.name}`);
        report?.(`TargetGroupBinding ${k8sName(binding)} serviceRef -> gateway Service: ${bindingNs}/${String(ref.name)} is not a Service Envoy Gateway creates here (it creates: ${known.join(", ") || "none"})`, binding.urn);
        continue;
      }
      const port = num(ref.port);
      const servicePort = service.ports.find((p) => p.port === port);
      if (typeof ref.port !== "number" || !servicePort) {
        report?.(
          `TargetGroupBinding ${k8sName(binding)} serviceRef.port -> gateway Service port: ${JSON.stringify(ref.port)} is not a port of Service ${service.namespace}/${service.name}; its ports are the Gateway listener ports ${service.ports.map((p) => p.port).join(", ")} (give the number)`,
          binding.urn,
        );
        continue;
      }
      paths.push({ listener, loadBalancer, targetGroup, binding, service, servicePort });
    }
  }
  return paths;
}

/** Checks the network hops of one regional path; returns the proxy container (pod) port. */
function checkNetworkHops(resources: readonly PolicyResource[], p: NlbPath, report: Report) {
  const podPort = p.servicePort.targetPort;
  const listenerProto = str(p.listener.props.protocol);
  const tg = p.targetGroup.props;
  const svcText = `Service ${p.service.namespace}/${p.service.name} port ${p.servicePort.port} -> container port ${podPort}`;
  if (listenerProto === "TLS" && tg.protocol !== "TCP") report(`NLB listener TLS -> target group protocol: the NLB ends TLS, so the target group must be TCP (plain to the proxies); it is ${String(tg.protocol)}`, p.targetGroup.urn);
  if (tg.targetType !== "ip" || at(p.binding.props, "spec.targetType") !== "ip") {
    report(`target group targetType -> TargetGroupBinding targetType: both must be "ip" (pods registered on their own port); they are ${String(tg.targetType)} and ${String(at(p.binding.props, "spec.targetType"))}`, p.binding.urn);
  }
  const gwProto = p.servicePort.protocol;
  const expected = listenerProto === "TLS" ? ["HTTP"] : ["HTTPS", "TLS", "TCP"];
  if (!expected.includes(gwProto)) report(`NLB listener ${listenerProto} -> Gateway listener ${p.servicePort.listener} protocol: ${gwProto} does not take what the NLB forwards (expected ${expected.join(" or ")})`, p.service.gateway.urn);
  if (num(tg.port) !== podPort) report(`target group port -> proxy container port: target group port ${String(tg.port)}, proxy container port ${podPort} (${svcText})`, p.targetGroup.urn);
  const hcPort = at(tg, "healthCheck.port");
  if (hcPort !== undefined && hcPort !== "traffic-port" && num(hcPort) !== podPort) report(`target group health check port -> proxy container port: health check on ${String(hcPort)}, proxies listen on ${podPort}`, p.targetGroup.urn);
  const hcProto = str(at(tg, "healthCheck.protocol")) ?? "TCP";
  if (!["TCP", "HTTP"].includes(hcProto)) report(`target group health check protocol -> proxy listener: ${hcProto} against a plain ${gwProto} listener; use TCP or HTTP`, p.targetGroup.urn);

  const lbGroups = deps(p.loadBalancer, "securityGroups", T.securityGroup);
  if (lbGroups.length === 0) {
    report(`NLB -> security groups: the NLB has no security group of this stack, so the cluster security group cannot admit it by reference`, p.loadBalancer.urn);
    return;
  }
  const onLb = (rule: PolicyResource) => deps(rule, "securityGroupId").some((d) => lbGroups.some((g) => g.urn === d.urn));
  const lbIn = byType(resources, T.sgIngress).filter(onLb);
  if (!lbIn.some((r) => covers(r, num(p.listener.props.port) ?? -1))) report(`clients -> NLB security group ingress: listener port ${String(p.listener.props.port)}, ingress rules allow ${ruleText(lbIn)}`, p.loadBalancer.urn);
  const lbOut = byType(resources, T.sgEgress).filter(onLb);
  if (!lbOut.some((r) => covers(r, podPort))) report(`NLB security group egress -> proxy pod port: egress rules allow ${ruleText(lbOut)}, the proxies listen on tcp/${podPort}`, p.loadBalancer.urn);
  const { cluster, problem } = clusterOf(resources, p.binding);
  if (!cluster) {
    report(`TargetGroupBinding ${k8sName(p.binding)} -> EKS cluster: ${problem ?? "unknown"}, so the cluster security group rule admitting the NLB cannot be checked`, p.binding.urn);
    return;
  }
  const podIn = byType(resources, T.sgIngress).filter((r) => deps(r, "referencedSecurityGroupId").some((d) => lbGroups.some((g) => g.urn === d.urn)) && deps(r, "securityGroupId").some((d) => d.urn === cluster.urn));
  if (!podIn.some((r) => covers(r, podPort))) {
    report(`cluster security group ingress from the NLB -> proxy pod port: rules from the NLB's group allow ${ruleText(podIn)}, the proxies listen on tcp/${podPort}`, p.loadBalancer.urn);
  }
}

/** Services, Deployments, containers and NetworkPolicies behind one backendRef. */
function checkBackend(resources: readonly PolicyResource[], route: PolicyResource, ref: Record<string, unknown>, proxiesNs: string, report: Report): PolicyResource[] {
  const routeNs = str(at(route.props, "metadata.namespace")) ?? "default";
  const ns = str(ref.namespace) ?? routeNs;
  const where = `HTTPRoute ${k8sName(route)} backendRef ${ns}/${String(ref.name)}:${String(ref.port)}`;
  const svc = byType(resources, T.service).find((s) => sameProvider(s, route) && at(s.props, "metadata.name") === ref.name && (str(at(s.props, "metadata.namespace")) ?? "default") === ns);
  if (!svc) {
    report(`${where} -> vLLM Service: no such Service in the plan`, route.urn);
    return [];
  }
  const ports = arr(at(svc.props, "spec.ports")).map(obj);
  const port = ports.find((p) => num(p.port) === num(ref.port));
  if (!port) {
    report(`${where} -> vLLM Service port: backendRef port ${String(ref.port)}, Service ${k8sName(svc)} ports ${ports.map((p) => String(p.port)).join(", ")}`, route.urn);
    return [];
  }
  const targetPort = port.targetPort ?? port.port;
  const selector = strMap(at(svc.props, "spec.selector"));
  const deployments = byType(resources, T.deployment).filter(
    (d) => sameProvider(d, svc) && (str(at(d.props, "metadata.namespace")) ?? "default") === ns && Object.keys(selector).length > 0 && matchesLabels(selector, strMap(at(d.props, "spec.template.metadata.labels"))),
  );
  if (deployments.length === 0) report(`Service ${k8sName(svc)} selector -> Deployment: no Deployment's pods match ${JSON.stringify(selector)}`, svc.urn);
  for (const d of deployments) {
    const pod = podSpecOf(d.type, d.props) ?? {};
    const raw = arr(pod.containers).map(obj);
    const withPort = raw
      .flatMap((c) => arr(c.ports).map(obj).map((p) => ({ c, name: str(p.name), containerPort: num(p.containerPort) })))
      .find((p) => (typeof targetPort === "string" ? p.name === targetPort : p.containerPort === num(targetPort)));
    if (!withPort) {
      const all = raw.flatMap((c) => arr(c.ports).map(obj).map((p) => `${String(p.name ?? "")}/${String(p.containerPort)}`));
      report(`Service ${k8sName(svc)} targetPort -> Deployment ${k8sName(d)} containerPort: targetPort ${JSON.stringify(targetPort)}, container ports ${all.join(", ") || "none"}`, d.urn);
      continue;
    }
    const args = arr(withPort.c.args).filter((a): a is string => typeof a === "string");
    const served = args.includes("--served-model-name");
    const listenPort = flag(args, "--port");
    if (served && num(listenPort) !== withPort.containerPort) {
      report(`Deployment ${k8sName(d)} containerPort -> vLLM --port: containerPort ${withPort.containerPort} (${withPort.name ?? "unnamed"}), vLLM listens on ${listenPort ?? "its default (no --port)"}`, d.urn);
    }
    checkNetworkPolicy(resources, d, withPort.containerPort ?? -1, withPort.name, proxiesNs, report);
  }
  return deployments;
}

function checkNetworkPolicy(resources: readonly PolicyResource[], d: PolicyResource, port: number, portName: string | undefined, proxiesNs: string, report: Report) {
  const ns = str(at(d.props, "metadata.namespace")) ?? "default";
  const podLabels = strMap(at(d.props, "spec.template.metadata.labels"));
  const policies = byType(resources, T.networkPolicy).filter(
    (n) =>
      sameProvider(n, d) &&
      (str(at(n.props, "metadata.namespace")) ?? "default") === ns &&
      matchesLabels(strMap(at(n.props, "spec.podSelector.matchLabels")), podLabels) &&
      (arr(at(n.props, "spec.policyTypes")).includes("Ingress") || at(n.props, "spec.ingress") !== undefined),
  );
  if (policies.length === 0) return; // no policy selects the pods: ingress is open
  const admitsNs = (peer: Record<string, unknown>) => {
    if (peer.ipBlock) return false;
    const sel = peer.namespaceSelector;
    if (sel === undefined) return false; // a bare podSelector means the policy's own namespace
    return matchesLabels(strMap(at(sel, "matchLabels")), { "kubernetes.io/metadata.name": proxiesNs }) && arr(at(sel, "matchExpressions")).length === 0;
  };
  const admitsPort = (p: Record<string, unknown>) => (str(p.protocol) ?? "TCP") === "TCP" && (p.port === undefined || num(p.port) === port || (portName !== undefined && p.port === portName));
  const ok = policies.some((n) =>
    arr(at(n.props, "spec.ingress"))
      .map(obj)
      .some((rule) => (rule.from === undefined || arr(rule.from).map(obj).some(admitsNs)) && (rule.ports === undefined || arr(rule.ports).map(obj).some(admitsPort))),
  );
  if (!ok) {
    const names = policies.map(k8sName).join(", ");
    report(`NetworkPolicy ${names} -> vLLM port: no ingress rule admits the proxies' namespace ${proxiesNs} on tcp/${port}; the vLLM pods of ${k8sName(d)} listen there`, policies[0].urn);
  }
}

const pathMatches = (rule: Record<string, unknown>, path: string) => {
  const matches = arr(rule.matches).map(obj);
  if (matches.length === 0) return true;
  return matches.some((m) => {
    const type = str(at(m, "path.type")) ?? "PathPrefix";
    const value = str(at(m, "path.value")) ?? "/";
    if (type === "Exact") return value === path;
    if (type !== "PathPrefix") return false;
    const prefix = value.endsWith("/") ? value : `${value}/`;
    return value === "/" || path === value || path.startsWith(prefix);
  });
};
const hostMatches = (hostnames: string[], fqdn: string) => hostnames.length === 0 || hostnames.some((h) => h === fqdn || (h.startsWith("*.") && fqdn.endsWith(h.slice(1))));
const backendRefsOf = (rule: Record<string, unknown>) => [
  ...arr(rule.backendRefs).map(obj),
  ...arr(rule.filters)
    .map(obj)
    .filter((f) => f.type === "RequestMirror")
    .map((f) => obj(at(f, "requestMirror.backendRef"))),
];

export const trafficPath: StackValidationPolicy = {
  name: "traffic-path",
  description:
    "Every hop of the serving path lines up: NLB listener, target group (port, protocol, health check), security-group rules, TargetGroupBinding, the gateway Service Envoy Gateway creates (listener port shifted below 1024), HTTPRoute, vLLM Service, container port, --port, NetworkPolicy and the Route 53 health check.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    // Model routes, Services and primaries Flagger generates from Canaries are on the path too.
    const rs = withFlagger(args.resources);
    const seen = new Set<string>();
    const once: Report = (message, urn) => {
      const key = `${urn ?? ""} ${message}`;
      if (seen.has(key)) return;
      seen.add(key);
      report(message, urn);
    };
    // Inside every cluster: each route on each Gateway listener down to the vLLM pods.
    for (const svc of gatewayServices(rs, once)) {
      for (const listener of svc.ports) {
        for (const route of attachedRoutes(rs, svc, listener)) {
          for (const rule of arr(at(route.props, "spec.rules")).map(obj)) for (const ref of backendRefsOf(rule)) checkBackend(rs, route, ref, svc.namespace, once);
        }
      }
    }
    // A route that attaches to no Gateway listener in its cluster is never served: fail closed.
    const services = gatewayServices(rs);
    for (const route of byType(rs, T.httpRoute)) {
      const attached = services.some((svc) => svc.ports.some((l) => attachedRoutes(rs, svc, l).some((r) => r.urn === route.urn)));
      if (!attached) once(`HTTPRoute ${k8sName(route)} parentRefs -> Gateway listener: ${JSON.stringify(at(route.props, "spec.parentRefs"))} attach to no listener that admits the route's namespace`, route.urn);
    }
    // Under a serving-only preview the target groups are in the other project (common.ts sidePresent).
    const platformPresent = sidePresent(rs, "platform");
    for (const b of byType(rs, T.targetGroupBinding)) {
      const { targetGroup, problem } = targetGroupOf(rs, b);
      if (!targetGroup && platformPresent) once(`TargetGroupBinding ${k8sName(b)} targetGroupARN -> target group: ${problem ?? "unknown"}, so no NLB listener can be traced to it`, b.urn);
    }
    // From each regional NLB to the proxies, and from each health check to the model.
    const paths = nlbPaths(rs, once);
    for (const p of paths) checkNetworkHops(rs, p, once);
    const aliasRecords = byType(rs, T.route53Record).filter((r) => r.props.type === "A" || r.props.type === "AAAA");
    for (const hc of byType(rs, T.healthCheck)) {
      const fqdn = str(hc.props.fqdn) ?? "";
      const hcText = `Route 53 health check ${String(hc.props.type)} ${fqdn}:${String(hc.props.port)}${String(hc.props.resourcePath ?? "")}`;
      const lbs = aliasRecords.filter((r) => r.props.name === fqdn).flatMap((r) => deps(r, "aliases", T.loadBalancer));
      if (lbs.length === 0) {
        once(`${hcText} -> regional NLB: ${fqdn} is not an alias record to a load balancer of this stack`, hc.urn);
        continue;
      }
      const https = String(hc.props.type).startsWith("HTTPS");
      const port = num(hc.props.port) ?? (https ? 443 : 80);
      const speaks = (l: PolicyResource) => num(l.props.port) === port && (https ? l.props.protocol === "TLS" : l.props.protocol === "TCP");
      const lbListeners = byType(rs, T.listener).filter((l) => deps(l, "loadBalancerArn").some((d) => lbs.some((lb) => lb.urn === d.urn)));
      if (!lbListeners.some(speaks)) {
        const listeners = lbListeners.map((l) => `${String(l.props.protocol)}/${String(l.props.port)}`);
        once(`${hcText} -> NLB listener: the check speaks ${https ? "HTTPS" : "HTTP"} on ${port}, the NLB listens on ${listeners.join(", ") || "nothing"}`, hc.urn);
        continue;
      }
      // A listener that does not reach the gateway was reported on its own hop above.
      const viaListener = paths.filter((p) => lbs.some((lb) => lb.urn === p.loadBalancer.urn) && speaks(p.listener));
      const path = str(hc.props.resourcePath) ?? "/";
      for (const p of viaListener) {
        const routes = attachedRoutes(rs, p.service, p.servicePort).filter((r) => hostMatches(arr(at(r.props, "spec.hostnames")).map(String), fqdn));
        const rule = routes.flatMap((r) => arr(at(r.props, "spec.rules")).map((x) => ({ route: r, rule: obj(x) }))).find((x) => pathMatches(x.rule, path));
        if (!rule) {
          once(`${hcText} -> HTTPRoute: no route on Gateway listener ${p.servicePort.listener} (port ${p.servicePort.port}) answers host ${fqdn} path ${path}`, hc.urn);
          continue;
        }
        const deployments = arr(rule.rule.backendRefs)
          .map(obj)
          .flatMap((ref) => checkBackend(rs, rule.route, ref, p.service.namespace, once));
        const search = str(hc.props.searchString);
        if (search !== undefined && deployments.length > 0) {
          const names = deployments.flatMap((d) => containersOf(podSpecOf(d.type, d.props) ?? {}).map((c) => flag(c.args, "--served-model-name"))).filter((n): n is string => !!n);
          if (!names.some((n) => search.includes(n))) once(`${hcText} searchString -> vLLM --served-model-name: looks for ${search}, the backends serve ${names.join(", ") || "nothing"}`, hc.urn);
        }
      }
    }
  },
};

/** Seconds a pod's preStop hook holds it before SIGTERM, or a reason it cannot be read. */
export function preStopSeconds(container: Record<string, unknown>): number | string {
  const hook = at(container, "lifecycle.preStop");
  if (hook === undefined) return 0;
  const sleep = num(at(hook, "sleep.seconds"));
  if (sleep !== undefined) return sleep;
  const command = arr(at(hook, "exec.command")).map(String).join(" ");
  const sleeps = [...command.matchAll(/\bsleep\s+(\d+)\b/g)].map((m) => Number(m[1]));
  if (sleeps.length > 0) return sleeps.reduce((a, b) => a + b, 0);
  return `preStop ${JSON.stringify(hook)} has no readable duration (use lifecycle.preStop.sleep.seconds or an exec "sleep N")`;
}

export const timeoutChain: StackValidationPolicy = {
  name: "timeout-chain",
  description:
    "Timeouts nest: the regional NLB's idle timeout is at least every route's request timeout behind it, Envoy's stream idle timeout does not cut first, and every vLLM pod's termination grace covers the route timeout plus its preStop drain.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    // Model routes, Services and primaries Flagger generates from Canaries are on the path too.
    const rs = withFlagger(args.resources);
    const timeoutOf = (route: PolicyResource) =>
      arr(at(route.props, "spec.rules"))
        .map(obj)
        .map((rule) => ({ raw: at(rule, "timeouts.request"), seconds: durationSeconds(at(rule, "timeouts.request")) }));
    const routeTimeout = new Map<string, number>();
    for (const route of byType(rs, T.httpRoute)) {
      const ts = timeoutOf(route);
      const bad = ts.find((t) => t.seconds === undefined || t.seconds === 0);
      if (bad) report(`HTTPRoute ${k8sName(route)} timeouts.request: ${JSON.stringify(bad.raw)}; every rule needs a finite request timeout (e.g. "300s") for the rest of the chain to be sized against`, route.urn);
      else routeTimeout.set(route.urn, Math.max(...ts.map((t) => t.seconds!)));
    }
    // NLB idle timeout >= route timeout.
    for (const p of nlbPaths(rs)) {
      const proto = str(p.listener.props.protocol);
      const set = num(p.listener.props.tcpIdleTimeoutSeconds);
      if (proto === "TLS" && set !== undefined) report(`NLB listener TLS/${String(p.listener.props.port)} tcpIdleTimeoutSeconds ${set}: AWS fixes a TLS listener's idle timeout at 350 s and rejects the setting`, p.listener.urn);
      // AWS ELB guide, network/update-idle-timeout.html (read 2026-11-25): 350 s default, fixed for TLS listeners.
      const idle = proto === "TLS" ? 350 : (set ?? 350);
      for (const route of attachedRoutes(rs, p.service, p.servicePort)) {
        const t = routeTimeout.get(route.urn);
        if (t !== undefined && t > idle) {
          report(`NLB listener ${String(proto)}/${String(p.listener.props.port)} idle timeout -> HTTPRoute ${k8sName(route)} request timeout: the NLB drops a connection idle for ${idle} s, the route lets a request run ${t} s`, route.urn);
        }
      }
    }
    // Envoy: a listener-level stream idle timeout replaces Envoy Gateway's max(1 h, route timeout) per route.
    const longest = Math.max(0, ...routeTimeout.values());
    for (const ctp of byType(rs, T.clientTrafficPolicy)) {
      const raw = at(ctp.props, "spec.timeout.http.streamIdleTimeout");
      const s = durationSeconds(raw);
      if (raw !== undefined && (s === undefined || (s !== 0 && s < longest))) report(`ClientTrafficPolicy ${k8sName(ctp)} streamIdleTimeout ${JSON.stringify(raw)} -> route request timeout: Envoy would end a silent stream before the ${longest} s routes allow`, ctp.urn);
    }
    // Pod grace >= route timeout + preStop drain, for every vLLM pod a route sends requests to.
    for (const d of byType(rs, T.deployment)) {
      const pod = podSpecOf(d.type, d.props) ?? {};
      const vllm = vllmContainerOf(pod);
      if (!vllm) continue;
      const labels = strMap(at(d.props, "spec.template.metadata.labels"));
      const ns = str(at(d.props, "metadata.namespace")) ?? "default";
      const services = byType(rs, T.service).filter((s) => sameProvider(s, d) && at(s.props, "metadata.namespace") === ns && Object.keys(strMap(at(s.props, "spec.selector"))).length > 0 && matchesLabels(strMap(at(s.props, "spec.selector")), labels));
      const routes = byType(rs, T.httpRoute).filter(
        (r) =>
          sameProvider(r, d) &&
          arr(at(r.props, "spec.rules"))
            .map(obj)
            .some((rule) => backendRefsOf(rule).some((ref) => (str(ref.namespace) ?? str(at(r.props, "metadata.namespace"))) === ns && services.some((s) => at(s.props, "metadata.name") === ref.name))),
      );
      const timeouts = routes.map((r) => routeTimeout.get(r.urn)).filter((t): t is number => t !== undefined);
      if (timeouts.length === 0) continue;
      const t = Math.max(...timeouts);
      const drain = preStopSeconds(vllm);
      if (typeof drain === "string") {
        report(`Deployment ${k8sName(d)}: ${drain}`, d.urn);
        continue;
      }
      const grace = num(pod.terminationGracePeriodSeconds) ?? 30; // the Kubernetes default
      if (grace < t + drain) {
        report(`Deployment ${k8sName(d)} terminationGracePeriodSeconds -> route timeout + preStop drain: grace ${grace} s, but a request admitted just before the drain may run ${t} s after ${drain} s of preStop (${t + drain} s)`, d.urn);
      }
    }
  },
};

export const healthCheckAlarmActions: StackValidationPolicy = {
  name: "health-check-alarm-actions",
  description:
    "Every Route 53 health check has an alarm, and every such alarm (us-east-1) notifies on alarm and on recovery through an SNS topic in its own region whose topic policy lets CloudWatch publish and whose KMS key lets CloudWatch encrypt.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const rs = args.resources;
    const alarms = byType(rs, T.metricAlarm).filter((a) => a.props.namespace === "AWS/Route53");
    for (const hc of byType(rs, T.healthCheck)) {
      if (!alarms.some((a) => deps(a, "dimensions").some((d) => d.urn === hc.urn))) report(`Route 53 health check ${String(hc.props.fqdn)} has no CloudWatch alarm on its HealthCheckStatus: its region could leave the global names unnoticed`, hc.urn);
    }
    for (const alarm of alarms) {
      const region = regionOf(alarm);
      // Route 53 publishes health-check metrics to us-east-1 only (Route 53 developer guide, monitoring health checks with CloudWatch).
      if (region !== "us-east-1") report(`Route 53 alarm ${alarm.name} is in ${region ?? "an unknown region"}; health-check metrics exist only in us-east-1`, alarm.urn);
      for (const key of ["alarmActions", "okActions"]) {
        const actions = arr(alarm.props[key]);
        if (actions.length === 0) {
          report(`Route 53 alarm ${alarm.name} has no ${key}: a failing region would leave traffic without anyone being told`, alarm.urn);
          continue;
        }
        const topics = deps(alarm, key, T.snsTopic);
        if (topics.length < actions.length) {
          report(`Route 53 alarm ${alarm.name} ${key} ${JSON.stringify(actions)} names a target that is not an SNS topic of this stack, so its policies cannot be checked`, alarm.urn);
          continue;
        }
        for (const topic of topics) {
          if (regionOf(topic) !== region) report(`Route 53 alarm ${alarm.name} ${key} -> SNS topic ${topic.name}: the topic is in ${regionOf(topic) ?? "an unknown region"}, the alarm in ${region ?? "?"}; an alarm only notifies topics of its own region`, alarm.urn);
          const publishes = byType(rs, T.topicPolicy)
            .filter((p) => deps(p, "arn").some((d) => d.urn === topic.urn))
            .some((p) =>
              statementsOf(p.props.policy).some(
                (s) => s.Effect === "Allow" && list(at(s, "Principal.Service") as string | string[] | undefined).includes("cloudwatch.amazonaws.com") && list(s.Action).some((a) => a === "sns:Publish" || a === "sns:*"),
              ),
            );
          if (!publishes) report(`SNS topic ${topic.name} -> CloudWatch: no topic policy lets cloudwatch.amazonaws.com sns:Publish, so alarm ${alarm.name} cannot notify`, topic.urn);
          const topicKey = deps(topic, "kmsMasterKeyId", T.kmsKey)[0];
          if (topic.props.kmsMasterKeyId !== undefined && !topicKey) {
            report(`SNS topic ${topic.name} is encrypted with ${String(topic.props.kmsMasterKeyId)}, not a key of this stack whose policy can be checked (an AWS-managed key cannot grant CloudWatch)`, topic.urn);
          } else if (topicKey) {
            const allowed = statementsOf(topicKey.props.policy)
              .filter((s) => s.Effect === "Allow" && list(at(s, "Principal.Service") as string | string[] | undefined).includes("cloudwatch.amazonaws.com"))
              .flatMap((s) => list(s.Action));
            const grants = (a: string) => allowed.some((x) => x === "kms:*" || x === a || (x.endsWith("*") && a.startsWith(x.slice(0, -1))));
            const missing = ["kms:GenerateDataKey", "kms:Decrypt"].filter((a) => !grants(a));
            if (missing.length > 0) report(`KMS key ${topicKey.name} of SNS topic ${topic.name} -> CloudWatch: its policy does not grant cloudwatch.amazonaws.com ${missing.join(", ")}, so alarm notifications are dropped`, topicKey.urn);
          }
        }
      }
    }
  },
};

/** Live load of one endpoint in one region: replica bounds of the tracks that take traffic, GPUs each. */
interface EndpointLoad {
  readonly endpoint: string;
  readonly region: string;
  readonly gpuClass: string;
  readonly gpusPerReplica: number;
  /** Stable and canary: they take live traffic. */
  liveMin: number;
  liveMax: number;
  /** GPUs at minimum scale of every track, shadow included: what already occupies the pools. */
  minGpus: number;
}

export const capacityHeadroom: StackValidationPolicy = {
  name: "capacity-headroom",
  description:
    "With any one region lost (so the largest too), the other regions routed for each model can scale (ScaledObject maxReplicaCount) and have GPU pool room (node group max x GPUs per instance) for their own minimum plus the lost region's. A model routed to a single region is not checked: it has no failover by placement.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const rs = args.resources;
    // Regions each endpoint is routed to (global records that can answer).
    const routed = new Map<string, Set<string>>();
    for (const rec of byType(rs, T.route53Record)) {
      const region = str(rec.props.setIdentifier);
      if (!region || !rec.props.healthCheckId) continue;
      if (num(at(arr(rec.props.weightedRoutingPolicies)[0], "weight")) === 0) continue; // drained
      const endpoint = (str(rec.props.name) ?? "").split(".")[0];
      routed.set(endpoint, (routed.get(endpoint) ?? new Set()).add(region));
    }
    if (routed.size === 0) return;

    const loads = new Map<string, EndpointLoad>();
    for (const so of byType(rs, T.scaledObject)) {
      const ns = str(at(so.props, "metadata.namespace")) ?? "default";
      const d = byType(rs, T.deployment).find((x) => sameProvider(x, so) && at(x.props, "metadata.namespace") === ns && at(x.props, "metadata.name") === at(so.props, "spec.scaleTargetRef.name"));
      const labels = strMap(at(d?.props, "spec.template.metadata.labels"));
      if (!d || !labels[LABELS.endpoint]) {
        report(`ScaledObject ${k8sName(so)} -> Deployment: cannot tell which endpoint and track it scales`, so.urn);
        continue;
      }
      const { cluster, problem } = clusterOf(rs, so);
      const region = regionOf(cluster);
      if (!region) {
        report(`ScaledObject ${k8sName(so)} -> EKS cluster region: ${problem ?? `cluster ${cluster?.name ?? "?"} has no provider region`}, so which region's capacity it adds to cannot be told`, so.urn);
        continue;
      }
      const pod = podSpecOf(d.type, d.props) ?? {};
      const gpus = Math.max(0, ...containersOf(pod).map((c) => num(c.resources.limits[GPU_RESOURCE_NAME]) ?? 0));
      const terms = arr(at(pod, "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms")).map(obj);
      const gpuClass = terms.flatMap((t) => arr(t.matchExpressions).map(obj)).find((e) => e.key === GPU_CLASS_LABEL)?.values;
      const cls = str(arr(gpuClass)[0]) ?? strMap(pod.nodeSelector)[GPU_CLASS_LABEL];
      if (!cls || gpus === 0) {
        report(`Deployment ${k8sName(d)}: no GPU class (${GPU_CLASS_LABEL} affinity) or GPU limit, so its capacity cannot be checked`, d.urn);
        continue;
      }
      const min = num(at(so.props, "spec.minReplicaCount")) ?? 0;
      const max = num(at(so.props, "spec.maxReplicaCount")) ?? 100; // KEDA's default maxReplicaCount
      const key = `${labels[LABELS.endpoint]}@${region}`;
      const load = loads.get(key) ?? { endpoint: labels[LABELS.endpoint], region, gpuClass: cls, gpusPerReplica: gpus, liveMin: 0, liveMax: 0, minGpus: 0 };
      // A warm previous version takes traffic only while a route of the program's sends it every request.
      const track = labels[LABELS.track];
      const routedTo = () =>
        byType(rs, T.httpRoute).some(
          (r) =>
            sameProvider(r, d) &&
            at(r.props, "metadata.namespace") === ns &&
            takeoverBackends(at(r.props, "spec")).includes(str(at(d.props, "metadata.name")) ?? ""),
        );
      const live = track === "previous" ? routedTo() : track !== "shadow";
      if (live) {
        load.liveMin += min;
        load.liveMax += max;
      }
      load.minGpus += min * gpus;
      loads.set(key, load);
    }

    // GPU pool ceilings by region and class: each Karpenter NodePool's nvidia.com/gpu limit.
    const poolGpus = new Map<string, number>();
    for (const np of byType(rs, "kubernetes:karpenter.sh/v1:NodePool")) {
      const cls = strMap(at(np.props, "spec.template.metadata.labels"))[GPU_CLASS_LABEL];
      if (!cls) continue;
      const limit = num(obj(at(np.props, "spec.limits"))[GPU_RESOURCE_NAME]);
      const { cluster, problem } = clusterOf(rs, np);
      const region = regionOf(cluster);
      if (limit === undefined || !region) {
        report(`GPU NodePool ${k8sName(np)}: ${limit === undefined ? `no limits["${GPU_RESOURCE_NAME}"]` : (problem ?? "no cluster region")}, so its capacity cannot be counted`, np.urn);
        continue;
      }
      const key = `${cls}@${region}`;
      poolGpus.set(key, (poolGpus.get(key) ?? 0) + limit);
    }

    const regions = [...new Set([...loads.values()].map((l) => l.region))].sort();
    for (const lost of regions) {
      const survivors = regions.filter((r) => r !== lost);
      // Replicas, per endpoint routed in the lost region.
      for (const [endpoint, where] of routed) {
        const lostLoad = loads.get(`${endpoint}@${lost}`);
        const taking = survivors.filter((r) => where.has(r) && loads.has(`${endpoint}@${r}`));
        // A model routed to one region only has no failover by design (its placements say so).
        if (!where.has(lost) || !lostLoad || taking.length === 0) continue;
        const own = taking.reduce((s, r) => s + loads.get(`${endpoint}@${r}`)!.liveMin, 0);
        const room = taking.reduce((s, r) => s + loads.get(`${endpoint}@${r}`)!.liveMax, 0);
        const need = own + lostLoad.liveMin;
        if (room < need) {
          report(
            `losing ${lost}: ${endpoint} needs ${need} replicas in ${taking.join(", ") || "no surviving region"} (their own minimum ${own} + ${lost}'s ${lostLoad.liveMin}), their ScaledObjects allow ${room}: short by ${need - room} replica(s)`,
          );
        }
      }
      // GPUs, per class, over every survivor's pools.
      const classes = [...new Set([...loads.values()].map((l) => l.gpuClass))].sort();
      for (const cls of classes) {
        const have = survivors.reduce((s, r) => s + (poolGpus.get(`${cls}@${r}`) ?? 0), 0);
        const ownGpus = [...loads.values()].filter((l) => l.gpuClass === cls && l.region !== lost).reduce((s, l) => s + l.minGpus, 0);
        const movedGpus = [...loads.values()]
          .filter((l) => l.gpuClass === cls && l.region === lost && routed.get(l.endpoint)?.has(lost) && survivors.some((r) => routed.get(l.endpoint)?.has(r)))
          .reduce((s, l) => s + l.liveMin * l.gpusPerReplica, 0);
        if (movedGpus > 0 && have < ownGpus + movedGpus) {
          report(
            `losing ${lost}: the ${cls} pools of ${survivors.join(", ")} hold at most ${have} GPUs, the survivors' own minimum (${ownGpus}) plus ${lost}'s re-homed minimum (${movedGpus}) needs ${ownGpus + movedGpus}: short by ${ownGpus + movedGpus - have} GPU(s)`,
          );
        }
      }
    }
  },
};
