//===- Pipeline.h - Kiln's pass pipelines -----------------------*- C++ -*-===//
//
// Two pipelines make a model into an artifact:
//  - the graph pipeline runs on the whole module: kiln ops to linalg,
//    dispatch formation, scheduling, memory planning, workgroup tiles;
//  - the kernel pipeline runs on each executable's function alone, moved
//    into a module of its own: tiling, bufferization, vectorization and
//    lowering to the LLVM dialect in the runtime's calling convention.
// Both are built from textual pipelines so that they can be printed, and
// users (or pass plugins) can add their own at named extension points.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_PIPELINE_H
#define KILN_COMPILER_PIPELINE_H

#include "compiler/plugin/PassPlugin.h"
#include "mlir/Support/LLVM.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace kiln {

/// Textual pipelines (passes on builtin.module) to run at each point.
using PipelineExtensions = std::map<ExtensionPoint, std::vector<std::string>>;

/// The user-facing name of an extension point, e.g. "after-import".
llvm::StringRef extensionPointName(ExtensionPoint point);

/// How kernels block their work for the target's vector registers, and
/// which instructions they may assume (compiler/cpu/CpuTarget.h picks one
/// per target). The defaults are the AVX-512 blocking, which are also the
/// passes' own defaults.
struct KernelBlocking {
  /// f32 lanes per vector register.
  int64_t vectorWidth = 16;
  /// Rows and columns of a GEMM register block and its depth block.
  int64_t mr = 8, nr = 32, kc = 512;
  /// Depth steps per iteration of a GEMM micro-kernel's depth loop.
  int64_t unroll = 1;
  /// Whether a GEMM's row blocks share the prefetches of B's next slab
  /// (`spread-prefetches`; compileThrough sets it for large weights).
  bool spreadPrefetches = false;
  /// Columns per panel of packed GEMM operands (weights and run-time B); a
  /// multiple of `nr`.
  int64_t panel = 32;
  /// Whether the CPU has FMA instructions; without, the kernels' exact
  /// fused multiply-adds become multiply-adds rounded twice
  /// (kiln-cpu-relax-fma), since an exact one would call libm.
  bool fma = true;
  /// Whether the CPU rounds floats to integral values in one instruction
  /// (SSE4.1); without, kiln-cpu-expand-math expands floor and friends,
  /// which would call libm.
  bool rounding = true;
  /// Attention heads with fewer query rows than this read their keys and
  /// values in place rather than in panels (kiln-lower-to-linalg's
  /// `keys-in-place-rows`): where the scores' key blocks exist (16 lanes),
  /// in place is ahead of the panels up to about 224 rows; with the dot
  /// products alone, up to about 128 (docs/attention.md, "Decoding").
  int64_t keysInPlaceRows = 224;
};

/// Settings of the default graph pipeline's own passes; unset ones keep
/// the passes' defaults.
struct GraphPipelineOptions {
  /// `memory-budget-kib` of kiln-lower-to-linalg (MoE outputs) and
  /// kiln-schedule-regions.
  std::optional<int64_t> memoryBudgetKib;
  /// `panel` of kiln-materialize-weight-layouts and kiln-pack-gemm-operands
  /// (the target's KernelBlocking::panel).
  std::optional<int64_t> panel;
  /// `keys-in-place-rows` of kiln-lower-to-linalg (the target's
  /// KernelBlocking::keysInPlaceRows).
  std::optional<int64_t> keysInPlaceRows;
};

/// One named phase of the graph pipeline; `passes` is a textual pipeline of
/// passes on `builtin.module`.
struct PipelinePhase {
  std::string name;
  std::string passes;
};

/// The phases of the default graph pipeline, in order, with `extensions`
/// in their places:
///  - "after-import" extensions;
///  - "graph":    graph-level cleanups and rewrites on the kiln dialect
///                (canonicalize, cse, kiln-absorb-attention-projections);
///  - "after-graph-optimization" extensions;
///  - "lowering": kiln to linalg, weight layouts, outputs;
///  - "dispatch": dispatch formation, outlining, scheduling, memory plan;
///  - "after-dispatch-formation" extensions;
///  - "codegen-config": workgroup tiles of the CPU back end.
std::vector<PipelinePhase>
defaultGraphPhases(const PipelineExtensions &extensions = {},
                   const GraphPipelineOptions &graph = {});

/// The whole graph pipeline as one textual pipeline anchored on
/// `builtin.module` (what `kiln-compile --print-pipeline` prints).
std::string defaultGraphPipeline(const PipelineExtensions &extensions = {},
                                 const GraphPipelineOptions &graph = {});

/// Adds the CPU kernel pipeline for `blocking` to `pm` (anchored on
/// `builtin.module`), after the "before-codegen" extensions. Fails if an
/// extension does not parse.
mlir::LogicalResult
buildCpuKernelPipeline(mlir::OpPassManager &pm,
                       const PipelineExtensions &extensions = {},
                       const KernelBlocking &blocking = {});

/// The kernel pipeline, with its "before-codegen" extensions, as text
/// anchored on `builtin.module`; empty if an extension does not parse.
std::string defaultKernelPipeline(const PipelineExtensions &extensions = {},
                                  const KernelBlocking &blocking = {});

/// Registers the default pipelines under names, for kiln-opt and textual
/// pipelines: `kiln-graph-pipeline` and `kiln-cpu-kernel-pipeline`.
void registerDefaultPipelines();

} // namespace kiln

#endif // KILN_COMPILER_PIPELINE_H
