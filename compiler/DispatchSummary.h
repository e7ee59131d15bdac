//===- DispatchSummary.h - What each dispatch of a schedule does -*- C++
//-*-===//
//
// Facts about the dispatches of a module after the graph pipeline, in the
// words the tools use: `kiln-compile --dump-dispatches` prints them, the
// schedule graph (`--emit=dot-schedule`) labels its nodes with them, and the
// artifact writer stores the same flop estimate and source location that
// `kiln-inspect` shows.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_DISPATCHSUMMARY_H
#define KILN_COMPILER_DISPATCHSUMMARY_H

#include "dialects/Exec/IR/ExecOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace kiln {

/// One dispatch of the schedule.
struct DispatchSummary {
  exec::DispatchOp op;
  /// Position among the model's dispatches in program order: the artifact's
  /// dispatch index (`kiln-inspect`'s `#index`).
  size_t index = 0;
  /// Barrier region, or -1 before scheduling.
  int64_t region = -1;
  std::string executable;
  /// The kiln op the dispatch was formed around, e.g. "kiln.linear".
  std::string root;
  /// Workgroup grid (x, y, z) and workgroup tile; empty until chosen.
  llvm::SmallVector<int64_t> grid, tile;
  /// Floating-point operations of one run (`estimateFlops`).
  uint64_t flops = 0;
  /// Where the root op is in the model (`describeLocation`).
  std::string location;
};

/// The dispatches of `module` in schedule order: by barrier region, then in
/// program order within a region.
std::vector<DispatchSummary> summarizeDispatches(mlir::ModuleOp module);

/// Prints `dispatches` as an aligned table with a header line, one line per
/// dispatch: region, index, executable, root, grid, tile, flops, location.
void printDispatchTable(llvm::ArrayRef<DispatchSummary> dispatches,
                        llvm::raw_ostream &os);

/// A grid or tile as "4x1x1"; "-" if empty (not chosen yet).
std::string formatSizes(llvm::ArrayRef<int64_t> sizes);

/// Floating-point operations of one run of an executable's function: for
/// each linalg op, its iterations times the floating-point arith and math
/// ops of its body (copies, index arithmetic and mask selects count 0).
uint64_t estimateFlops(mlir::func::FuncOp func);

/// `loc` as "file:line:col": the first file location in it, looking through
/// names and call sites (the innermost callee); empty if it has none.
std::string formatSourceLocation(mlir::Location loc);

/// `formatSourceLocation`, followed by the call sites it was inlined from,
/// e.g. "std/mlp.kiln:39:12 (called from models/qformer.kiln:24:9)".
std::string describeLocation(mlir::Location loc);

} // namespace kiln

#endif // KILN_COMPILER_DISPATCHSUMMARY_H
