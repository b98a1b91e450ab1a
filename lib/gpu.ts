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
}

export interface GpuClassSpec {
  readonly gpuClass: GpuClass;
  /** Product name, for messages and dashboards. */
  readonly product: string;
  /** Node label value applied under GPU_CLASS_LABEL. */
  readonly label: string;
  readonly instances: readonly GpuInstanceSpec[];
}

const h100 = (instanceType: string, gpus: number, vcpus: number, memoryGiB: number): GpuInstanceSpec => ({
  instanceType,
  gpuClass: "h100",
  gpus,
  gpuMemoryGiB: 80,
  vcpus,
  memoryGiB,
});
const l4 = (instanceType: string, gpus: number, vcpus: number, memoryGiB: number): GpuInstanceSpec => ({
  instanceType,
  gpuClass: "l4",
  gpus,
  gpuMemoryGiB: 24,
  vcpus,
  memoryGiB,
});

export const GPU_CLASS_SPECS: Readonly<Record<GpuClass, GpuClassSpec>> = {
  h100: {
    gpuClass: "h100",
    product: "NVIDIA H100 80GB",
    label: "h100",
    instances: [h100("p5.48xlarge", 8, 192, 2048)],
  },
  l4: {
    gpuClass: "l4",
    product: "NVIDIA L4 24GB",
    label: "l4",
    instances: [
      l4("g6.xlarge", 1, 4, 16),
      l4("g6.2xlarge", 1, 8, 32),
      l4("g6.4xlarge", 1, 16, 64),
      l4("g6.8xlarge", 1, 32, 128),
      l4("g6.16xlarge", 1, 64, 256),
      l4("g6.12xlarge", 4, 48, 192),
      l4("g6.24xlarge", 4, 96, 384),
      l4("g6.48xlarge", 8, 192, 768),
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
