/**
 * Who declares each ACM DNS validation record. ACM's validation CNAME belongs to a domain and an
 * account: every certificate of the account that names the domain (in any region, wildcard or not)
 * is validated by the same record (ACM user guide "DNS validation", read 2026-11-25). So a record is
 * declared once, named after its domain, whatever number of certificates need it.
 */

export interface CertificateDomains {
  readonly region: string;
  /** Domain names of the region's certificate, primary first. */
  readonly domains: readonly string[];
}

export interface ValidationOwner {
  /** The domain as the certificate names it (the key of its validation option). */
  readonly domain: string;
  /** The region whose certificate supplies the record's name and value (the first that names it). */
  readonly source: string;
  /** Every region whose certificate this record validates. */
  readonly regions: readonly string[];
  readonly shared: boolean;
  /** Logical name: the same whether one region or several need the record, so adding or removing a region never replaces it. */
  readonly recordName: string;
}

/** `*.example.com` and `example.com` share ACM's validation record. */
export function validatedDomain(domain: string): string {
  return domain.replace(/^\*\./, "").toLowerCase();
}

export function validationOwners(certificates: readonly CertificateDomains[]): ValidationOwner[] {
  const byDomain = new Map<string, { domain: string; regions: string[] }>();
  for (const { region, domains } of certificates) {
    for (const domain of domains) {
      const key = validatedDomain(domain);
      const entry = byDomain.get(key) ?? { domain, regions: [] };
      if (!entry.regions.includes(region)) entry.regions.push(region);
      byDomain.set(key, entry);
    }
  }
  return [...byDomain.entries()].map(([key, { domain, regions }]) => ({
    domain,
    source: regions[0],
    regions,
    shared: regions.length > 1,
    recordName: `acm-validation-${key}`,
  }));
}
