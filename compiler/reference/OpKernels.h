//===- OpKernels.h - Reference kernels of the kiln ops ----------*- C++ -*-===//
//
// One function per op (or family of ops), called by the interpreter with
// the tensors of the op's operands. The IR has been verified, so operand
// shapes agree with the op's types; kernels trust that and only guard
// against run-time data (indices, lengths, spans) being out of range.
//
// Everything is f32 in and out; every sum (contractions, reductions,
// norms, softmax denominators, attention, expert mixing) is accumulated
// in double, and composite ops keep their intermediates in double.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_REFERENCE_OPKERNELS_H
#define KILN_COMPILER_REFERENCE_OPKERNELS_H

#include "compiler/reference/ReferenceInterpreter.h"
#include "dialects/Kiln/IR/KilnOps.h"

#include <cmath>

namespace kiln::ref {

//===- SourceKernels.cpp --------------------------------------------------===//

/// The parameter loaded from `weights`, permuted as the op says.
mlir::FailureOr<Tensor> runParam(ParamOp op, WeightSource &weights);

/// The literal of a constant.
mlir::FailureOr<Tensor> runConstant(ConstantOp op);

//===- ElementwiseKernels.cpp ---------------------------------------------===//

/// `op` (add, sub, mul, div or maximum) with NumPy broadcasting.
Tensor runBinary(mlir::Operation *op, const Tensor &lhs, const Tensor &rhs);

/// `op` (gelu, silu, sigmoid, tanh, exp, rsqrt, sqrt or neg) elementwise.
Tensor runUnary(mlir::Operation *op, const Tensor &input);

//===- ContractionKernels.cpp ---------------------------------------------===//

/// `input [.., K] x weight[N, K]^T + bias[N]`.
Tensor runLinear(const Tensor &input, const Tensor &weight, const Tensor *bias);

/// The batched product of `lhs` and `rhs`, each optionally transposed in
/// its last two dimensions, with broadcast batch dimensions.
Tensor runMatmul(const Tensor &lhs, const Tensor &rhs, bool transposeLhs,
                 bool transposeRhs);

/// A stride-`patch` convolution of `pixels [B, C, H, W]` with
/// `weight [D, C, P, P]`, flattened to `[B, N, D]`.
Tensor runPatchEmbed(const Tensor &pixels, const Tensor &weight,
                     const Tensor *bias, int64_t patch);

//===- NormalizationKernels.cpp -------------------------------------------===//

/// Softmax along `axis` (already non-negative).
Tensor runSoftmax(const Tensor &input, int64_t axis);

/// LayerNorm over the last dimension, biased variance.
Tensor runLayerNorm(const Tensor &input, const Tensor *scale,
                    const Tensor *bias, double epsilon);

/// Hugging Face RMSNorm over the last dimension.
Tensor runRmsNorm(const Tensor &input, const Tensor *scale, double epsilon);

//===- ShapeKernels.cpp ---------------------------------------------------===//

/// The same elements in `shape`.
Tensor runReshape(const Tensor &input, llvm::ArrayRef<int64_t> shape);

/// `input` broadcast to `shape`.
Tensor runBroadcast(const Tensor &input, llvm::ArrayRef<int64_t> shape);

/// `inputs` joined along `axis` (already non-negative).
Tensor runConcat(llvm::ArrayRef<const Tensor *> inputs, int64_t axis);

/// The strided window of `input`.
Tensor runSlice(const Tensor &input, llvm::ArrayRef<int64_t> offsets,
                llvm::ArrayRef<int64_t> sizes, llvm::ArrayRef<int64_t> strides);

/// Slices of `table` along `axis` (non-negative) picked by `indices`,
/// clamped into range.
Tensor runGather(const Tensor &table, const Tensor &indices, int64_t axis);

//===- ReductionKernels.cpp -----------------------------------------------===//

/// Reduces the non-negative, distinct `axes` of `input`.
Tensor runReduce(const Tensor &input, ReduceKind kind,
                 llvm::ArrayRef<int64_t> axes, bool keepDims);

/// The `k` largest values along the last axis (descending, ties lower
/// index first) and their i64 indices.
std::pair<Tensor, Tensor> runTopK(const Tensor &input, int64_t k);

/// The order of top_k and MoE routing (torch.topk's): a ranks above b when
/// it is larger, or NaN over a number; NaN and NaN tie. A strict weak
/// order, so sorts may use it (a bare `a > b` is not one with NaN).
inline bool ranksAbove(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) {
    return !std::isnan(b);
  }
  return a > b;
}

//===- RopeKernel.cpp, AttentionKernel.cpp, MoeKernel.cpp -----------------===//

/// Rotary position embedding; `positions` may be null.
Tensor runRope(RopeOp op, const Tensor &input, const Tensor *positions);

/// Multi-head attention; `mask` is the mask operand or null.
Tensor runAttention(AttentionOp op, const Tensor &query, const Tensor &key,
                    const Tensor &value, const Tensor *mask);

/// The results of a moe op: the output, the assignment counts and the
/// (scaled) load-balancing loss.
struct MoeResults {
  Tensor output;
  Tensor counts;
  Tensor aux;
};

/// Mixture of experts. `experts` holds (gate, up, down) per expert,
/// `shared` is empty or the shared expert's (gate, up, down).
MoeResults runMoe(MoeOp op, const Tensor &input, const Tensor &router,
                  llvm::ArrayRef<const Tensor *> experts,
                  llvm::ArrayRef<const Tensor *> shared,
                  const Tensor *selectionBias);

} // namespace kiln::ref

#endif // KILN_COMPILER_REFERENCE_OPKERNELS_H
