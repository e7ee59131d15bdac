//===- BenchArtifacts.h - Artifacts the runtime benchmarks run --*- C++ -*-===//
//
// The benchmarks measure the runtime, not generated code, so they build
// their own artifacts around the freestanding kernels of BenchKernels.c,
// with the FlatBuffers schema and the ArtifactWriter exactly as the compiler
// does. The weight-heavy artifact is written sparse: its constants are holes
// in the file, so a gigabyte of weights costs no disk writes.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_BENCH_RUNTIME_BENCHARTIFACTS_H
#define KILN_TOOLS_KILN_BENCH_RUNTIME_BENCHARTIFACTS_H

#include "runtime/Status.h"

#include <cstdint>
#include <string>

namespace kiln::rt::bench {

/// Writes `count` dispatches of a trivial kernel (each adds 1 to 4 bytes of
/// its own 64-byte arena slot; no inputs, no outputs), either all in one
/// region or each in a region of its own.
Status writeDispatchChain(const std::string &path, uint32_t count,
                          bool oneRegion);

/// Writes an artifact with `weightBytes` of zero weights (u8 constants of at
/// most 256 MiB each) as holes of a sparse file, and one dispatch that
/// reports the address at which constant 0 was bound in output "address"
/// (i64[1]).
Status writeWeightsModel(const std::string &path, uint64_t weightBytes);

/// Writes the model of the concurrency benchmarks, over `n` f32 elements:
///   region 0: "mix"  h = 32 rounds of a multiply-add of x with weights w
///   region 1: "fold" y[i] = h[i] + 0.5 h[n-1-i]
/// Input x f32[n], output y f32[n], h in the arena; each dispatch has
/// `workgroups` workgroups.
Status writeMixModel(const std::string &path, int64_t n, uint32_t workgroups);

} // namespace kiln::rt::bench

#endif // KILN_TOOLS_KILN_BENCH_RUNTIME_BENCHARTIFACTS_H
