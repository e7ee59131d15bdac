/*===- BenchKernels.c - Freestanding kernels for the runtime benchmarks ---===*
 *
 * Built like the compiler's executables (and the runtime tests' kernels): a
 * shared object with no libc, no start files and no DT_NEEDED, embedded into
 * the benchmark's artifacts. The runtime computes nothing itself; these
 * stand in for generated kernels so that the runtime's own costs can be
 * measured without the compiler.
 *
 * Elementwise kernels split the elements of their last binding into one
 * contiguous chunk per workgroup (linear ids, x fastest), so every element
 * is computed by one workgroup in a fixed order: results are bit-identical
 * however the workgroups are scheduled.
 *
 *===----------------------------------------------------------------------===*/

#include "runtime/abi/KernelAbi.h"

#define KILN_EXPORT __attribute__((visibility("default")))

/* The [begin, end) element range of this workgroup out of n. */
static void chunkOf(const kiln_dispatch_state_t *d,
                    const kiln_workgroup_state_t *w, uint64_t n,
                    uint64_t *begin, uint64_t *end) {
  uint64_t count = (uint64_t)d->grid[0] * d->grid[1] * d->grid[2];
  uint64_t id = w->id[0] + (uint64_t)d->grid[0] *
                               (w->id[1] + (uint64_t)d->grid[1] * w->id[2]);
  uint64_t chunk = (n + count - 1) / count;
  *begin = id * chunk < n ? id * chunk : n;
  *end = *begin + chunk < n ? *begin + chunk : n;
}

/* The trivial kernel of the overhead benchmark: adds 1 to the u32 at
 * binding 0. */
KILN_EXPORT int32_t kiln_bench_touch(const kiln_dispatch_state_t *d,
                                     const kiln_workgroup_state_t *w) {
  (void)w;
  if (d->binding_count != 1 || d->binding_lengths[0] < 4) {
    return 1;
  }
  *(volatile uint32_t *)d->bindings[0] += 1;
  return 0;
}

/* Writes the address of binding 0 into binding 1 (u64), so the benchmark
 * can check where the runtime bound a constant. */
KILN_EXPORT int32_t kiln_bench_address(const kiln_dispatch_state_t *d,
                                       const kiln_workgroup_state_t *w) {
  (void)w;
  if (d->binding_count != 2 || d->binding_lengths[1] < 8) {
    return 1;
  }
  *(uint64_t *)d->bindings[1] = (uint64_t)d->bindings[0];
  return 0;
}

/* h = 32 rounds of v = (v * w + 0.125) * 0.5 + v * 0.25 from v = x (f32),
 * a few dozen flops per element; bindings: x, w, h. */
KILN_EXPORT int32_t kiln_bench_mix(const kiln_dispatch_state_t *d,
                                   const kiln_workgroup_state_t *w) {
  if (d->binding_count != 3) {
    return 1;
  }
  const float *x = (const float *)d->bindings[0];
  const float *weight = (const float *)d->bindings[1];
  float *h = (float *)d->bindings[2];
  uint64_t begin, end;
  chunkOf(d, w, d->binding_lengths[2] / 4, &begin, &end);
  for (uint64_t i = begin; i < end; ++i) {
    float v = x[i];
    for (int round = 0; round < 32; ++round) {
      v = (v * weight[i] + 0.125f) * 0.5f + v * 0.25f;
    }
    h[i] = v;
  }
  return 0;
}

/* y[i] = h[i] + 0.5 * h[n - 1 - i] (f32): reads other workgroups' results
 * of the previous region, so a broken barrier changes the output; bindings:
 * h, y. */
KILN_EXPORT int32_t kiln_bench_fold(const kiln_dispatch_state_t *d,
                                    const kiln_workgroup_state_t *w) {
  if (d->binding_count != 2) {
    return 1;
  }
  const float *h = (const float *)d->bindings[0];
  float *y = (float *)d->bindings[1];
  uint64_t n = d->binding_lengths[1] / 4, begin, end;
  chunkOf(d, w, n, &begin, &end);
  for (uint64_t i = begin; i < end; ++i) {
    y[i] = h[i] + 0.5f * h[n - 1 - i];
  }
  return 0;
}
