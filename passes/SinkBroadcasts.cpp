//===- SinkBroadcasts.cpp - Compute before broadcasting, not after --------===//
//
// A `kiln.broadcast` that repeats a tensor (the Q-Former's learned queries
// expanded to the batch) makes every op after it compute the same values
// once per copy. An op that works independently along the broadcast dims
// gives the same result on the unbroadcast input, broadcast afterwards:
//
//   %x = kiln.broadcast %q : tensor<1x32x768xf32> -> tensor<8x32x768xf32>
//   %y = kiln.linear %x, %w : ... -> tensor<8x32x768xf32>
// becomes
//   %y1 = kiln.linear %q, %w : ... -> tensor<1x32x768xf32>
//   %y = kiln.broadcast %y1 : tensor<1x32x768xf32> -> tensor<8x32x768xf32>
//
// and the broadcast moves on to the next op, until it meets an op that
// mixes the copies with data that differs between them (the Q-Former's
// cross-attention to each image's features). Which ops commute with a
// broadcast, and along which dims:
//  - elementwise ops, unary and binary (NumPy broadcasting composes);
//  - transposes; reshapes that keep the broadcast dims leading and whole;
//  - softmax, layer and RMS norms, linear layers: along every dim but the
//    one they reduce or contract (the last, or softmax's axis);
//  - batched matmuls: along batch dims;
//  - attention without a mask operand, when query, key and value are all
//    broadcast along the batch dim only.
// Only broadcasts of an input of the result's rank are moved (the
// frontends broadcast that way), and only when the op's result gets
// smaller. Broadcasts of broadcasts fold.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/TypeSwitch.h"

