import { GPU_CLASS_SPECS, GpuClass, gpuInstanceSpec } from "./gpu";

/**
 * Will a model version fit the GPUs it is scheduled on? Pure arithmetic, checked before any resource
 * exists. Per GPU, vLLM must hold its shard of the weights, enough KV cache for one sequence of
 * max-model-len (vLLM refuses to start otherwise), and runtime overhead, all within
 * gpu-memory-utilization x GPU memory.
 */

/** Bytes per parameter by weight format. */
export const BYTES_PER_PARAM = {
  bf16: 2,
  fp16: 2,
  fp8: 1,
  int8: 1,
  "awq-int4": 0.5,
  "gptq-int4": 0.5,
} as const;
export type WeightFormat = keyof typeof BYTES_PER_PARAM;

/**
 * CUDA context, activations and CUDA graphs per GPU. An assumption, not a measurement: vLLM's
 * profiling run typically reports 1-3 GiB on these models; 2 GiB keeps the check conservative.
 */
export const RUNTIME_OVERHEAD_GIB = 2;

const GIB = 1024 ** 3;

export interface SizingInput {
  readonly parametersBillions: number;
  readonly weightFormat: WeightFormat;
  /** KV-cache bytes one token needs across all layers: 2 x layers x kv-heads x head-dim x kv dtype bytes. */
  readonly kvCacheBytesPerToken: number;
  readonly tensorParallelSize: number;
  readonly maxModelLen: number;
  readonly gpuMemoryUtilization: number;
  readonly instanceType: string;
}

export interface SizingResult {
  readonly fits: boolean;
  readonly gpuClass: GpuClass;
  readonly gpusPerNode: number;
  readonly weightsPerGpuGiB: number;
  readonly kvReservePerGpuGiB: number;
  readonly requiredPerGpuGiB: number;
  readonly availablePerGpuGiB: number;
  /** Replicas one node holds: gpusPerNode / tensorParallelSize. */
  readonly replicasPerNode: number;
  readonly problems: string[];
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function perGpu(input: SizingInput, tp: number) {
  const weights = (input.parametersBillions * 1e9 * BYTES_PER_PARAM[input.weightFormat]) / tp / GIB;
  const kv = (input.maxModelLen * input.kvCacheBytesPerToken) / tp / GIB;
  return { weights, kv, required: weights + kv + RUNTIME_OVERHEAD_GIB };
}

/** Tensor-parallel sizes that use a node's GPUs without stranding any: the divisors of its GPU count. */
export function validTensorParallelSizes(gpusPerNode: number): number[] {
  return Array.from({ length: gpusPerNode }, (_, i) => i + 1).filter((tp) => gpusPerNode % tp === 0);
}

export function checkSizing(input: SizingInput): SizingResult {
  const spec = gpuInstanceSpec(input.instanceType);
  if (!spec) throw new Error(`unknown GPU instance type ${input.instanceType}`);
  const tp = input.tensorParallelSize;
  const available = spec.gpuMemoryGiB * input.gpuMemoryUtilization;
  const { weights, kv, required } = perGpu(input, tp);
  const problems: string[] = [];
  const product = GPU_CLASS_SPECS[spec.gpuClass].product;

  if (tp > spec.gpus) {
    problems.push(`tensor-parallel ${tp} needs ${tp} GPUs but ${input.instanceType} has ${spec.gpus}; allowed: ${validTensorParallelSizes(spec.gpus).join(", ")}`);
  } else if (spec.gpus % tp !== 0) {
    problems.push(`tensor-parallel ${tp} strands ${spec.gpus % tp} of the ${spec.gpus} GPUs of ${input.instanceType}; allowed: ${validTensorParallelSizes(spec.gpus).join(", ")}`);
  }
  if (required > available) {
    const fitting = validTensorParallelSizes(spec.gpus).find((t) => t > tp && perGpu(input, t).required <= available);
    const advice = fitting
      ? `needs tensor-parallel ${fitting} on ${spec.gpuClass} (${input.instanceType})`
      : `does not fit on ${spec.gpuClass} even at tensor-parallel ${spec.gpus}; use a larger GPU class, a smaller weight format or a shorter max-model-len`;
    problems.push(
      `needs ${round(required)} GiB per GPU (weights ${round(weights)} + KV cache for one ${input.maxModelLen}-token sequence ${round(kv)} + overhead ${RUNTIME_OVERHEAD_GIB}) ` +
        `but ${product} x ${input.gpuMemoryUtilization} gives ${round(available)} GiB: ${advice}`,
    );
  }
  return {
    fits: problems.length === 0,
    gpuClass: spec.gpuClass,
    gpusPerNode: spec.gpus,
    weightsPerGpuGiB: round(weights),
    kvReservePerGpuGiB: round(kv),
    requiredPerGpuGiB: round(required),
    availablePerGpuGiB: round(available),
    replicasPerNode: spec.gpus % tp === 0 && tp <= spec.gpus ? spec.gpus / tp : 0,
    problems,
  };
}
