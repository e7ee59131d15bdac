//===- Passes.h - Kiln's passes and pipelines -------------------*- C++ -*-===//

#ifndef KILN_PASSES_PASSES_H
#define KILN_PASSES_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

#include <cstdint>

namespace kiln {

/// Buffers of this many bytes or more stream from memory on every pass over
/// them rather than staying in a core's share of the caches: GEMMs reading
/// such a B share the prefetches of its slabs (kiln-cpu-lower-contractions'
/// `spread-prefetches`, which kiln-compile also sets for models with this
/// much weight in all; docs/compiler.md, "GEMM blocking on Intel AVX-512").
inline constexpr int64_t kStreamedBytes = int64_t{64} << 20;

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace kiln

#endif // KILN_PASSES_PASSES_H
