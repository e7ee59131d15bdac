/*===- KernelAbi.h - The contract between generated kernels and runtime ---===*
 *
 * Every dispatch the compiler emits is a function of this shape, exported by
 * name from a freestanding ELF shared object:
 *
 *   int32_t kernel(const kiln_dispatch_state_t *dispatch,
 *                  const kiln_workgroup_state_t *workgroup);
 *
 * The runtime calls it once per workgroup of the dispatch's grid, in any
 * order and from any thread. Kernels use no libc, no globals, no allocation
 * and no syscalls: all memory they touch is reached through the bindings and
 * the per-workgroup scratch buffer. A kernel returns 0 on success; any other
 * value is reported by the runtime as a failed dispatch.
 *
 * The layout of these structs is part of the artifact format: a change that
 * is not append-only bumps KILN_KERNEL_ABI_VERSION, and the runtime refuses
 * artifacts built against another version. Plain C so that the compiler (which
 * emits LLVM IR against this layout) and the runtime agree by construction.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_ABI_KERNELABI_H
#define KILN_RUNTIME_ABI_KERNELABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of the kernel calling convention below. */
#define KILN_KERNEL_ABI_VERSION 1

/** Shared by every workgroup of one dispatch. */
typedef struct kiln_dispatch_state_t {
  /** Base address of each binding, in the dispatch's binding order. */
  void *const *bindings;
  /** Length in bytes of each binding. */
  const uint64_t *binding_lengths;
  /** Scalar arguments that are not known at compile time. */
  const uint32_t *push_constants;
  uint32_t binding_count;
  uint32_t push_constant_count;
  /** Number of workgroups along x, y and z. */
  uint32_t grid[3];
  uint32_t reserved;
} kiln_dispatch_state_t;

/** Private to one workgroup invocation. */
typedef struct kiln_workgroup_state_t {
  /** This workgroup's coordinates in the grid. */
  uint32_t id[3];
  uint32_t reserved;
  /** Scratch memory for this invocation, 64-byte aligned. */
  void *scratch;
  /** Size in bytes of `scratch`; at least what the artifact asks for. */
  uint64_t scratch_size;
} kiln_workgroup_state_t;

/** The signature of every exported dispatch function. */
typedef int32_t (*kiln_dispatch_fn_t)(const kiln_dispatch_state_t *dispatch,
                                      const kiln_workgroup_state_t *workgroup);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_RUNTIME_ABI_KERNELABI_H */
