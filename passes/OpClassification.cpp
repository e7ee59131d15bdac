//===- OpClassification.cpp - What kind of computation a linalg op is ----===//

#include "passes/OpClassification.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include <numeric>

using namespace mlir;

namespace kiln {

/// True when `map` is (d0, d1, ..., d_{r-1}) with r results.
static bool isLeadingIdentity(AffineMap map) {
  for (auto [i, expr] : llvm::enumerate(map.getResults())) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim || dim.getPosition() != i) {
      return false;
    }
  }
  return true;
}

/// p when `map` is (n floordiv p, k, n mod p), after leading results that
/// read none of the loops m, n and k (batch dims: attention's values in
/// panels per batch and head).
static std::optional<int64_t> panelWidth(AffineMap map, unsigned mDim,
                                         unsigned nDim, unsigned kDim) {
  unsigned rank = map.getNumResults();
  if (rank < 3 ||
      map.getResult(rank - 2) != getAffineDimExpr(kDim, map.getContext())) {
    return std::nullopt;
  }
  for (AffineExpr lead : map.getResults().drop_back(3)) {
    if (lead.isFunctionOfDim(mDim) || lead.isFunctionOfDim(nDim) ||
        lead.isFunctionOfDim(kDim)) {
      return std::nullopt;
    }
  }
  auto outer = dyn_cast<AffineBinaryOpExpr>(map.getResult(rank - 3));
  auto inner = dyn_cast<AffineBinaryOpExpr>(map.getResult(rank - 1));
  if (!outer || !inner || outer.getKind() != AffineExprKind::FloorDiv ||
      inner.getKind() != AffineExprKind::Mod) {
    return std::nullopt;
  }
  AffineExpr n = getAffineDimExpr(nDim, map.getContext());
  auto p = dyn_cast<AffineConstantExpr>(outer.getRHS());
  if (!p || outer.getLHS() != n || inner.getLHS() != n ||
      inner.getRHS() != outer.getRHS()) {
    return std::nullopt;
  }
  return p.getValue();
}

bool isRowReduction(linalg::LinalgOp op) {
  unsigned loops = op.getNumLoops();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (loops < 1 || op.getNumReductionLoops() != 1 ||
      iterators.back() != utils::IteratorType::reduction) {
    return false;
  }
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    if (map.getNumResults() != loops - 1 || !isLeadingIdentity(map)) {
      return false;
    }
  }
  return true;
}

bool isElementwise(linalg::LinalgOp op) {
  return op.getNumLoops() == op.getNumParallelLoops();
}

/// The last input of `op` when it is a rank-0 integer read whole.
static OpOperand *trailingScalar(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() == 0) {
    return nullptr;
  }
  OpOperand *last = op.getDpsInputOperand(op.getNumDpsInputs() - 1);
  auto type = dyn_cast<ShapedType>(last->get().getType());
  bool scalar = type && type.getRank() == 0 &&
                type.getElementType().isSignlessInteger() &&
                op.getMatchingIndexingMap(last).getNumResults() == 0;
  return scalar ? last : nullptr;
}

OpOperand *rowLimitOperand(linalg::LinalgOp op) {
  return op->hasAttr(kRowLimitAttr) ? trailingScalar(op) : nullptr;
}

std::optional<int64_t> expectedRowCount(Operation *op) {
  auto expected = op->getAttrOfType<IntegerAttr>(kRowLimitAttr);
  if (!expected || expected.getInt() < 1) {
    return std::nullopt;
  }
  return expected.getInt();
}

std::optional<KeyLimit> keyLimit(linalg::LinalgOp op) {
  auto loop = op->getAttrOfType<DenseI64ArrayAttr>(kKeyEndAttr);
  if (!loop || loop.size() != 1 || loop[0] < 0 || loop[0] >= op.getNumLoops() ||
      op.getNumDpsInputs() == 0) {
    return std::nullopt;
  }
  unsigned key = loop[0];
  OpOperand *ends = op.getDpsInputOperand(op.getNumDpsInputs() - 1);
  auto type = dyn_cast<ShapedType>(ends->get().getType());
  AffineMap map = op.getMatchingIndexingMap(ends);
  bool valid = type && type.getElementType().isSignlessInteger() &&
               llvm::all_of(map.getResults(), [&](AffineExpr expr) {
                 auto dim = dyn_cast<AffineDimExpr>(expr);
                 return dim && dim.getPosition() != key;
               });
  if (!valid) {
    return std::nullopt;
  }
  return KeyLimit{key, ends};
}

SmallVector<Value> keyEndIndices(linalg::LinalgOp op, const KeyLimit &limit,
                                 ValueRange ivs) {
  SmallVector<Value> indices;
  for (AffineExpr expr : op.getMatchingIndexingMap(limit.ends).getResults()) {
    indices.push_back(ivs[cast<AffineDimExpr>(expr).getPosition()]);
  }
  return indices;
}

