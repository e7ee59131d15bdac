//===- AbsorbAttentionProjections.cpp - Keys and values as the context ----===//
//
// An attention whose keys and values are linear projections of a context,
//
//   k = c_k Wk^T + bk,  v = c_v Wv^T + bv       (W: [heads * dh, E])
//   a = attention(q, k, v)
//
// computes per head h, with q_h = q[.., h dh : (h + 1) dh] and Wk_h the
// rows h dh .. (h + 1) dh - 1 of Wk:
//
//   scores_h = s q_h k_h^T = s (q_h Wk_h) c_k^T + s (q_h . bk_h) 1^T
//   a_h      = P_h v_h     = (P_h c_v) Wv_h^T + bv_h
//
// The second term of the scores is the same for every key of a row, which
// the softmax ignores; the bias of the values comes out because every row
// of P sums to one. So the attention can run on the context itself, as
// one kv head of width E shared by all query heads:
//
//   q'  = [q_h Wk_h]_h                               [B, Sq, heads * E]
//   a'  = attention(q', c_k, c_v, kv_heads = 1, scale = s)
//   a_h = a'_h Wv_h^T + bv_h
//
// This pays when the queries are few against the keys: the Q-Former's 32
// learned queries attend to 257 image features of width 1408, and the
// projections of those features were most of its cross-attention's work.
// Per batch, in multiply-adds:
//
//   before: 2 Sk E D + 2 Sq Sk D            (D = heads * dh)
//   after:  2 Sq D E + 2 Sq Sk heads E
//
// The pass rewrites when `after` is at most `max-cost-ratio` of `before`:
// the rewritten attention runs its multiply-adds about a fifth slower than
// the GEMMs it replaces (head dim E instead of dh, CpuFlashAttention.cpp)
// and moves q' and a' between head-major and row-major layouts. The
// per-head products are batched matmuls over [heads, B * Sq] rows, whose
// weights kiln-materialize-weight-layouts stores in the GEMM's layout.
//
// Conditions: heads == kv_heads; both projections used only by this
// attention; keys and values of one width E; and, when the values have a
// bias, rows that see no key attend to all keys (empty_rows = all_keys, or
// no mask), so that every row of P sums to one.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace kiln {
#define GEN_PASS_DEF_ABSORBATTENTIONPROJECTIONSPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The attention's shape, per batch.
struct AttentionShape {
  int64_t batch, queries, keys, heads, headDim, context;

  /// Multiply-adds per batch before and after the rewrite.
  double costBefore() const {
    double width = heads * headDim;
    return 2.0 * keys * context * width + 2.0 * queries * keys * width;
  }
  double costAfter() const {
    double width = heads * headDim;
    return 2.0 * queries * width * context +
           2.0 * queries * keys * heads * context;
  }
};

/// The projection `value` is, if it is a linear layer used only once.
LinearOp soleProjection(Value value) {
  auto linear = value.getDefiningOp<LinearOp>();
  return linear && linear->hasOneUse() ? linear : LinearOp();
}

class Absorber {
public:
  Absorber(AttentionOp op, const AttentionShape &shape)
      : b(op), loc(op.getLoc()), op(op), shape(shape) {}

  void rewrite(LinearOp key, LinearOp value);

private:
  RankedTensorType tensor(ArrayRef<int64_t> dims) {
    return RankedTensorType::get(dims, b.getF32Type());
  }
  Value reshape(Value input, ArrayRef<int64_t> dims) {
    return ReshapeOp::create(b, loc, tensor(dims), input);
  }
  Value transpose(Value input, ArrayRef<int64_t> permutation) {
    auto type = cast<RankedTensorType>(input.getType());
    SmallVector<int64_t> dims;
    for (int64_t d : permutation) {
      dims.push_back(type.getDimSize(d));
    }
    return TransposeOp::create(b, loc, tensor(dims), input,
                               b.getDenseI64ArrayAttr(permutation));
  }
  /// [B, Sq, heads * w] -> [heads, B * Sq, w]: one GEMM row per query and
  /// head, the heads outermost.
  Value toHeadRows(Value rows, int64_t width) {
    Value split =
        reshape(rows, {shape.batch, shape.queries, shape.heads, width});
    return reshape(transpose(split, {2, 0, 1, 3}),
                   {shape.heads, shape.batch * shape.queries, width});
  }
  /// The inverse of toHeadRows.
  Value fromHeadRows(Value headRows, int64_t width) {
    Value split =
        reshape(headRows, {shape.heads, shape.batch, shape.queries, width});
    return reshape(transpose(split, {1, 2, 0, 3}),
                   {shape.batch, shape.queries, shape.heads * width});
  }
  /// A linear layer's [heads * dh, E] weight as [heads, dh, E].
  Value perHead(LinearOp linear) {
    return reshape(linear.getWeight(),
                   {shape.heads, shape.headDim, shape.context});
  }

