import * as acm from "@pulumi/aws/acm";
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as route53 from "@pulumi/aws/route53";
import * as pulumi from "@pulumi/pulumi";
import { validationOwners } from "../lib/certificates";
import { regionCode } from "../lib/naming";

export interface EntryCertificatesArgs {
  readonly zoneId: string;
  readonly zoneName: string;
  /** The regions with a public entry, each with its aws provider (certificates are regional). */
  readonly regions: readonly { readonly region: string; readonly provider: AwsProvider }[];
  /** Provider of the validation records (Route 53 is global). */
  readonly globalProvider: AwsProvider;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * The regional entries' TLS certificates and their DNS validation, with one owner per record. Each
 * region's certificate covers `*.<region code>.<zone>` (its regional names) and `*.<zone>` (the global
 * names that resolve to it). ACM's validation CNAME belongs to the domain and the account, not to a
 * certificate or a region (ACM user guide "DNS validation", read 2026-11-25: "Since the CNAME
 * validation token works for any AWS Region, you can re-create the same certificate in multiple
 * Regions"), so the `*.<zone>` record is one record for every region: it is declared once here,
 * under the platform, not by each region with allowOverwrite, and removing a region never deletes
 * the record the others renew with. Records are named after their domain (lib/certificates.ts), so one
 * that a second region starts to need is not replaced.
 */
export class EntryCertificates extends pulumi.ComponentResource {
  /** Validated certificate ARN per region. */
  readonly certificateArns: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: EntryCertificatesArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.regions.length === 0) throw new Error(`EntryCertificates ${name}: no regions`);
    super("llm-blueprint:traffic:EntryCertificates", name, {}, opts);
    const tags = args.tags ?? {};

    const domainsOf = (region: string) => [`*.${regionCode(region)}.${args.zoneName}`, `*.${args.zoneName}`];
    const certificates = new Map(
      args.regions.map(({ region, provider }) => {
        const [domainName, ...sans] = domainsOf(region);
        const certificate = new acm.Certificate(
          `${region}-entry-cert`,
          { domainName, subjectAlternativeNames: sans, validationMethod: "DNS", keyAlgorithm: "EC_prime256v1", tags },
          { parent: this, provider },
        );
        return [region, certificate] as const;
      }),
    );

    // One record per validated domain; its name and value come from the first certificate naming it
    // (identical in every certificate of the account). AWS returns the options as a set: pick by domain.
    const owners = validationOwners(args.regions.map(({ region }) => ({ region, domains: domainsOf(region) })));
    const recordFqdns = new Map<string, pulumi.Output<string>[]>(args.regions.map(({ region }) => [region, []]));
    for (const owner of owners) {
      const option = certificates.get(owner.source)!.domainValidationOptions.apply((options) => {
        const found = options.find((o) => o.domainName === owner.domain);
        if (!found) throw new Error(`EntryCertificates ${name}: ACM returned no DNS validation option for ${owner.domain} (got ${options.map((o) => o.domainName).join(", ")})`);
        return found;
      });
      const record = new route53.Record(
        owner.recordName,
        { zoneId: args.zoneId, name: option.resourceRecordName, type: option.resourceRecordType, records: [option.resourceRecordValue], ttl: 300 },
        // Route 53 is global: every record on one provider, so a record that becomes shared is not replaced.
        { parent: this, provider: args.globalProvider },
      );
      for (const region of owner.regions) recordFqdns.get(region)!.push(record.fqdn);
    }

    this.certificateArns = {};
    for (const { region, provider } of args.regions) {
      const validation = new acm.CertificateValidation(
        `${region}-entry-cert`,
        { certificateArn: certificates.get(region)!.arn, validationRecordFqdns: recordFqdns.get(region)! },
        { parent: this, provider },
      );
      this.certificateArns[region] = validation.certificateArn;
    }
    this.registerOutputs({ certificateArns: this.certificateArns });
  }
}