int64_t attentionKeyBlock(int64_t keys) {
  // A tail of up to a quarter block rides in the one block.
  if (keys <= kAttentionKeyBlock + kAttentionKeyBlock / 4) {
    return keys;
  }
  for (int64_t block = kAttentionKeyBlock; block >= kAttentionKeyBlock / 2;
       block -= kAttentionKeyPanel) {
    if (keys % block == 0) {
      return block;
    }
  }
  return kAttentionKeyBlock;
}

Value loopRangeView(OpBuilder &b, Location loc, Value operand, AffineMap map,
                    unsigned loop, OpFoldResult offset, OpFoldResult size) {
  auto type = cast<MemRefType>(operand.getType());
  AffineExpr index = getAffineDimExpr(loop, b.getContext());
  // `value` / p, rounded down or up, folded when constant.
  auto divide = [&](OpFoldResult value, int64_t p, bool up) -> OpFoldResult {
    if (std::optional<int64_t> known = getConstantIntValue(value)) {
      return b.getIndexAttr(up ? llvm::divideCeil(*known, p) : *known / p);
    }
    Value divisor = arith::ConstantIndexOp::create(b, loc, p);
    Value v = cast<Value>(value);
    if (up) {
      return arith::CeilDivUIOp::create(b, loc, v, divisor).getResult();
    }
    return arith::DivUIOp::create(b, loc, v, divisor).getResult();
  };
  SmallVector<OpFoldResult> offsets, sizes;
  bool touched = false;
  for (auto [pos, expr] : llvm::enumerate(map.getResults())) {
    auto panels = dyn_cast<AffineBinaryOpExpr>(expr);
    auto width = panels ? dyn_cast<AffineConstantExpr>(panels.getRHS())
                        : AffineConstantExpr();
    if (expr == index) {
      offsets.push_back(offset);
      sizes.push_back(size);
      touched = true;
    } else if (width && panels.getKind() == AffineExprKind::FloorDiv &&
               panels.getLHS() == index) {
      offsets.push_back(divide(offset, width.getValue(), /*up=*/false));
      sizes.push_back(divide(size, width.getValue(), /*up=*/true));
      touched = true;
    } else {
      offsets.push_back(b.getIndexAttr(0));
      sizes.push_back(b.getIndexAttr(type.getDimSize(pos)));
    }
  }
  if (!touched) {
    return operand;
  }
  return memref::SubViewOp::create(
      b, loc, operand, offsets, sizes,
      SmallVector<OpFoldResult>(type.getRank(), b.getIndexAttr(1)));
}

void boundLoop(linalg::GenericOp op, unsigned loop, Value bound,
               StringRef dropped) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto shrink = [&](OpOperand &operand) {
    return loopRangeView(b, loc, operand.get(),
                         op.getMatchingIndexingMap(&operand), loop,
                         b.getIndexAttr(0), bound);
  };
  SmallVector<Value> inputs, outputs;
  for (OpOperand *input : op.getDpsInputOperands()) {
    inputs.push_back(shrink(*input));
  }
  for (OpOperand &init : op.getDpsInitsMutable()) {
    outputs.push_back(shrink(init));
  }
  auto bounded = linalg::GenericOp::create(b, loc, TypeRange{}, inputs, outputs,
                                           op.getIndexingMapsArray(),
                                           op.getIteratorTypesArray());
  bounded.getRegion().takeBody(op.getRegion());
  for (NamedAttribute attr : op->getDiscardableAttrs()) {
    if (attr.getName() != dropped) {
      bounded->setAttr(attr.getName(), attr.getValue());
    }
  }
  op.erase();
}

std::optional<unsigned> resultRowLoop(linalg::LinalgOp op) {
  std::optional<unsigned> loop;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    unsigned rank = map.getNumResults();
    auto rows =
        rank >= 2 ? dyn_cast<AffineDimExpr>(map.getResult(rank - 2)) : nullptr;
    if (!rows || (loop && *loop != rows.getPosition())) {
      return std::nullopt;
    }
    loop = rows.getPosition();
  }
  return loop;
}