namespace kiln {
#define GEN_PASS_DEF_SINKBROADCASTSPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The input of the broadcast that defines `value`, when it has `value`'s
/// rank.
Value broadcastSource(Value value) {
  auto broadcast = value.getDefiningOp<BroadcastOp>();
  if (!broadcast || broadcast.getInput().getType().getRank() !=
                        broadcast.getType().getRank()) {
    return Value();
  }
  return broadcast.getInput();
}

/// The dims in which `from` was broadcast to `to` (same rank).
SmallVector<int64_t> broadcastDims(Value from, Value to) {
  ArrayRef<int64_t> source = cast<RankedTensorType>(from.getType()).getShape();
  ArrayRef<int64_t> result = cast<RankedTensorType>(to.getType()).getShape();
  SmallVector<int64_t> dims;
  for (auto [d, sizes] : llvm::enumerate(llvm::zip_equal(source, result))) {
    if (std::get<0>(sizes) != std::get<1>(sizes)) {
      dims.push_back(d);
    }
  }
  return dims;
}

/// A diagnostic that reports nothing: shape inference failing here only
/// means that the op does not commute.
InFlightDiagnostic quiet() { return InFlightDiagnostic(); }

RankedTensorType typeOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// True when no dim of `dims` is at or past `rank - trailing`.
bool leadingOnly(ArrayRef<int64_t> dims, int64_t rank, int64_t trailing) {
  return llvm::all_of(dims, [&](int64_t d) { return d < rank - trailing; });
}

/// The result type of `op` on `operands` (some of them the sources of its
/// broadcast operands), when `op` commutes with those broadcasts.
/// `sunk[i]` says whether operand i was replaced.
FailureOr<RankedTensorType> sunkResultType(Operation *op, ValueRange operands,
                                           ArrayRef<bool> sunk) {
  // The dims that operand i's broadcast expanded.
  auto dimsOf = [&](unsigned i) {
    return broadcastDims(operands[i], op->getOperand(i));
  };
  int64_t rank = typeOf(op->getResult(0)).getRank();
  return TypeSwitch<Operation *, FailureOr<RankedTensorType>>(op)
      .Case<SiluOp, SigmoidOp, TanhOp, ExpOp, RsqrtOp, SqrtOp, NegOp, GeluOp>(
          [&](Operation *) { return typeOf(operands[0]); })
      .Case([&](SoftmaxOp softmax) -> FailureOr<RankedTensorType> {
        // The attribute is an I64Attr, read back as uint64_t: compared with
        // 0 unsigned, a negative axis never counted as broadcast, and the
        // softmax of a broadcast along its axis (1 / n each) became a
        // broadcast softmax over size 1 (1 each).
        auto raw = static_cast<int64_t>(softmax.getAxis());
        int64_t axis = raw < 0 ? raw + rank : raw;
        if (llvm::is_contained(dimsOf(0), axis)) {
          return failure();
        }
        return typeOf(operands[0]);
      })
      .Case<AddOp, SubOp, MulOp, DivOp, MaximumOp>([&](auto binary) {
        return decltype(binary)::inferResultType(operands[0].getType(),
                                                 operands[1].getType(), quiet);
      })
      .Case<LayerNormOp, RmsNormOp>([&](Operation *) {
        bool params = llvm::any_of(sunk.drop_front(), [](bool s) { return s; });
        if (params || !leadingOnly(dimsOf(0), rank, 1)) {
          return FailureOr<RankedTensorType>(failure());
        }
        return FailureOr<RankedTensorType>(typeOf(operands[0]));
      })
      .Case([&](LinearOp linear) -> FailureOr<RankedTensorType> {
        if (sunk[1] || (linear.getBias() && sunk[2]) ||
            !leadingOnly(dimsOf(0), rank, 1)) {
          return failure();
        }
        return LinearOp::inferResultType(
            operands[0].getType(), operands[1].getType(),
            linear.getBias() ? operands[2].getType() : Type(), quiet);
      })
      .Case([&](MatmulOp matmul) -> FailureOr<RankedTensorType> {
        for (unsigned i : {0u, 1u}) {
          int64_t operandRank = typeOf(operands[i]).getRank();
          if (sunk[i] && !leadingOnly(dimsOf(i), operandRank, 2)) {
            return failure();
          }
        }
        return MatmulOp::inferResultType(
            operands[0].getType(), operands[1].getType(),
            matmul.getTransposeLhs(), matmul.getTransposeRhs(), quiet);
      })
      .Case([&](TransposeOp transpose) {
        return TransposeOp::inferResultType(operands[0].getType(),
                                            transpose.getPermutation(), quiet);
      })
      .Case([&](ReshapeOp reshape) -> FailureOr<RankedTensorType> {
        // Broadcast dims 0 .. p - 1 that the reshape keeps as they are.
        SmallVector<int64_t> dims = dimsOf(0);
        int64_t prefix = dims.empty() ? 0 : dims.back() + 1;
        ArrayRef<int64_t> input = typeOf(op->getOperand(0)).getShape();
        ArrayRef<int64_t> result = reshape.getType().getShape();
        if (static_cast<int64_t>(result.size()) < prefix ||
            input.take_front(prefix) != result.take_front(prefix)) {
          return failure();
        }
        SmallVector<int64_t> shape(
            typeOf(operands[0]).getShape().take_front(prefix));
        llvm::append_range(shape, result.drop_front(prefix));
        return RankedTensorType::get(shape, reshape.getType().getElementType());
      })
      .Case([&](AttentionOp attention) -> FailureOr<RankedTensorType> {
        if (attention.getMaskOperand()) {
          return failure();
        }
        for (unsigned i : {0u, 1u, 2u}) {
          SmallVector<int64_t> dims = dimsOf(i);
          if (!sunk[i] || dims != ArrayRef<int64_t>{0}) {
            return failure();
          }
        }
        return typeOf(operands[0]);
      })
      .Default([](Operation *) { return failure(); });
}

/// op(broadcast(x), ..) -> broadcast(op(x, ..)).
struct SinkBroadcast : RewritePattern {
  explicit SinkBroadcast(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (op->getNumResults() != 1 || !isa<KilnDialect>(op->getDialect()) ||
        isa<BroadcastOp>(op)) {
      return failure();
    }
    SmallVector<Value> operands(op->getOperands());
    SmallVector<bool> sunk(operands.size(), false);
    for (auto [i, operand] : llvm::enumerate(operands)) {
      if (Value source = broadcastSource(operand)) {
        operand = source;
        sunk[i] = true;
      }
    }
    if (llvm::none_of(sunk, [](bool s) { return s; })) {
      return failure();
    }
    FailureOr<RankedTensorType> type = sunkResultType(op, operands, sunk);
    auto oldType = typeOf(op->getResult(0));
    if (failed(type) || type->getRank() != oldType.getRank() ||
        type->getNumElements() >= oldType.getNumElements()) {
      return failure();
    }
    OperationState state(op->getLoc(), op->getName(), operands,
                         TypeRange{*type}, op->getAttrs());
    Operation *narrow = rewriter.create(state);
    rewriter.replaceOpWithNewOp<BroadcastOp>(op, oldType, narrow->getResult(0));
    return success();
  }
};

/// broadcast(broadcast(x)) -> broadcast(x).
struct FoldBroadcastOfBroadcast : OpRewritePattern<BroadcastOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BroadcastOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<BroadcastOp>();
    if (!inner) {
      return failure();
    }
    rewriter.replaceOpWithNewOp<BroadcastOp>(op, op.getType(),
                                             inner.getInput());
    return success();
  }
};

struct SinkBroadcastsPass
    : kiln::impl::SinkBroadcastsPassBase<SinkBroadcastsPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SinkBroadcast, FoldBroadcastOfBroadcast>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      signalPassFailure();
    }
  }
};

} // namespace
