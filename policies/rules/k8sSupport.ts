import type { ResourceValidationPolicy } from "@pulumi/policy";
import { CALENDAR_VERSIONS, describeSupport, STANDARD_SUPPORT_WARNING_DAYS, utcDay, versionSupport } from "../../lib/k8sCalendar";
import { str, TYPES } from "./common";

/**
 * The Kubernetes version each EKS cluster declares (its `version` input, read from the plan) against
 * the EKS version calendar on a given day. Two policies so each carries its own level: leaving standard
 * support blocks (mandatory in prod and staging: the control plane bills $0.60/h instead of $0.10/h and
 * gets no new minor fixes), the 90-day runway only warns (advisory). `today` is a clock the tests set;
 * the pack uses the UTC date of the run.
 */

export const KUBERNETES_STANDARD_SUPPORT = "kubernetes-version-in-standard-support";
export const KUBERNETES_SUPPORT_RUNWAY = "kubernetes-version-support-runway";

export function kubernetesVersionInStandardSupport(today: () => string = () => utcDay()): ResourceValidationPolicy {
  return {
    name: KUBERNETES_STANDARD_SUPPORT,
    description: "Every EKS cluster pins a Kubernetes version that is in EKS standard support today (lib/k8sCalendar.ts); past it the cluster bills the extended-support rate.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
      if (args.type !== TYPES.eksCluster) return;
      const version = str(args.props.version);
      if (version === undefined) {
        report(`version is unset, so EKS picks its default and the support phase is unknown; pin cluster.kubernetesVersion to one of ${CALENDAR_VERSIONS.join(", ")}`);
        return;
      }
      const support = versionSupport(version, today());
      if (!support) {
        report(`Kubernetes ${version} is not in the EKS version calendar (lib/k8sCalendar.ts: ${CALENDAR_VERSIONS.join(", ")}); add its dates with their source before pinning it`);
        return;
      }
      if (support.phase !== "standard") report(`${describeSupport(support)}; move cluster.kubernetesVersion to a version in standard support (one minor at a time)`);
    },
  };
}

export function kubernetesVersionSupportRunway(today: () => string = () => utcDay()): ResourceValidationPolicy {
  return {
    name: KUBERNETES_SUPPORT_RUNWAY,
    description: `Warns when an EKS cluster's Kubernetes version leaves standard support within ${STANDARD_SUPPORT_WARNING_DAYS} days.`,
    enforcementLevel: "advisory",
    validateResource: (args, report) => {
      if (args.type !== TYPES.eksCluster) return;
      const version = str(args.props.version);
      const support = version === undefined ? undefined : versionSupport(version, today());
      // Unset, unknown and past-standard versions are kubernetes-version-in-standard-support's to report.
      if (support?.endingSoon) report(describeSupport(support));
    },
  };
}
