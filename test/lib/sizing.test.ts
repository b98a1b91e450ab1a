import { describe, expect, it } from "vitest";
import { checkSizing, SizingInput, validTensorParallelSizes } from "../../lib/sizing";

// Llama-3.1-70B: 80 layers, 8 KV heads, head dim 128, bf16 KV -> 2*80*8*128*2 = 327,680 bytes per token.
const llama70b: Omit<SizingInput, "tensorParallelSize" | "instanceType"> = {
  parametersBillions: 70.6,
  weightFormat: "bf16",
  kvCacheBytesPerToken: 327_680,
  maxModelLen: 32_768,
  gpuMemoryUtilization: 0.9,
};

describe("sizing", () => {
  it("70B bf16 fits H100 at tensor-parallel 4, two replicas per p5.48xlarge", () => {
    const r = checkSizing({ ...llama70b, tensorParallelSize: 4, instanceType: "p5.48xlarge" });
    // 70.6e9 * 2 B / 4 / 2^30 = 32.9 GiB weights; 32768 * 327680 / 4 / 2^30 = 2.5 GiB KV; + 2 overhead.
    expect(r).toMatchObject({ fits: true, weightsPerGpuGiB: 32.9, kvReservePerGpuGiB: 2.5, requiredPerGpuGiB: 37.4, availablePerGpuGiB: 72, replicasPerNode: 2 });
  });

  it("70B bf16 at tensor-parallel 1 on H100 is refused with the tensor-parallel that fits", () => {
    const r = checkSizing({ ...llama70b, tensorParallelSize: 1, instanceType: "p5.48xlarge" });
    expect(r.fits).toBe(false);
    // tp 2 would need 65.7 + 5.0 + 2 = 72.7 GiB > 72 GiB, so 4 is the smallest that fits.
    expect(r.problems).toEqual([
      "needs 143.5 GiB per GPU (weights 131.5 + KV cache for one 32768-token sequence 10 + overhead 2) but NVIDIA H100 80GB x 0.9 gives 72 GiB: needs tensor-parallel 4 on h100 (p5.48xlarge)",
    ]);
  });

  it("70B bf16 does not fit the 4 L4s of a g6.12xlarge, but does fit the 8 of a g6.48xlarge", () => {
    const r = checkSizing({ ...llama70b, tensorParallelSize: 4, instanceType: "g6.12xlarge" });
    expect(r.fits).toBe(false);
    expect(r.problems[0]).toContain("does not fit on l4 even at tensor-parallel 4");
    // 141.2 GB / 8 = 16.4 GiB + 1.25 KV + 2 = 19.7 GiB <= 24 x 0.9 = 21.6 GiB
    expect(checkSizing({ ...llama70b, tensorParallelSize: 8, instanceType: "g6.48xlarge" })).toMatchObject({ fits: true, requiredPerGpuGiB: 19.7 });
  });

  it("a tensor-parallel size that strands GPUs, or exceeds the node, is refused", () => {
    const stranding = checkSizing({ ...llama70b, tensorParallelSize: 3, instanceType: "p5.48xlarge" });
    expect(stranding.problems).toContain("tensor-parallel 3 strands 2 of the 8 GPUs of p5.48xlarge; allowed: 1, 2, 4, 8");
    const tooWide = checkSizing({ ...llama70b, parametersBillions: 8, tensorParallelSize: 8, instanceType: "g6.12xlarge" });
    expect(tooWide.problems).toContain("tensor-parallel 8 needs 8 GPUs but g6.12xlarge has 4; allowed: 1, 2, 4");
    expect(tooWide.replicasPerNode).toBe(0);
  });

  it("an 8B bf16 model fits one L4", () => {
    const r = checkSizing({ parametersBillions: 8.03, weightFormat: "bf16", kvCacheBytesPerToken: 131_072, maxModelLen: 8192, gpuMemoryUtilization: 0.9, tensorParallelSize: 1, instanceType: "g6.2xlarge" });
    expect(r.fits).toBe(true);
    expect(r.requiredPerGpuGiB).toBeLessThanOrEqual(r.availablePerGpuGiB);
  });

  it("valid tensor-parallel sizes are the divisors of the node's GPU count", () => {
    expect(validTensorParallelSizes(8)).toEqual([1, 2, 4, 8]);
    expect(validTensorParallelSizes(4)).toEqual([1, 2, 4]);
    expect(validTensorParallelSizes(1)).toEqual([1]);
  });
});
