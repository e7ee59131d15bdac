//===- Pipeline.h - Kiln's pass pipelines -----------------------*- C++ -*-===//
//
// Two pipelines make a model into an artifact:
//  - the graph pipeline runs on the whole module: kiln ops to linalg,
//    dispatch formation, scheduling, memory planning, workgroup tiles;
//  - the kernel pipeline runs on each executable's function alone, moved
//    into a module of its own: tiling, bufferization, vectorization and
//    lowering to the LLVM dialect in the runtime's calling convention.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_PIPELINE_H
#define KILN_COMPILER_PIPELINE_H

#include <string>
#include <vector>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace kiln {

/// One named phase of the graph pipeline; `passes` is a textual pipeline of
/// passes on `builtin.module`.
struct PipelinePhase {
  std::string name;
  std::string passes;
};

/// The phases of the default graph pipeline, in order:
///  - "graph":    graph-level cleanups on the kiln dialect;
///  - "lowering": kiln to linalg, weight layouts;
///  - "dispatch": dispatch formation, outlining, scheduling, memory
///                planning and workgroup tiles.
std::vector<PipelinePhase> defaultGraphPhases();

/// The whole default graph pipeline as one textual pipeline anchored on
/// `builtin.module` (what `kiln-compile --print-pipeline` prints).
std::string defaultGraphPipeline();

/// Adds the CPU kernel pipeline to `pm` (anchored on `builtin.module`).
void buildCpuKernelPipeline(mlir::OpPassManager &pm);

} // namespace kiln

#endif // KILN_COMPILER_PIPELINE_H
