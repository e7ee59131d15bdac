/*===- TestKernels.c - Hand-written kernels for the runtime tests ---------===*
 *
 * Built as a freestanding shared object (no libc, no DT_NEEDED), exactly like
 * the compiler's executables, and embedded into the test artifacts. These are
 * test fixtures, not runtime code: the runtime itself computes nothing.
 *
 * Elementwise kernels split the elements of their last binding into one
 * contiguous chunk per workgroup, numbering workgroups x fastest.
 *
 *===----------------------------------------------------------------------===*/

#include "runtime/abi/KernelAbi.h"

#define KILN_EXPORT __attribute__((visibility("default")))

static uint64_t workgroupCount(const kiln_dispatch_state_t *d) {
  return (uint64_t)d->grid[0] * d->grid[1] * d->grid[2];
}

static uint64_t linearId(const kiln_dispatch_state_t *d,
                         const kiln_workgroup_state_t *w) {
  return w->id[0] +
         (uint64_t)d->grid[0] * (w->id[1] + (uint64_t)d->grid[1] * w->id[2]);
}

/* The [begin, end) element range of this workgroup out of n. */
static void chunkOf(const kiln_dispatch_state_t *d,
                    const kiln_workgroup_state_t *w, uint64_t n,
                    uint64_t *begin, uint64_t *end) {
  uint64_t count = workgroupCount(d);
  uint64_t chunk = (n + count - 1) / count;
  *begin = linearId(d, w) * chunk;
  *end = *begin + chunk < n ? *begin + chunk : n;
  if (*begin > n) {
    *begin = n;
  }
}

/* out = a + b (f32); bindings: a, b, out. */
KILN_EXPORT int32_t kiln_test_add(const kiln_dispatch_state_t *d,
                                  const kiln_workgroup_state_t *w) {
  if (d->binding_count != 3) {
    return 1;
  }
  const float *a = (const float *)d->bindings[0];
  const float *b = (const float *)d->bindings[1];
  float *out = (float *)d->bindings[2];
  uint64_t begin, end;
  chunkOf(d, w, d->binding_lengths[2] / 4, &begin, &end);
  for (uint64_t i = begin; i < end; ++i) {
    out[i] = a[i] + b[i];
  }
  return 0;
}

/* out = 2 * in + 1 (f32), staged through the scratch buffer so that two
 * workgroups sharing a buffer would corrupt each other; bindings: in, out. */
KILN_EXPORT int32_t kiln_test_scale(const kiln_dispatch_state_t *d,
                                    const kiln_workgroup_state_t *w) {
  if (d->binding_count != 2) {
    return 1;
  }
  const float *in = (const float *)d->bindings[0];
  float *out = (float *)d->bindings[1];
  uint64_t begin, end;
  chunkOf(d, w, d->binding_lengths[1] / 4, &begin, &end);
  float *scratch = (float *)w->scratch;
  if (w->scratch_size < (end - begin) * 4) {
    return 2;
  }
  if (((uint64_t)scratch & 63) != 0) {
    return 3;
  }
  for (uint64_t i = begin; i < end; ++i) {
    scratch[i - begin] = in[i];
  }
  for (volatile int spin = 0; spin < 200; ++spin) {
  }
  for (uint64_t i = begin; i < end; ++i) {
    out[i] = scratch[i - begin] * 2.0f + 1.0f;
  }
  return 0;
}

/* Fails with code 7 on workgroup (1,0,0) and succeeds elsewhere. */
KILN_EXPORT int32_t kiln_test_fail(const kiln_dispatch_state_t *d,
                                   const kiln_workgroup_state_t *w) {
  (void)d;
  return w->id[0] == 1 && w->id[1] == 0 && w->id[2] == 0 ? 7 : 0;
}

/* Marks each workgroup: count[l] += 1 and ids[l] = x | y << 8 | z << 16 for
 * linear id l (i32); bindings: count, ids. */
KILN_EXPORT int32_t kiln_test_mark(const kiln_dispatch_state_t *d,
                                   const kiln_workgroup_state_t *w) {
  int32_t *count = (int32_t *)d->bindings[0];
  int32_t *ids = (int32_t *)d->bindings[1];
  uint64_t l = linearId(d, w);
  if (d->binding_count != 2 || (l + 1) * 4 > d->binding_lengths[0]) {
    return 1;
  }
  count[l] += 1;
  ids[l] = (int32_t)(w->id[0] | w->id[1] << 8 | w->id[2] << 16);
  return 0;
}

/* Records the call order: slots[l] = counter[0]++ for linear id l (i32);
 * bindings: counter, slots. Meaningful on one thread only. */
KILN_EXPORT int32_t kiln_test_order(const kiln_dispatch_state_t *d,
                                    const kiln_workgroup_state_t *w) {
  int32_t *counter = (int32_t *)d->bindings[0];
  int32_t *slots = (int32_t *)d->bindings[1];
  slots[linearId(d, w)] = counter[0]++;
  return 0;
}

/* Writes the address of binding 0 into binding 1 (u64), so tests can check
 * where the runtime bound it; bindings: any, address. */
KILN_EXPORT int32_t kiln_test_address(const kiln_dispatch_state_t *d,
                                      const kiln_workgroup_state_t *w) {
  (void)w;
  *(uint64_t *)d->bindings[1] = (uint64_t)d->bindings[0];
  return 0;
}
