/**
 * GPU classes and the EC2 instance types that belong to each.
 *
 * Figures from the AWS EC2 accelerated-computing instance pages
 * (https://aws.amazon.com/ec2/instance-types/p5/ and /g6/), read 2026-11-25.
 */

export const GPU_CLASSES = ["h100", "l4"] as const;
export type GpuClass = (typeof GPU_CLASSES)[number];

export interface GpuInstanceSpec {
  readonly instanceType: string;
  readonly gpuClass: GpuClass;
  /** GPUs per instance. */
  readonly gpus: number;
  /** Memory of one GPU in GiB (HBM3 on H100, GDDR6 on L4). */
  readonly gpuMemoryGiB: number;
  readonly vcpus: number;
  readonly memoryGiB: number;
  /**
   * Local NVMe instance store in GiB (0 when EBS only): image layers and caches go there (RAID0 by the
   * node class). Instance pages as above, read 2026-11-25: p5.48xlarge 8 x 3840 GB; g6 1 x 250 / 450 /
   * 600 / 900 GB (xlarge to 8xlarge), 2 x 940 GB (16xlarge), 4 x 940 GB (12xlarge, 24xlarge), 8 x 940 GB (48xlarge).
   */
  readonly instanceStoreGiB: number;
}

export interface GpuClassSpec {
  readonly gpuClass: GpuClass;
  /** Product name, for messages and dashboards. */
  readonly product: string;
  /** Node label value applied under GPU_CLASS_LABEL. */
  readonly label: string;
  readonly instances: readonly GpuInstanceSpec[];
}

/** Decimal GB of an instance page to GiB, rounded down. */
const gb = (n: number) => Math.floor((n * 1e9) / 1024 ** 3);
const h100 = (instanceType: string, gpus: number, vcpus: number, memoryGiB: number, instanceStoreGB: number): GpuInstanceSpec => ({
  instanceType,
  gpuClass: "h100",
  gpus,
  gpuMemoryGiB: 80,
  vcpus,
  memoryGiB,
  instanceStoreGiB: gb(instanceStoreGB),
});
const l4 = (instanceType: string, gpus: number, vcpus: number, memoryGiB: number, instanceStoreGB: number): GpuInstanceSpec => ({
  instanceType,
  gpuClass: "l4",
  gpus,
  gpuMemoryGiB: 24,
  vcpus,
  memoryGiB,
  instanceStoreGiB: gb(instanceStoreGB),
});

export const GPU_CLASS_SPECS: Readonly<Record<GpuClass, GpuClassSpec>> = {
  h100: {
    gpuClass: "h100",
    product: "NVIDIA H100 80GB",
    label: "h100",
    instances: [h100("p5.48xlarge", 8, 192, 2048, 8 * 3840)],
  },
  l4: {
    gpuClass: "l4",
    product: "NVIDIA L4 24GB",
    label: "l4",
    instances: [
      l4("g6.xlarge", 1, 4, 16, 250),
      l4("g6.2xlarge", 1, 8, 32, 450),
      l4("g6.4xlarge", 1, 16, 64, 600),
      l4("g6.8xlarge", 1, 32, 128, 900),
      l4("g6.16xlarge", 1, 64, 256, 2 * 940),
      l4("g6.12xlarge", 4, 48, 192, 4 * 940),
      l4("g6.24xlarge", 4, 96, 384, 4 * 940),
      l4("g6.48xlarge", 8, 192, 768, 8 * 940),
    ],
  },
};

/** Node label that carries the GPU class; workloads select on it. */
export const GPU_CLASS_LABEL = "gpu.class";
/** Taint key on every GPU node: the NVIDIA device plugin's resource name, the common convention. */
export const GPU_TAINT_KEY = "nvidia.com/gpu";
export const GPU_RESOURCE_NAME = "nvidia.com/gpu";

/** EKS AMI type with the NVIDIA driver and container toolkit baked in (AL2 GPU AMIs reached end of support in 2025). */
export const GPU_AMI_TYPE = "AL2023_x86_64_NVIDIA";
export const SYSTEM_AMI_TYPE = "AL2023_x86_64_STANDARD";

export function instanceTypesOf(gpuClass: GpuClass): string[] {
  return GPU_CLASS_SPECS[gpuClass].instances.map((i) => i.instanceType);
}

export function gpuInstanceSpec(instanceType: string): GpuInstanceSpec | undefined {
  for (const cls of GPU_CLASSES) {
    const found = GPU_CLASS_SPECS[cls].instances.find((i) => i.instanceType === instanceType);
    if (found) return found;
  }
  return undefined;
}