std::optional<GemmOperands> matchGemm(linalg::LinalgOp op) {
  unsigned inputs = rowLimitOperand(op) || keyLimit(op) ? 3 : 2;
  if (op->hasAttr(kDotRowsAttr) || op.getNumDpsInputs() != inputs ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 1 ||
      op.getNumLoops() < 3) {
    return std::nullopt;
  }
  unsigned loops = op.getNumLoops();
  unsigned nDim = loops - 2, kDim = loops - 1;
  if (op.getIteratorTypesArray().back() != utils::IteratorType::reduction) {
    return std::nullopt;
  }
  OpOperand *init = op.getDpsInitOperand(0);
  if (!isLeadingIdentity(op.getMatchingIndexingMap(init)) ||
      op.getMatchingIndexingMap(init).getNumResults() != loops - 1) {
    return std::nullopt;
  }
  unsigned mDim = loops - 3;
  AffineMap map0 = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap map1 = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  // A: batch dims (in any order), m once, k last.
  GemmOperands gemm;
  SmallVector<unsigned> seen;
  for (auto [pos, expr] : llvm::enumerate(map0.getResults())) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    bool last = pos + 1 == map0.getNumResults();
    if (!dim || llvm::is_contained(seen, dim.getPosition()) ||
        (last != (dim.getPosition() == kDim)) || dim.getPosition() == nDim) {
      return std::nullopt;
    }
    seen.push_back(dim.getPosition());
    if (dim.getPosition() == mDim) {
      gemm.lhsRowPos = pos;
    }
  }
  if (!llvm::is_contained(seen, mDim)) {
    return std::nullopt;
  }
  // B: k and n once each, anything else a function of batch dims only; or
  // exactly the panel layout.
  if (std::optional<int64_t> panel = panelWidth(map1, mDim, nDim, kDim)) {
    gemm.rhsPanel = *panel;
  } else {
    std::optional<unsigned> kPos, nPos;
    for (auto [pos, expr] : llvm::enumerate(map1.getResults())) {
      auto dim = dyn_cast<AffineDimExpr>(expr);
      if (dim && dim.getPosition() == kDim && !kPos) {
        kPos = pos;
      } else if (dim && dim.getPosition() == nDim && !nPos) {
        nPos = pos;
      } else if (expr.isFunctionOfDim(mDim) || expr.isFunctionOfDim(nDim) ||
                 expr.isFunctionOfDim(kDim)) {
        return std::nullopt;
      }
    }
    if (!kPos || !nPos) {
      return std::nullopt;
    }
    gemm.rhsKPos = *kPos;
    gemm.rhsNPos = *nPos;
    gemm.rhsTransposed = *nPos < *kPos;
  }
  // The body must be `out + a * b`.
  Block &body = op->getRegion(0).front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getNumOperands() == 1
                 ? yield.getOperand(0).getDefiningOp<arith::AddFOp>()
                 : nullptr;
  if (!add || body.getOperations().size() != 3) {
    return std::nullopt;
  }
  Value acc = body.getArgument(inputs);
  Value other = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  auto mul = other.getDefiningOp<arith::MulFOp>();
  if (!mul || (add.getLhs() != acc && add.getRhs() != acc)) {
    return std::nullopt;
  }
  Value a = body.getArgument(0), b = body.getArgument(1);
  if (!((mul.getLhs() == a && mul.getRhs() == b) ||
        (mul.getLhs() == b && mul.getRhs() == a))) {
    return std::nullopt;
  }
  return gemm;
}

/// The divisors of the floordiv, ceildiv and mod terms of `expr` whose
/// dividend reads loop dim `dim`, folded into their least common multiple.
static int64_t divisorsOf(AffineExpr expr, unsigned dim) {
  int64_t multiple = 1;
  expr.walk([&](AffineExpr sub) {
    auto binary = dyn_cast<AffineBinaryOpExpr>(sub);
    if (!binary || (sub.getKind() != AffineExprKind::FloorDiv &&
                    sub.getKind() != AffineExprKind::CeilDiv &&
                    sub.getKind() != AffineExprKind::Mod)) {
      return;
    }
    auto divisor = dyn_cast<AffineConstantExpr>(binary.getRHS());
    if (divisor && divisor.getValue() > 1 &&
        binary.getLHS().isFunctionOfDim(dim)) {
      multiple = std::lcm(multiple, divisor.getValue());
    }
  });
  return multiple;
}

int64_t tileMultiple(mlir::Operation *root, size_t rank, unsigned resultDim,
                     int64_t size) {
  int64_t multiple = 1;
  root->walk([&](linalg::LinalgOp op) {
    if (op->getNumResults() != 1 || op.getNumDpsInits() != 1) {
      return;
    }
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (type.getRank() != static_cast<int64_t>(rank) ||
        type.getDimSize(resultDim) != size || !out.isProjectedPermutation()) {
      return;
    }
    unsigned dim = cast<AffineDimExpr>(out.getResult(resultDim)).getPosition();
    for (OpOperand *input : op.getDpsInputOperands()) {
      for (AffineExpr expr : op.getMatchingIndexingMap(input).getResults()) {
        multiple = std::lcm(multiple, divisorsOf(expr, dim));
      }
    }
  });
  return multiple;
}

} // namespace kiln
