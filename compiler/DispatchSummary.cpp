//===- DispatchSummary.cpp - What each dispatch of a schedule does --------===//

#include "compiler/DispatchSummary.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"

#include <algorithm>
#include <array>

using namespace mlir;

namespace kiln {

/// An arith or math op computing floats (not a constant or a select).
static bool isFloatArithmetic(Operation &op) {
  StringRef dialect = op.getDialect() ? op.getDialect()->getNamespace() : "";
  if ((dialect != "arith" && dialect != "math") ||
      isa<arith::ConstantOp, arith::SelectOp>(op)) {
    return false;
  }
  return llvm::any_of(op.getResultTypes(),
                      [](Type type) { return isa<FloatType>(type); });
}

uint64_t estimateFlops(func::FuncOp func) {
  uint64_t flops = 0;
  func.walk([&](linalg::GenericOp op) {
    uint64_t iterations = 1;
    for (int64_t range : op.getStaticLoopRanges()) {
      iterations *= std::max<int64_t>(range, 1);
    }
    // Floating-point arithmetic only: copies, index computations, masks'
    // comparisons and selects are not flops.
    uint64_t bodyOps = llvm::count_if(
        op.getBody()->without_terminator(),
        [](Operation &nested) { return isFloatArithmetic(nested); });
    flops += iterations * bodyOps;
  });
  return flops;
}

/// Every file location in `loc`, innermost callee first, and whether `loc`
/// holds a call site at all.
static std::pair<SmallVector<FileLineColLoc>, bool>
fileLocations(Location loc) {
  SmallVector<FileLineColLoc> files;
  bool called = false;
  loc->walk([&](Location inner) {
    called |= isa<CallSiteLoc>(inner);
    if (auto file = dyn_cast<FileLineColLoc>(inner)) {
      files.push_back(file);
    }
    return WalkResult::advance();
  });
  return {files, called};
}

static std::string formatFileLocation(FileLineColLoc file) {
  return (file.getFilename().getValue() + ":" + Twine(file.getLine()) + ":" +
          Twine(file.getColumn()))
      .str();
}

std::string formatSourceLocation(Location loc) {
  SmallVector<FileLineColLoc> files = fileLocations(loc).first;
  return files.empty() ? "" : formatFileLocation(files.front());
}

std::string describeLocation(Location loc) {
  auto [files, called] = fileLocations(loc);
  if (files.empty()) {
    return "";
  }
  std::string text = formatFileLocation(files.front());
  // Without a call site, further file locations are fused ones, not callers.
  if (!called || files.size() == 1) {
    return text;
  }
  return text + " (called from " +
         llvm::join(
             llvm::map_range(ArrayRef(files).drop_front(), formatFileLocation),
             ", ") +
         ")";
}

std::string formatSizes(ArrayRef<int64_t> sizes) {
  if (sizes.empty()) {
    return "-";
  }
  return llvm::join(
      llvm::map_range(sizes, [](int64_t size) { return std::to_string(size); }),
      "x");
}

std::vector<DispatchSummary> summarizeDispatches(ModuleOp module) {
  std::vector<DispatchSummary> dispatches;
  // Executables hold no dispatches: the walk sees the model's, in order.
  module.walk([&](exec::DispatchOp op) {
    DispatchSummary &d = dispatches.emplace_back();
    d.op = op;
    d.index = dispatches.size() - 1;
    d.region = op.getScheduleRegion() ? *op.getScheduleRegion() : -1;
    d.executable = op.getCallee().str();
    d.root = op.getRoot().str();
    if (std::optional<ArrayRef<int64_t>> grid = op.getGrid()) {
      d.grid.assign(grid->begin(), grid->end());
    }
    auto executable = SymbolTable::lookupNearestSymbolFrom<exec::ExecutableOp>(
        op, op.getCalleeAttr());
    if (func::FuncOp func = executable ? executable.getFunction() : nullptr) {
      if (auto tile =
              func->getAttrOfType<DenseI64ArrayAttr>("exec.workgroup_tile")) {
        d.tile.assign(tile.asArrayRef().begin(), tile.asArrayRef().end());
      }
      d.flops = estimateFlops(func);
    }
    d.location = describeLocation(op.getLoc());
  });
  llvm::stable_sort(dispatches,
                    [](const DispatchSummary &a, const DispatchSummary &b) {
                      return a.region < b.region;
                    });
  return dispatches;
}

void printDispatchTable(ArrayRef<DispatchSummary> dispatches, raw_ostream &os) {
  constexpr size_t kColumns = 8;
  using Row = std::array<std::string, kColumns>;
  std::vector<Row> rows = {{"region", "dispatch", "executable", "root", "grid",
                            "tile", "flops", "location"}};
  for (const DispatchSummary &d : dispatches) {
    rows.push_back({d.region < 0 ? "-" : std::to_string(d.region),
                    "#" + std::to_string(d.index), "@" + d.executable, d.root,
                    formatSizes(d.grid), formatSizes(d.tile),
                    std::to_string(d.flops),
                    d.location.empty() ? "?" : d.location});
  }
  std::array<size_t, kColumns> widths = {};
  for (const Row &row : rows) {
    for (size_t c = 0; c < kColumns; ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  // Numbers are right-aligned, text left-aligned; the last column is not
  // padded.
  for (const Row &row : rows) {
    for (size_t c = 0; c + 1 < kColumns; ++c) {
      if (c == 0 || c == 1 || c == 6) {
        os << llvm::right_justify(row[c], widths[c]) << "  ";
      } else {
        os << llvm::left_justify(row[c], widths[c]) << "  ";
      }
    }
    os << row[kColumns - 1] << "\n";
  }
}

} // namespace kiln
