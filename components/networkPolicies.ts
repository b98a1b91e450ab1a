import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ALLOWS_RELEASE_LABEL, DEFAULT_DENY_POLICY, defaultDenySpec, NetworkPolicyDecl } from "../lib/networkPolicy";

/**
 * Declares a namespace's default deny and its allow policies (lib/networkPolicy.ts) as children of
 * `opts.parent`, named `<prefix>-<policy>`. Returns them so releases can wait for their flows.
 */
export function declareNetworkPolicies(
  prefix: string,
  namespace: pulumi.Input<string>,
  allows: readonly NetworkPolicyDecl[],
  opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.NetworkPolicy[] {
  return [{ name: DEFAULT_DENY_POLICY, spec: defaultDenySpec() } as NetworkPolicyDecl, ...allows].map(
    (p) =>
      new k8s.networking.v1.NetworkPolicy(
        `${prefix}-${p.name}`,
        {
          metadata: { name: p.name, namespace, ...(p.allowsRelease ? { labels: { [ALLOWS_RELEASE_LABEL]: p.allowsRelease } } : {}) },
          spec: p.spec as k8s.types.input.networking.v1.NetworkPolicySpec,
        },
        opts,
      ),
  );
}
