import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { HelmChartPin } from "./baseline";

/**
 * A Helm release of a pinned chart: an exact version, atomic upgrades that roll back on failure,
 * and a bounded wait. helm.v3.Release (not v4.Chart) so each release is one resource the plan and
 * the policy pack can inspect. OCI charts (chart starting with oci://) take no repository.
 */
export function pinnedRelease(
  name: string,
  pin: HelmChartPin,
  namespace: pulumi.Input<string>,
  values: pulumi.Input<Record<string, unknown>>,
  opts: pulumi.CustomResourceOptions,
  extra: { createNamespace?: boolean; releaseName?: string; skipCrds?: boolean } = {},
): k8s.helm.v3.Release {
  const oci = pin.chart.startsWith("oci://");
  return new k8s.helm.v3.Release(
    name,
    {
      name: extra.releaseName ?? pin.chart.split("/").pop(),
      chart: pin.chart,
      version: pin.version,
      ...(oci ? {} : { repositoryOpts: { repo: pin.repo } }),
      namespace,
      createNamespace: extra.createNamespace ?? false,
      // A chart whose CRDs come from their own release (Helm never upgrades a chart's crds/ directory).
      ...(extra.skipCrds ? { skipCrds: true } : {}),
      values,
      atomic: true,
      cleanupOnFail: true,
      timeout: 600,
    },
    opts,
  );
}
