/**
 * The EKS Kubernetes version calendar: per minor version, when EKS released it, when standard support
 * ends and when extended support ends. The plan prices each control plane by it (standard or extended
 * support rate) and the pack warns before a pinned version leaves standard support.
 *
 * Dates are UTC days. "Billing for extended support starts at the beginning of the day that the version
 * reaches end of standard support, in the UTC+0 timezone" (EKS user guide, kubernetes-versions, release
 * calendar), so on its end-of-standard-support date a version is already in extended support.
 */

export interface CalendarSource {
  readonly url: string;
  /** When the figures were read (YYYY-MM-DD). */
  readonly read: string;
  readonly note?: string;
}

export interface EksVersionDates {
  /** Amazon EKS release (YYYY-MM-DD, UTC). */
  readonly eksRelease: string;
  /** First day of extended support: standard support covers the days before it. */
  readonly endOfStandardSupport: string;
  /** First day with no support: EKS auto-upgrades the control plane after it. */
  readonly endOfExtendedSupport: string;
  readonly source: CalendarSource;
}

const EKS_USER_GUIDE: CalendarSource = {
  url: "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar",
  read: "2026-11-25",
  note: "awsdocs/amazon-eks-user-guide latest/ug/versioning/kubernetes-versions.adoc at 0138560 (1.29-1.34 rows)",
};
const RELEASE_135: CalendarSource = {
  url: "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar",
  read: "2026-11-25",
  note: "1.35 row (EKS release January 27, 2026; March 27, 2027; March 27, 2028) as quoted from the AWS lifecycle table by endoflife.date/amazon-eks and aws-samples sample-apex-skills (verified 2026-04-24); the stored copy of the adoc predates it",
};
const RELEASE_136: CalendarSource = {
  url: "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions-standard.html",
  read: "2026-11-25",
  note: "1.36 is listed on the standard-support release notes; EKS release June 2, 2026 and end of standard support August 2, 2027 from devopsdreams.blogspot.com (2026-08-16, 'Kubernetes 1.36 on Amazon EKS'); end of extended support = +12 months (user guide rule). Confirm with `aws eks describe-cluster-versions --cluster-versions 1.36`",
};

export const EKS_VERSION_CALENDAR: Readonly<Record<string, EksVersionDates>> = {
  "1.29": { eksRelease: "2024-01-23", endOfStandardSupport: "2025-03-23", endOfExtendedSupport: "2026-03-23", source: EKS_USER_GUIDE },
  "1.30": { eksRelease: "2024-05-23", endOfStandardSupport: "2025-07-23", endOfExtendedSupport: "2026-07-23", source: EKS_USER_GUIDE },
  "1.31": { eksRelease: "2024-09-26", endOfStandardSupport: "2025-11-26", endOfExtendedSupport: "2026-11-26", source: EKS_USER_GUIDE },
  "1.32": { eksRelease: "2025-01-23", endOfStandardSupport: "2026-03-23", endOfExtendedSupport: "2027-03-23", source: EKS_USER_GUIDE },
  "1.33": { eksRelease: "2025-05-29", endOfStandardSupport: "2026-07-29", endOfExtendedSupport: "2027-07-29", source: EKS_USER_GUIDE },
  "1.34": { eksRelease: "2025-10-02", endOfStandardSupport: "2026-12-02", endOfExtendedSupport: "2027-12-02", source: EKS_USER_GUIDE },
  "1.35": { eksRelease: "2026-01-27", endOfStandardSupport: "2027-03-27", endOfExtendedSupport: "2028-03-27", source: RELEASE_135 },
  "1.36": { eksRelease: "2026-06-02", endOfStandardSupport: "2027-08-02", endOfExtendedSupport: "2028-08-02", source: RELEASE_136 },
};

/** The plan warns this many days (or fewer) before a pinned version leaves standard support. */
export const STANDARD_SUPPORT_WARNING_DAYS = 90;

/** Where a version stands on a given day. */
export type SupportPhase = "not yet released" | "standard" | "extended" | "unsupported";

export interface VersionSupport {
  readonly version: string;
  readonly phase: SupportPhase;
  readonly dates: EksVersionDates;
  /** Days from `today` to the end of standard support (0 on that date, negative after it). */
  readonly daysToEndOfStandardSupport: number;
  /** True when standard support ends within STANDARD_SUPPORT_WARNING_DAYS (and has not ended). */
  readonly endingSoon: boolean;
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A UTC day as YYYY-MM-DD: the date the CLI plans against. */
export function utcDay(d: Date = new Date()): string {
  return d.toISOString().slice(0, 10);
}

function dayNumber(day: string, what: string): number {
  const t = ISO_DAY.test(day) ? Date.parse(`${day}T00:00:00Z`) : NaN;
  if (Number.isNaN(t) || utcDay(new Date(t)) !== day) throw new Error(`${what}: "${day}" is not a date (YYYY-MM-DD)`);
  return t / 86_400_000;
}

/** Whole days from `from` to `to` (UTC dates). */
export function daysBetween(from: string, to: string): number {
  return dayNumber(to, "date") - dayNumber(from, "date");
}

/**
 * The support phase of an EKS minor version on `today`, or undefined when the calendar does not list
 * it (callers fail closed: an unknown version is neither priced nor passed as supported).
 */
export function versionSupport(version: string, today: string): VersionSupport | undefined {
  const dates = Object.prototype.hasOwnProperty.call(EKS_VERSION_CALENDAR, version) ? EKS_VERSION_CALENDAR[version] : undefined;
  dayNumber(today, "today");
  if (!dates) return undefined;
  const days = daysBetween(today, dates.endOfStandardSupport);
  const phase: SupportPhase =
    daysBetween(dates.eksRelease, today) < 0 ? "not yet released" : days > 0 ? "standard" : daysBetween(today, dates.endOfExtendedSupport) > 0 ? "extended" : "unsupported";
  return { version, phase, dates, daysToEndOfStandardSupport: days, endingSoon: phase === "standard" && days <= STANDARD_SUPPORT_WARNING_DAYS };
}

/** One line for people: where the version stands and what to do. */
export function describeSupport(s: VersionSupport): string {
  const d = s.dates;
  switch (s.phase) {
    case "standard":
      return `Kubernetes ${s.version} is in EKS standard support until ${d.endOfStandardSupport} (${s.daysToEndOfStandardSupport} days)${s.endingSoon ? `; plan the upgrade now: from ${d.endOfStandardSupport} the control plane bills the extended-support rate` : ""}`;
    case "extended":
      return `Kubernetes ${s.version} left EKS standard support on ${d.endOfStandardSupport} (${-s.daysToEndOfStandardSupport} days ago); each cluster bills the extended-support rate until upgraded (extended support ends ${d.endOfExtendedSupport})`;
    case "unsupported":
      return `Kubernetes ${s.version} reached the end of EKS extended support on ${d.endOfExtendedSupport}; EKS auto-upgrades the control plane at any time`;
    case "not yet released":
      return `Kubernetes ${s.version} is not released on EKS until ${d.eksRelease}`;
  }
}

/** The calendar's versions, as a list for messages. */
export const CALENDAR_VERSIONS = Object.keys(EKS_VERSION_CALENDAR);
