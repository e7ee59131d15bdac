//===- GraphvizExport.h - A model's graphs in Graphviz DOT ------*- C++ -*-===//
//
// Two views of a model as Graphviz DOT, for `kiln-compile --emit=dot-graph`
// and `--emit=dot-schedule` (render with `dot -Tsvg`):
//  - the dataflow graph of the kiln dialect: one box per op (its name, result
//    shapes and source location), an edge per use of an SSA value,
//    parameters as notes, model inputs and outputs as (inverted) houses;
//  - the dispatch schedule after the graph pipeline: one cluster per barrier
//    region, one box per dispatch (root op, executable, grid, source
//    location), an edge from each producer to its consumers (through views),
//    and the same input, output and parameter nodes.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_GRAPHVIZEXPORT_H
#define KILN_COMPILER_GRAPHVIZEXPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace kiln {

/// Writes the dataflow graph of the model function of `module` (any stage;
/// meant for the kiln dialect). Fails, with an error at the module, if it
/// has no model function.
mlir::LogicalResult writeDataflowGraph(mlir::ModuleOp module,
                                       llvm::raw_ostream &os);

/// Writes the dispatch schedule of `module` after the graph pipeline. Fails,
/// with an error, if it has no model function.
mlir::LogicalResult writeScheduleGraph(mlir::ModuleOp module,
                                       llvm::raw_ostream &os);

} // namespace kiln

#endif // KILN_COMPILER_GRAPHVIZEXPORT_H
