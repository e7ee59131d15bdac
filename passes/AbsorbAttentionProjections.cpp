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
// of P sums to one. So the attention can run on the context itself, whose
// one "head" of width E all query heads share; their rows stack into one
// head of heads * Sq queries, so that each key block is loaded once for
// all of them:
//
//   q'  = [q_h Wk_h]_h                     [B, heads, Sq, E] = [B, heads Sq, E]
//   a'  = attention(q', c_k, c_v, heads = 1, scale = s)
//   a_h = a'_h Wv_h^T + bv_h               [B, heads, Sq, dh] -> [B, Sq, D]
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
// the margin pays for what the count leaves out (the attention at head dim
// E, the per-head products' short depth dh, the transposes of q and of
// the result). The per-head products are matmuls batched over (B, heads)
// whose weights kiln-materialize-weight-layouts stores in the GEMM's
// layout. Row spans and bias masks are repeated for each head's rows.
//
// Conditions: heads == kv_heads; both projections used only by this
// attention; keys and values of one shape [B, Sk, E]; no causal mask (it
// reads the row index, which stacking moves); and, when the values have a
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

RankedTensorType typeOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// The projection `value` is, if it is a linear layer used only once (so
/// a linear used as both key and value is not one).
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
  /// `input` (of any element type) in the shape `dims`.
  Value reshape(Value input, ArrayRef<int64_t> dims) {
    Type element = cast<RankedTensorType>(input.getType()).getElementType();
    return ReshapeOp::create(b, loc, RankedTensorType::get(dims, element),
                             input);
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
  /// [B, Sq, heads * w] -> [B, heads, Sq, w].
  Value headMajor(Value rows, int64_t width) {
    Value split =
        reshape(rows, {shape.batch, shape.queries, shape.heads, width});
    return transpose(split, {0, 2, 1, 3});
  }
  /// [B, heads, Sq, w] -> [B, Sq, heads * w].
  Value rowMajor(Value heads, int64_t width) {
    return reshape(transpose(heads, {0, 2, 1, 3}),
                   {shape.batch, shape.queries, shape.heads * width});
  }
  /// A linear layer's [heads * dh, E] weight as [heads, dh, E].
  Value perHead(LinearOp linear) {
    return reshape(linear.getWeight(),
                   {shape.heads, shape.headDim, shape.context});
  }
  /// The mask operand for the heads' queries stacked as rows of one head.
  Value stackedMask();

  OpBuilder b;
  Location loc;
  AttentionOp op;
  AttentionShape shape;
};

Value Absorber::stackedMask() {
  Value mask = op.getMaskOperand();
  int64_t stacked = shape.heads * shape.queries;
  switch (op.getMask()) {
  case MaskKind::None:
  case MaskKind::KeyPadding:
    return mask; // Nothing per row.
  case MaskKind::RowSpans: {
    // [B, Sq, 2] -> [B, heads, Sq, 2] -> [B, heads Sq, 2].
    Value split = reshape(mask, {shape.batch, 1, shape.queries, 2});
    Value spread = BroadcastOp::create(
        b, loc,
        RankedTensorType::get({shape.batch, shape.heads, shape.queries, 2},
                              typeOf(mask).getElementType()),
        split);
    return reshape(spread, {shape.batch, stacked, 2});
  }
  case MaskKind::Bias: {
    // Broadcastable to [B, heads, Sq, Sk] -> [B, 1, heads Sq, Sk].
    Value full = BroadcastOp::create(
        b, loc, tensor({shape.batch, shape.heads, shape.queries, shape.keys}),
        mask);
    return reshape(full, {shape.batch, 1, stacked, shape.keys});
  }
  case MaskKind::Causal:
    break;
  }
  llvm_unreachable("causal attention is not absorbed");
}

void Absorber::rewrite(LinearOp key, LinearOp value) {
  // q'_h = q_h Wk_h: [B, heads, Sq, dh] x [heads, dh, E], then the heads'
  // rows stacked, [B, heads Sq, E]. (Operands are built one statement at a
  // time, so that the IR's order does not depend on the C++ compiler's
  // order of evaluating arguments.)
  Value queryHeads = headMajor(op.getQuery(), shape.headDim);
  Value keyWeight = perHead(key);
  Value queries = MatmulOp::create(
      b, loc, tensor({shape.batch, shape.heads, shape.queries, shape.context}),
      queryHeads, keyWeight, /*transpose_lhs=*/false, /*transpose_rhs=*/false);
  int64_t stacked = shape.heads * shape.queries;
  Value stackedQueries =
      reshape(queries, {shape.batch, stacked, shape.context});
  Value mask = stackedMask();
  auto attention = AttentionOp::create(
      b, loc, tensor({shape.batch, stacked, shape.context}), stackedQueries,
      key.getInput(), value.getInput(), mask, b.getI64IntegerAttr(1),
      /*kv_heads=*/nullptr, op.getMaskAttr(),
      b.getF64FloatAttr(op.getScaleValue()),
      ScalePlacementAttr::get(b.getContext(), ScalePlacement::Scores),
      op.getSoftmaxF32Attr(), op.getEmptyRowsAttr());
  // a_h = a'_h Wv_h^T: [B, heads, Sq, E] x [heads, dh, E]^T. A parameter is
  // read transposed (kiln-materialize-weight-layouts stores it as the GEMM
  // reads it); any other weight is transposed here, once per run.
  Value attentionHeads =
      reshape(attention.getResult(),
              {shape.batch, shape.heads, shape.queries, shape.context});
  Value valueWeight = perHead(value);
  bool isParam = value.getWeight().getDefiningOp<ParamOp>() != nullptr;
  if (!isParam) {
    valueWeight = transpose(valueWeight, {0, 2, 1});
  }
  Value heads = MatmulOp::create(
      b, loc, tensor({shape.batch, shape.heads, shape.queries, shape.headDim}),
      attentionHeads, valueWeight, /*transpose_lhs=*/false,
      /*transpose_rhs=*/isParam);
  Value result = rowMajor(heads, shape.headDim);
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
      if (!key || !value ||
          op.getKvHeadCount() != static_cast<int64_t>(op.getHeads())) {
        continue;
      }
      auto contextType = cast<RankedTensorType>(key.getInput().getType());
      if (contextType.getRank() != 3 ||
          value.getInput().getType() != contextType) {
        continue;
      }
      // Stacking the heads' rows moves each query's row index, which a
      // causal mask reads.
      if (op.getMask() == MaskKind::Causal) {
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
