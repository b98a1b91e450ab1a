/**
 * Gateway listener port the proxies take TLS-terminated traffic on from the regional NLB (plain
 * HTTP inside the VPC). It must be 1024 or higher so the proxy container listens on this same port:
 * Envoy Gateway runs Envoy without CAP_NET_BIND_SERVICE and adds 10000 to any listener port below
 * 1024 for the container (listener 443 -> container 10443), while the Service it creates keeps the
 * listener port with that container port as targetPort, one Service port per listener, named by
 * `envoyService.name` in the controller's namespace. envoyproxy/gateway v1.7.4:
 * internal/gatewayapi/listener.go (servicePortToContainerPort), internal/gatewayapi/translator.go
 * (minEphemeralPort 1024, wellKnownPortShift 10000), internal/infrastructure/kubernetes/proxy/
 * resource_provider.go (Service), read 2026-11-25. The NLB registers the pod port (TargetGroupBinding
 * with targetType ip resolves the Service's targetPort on the pod; see RegionalIngress).
 */
export const OFFLOAD_PORT = 8443;
