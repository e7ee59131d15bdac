//===- CpuSelectWorkgroupTiles.cpp - Choose workgroup tiles and grids -----===//
//
// A workgroup computes, for one index of every leading (batch) dimension,
// `rows` x `cols` of the last two dimensions of the dispatch's results. The
// tile is written as `exec.workgroup_tile` (one size per dimension of the
// widest result) on the executable's function and the grid on its
// dispatches: x = column tiles, y = row tiles, z = product of the batch
// dimensions.
//
// Dispatches whose ops produce per-row values (norm statistics) need whole
// rows, `norm-row-tile` of them or, when rows are short, enough for
// `min-whole-row-elements` elements (a softmax over 8 experts in 8-row
// workgroups spent its time starting them); the others tile columns in
// multiples of 32 (the GEMM register block), dividing the column count where
// such a multiple does, else with a partial last tile (kiln-cpu-tile-workgroups
// gives it a body of its own): with whole columns instead, a GEMM with few rows
// and an odd column count (a language-model head) ran on one worker. A GEMM
// dispatch takes up to `gemm-row-tile` rows while four row tiles remain, so
// that B is reused from cache across more rows; a row-limited one (MoE experts)
// takes twice the rows it expects, up to `limited-row-tile`, so that a typical
// expert is one row tile. A whole-row workgroup of a GEMM dispatch reads all of
// B, so it takes enough rows (up to `row-tile`) to reuse B, leaving two
// workgroups when the batch dims alone give fewer than `min-gemm-workgroups`.
// Any other dispatch whose columns are fewer than `col-tile` takes rows for as
// many elements as `row-tile` x `col-tile`: the run-time packing of a GEMM
// operand into 16-column panels made 2 KiB workgroups, 8,192 of them for a 2048
// x 2048 B (docs/compiler.md measures the difference). A GEMM dispatch with
// fewer than `min-gemm-workgroups` workgroups narrows its column tiles (down to
// 64 columns) until it has that many: with three workgroups on two workers, one
// worker waits a third of the dispatch at the barrier.
//
// Tiling reuses an op's indexing maps on tile-local indices, which is right
// for `d floordiv q` and `d mod q` only on tiles that start at multiples of
// q: row tiles are rounded up to such multiples (patch_embed's im2col reads
// an image row of q patches), and column tiles that are not multiples stay
// whole.
//
//===----------------------------------------------------------------------===//

#include "dialects/Exec/IR/ExecOps.h"
#include "passes/OpClassification.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace kiln {
#define GEN_PASS_DEF_CPUSELECTWORKGROUPTILESPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The largest multiple of 32 that divides `n` and is at most `limit`.
/// Without one: `n` itself when it is at most `limit`, else the multiple of
/// 32 that splits `n` into as few tiles of at most `limit` as evenly as
/// whole panels allow, the last one partial (a vocabulary of 30002 columns
/// in 117 tiles of 256 and one of 50).
int64_t columnTile(int64_t n, int64_t limit) {
  for (int64_t tile = (std::min(n, limit) / 32) * 32; tile >= 32; tile -= 32) {
    if (n % tile == 0) {
      return tile;
    }
  }
  if (n <= limit || limit < 32) {
    return n;
  }
  return std::min<int64_t>(llvm::alignTo(ceilDiv(n, ceilDiv(n, limit)), 32),
                           llvm::alignDown(limit, 32));
}

