import { readYamlFile } from "./inputFile";
import { z } from "zod";

/** The price file the plan's cost estimate reads (pricing/aws-on-demand.yaml): figures with source and date. */
const source = z.string().min(1);
const hourlyTable = z.object({ source, hourly: z.record(z.string(), z.number().positive()) });
const priced = z.object({ source, price: z.number().positive() });
export const priceFileSchema = z.object({
  currency: z.literal("USD"),
  hoursPerMonth: z.number().positive(),
  sources: z.record(z.string(), z.object({ url: z.url(), read: z.iso.date(), note: z.string().optional() })),
  regions: z.record(
    z.string(),
    z.object({
      ec2: hourlyTable,
      "ec2-p5": hourlyTable.optional(),
      ebsGp3GbMonth: priced,
      eksClusterHour: priced,
      /** A control plane on a Kubernetes version past EKS standard support (lib/k8sCalendar.ts). */
      eksClusterExtendedHour: priced,
      natGatewayHour: priced,
      nlbHour: priced,
    }),
  ),
  global: z.object({
    route53HealthCheckMonth: z.object({ source, basic: z.number().positive(), perOptionalFeature: z.number().positive() }),
    cloudwatchAlarmMonth: priced,
  }),
});
export type PriceFile = z.infer<typeof priceFileSchema>;
export type RegionPrices = PriceFile["regions"][string];

export function readPriceFile(file: string): PriceFile {
  const parsed = priceFileSchema.safeParse(readYamlFile(file));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const prices = parsed.data;
  // Every figure must name a listed source, so nobody reads a number without knowing where it came from.
  const named = [
    ...Object.values(prices.regions).flatMap((r) => [r.ec2.source, r["ec2-p5"]?.source, r.ebsGp3GbMonth.source, r.eksClusterHour.source, r.eksClusterExtendedHour.source, r.natGatewayHour.source, r.nlbHour.source]),
    prices.global.route53HealthCheckMonth.source,
    prices.global.cloudwatchAlarmMonth.source,
  ].filter((s): s is string => s !== undefined);
  const unknown = [...new Set(named.filter((s) => !prices.sources[s]))];
  if (unknown.length > 0) throw new Error(`${file}: figures cite unknown sources: ${unknown.join(", ")}`);
  return prices;
}

/** On-demand hourly price of an instance type in a region with the source it cites, or undefined if the file has none. */
export function instanceHourly(prices: PriceFile, region: string, instanceType: string): { price: number; source: string } | undefined {
  const r = prices.regions[region];
  const table = [r?.ec2, r?.["ec2-p5"]].find((t) => t?.hourly[instanceType] !== undefined);
  return table ? { price: table.hourly[instanceType], source: table.source } : undefined;
}