  OpBuilder b;
  Location loc;
  AttentionOp op;
  AttentionShape shape;
};

void Absorber::rewrite(LinearOp key, LinearOp value) {
  int64_t rows = shape.batch * shape.queries;
  // q'_h = q_h Wk_h: [heads, B Sq, dh] x [heads, dh, E]. (Operands are
  // built one statement at a time, so that the IR's order does not depend
  // on the C++ compiler's order of evaluating arguments.)
  Value queryRows = toHeadRows(op.getQuery(), shape.headDim);
  Value keyWeight = perHead(key);
  Value queries = MatmulOp::create(
      b, loc, tensor({shape.heads, rows, shape.context}), queryRows, keyWeight,
      /*transpose_lhs=*/false, /*transpose_rhs=*/false);
  Value contextQueries = fromHeadRows(queries, shape.context);
  auto attention = AttentionOp::create(
      b, loc, tensor({shape.batch, shape.queries, shape.heads * shape.context}),
      contextQueries, key.getInput(), value.getInput(), op.getMaskOperand(),
      op.getHeadsAttr(), b.getI64IntegerAttr(1), op.getMaskAttr(),
      b.getF64FloatAttr(op.getScaleValue()),
      ScalePlacementAttr::get(b.getContext(), ScalePlacement::Scores),
      op.getSoftmaxF32Attr(), op.getEmptyRowsAttr());
  // a_h = a'_h Wv_h^T: [heads, B Sq, E] x [heads, dh, E]^T. A parameter is
  // read transposed (kiln-materialize-weight-layouts stores it as the GEMM
  // reads it); any other weight is transposed here, once per run.
  Value attentionRows = toHeadRows(attention.getResult(), shape.context);
  Value valueWeight = perHead(value);
  bool isParam = value.getWeight().getDefiningOp<ParamOp>() != nullptr;
  if (!isParam) {
    valueWeight = transpose(valueWeight, {0, 2, 1});
  }
  Value heads = MatmulOp::create(
      b, loc, tensor({shape.heads, rows, shape.headDim}), attentionRows,
      valueWeight, /*transpose_lhs=*/false, /*transpose_rhs=*/isParam);
  Value result = fromHeadRows(heads, shape.headDim);
  if (Value bias = value.getBias()) {
    result = AddOp::create(b, loc, result.getType(), result, bias);
  }
  op.getResult().replaceAllUsesWith(result);
  op->erase();
  key->erase();
  value->erase();
}

struct AbsorbAttentionProjectionsPass
    : kiln::impl::AbsorbAttentionProjectionsPassBase<
          AbsorbAttentionProjectionsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<AttentionOp> attentions;
    getOperation().walk([&](AttentionOp op) { attentions.push_back(op); });
    for (AttentionOp op : attentions) {
      LinearOp key = soleProjection(op.getKey());
      LinearOp value = soleProjection(op.getValue());
      if (!key || !value || key == value ||
          op.getKvHeadCount() != static_cast<int64_t>(op.getHeads())) {
        continue;
      }
      auto contextType = cast<RankedTensorType>(key.getInput().getType());
      if (contextType.getRank() != 3 ||
          value.getInput().getType() != contextType) {
        continue;
      }
      if (value.getBias() && op.getMask() != MaskKind::None &&
          op.getEmptyRows() != EmptyRows::AllKeys) {
        continue;
      }
      auto queryType = cast<RankedTensorType>(op.getQuery().getType());
      AttentionShape shape{
          queryType.getDimSize(0),   queryType.getDimSize(1),
          contextType.getDimSize(1), static_cast<int64_t>(op.getHeads()),
          op.getHeadDim(),           contextType.getDimSize(2)};
      if (shape.costAfter() > maxCostRatio * shape.costBefore()) {
        continue;
      }
      Absorber(op, shape).rewrite(key, value);
    }
  }
};

} // namespace
