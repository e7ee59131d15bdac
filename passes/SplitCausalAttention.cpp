//===- SplitCausalAttention.cpp - Skip the keys causal queries never see --===//
//
// Under a causal mask, query row i sees keys j <= i + Sk - Sq: the upper
// right triangle of the scores is masked and need not be computed. A long
// causal attention is split into chunks of `chunk` query rows; chunk c
// (rows [c C, c C + C')) attends only to its visible prefix of keys,
// [0, c C + C' + Sk - Sq), with the same causal mask, which in the smaller
// attention's own coordinates is exactly the original one. The chunks'
// results are concatenated along the sequence. Only the diagonal block of
// each chunk still has masked elements; the key tiles past it are never
// computed, so the work is (n + 1) / 2n of the whole for n chunks.
//
//   %a = kiln.attention %q, %k, %v {mask = causal} : ([1,512,D], ...) -> ..
// becomes, with chunk = 256,
//   %q0 = kiln.slice %q rows [0, 256)      %k0, %v0 = keys [0, 256)
//   %a0 = kiln.attention %q0, %k0, %v0 {mask = causal}
//   %q1 = kiln.slice %q rows [256, 512)    %k1, %v1 = keys [0, 512)
//   %a1 = kiln.attention %q1, %k1, %v1 {mask = causal}
//   %a  = kiln.concat %a0, %a1 {axis = 1}
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace kiln {
#define GEN_PASS_DEF_SPLITCAUSALATTENTIONPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct SplitCausalAttentionPass
    : kiln::impl::SplitCausalAttentionPassBase<SplitCausalAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    if (chunk <= 0) {
      return;
    }
    SmallVector<AttentionOp> ops;
    getOperation().walk([&](AttentionOp op) {
      auto q = cast<RankedTensorType>(op.getQuery().getType());
      auto k = cast<RankedTensorType>(op.getKey().getType());
      int64_t sq = q.getDimSize(1), sk = k.getDimSize(1);
      // Sk >= Sq: every row keeps at least one visible key, so the empty
      // row policy never comes into play.
      if (op.getMask() == MaskKind::Causal && sk >= sq && sq >= 2 * chunk) {
        ops.push_back(op);
      }
    });
    for (AttentionOp op : ops) {
      split(op);
    }
  }

  /// `input` rows [offset, offset + size) along dim 1: `input` itself when
  /// that is all of it, one slice per distinct range (self-attention reads
  /// the same tensor as keys and values).
  Value rows(OpBuilder &b, Location loc, Value input, int64_t offset,
             int64_t size) {
    auto type = cast<RankedTensorType>(input.getType());
    if (offset == 0 && size == type.getDimSize(1)) {
      return input;
    }
    Value &slice = slices[{input, offset, size}];
    if (slice) {
      return slice;
    }
    SmallVector<int64_t> shape(type.getShape());
    SmallVector<int64_t> offsets(shape.size(), 0), strides(shape.size(), 1);
    offsets[1] = offset;
    shape[1] = size;
    slice = SliceOp::create(
        b, loc, RankedTensorType::get(shape, type.getElementType()), input,
        b.getDenseI64ArrayAttr(offsets), b.getDenseI64ArrayAttr(shape),
        b.getDenseI64ArrayAttr(strides));
    return slice;
  }

  /// The slices made for the attention being split.
  DenseMap<std::tuple<Value, int64_t, int64_t>, Value> slices;

  void split(AttentionOp op) {
    slices.clear();
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    int64_t sq = resultType.getDimSize(1);
    int64_t sk = cast<RankedTensorType>(op.getKey().getType()).getDimSize(1);
    SmallVector<Value> parts;
    for (int64_t start = 0; start < sq; start += chunk) {
      int64_t size = std::min<int64_t>(chunk, sq - start);
      int64_t keys = start + size + sk - sq;
      SmallVector<Value> operands = {rows(b, loc, op.getQuery(), start, size),
                                     rows(b, loc, op.getKey(), 0, keys),
                                     rows(b, loc, op.getValue(), 0, keys)};
      auto part = cast<AttentionOp>(b.clone(*op));
      part->setOperands(operands);
      SmallVector<int64_t> shape(resultType.getShape());
      shape[1] = size;
      part.getResult().setType(
          RankedTensorType::get(shape, resultType.getElementType()));
      // The default scale depends only on the head dim, which is kept; pin
      // it anyway so that the parts cannot drift from the whole.
      part.setScaleAttr(b.getF64FloatAttr(op.getScaleValue()));
      parts.push_back(part.getResult());
    }
    Value whole = ConcatOp::create(b, loc, resultType, parts, 1);
    op.getResult().replaceAllUsesWith(whole);
    op.erase();
  }
};

} // namespace
