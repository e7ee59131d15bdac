//===- CpuLowerTransposes.cpp - Copies that move the innermost dim --------===//
//
// A copy whose output's innermost dim is not the input's innermost dim
// (attention's keys, [b, j, h, d] -> [b, h, d, j]) read or wrote one element
// per step with a stride: LLVM vectorized the loop with gathers, at about
// 1.4 ns per element. Here it is done in 16 x 16 blocks: 16 vector loads of
// input rows (contiguous along the input's innermost dim x), one
// vector.transpose and 16 vector stores of output rows (contiguous along
// the output's innermost dim y). Blocks at the edges load fewer rows and
// mask their lanes. The transpose is lowered to the 16 x 16 shuffle network
// (about 64 shuffles per block) rather than the element-wise default of
// convert-vector-to-llvm.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/VectorEmission.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace kiln {
#define GEN_PASS_DEF_CPULOWERTRANSPOSESPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Lanes per vector and rows per block.
constexpr int64_t kBlock = 16;

/// A copy out[p(i..)] = in[q(i..)] on f32 memrefs, p and q permutations,
/// whose output's innermost loop `y` and input's innermost loop `x` differ.
struct TransposeCopy {
  linalg::GenericOp op;
  AffineMap inputMap, outputMap;
  unsigned x, y;
};

std::optional<TransposeCopy> matchTransposeCopy(linalg::GenericOp op) {
  if (!isContiguousF32Copy(op)) {
    return std::nullopt;
  }
  AffineMap inMap = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!outMap.isPermutation() || !inMap.isPermutation()) {
    return std::nullopt;
  }
  unsigned n = op.getNumLoops();
  unsigned x = inMap.getDimPosition(n - 1);
  unsigned y = outMap.getDimPosition(n - 1);
  if (x == y) {
    return std::nullopt;
  }
  return TransposeCopy{op, inMap, outMap, x, y};
}

class TransposeEmitter {
public:
  TransposeEmitter(OpBuilder &b, TransposeCopy copy)
      : b(b), loc(copy.op.getLoc()), copy(copy),
        in(copy.op.getDpsInputOperand(0)->get()),
        out(copy.op.getDpsInitOperand(0)->get()),
        extents(copy.op.getStaticLoopRanges()) {}

  void emit() {
    SmallVector<Value> ivs(extents.size(), Value());
    outer(0, ivs);
  }

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  /// Loops over every dim but x and y, then the blocks.
  void outer(unsigned dim, SmallVector<Value> &ivs) {
    if (dim == extents.size()) {
      blocks(ivs);
      return;
    }
    if (dim == copy.x || dim == copy.y) {
      outer(dim + 1, ivs);
      return;
    }
    loop(0, extents[dim], 1, [&](Value iv) {
      ivs[dim] = iv;
      outer(dim + 1, ivs);
    });
  }

  void loop(int64_t lb, int64_t ub, int64_t step,
            function_ref<void(Value)> body) {
    emitForLoop(b, loc, index(lb), index(ub), step, body);
  }

  /// Whole 16 x 16 blocks in loops, the edges once each.
  void blocks(SmallVector<Value> &ivs) {
    int64_t xs = extents[copy.x], ys = extents[copy.y];
    int64_t xWhole = xs - xs % kBlock, yWhole = ys - ys % kBlock;
    auto overY = [&](Value x0, int64_t lanes) {
      if (yWhole > 0) {
        loop(0, yWhole, kBlock,
             [&](Value y0) { block(ivs, x0, lanes, y0, kBlock); });
      }
      if (ys % kBlock) {
        block(ivs, x0, lanes, index(yWhole), ys % kBlock);
      }
    };
    if (xWhole > 0) {
      loop(0, xWhole, kBlock, [&](Value x0) { overY(x0, kBlock); });
    }
    if (xs % kBlock) {
      overY(index(xWhole), xs % kBlock);
    }
  }

  /// Indices through `map` with the loops at `ivs`, x at `x` and y at `y`.
  SmallVector<Value> indices(AffineMap map, ArrayRef<Value> ivs, Value x,
                             Value y) {
    SmallVector<Value> idx;
    for (unsigned i = 0; i < map.getNumResults(); ++i) {
      unsigned dim = map.getDimPosition(i);
      idx.push_back(dim == copy.x ? x : dim == copy.y ? y : ivs[dim]);
    }
    return idx;
  }

  Value add(Value v, int64_t offset) {
    return offset ? arith::AddIOp::create(b, loc, v, index(offset)).getResult()
                  : v;
  }

  /// out[.., x0 + l, .., y0 .. y0 + rows] = in[.., y0 + r, .., x0 + l] for
  /// l < lanes, r < rows.
  void block(ArrayRef<Value> ivs, Value x0, int64_t lanes, Value y0,
             int64_t rows) {
    auto f32 = b.getF32Type();
    auto vecType = VectorType::get({kBlock}, f32);
    auto maskType = VectorType::get({kBlock}, b.getI1Type());
    auto tileType = VectorType::get({kBlock, kBlock}, f32);
    Value zero = arith::ConstantOp::create(
        b, loc, vecType, DenseElementsAttr::get(vecType, 0.0f));
    Value tile = arith::ConstantOp::create(
        b, loc, tileType, DenseElementsAttr::get(tileType, 0.0f));
    Value laneMask =
        lanes < kBlock ? vector::ConstantMaskOp::create(b, loc, maskType, lanes)
                             .getResult()
                       : Value();
    for (int64_t r = 0; r < rows; ++r) {
      SmallVector<Value> idx = indices(copy.inputMap, ivs, x0, add(y0, r));
      Value row =
          laneMask
              ? vector::MaskedLoadOp::create(b, loc, vecType, in, idx, laneMask,
                                             zero)
                    .getResult()
              : vector::LoadOp::create(b, loc, vecType, in, idx).getResult();
      tile = vector::InsertOp::create(b, loc, row, tile, r);
    }
    Value transposed =
        vector::TransposeOp::create(b, loc, tile, ArrayRef<int64_t>{1, 0});
    Value rowMask =
        rows < kBlock
            ? vector::ConstantMaskOp::create(b, loc, maskType, rows).getResult()
            : Value();
    for (int64_t l = 0; l < lanes; ++l) {
      Value column = vector::ExtractOp::create(b, loc, transposed, l);
      SmallVector<Value> idx = indices(copy.outputMap, ivs, add(x0, l), y0);
      if (rowMask) {
        vector::MaskedStoreOp::create(b, loc, out, idx, rowMask, column);
      } else {
        vector::StoreOp::create(b, loc, column, out, idx);
      }
    }
  }

  OpBuilder &b;
  Location loc;
  TransposeCopy copy;
  Value in, out;
  SmallVector<int64_t> extents;
};

struct CpuLowerTransposesPass
    : kiln::impl::CpuLowerTransposesPassBase<CpuLowerTransposesPass> {
  void runOnOperation() override {
    SmallVector<TransposeCopy> copies;
    getOperation().walk([&](linalg::GenericOp op) {
      if (std::optional<TransposeCopy> copy = matchTransposeCopy(op)) {
        copies.push_back(*copy);
      }
    });
    if (copies.empty()) {
      return;
    }
    for (TransposeCopy &copy : copies) {
      OpBuilder b(copy.op);
      TransposeEmitter(b, copy).emit();
      copy.op.erase();
    }
    lowerTransposesToShuffles(getOperation());
  }
};

} // namespace