struct CpuSelectWorkgroupTilesPass
    : kiln::impl::CpuSelectWorkgroupTilesPassBase<CpuSelectWorkgroupTilesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    Builder b(&getContext());
    DenseMap<StringAttr, SmallVector<int64_t>> grids;
    for (auto executable : module.getOps<exec::ExecutableOp>()) {
      func::FuncOp func = executable.getFunction();
      FailureOr<SmallVector<int64_t>> tile = selectTile(func);
      if (failed(tile)) {
        return signalPassFailure();
      }
      func->setAttr("exec.workgroup_tile", b.getDenseI64ArrayAttr(*tile));
      grids[executable.getSymNameAttr()] = gridFor(func, *tile);
    }
    module.walk([&](exec::DispatchOp dispatch) {
      auto it = grids.find(dispatch.getCalleeAttr().getAttr());
      if (it != grids.end()) {
        dispatch.setGridAttr(b.getDenseI64ArrayAttr(it->second));
      }
    });
  }

  /// Shape of the widest result: the shape workgroups tile.
  static ArrayRef<int64_t> tiledShape(func::FuncOp func) {
    ArrayRef<int64_t> widest;
    for (Type type : func.getResultTypes()) {
      auto shape = cast<RankedTensorType>(type).getShape();
      if (shape.size() > widest.size()) {
        widest = shape;
      }
    }
    return widest;
  }

  FailureOr<SmallVector<int64_t>> selectTile(func::FuncOp func) {
    ArrayRef<int64_t> shape = tiledShape(func);
    if (shape.empty()) {
      return SmallVector<int64_t>(); // Scalars: one workgroup.
    }
    bool wholeRows = false;
    for (Type type : func.getResultTypes()) {
      wholeRows |= cast<RankedTensorType>(type).getRank() <
                   static_cast<int64_t>(shape.size());
    }
    func.walk([&](linalg::LinalgOp op) {
      for (Value result : op->getResults()) {
        wholeRows |= cast<RankedTensorType>(result.getType()).getRank() <
                     static_cast<int64_t>(shape.size());
      }
    });
    bool hasGemm = false;
    func.walk(
        [&](linalg::LinalgOp op) { hasGemm |= matchGemm(op).has_value(); });
    SmallVector<int64_t> tile(shape.size(), 1);
    int64_t cols = shape.back();
    tile.back() = wholeRows ? cols : columnTile(cols, colTile);
    if (shape.size() >= 2) {
      int64_t rows = shape[shape.size() - 2];
      int64_t rowsPerTile = rowTile;
      std::optional<int64_t> expected = expectedRows(func);
      if (hasGemm && !wholeRows && expected) {
        // Rows known only at run time (an MoE expert's tokens): a tile for
        // twice the expected count, so that a typical expert's rows stream
        // each panel of B once rather than in two tiles.
        rowsPerTile = std::clamp<int64_t>(llvm::alignTo(2 * *expected, 32),
                                          rowTile, limitedRowTile);
      } else if (hasGemm && !wholeRows) {
        // Each panel of B brought into cache serves every row of the tile:
        // take more rows when there are many, keeping four row tiles.
        rowsPerTile = std::clamp<int64_t>(llvm::alignDown(rows / 4, 32),
                                          rowTile, gemmRowTile);
      } else if (wholeRows && hasGemm) {
        // Every workgroup streams all of B: take enough rows to reuse it,
        // in tiles of about equal size (40 rows: 24 and 16, not 32 and 8),
        // and at least two of them when there are rows for them and the
        // batch dims do not already give `min-gemm-workgroups`.
        int64_t tiles =
            std::max<int64_t>(batchCount(shape) >= minGemmWorkgroups ? 1 : 2,
                              ceilDiv(rows, rowTile));
        rowsPerTile = std::clamp<int64_t>(
            llvm::alignTo(ceilDiv(rows, tiles), 8), normRowTile, rowTile);
      } else if (wholeRows) {
        // Short rows (a softmax over 8 experts) take more of them: a
        // workgroup of 8 rows of 8 cost more to start than to compute.
        rowsPerTile =
            std::max<int64_t>(normRowTile, minWholeRowElements / cols);
      } else if (tile.back() < colTile) {
        // Narrow rows (a B operand packed into 16-column panels): as many
        // elements per workgroup as `row-tile` rows of `col-tile` columns.
        rowsPerTile = rowTile * ceilDiv(colTile, tile.back());
      }
      int64_t multiple =
          tileMultiple(func, shape.size(), shape.size() - 2, rows);
      tile[shape.size() - 2] =
          std::min<int64_t>(rows, llvm::alignTo(rowsPerTile, multiple));
    }
    // A small GEMM dispatch (32 query rows of a Q-Former projection: three
    // column tiles) leaves workers idle at the region's barrier; narrower
    // column tiles, down to 64, give the workers pieces to balance.
    if (hasGemm && !wholeRows) {
      while (workgroups(shape, tile) < minGemmWorkgroups) {
        int64_t narrower = columnTile(cols, tile.back() - 32);
        if (narrower >= tile.back() || narrower < 64) {
          break;
        }
        tile.back() = narrower;
      }
    }
    if (std::optional<int64_t> cost = elementCost(func)) {
      shrinkToCost(shape, tile, std::max<int64_t>(1, workgroupCost / *cost));
    }
    // Columns read through floordiv or mod that the tile does not divide
    // (rare: rope's tables are read by head) stay whole.
    if (tile.back() %
            tileMultiple(func, shape.size(), shape.size() - 1, cols) !=
        0) {
      tile.back() = cols;
    }
    return tile;
  }

  /// The largest cost per element that ops of `func` give.
  static std::optional<int64_t> elementCost(func::FuncOp func) {
    std::optional<int64_t> most;
    func.walk([&](linalg::LinalgOp op) {
      if (auto cost = op->getAttrOfType<IntegerAttr>(kElementCostAttr)) {
        most = std::max(most.value_or(1), cost.getInt());
      }
    });
    return most;
  }

  /// Shrinks `tile` to at most `elements` elements: fewer rows first, then
  /// the largest divisor of the columns that fits (no partial tile).
  static void shrinkToCost(ArrayRef<int64_t> shape,
                           MutableArrayRef<int64_t> tile, int64_t elements) {
    size_t rank = shape.size();
    if (rank >= 2) {
      tile[rank - 2] =
          std::clamp<int64_t>(elements / tile.back(), 1, tile[rank - 2]);
    }
    if (tile.back() > elements) {
      int64_t cols = shape.back(), part = elements;
      while (cols % part != 0) {
        --part;
      }
      tile.back() = part;
    }
  }

  /// The largest row count that row-limited ops of `func` expect.
  static std::optional<int64_t> expectedRows(func::FuncOp func) {
    std::optional<int64_t> most;
    func.walk([&](linalg::LinalgOp op) {
      if (std::optional<int64_t> rows = expectedRowCount(op)) {
        most = std::max(most.value_or(0), *rows);
      }
    });
    return most;
  }

  /// The product of the batch dims (all but the last two) of `shape`: one
  /// workgroup each at least.
  static int64_t batchCount(ArrayRef<int64_t> shape) {
    int64_t count = 1;
    for (int64_t size : shape.drop_back(std::min<size_t>(2, shape.size()))) {
      count *= size;
    }
    return count;
  }

  /// Workgroups of `tile` over `shape`.
  static int64_t workgroups(ArrayRef<int64_t> shape, ArrayRef<int64_t> tile) {
    int64_t count = 1;
    for (auto [size, part] : llvm::zip_equal(shape, tile)) {
      count *= ceilDiv(size, part);
    }
    return count;
  }

  static SmallVector<int64_t> gridFor(func::FuncOp func,
                                      ArrayRef<int64_t> tile) {
    ArrayRef<int64_t> shape = tiledShape(func);
    size_t rank = shape.size();
    if (rank == 0) {
      return {1, 1, 1};
    }
    SmallVector<int64_t> grid = {ceilDiv(shape.back(), tile.back()), 1, 1};
    if (rank >= 2) {
      grid[1] = ceilDiv(shape[rank - 2], tile[rank - 2]);
    }
    grid[2] = batchCount(shape);
    return grid;
  }
};

} // namespace
