/**
 * AWS region codes and availability-zone letters a stack may name.
 *
 * Region codes: the `Region` enum of @pulumi/aws 7.48.0 (types/enums/index.d.ts), the provider this
 * project pins, read 2026-11-25. test/lib/stackfile.test.ts compares this list with the installed
 * package so that a provider upgrade that adds a region shows up as a failing test, not as a refusal.
 *
 * Zone letters: an AZ name is its region code plus one letter ("AWS Availability Zones",
 * https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html, read
 * 2026-11-25: "The code for an Availability Zone is its Region code followed by a letter identifier").
 * Letters are listed only for regions whose zone count was checked (us-east-1: 6, us-east-2: 3,
 * us-west-1: 3, us-west-2: 4; same page and the AWS Global Infrastructure region list). In the oldest
 * regions letters map to zones per account, and us-west-1 offers an account only two of its three;
 * `aws ec2 describe-availability-zones --region <r>` shows yours. Other regions: any single letter.
 */

export const AWS_REGIONS = [
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "mx-central-1",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "cn-north-1",
  "cn-northwest-1",
  "eusc-de-east-1",
  "us-gov-east-1",
  "us-gov-west-1",
  "us-iso-east-1",
  "us-iso-west-1",
  "us-isob-east-1",
  "us-isob-west-1",
  "eu-isoe-west-1",
  "us-isof-east-1",
  "us-isof-south-1",
] as const;

export type AwsRegion = (typeof AWS_REGIONS)[number];

/** Zone letters per region, where the zone count is known (see the header). */
export const AZ_LETTERS: Readonly<Partial<Record<AwsRegion, string>>> = {
  "us-east-1": "abcdef",
  "us-east-2": "abc",
  "us-west-1": "abc",
  "us-west-2": "abcd",
};

export function isAwsRegion(code: string): code is AwsRegion {
  return (AWS_REGIONS as readonly string[]).includes(code);
}

/** Why `az` is not a zone of `region`, or undefined when it is (or may be: letters unknown). */
export function azProblem(region: string, az: string): string | undefined {
  const letters = isAwsRegion(region) ? AZ_LETTERS[region] : undefined;
  const allowed = letters ? letters.split("").map((l) => `${region}${l}`).join(", ") : `${region}a, ${region}b, ...`;
  const m = new RegExp(`^${region.replace(/[-]/g, "\\-")}([a-z])$`).exec(az);
  if (!m) return `"${az}" is not a zone of ${region}: a zone is the region code plus one letter; allowed: ${allowed}`;
  if (letters && !letters.includes(m[1])) return `"${az}" is not a zone of ${region}, which has ${letters.length}; allowed: ${allowed}`;
  return undefined;
}
