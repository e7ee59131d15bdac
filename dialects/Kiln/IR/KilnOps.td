//===- KilnOps.td - Ops of the model-graph dialect ---------*- tablegen -*-===//
//
// Every op works on statically shaped ranked tensors and verifies its result
// types against what its operands imply; the `inferResultType` statics let
// frontends build ops without spelling result types and report shape errors
// at their own locations. The composites the compiler must see whole
// (attention, moe) are in KilnCompositeOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_KILN_IR_KILNOPS_TD
#define KILN_DIALECTS_KILN_IR_KILNOPS_TD

include "dialects/Kiln/IR/KilnDialect.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// Sizes are static and positive: the compiler lays out buffers and divides
// work by them, and a zero-size tensor has neither (the .kiln frontend
// refuses zero sizes with its own message).
class Kiln_PositiveSizes<TypeConstraint base>
    : Type<And<[base.predicate,
                CPred<"::llvm::all_of(::llvm::cast<::mlir::ShapedType>($_self)"
                      ".getShape(), [](int64_t size) { return size > 0; })">]>,
           base.summary # " with positive sizes", base.cppType>;

def Kiln_Tensor : Kiln_PositiveSizes<StaticShapeTensorOf<[F32]>>;
def Kiln_Vector : Kiln_PositiveSizes<1DTensorOf<[F32]>>;
def Kiln_IndexTensor : Kiln_PositiveSizes<StaticShapeTensorOf<[I32, I64]>>;
def Kiln_AnyTensor : Kiln_PositiveSizes<StaticShapeTensorOf<[F32, I32, I64]>>;
def Kiln_I64Tensor : Kiln_PositiveSizes<StaticShapeTensorOf<[I64]>>;

//===----------------------------------------------------------------------===//
// ParamOp, ConstantOp
//===----------------------------------------------------------------------===//

def Kiln_ParamOp : Kiln_Op<"param", [Pure]> {
  let summary = "A named parameter (weight) of the model.";
  let description = [{
    Yields the parameter called `name`. Its data becomes a constant of the
    compiled artifact: it is loaded from the `--weights` file by that name
    or, without one, drawn from a seeded initialiser. Names follow the
    Hugging Face checkpoint of the architecture, so that a user's exported
    state dict loads as it is.

    ```mlir
    %w = kiln.param "encoder.layer.0.output.dense.weight" : tensor<768x3072xf32>
    ```

    Compilation may store a parameter in another layout: with
    `permutation`, the result is the declared parameter transposed by it
    (result dimension `i` is declared dimension `permutation[i]`).

    ```mlir
    %wt = kiln.param "fc1.weight" {permutation = array<i64: 1, 0>}
        : tensor<768x3072xf32>
    ```

    With `panel = p`, a declared [N, K] parameter is stored as ceil(N / p)
    panels of p rows, each panel K x p with the rows of the declared
    parameter as its columns: `result[i, k, j] = declared[i * p + j, k]`.
    This is the layout GEMM kernels stream B in. When p does not divide N,
    `panel_columns = N` records N and the last panel's lanes past it hold
    zeros (a vocabulary of 779 outputs is 49 panels of 16, the last with 5
    zero lanes): kernels read whole panels and never use those lanes. A
    declared [G.., N, K] parameter (per-head weights) is stored as [G..,
    ceil(N / p), K, p], each of its [N, K] matrices that way. With both, the permutation applies first
    and the panels to its result: a [G, K, N] weight that a GEMM reads as
    B[g, k, n] is stored `{permutation = array<i64: 0, 2, 1>, panel = 32}`
    as [G, N / 32, K, 32].

    ```mlir
    %wp = kiln.param "fc1.weight" {panel = 32 : i64} : tensor<96x768x32xf32>
    %wv = kiln.param "lm_head.weight"
        {panel = 16 : i64, panel_columns = 779 : i64} : tensor<49x2048x16xf32>
    ```

    With `checkpoint_shape`, the checkpoint holds the parameter in that shape
    and the layout above applies to its row-major data read in the shape
    the layout starts from (the result's shape, undoing `permutation` or
    `panel`); both have as many elements. This is how a reshaped parameter,
    such as a convolution's [D, C, P, P] weight read as a [D, C P P] GEMM
    operand, is stored in panels.

    ```mlir
    %wc = kiln.param "proj.weight"
        {checkpoint_shape = array<i64: 768, 3, 16, 16>, panel = 32 : i64}
        : tensor<24x768x32xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name,
                       OptionalAttr<DenseI64ArrayAttr>:$permutation,
                       OptionalAttr<I64Attr>:$panel,
                       OptionalAttr<DenseI64ArrayAttr>:$checkpoint_shape,
                       OptionalAttr<I64Attr>:$panel_columns);
  let results = (outs Kiln_AnyTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The shape of the parameter in the checkpoint: `checkpoint_shape`
    /// when given, else the layout's source shape.
    ::llvm::SmallVector<int64_t> getDeclaredShape();
    /// The shape the stored layout (`permutation` and `panel`) starts from:
    /// the result's shape with the layout undone.
    ::llvm::SmallVector<int64_t> getLayoutSourceShape();
    /// The shape the panels start from: the result's shape with `panel`
    /// (and its padding) undone, which is the declared shape permuted by
    /// `permutation`.
    ::llvm::SmallVector<int64_t> getPanelSourceShape();
  }];
}

def Kiln_ConstantOp : Kiln_Op<"constant",
    [Pure, ConstantLike, AllTypesMatch<["value", "result"]>]> {
  let summary = "A literal tensor.";
  let description = [{
    A small tensor written in the model, such as a scalar factor.

    ```mlir
    %half = kiln.constant dense<0.5> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Kiln_AnyTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// LinearOp, MatmulOp
//===----------------------------------------------------------------------===//

def Kiln_LinearOp : Kiln_Op<"linear", [Pure]> {
  let summary = "y = x W^T + b over the last dimension of x.";
  let description = [{
    `torch.nn.functional.linear`: `input` is `[..., K]`, `weight` is
    `[N, K]` (the `[out, in]` layout of checkpoints) and the optional `bias`
    is `[N]`. The result is `[..., N]`.

    ```mlir
    %y = kiln.linear %x, %w, %b
        : (tensor<32x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>)
        -> tensor<32x3072xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_Tensor:$weight,
                       Optional<Kiln_Vector>:$bias);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The result type for these operand types (`bias` may be null), or an
    /// error reported through `emitError`.
    static ::mlir::FailureOr<::mlir::RankedTensorType> inferResultType(
        ::mlir::Type input, ::mlir::Type weight, ::mlir::Type bias,
        ::kiln::EmitErrorFn emitError);
  }];
}

def Kiln_MatmulOp : Kiln_Op<"matmul", [Pure]> {
  let summary = "Batched matrix product with broadcasting batch dimensions.";
  let description = [{
    `torch.matmul` of `lhs` `[..., M, K]` and `rhs` `[..., K, N]` (or their
    transposes with `transpose_lhs` / `transpose_rhs`), both of rank >= 2;
    the batch dimensions broadcast as in NumPy.

    ```mlir
    %s = kiln.matmul %q, %k {transpose_rhs}
        : (tensor<2x12x32x64xf32>, tensor<2x12x257x64xf32>)
        -> tensor<2x12x32x257xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$lhs, Kiln_Tensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static ::mlir::FailureOr<::mlir::RankedTensorType> inferResultType(
        ::mlir::Type lhs, ::mlir::Type rhs, bool transposeLhs,
        bool transposeRhs, ::kiln::EmitErrorFn emitError);
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

class Kiln_BinaryOp<string mnemonic, string what>
    : Kiln_Op<mnemonic, [Pure]> {
  let summary = "Elementwise " # what # " with NumPy broadcasting.";
  let description = [{
    Shapes broadcast as in NumPy: they are aligned at the trailing
    dimension, and each pair of sizes must be equal or one of them 1.

    ```mlir
    %r = kiln.}] # mnemonic # [{ %a, %b
        : tensor<2x32x768xf32>, tensor<768xf32> -> tensor<2x32x768xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$lhs, Kiln_Tensor:$rhs);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The NumPy broadcast of the operand types, or an error reported
    /// through `emitError`.
    static ::mlir::FailureOr<::mlir::RankedTensorType> inferResultType(
        ::mlir::Type lhs, ::mlir::Type rhs, ::kiln::EmitErrorFn emitError);
  }];
}

def Kiln_AddOp : Kiln_BinaryOp<"add", "addition">;
def Kiln_SubOp : Kiln_BinaryOp<"sub", "subtraction">;
def Kiln_MulOp : Kiln_BinaryOp<"mul", "multiplication">;
def Kiln_DivOp : Kiln_BinaryOp<"div", "division">;
def Kiln_MaximumOp : Kiln_BinaryOp<"maximum", "maximum">;

class Kiln_UnaryOp<string mnemonic, string what>
    : Kiln_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = what;
  let description = [{
    Elementwise; the result has the operand's type.

    ```mlir
    %y = kiln.}] # mnemonic # [{ %x : tensor<32x768xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Kiln_SiluOp : Kiln_UnaryOp<"silu", "SiLU: x * sigmoid(x).">;
def Kiln_SigmoidOp : Kiln_UnaryOp<"sigmoid", "Logistic sigmoid.">;
def Kiln_TanhOp : Kiln_UnaryOp<"tanh", "Hyperbolic tangent.">;
def Kiln_ExpOp : Kiln_UnaryOp<"exp", "Exponential.">;
def Kiln_RsqrtOp : Kiln_UnaryOp<"rsqrt", "Reciprocal square root.">;
def Kiln_SqrtOp : Kiln_UnaryOp<"sqrt", "Square root.">;
def Kiln_NegOp : Kiln_UnaryOp<"neg", "Negation.">;

def Kiln_GeluOp : Kiln_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "Gaussian error linear unit.";
  let description = [{
    `none` is the exact form `0.5 x (1 + erf(x / sqrt(2)))` (PyTorch's
    default, Hugging Face `gelu`); `tanh` is the tanh approximation
    (`gelu_new`, `gelu_pytorch_tanh`); `quick` is `x sigmoid(1.702 x)`
    (CLIP's `quick_gelu`).

    ```mlir
    %g = kiln.gelu %h : tensor<32x3072xf32>
    %t = kiln.gelu %h approximation tanh : tensor<32x3072xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input,
      DefaultValuedAttr<Kiln_GeluApproximationAttr,
                        "::kiln::GeluApproximation::None">:$approximation);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $input (`approximation` `` $approximation^)? attr-dict `:` type($input)
  }];
}

//===----------------------------------------------------------------------===//
// Softmax and norms
//===----------------------------------------------------------------------===//

def Kiln_SoftmaxOp : Kiln_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "Softmax along one axis.";
  let description = [{
    `exp(x - max) / sum(exp(x - max))` along `axis` (negative counts from
    the end). `accumulate_f32` records that the sum is accumulated in f32
    whatever the element type (PyTorch's `softmax(dtype=float32)`); for f32
    tensors it changes nothing.

    ```mlir
    %p = kiln.softmax %s {axis = -1 : i64} : tensor<2x12x32x32xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DefaultValuedAttr<I64Attr, "-1">:$axis,
                       UnitAttr:$accumulate_f32);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Kiln_LayerNormOp : Kiln_Op<"layer_norm",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "Layer normalisation over the last dimension.";
  let description = [{
    `torch.nn.LayerNorm` over the last dimension `D`: the biased variance
    (divided by `D`), `epsilon` inside the square root, then the optional
    affine `scale` (gamma) and `bias` (beta), both `[D]`.

    ```mlir
    %y = kiln.layer_norm %x scale(%g) bias(%b) {epsilon = 1.0e-12 : f64}
        : (tensor<32x768xf32>, tensor<768xf32>, tensor<768xf32>)
        -> tensor<32x768xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Optional<Kiln_Vector>:$scale,
                       Optional<Kiln_Vector>:$bias, F64Attr:$epsilon);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $input (`scale` `(` $scale^ `)`)? (`bias` `(` $bias^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The result type for these operand types (`scale`, `bias` may be
    /// null), or an error reported through `emitError`.
    static ::mlir::FailureOr<::mlir::RankedTensorType> inferResultType(
        ::mlir::Type input, ::mlir::Type scale, ::mlir::Type bias,
        ::kiln::EmitErrorFn emitError);
  }];
}

def Kiln_RmsNormOp : Kiln_Op<"rms_norm", [Pure]> {
  let summary = "RMS normalisation over the last dimension.";
  let description = [{
    Hugging Face's `RMSNorm`: `x * rsqrt(mean(x^2) + epsilon)`, then the
    optional `scale` `[D]`.

    ```mlir
    %y = kiln.rms_norm %x scale(%w) {epsilon = 1.0e-5 : f64}
        : (tensor<32x4096xf32>, tensor<4096xf32>) -> tensor<32x4096xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Optional<Kiln_Vector>:$scale,
                       F64Attr:$epsilon);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $input (`scale` `(` $scale^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

def Kiln_ReshapeOp : Kiln_Op<"reshape", [Pure]> {
  let summary = "The same elements in another shape.";
  let description = [{
    Row-major reinterpretation: the element count must not change.

    ```mlir
    %h = kiln.reshape %q : tensor<2x32x768xf32> -> tensor<2x32x12x64xf32>
    ```
  }];
  let arguments = (ins Kiln_AnyTensor:$input);
  let results = (outs Kiln_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizeMethod = 1;
}

def Kiln_BroadcastOp : Kiln_Op<"broadcast", [Pure]> {
  let summary = "Expands size-1 and missing leading dimensions.";
  let description = [{
    `torch.Tensor.expand` / `numpy.broadcast_to`: the input's shape must
    broadcast to the result's.

    ```mlir
    %q = kiln.broadcast %tokens : tensor<1x32x768xf32> -> tensor<8x32x768xf32>
    ```
  }];
  let arguments = (ins Kiln_AnyTensor:$input);
  let results = (outs Kiln_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kiln_TransposeOp : Kiln_Op<"transpose", [Pure]> {
  let summary = "Permutes dimensions.";
  let description = [{
    Result dimension `i` is input dimension `permutation[i]`.

    ```mlir
    %t = kiln.transpose %x {permutation = array<i64: 0, 2, 1, 3>}
        : tensor<2x32x12x64xf32> -> tensor<2x12x32x64xf32>
    ```
  }];
  let arguments = (ins Kiln_AnyTensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Kiln_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    static ::mlir::FailureOr<::mlir::RankedTensorType> inferResultType(
        ::mlir::Type input, ::llvm::ArrayRef<int64_t> permutation,
        ::kiln::EmitErrorFn emitError);
  }];
}

def Kiln_ConcatOp : Kiln_Op<"concat", [Pure]> {
  let summary = "Joins tensors along one axis.";
  let description = [{
    All inputs have the same rank, element type and sizes except along
    `axis` (negative counts from the end).

    ```mlir
    %x = kiln.concat %cls, %patches {axis = 1 : i64}
        : (tensor<2x1x64xf32>, tensor<2x16x64xf32>) -> tensor<2x17x64xf32>
    ```
  }];
  let arguments = (ins Variadic<Kiln_AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs Kiln_AnyTensor:$result);
  let assemblyFormat = [{
    $inputs attr-dict `:` functional-type($inputs, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    static ::mlir::FailureOr<::mlir::RankedTensorType> inferResultType(
        ::mlir::TypeRange inputs, int64_t axis, ::kiln::EmitErrorFn emitError);
  }];
}

def Kiln_SliceOp : Kiln_Op<"slice", [Pure]> {
  let summary = "A strided window of a tensor.";
  let description = [{
    Element `i` of the result along dimension `d` is element
    `offsets[d] + i * strides[d]` of the input; the window must lie inside
    the input.

    ```mlir
    %q = kiln.slice %qkv {offsets = array<i64: 0, 0>,
                          sizes = array<i64: 768, 768>,
                          strides = array<i64: 1, 1>}
        : tensor<2304x768xf32> -> tensor<768x768xf32>
    ```
  }];
  let arguments = (ins Kiln_AnyTensor:$input, DenseI64ArrayAttr:$offsets,
                       DenseI64ArrayAttr:$sizes, DenseI64ArrayAttr:$strides);
  let results = (outs Kiln_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kiln_GatherOp : Kiln_Op<"gather", [Pure]> {
  let summary = "Picks slices of a table by index (embedding lookup).";
  let description = [{
    `torch.index_select` generalised to index tensors: the result shape is
    `table.shape[:axis] + indices.shape + table.shape[axis+1:]`. An index
    outside `[0, table.shape[axis])` is clamped to that range.

    ```mlir
    %e = kiln.gather %table, %ids {axis = 0 : i64}
        : (tensor<779x256xf32>, tensor<4x83xi32>) -> tensor<4x83x256xf32>
    ```
  }];
  let arguments = (ins Kiln_AnyTensor:$table, Kiln_IndexTensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs Kiln_AnyTensor:$result);
  let assemblyFormat = [{
    $table `,` $indices attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions and selection
//===----------------------------------------------------------------------===//

def Kiln_ReduceOp : Kiln_Op<"reduce", [Pure]> {
  let summary = "Sum, mean, max or min over some axes.";
  let description = [{
    Reduces `axes` (distinct, negative counts from the end); with
    `keep_dims` they stay as size 1.

    ```mlir
    %m = kiln.reduce mean %x {axes = array<i64: -1>}
        : tensor<2x32x768xf32> -> tensor<2x32xf32>
    ```
  }];
  let arguments = (ins Kiln_ReduceKindAttr:$kind, Kiln_Tensor:$input,
                       DenseI64ArrayAttr:$axes, UnitAttr:$keep_dims);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    `` $kind $input attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static ::mlir::FailureOr<::mlir::RankedTensorType> inferResultType(
        ::mlir::Type input, ::llvm::ArrayRef<int64_t> axes, bool keepDims,
        ::kiln::EmitErrorFn emitError);
  }];
}

def Kiln_TopKOp : Kiln_Op<"top_k", [Pure]> {
  let summary = "The k largest values along the last axis and their indices.";
  let description = [{
    Values in descending order with their indices (i64); ties keep the
    lower index first. NaN ranks above every number and ties with NaN, as
    in `torch.topk`; MoE routing uses the same order.

    ```mlir
    %w, %i = kiln.top_k %p {k = 2 : i64}
        : tensor<64x8xf32> -> (tensor<64x2xf32>, tensor<64x2xi64>)
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, I64Attr:$k);
  let results = (outs Kiln_Tensor:$values,
                      Kiln_I64Tensor:$indices);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` `(` type($values) `,`
    type($indices) `)`
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Positions and patches
//===----------------------------------------------------------------------===//

def Kiln_RopeOp : Kiln_Op<"rope", [Pure]> {
  let summary = "Rotary position embedding, per head of a [.., S, H*dh] tensor.";
  let description = [{
    Rotates the first `rotary_dim` channels of every head of `input`
    (`[B, S, heads * head_dim]`, as a linear projection produces it) by
    `position * inv_freq`, `inv_freq[i] = theta^(-2i / rotary_dim)`;
    the remaining channels pass through. `rotate_half` pairs channel `i`
    with `i + rotary_dim / 2` (Llama, Mixtral, Phi's partial rotary);
    `interleaved` pairs `2i` with `2i + 1` (GPT-J, DeepSeek MLA).
    `positions` (`[S]` or `[B, S]`, integers) default to `0 .. S-1`.

    The optional `llama3_*` attributes apply Llama 3's frequency scaling:
    wavelengths above `original / low_freq` are divided by `factor`, below
    `original / high_freq` kept, and blended in between.

    ```mlir
    %q2 = kiln.rope %q {head_dim = 64 : i64, rotary_dim = 32 : i64,
                        theta = 1.0e4 : f64}
        : (tensor<4x83x256xf32>) -> tensor<4x83x256xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input,
      Optional<Kiln_IndexTensor>:$positions, I64Attr:$head_dim,
      I64Attr:$rotary_dim, F64Attr:$theta,
      DefaultValuedAttr<Kiln_RopeStyleAttr,
                        "::kiln::RopeStyle::RotateHalf">:$style,
      OptionalAttr<F64Attr>:$llama3_factor,
      OptionalAttr<F64Attr>:$llama3_low_freq_factor,
      OptionalAttr<F64Attr>:$llama3_high_freq_factor,
      OptionalAttr<I64Attr>:$llama3_original_max_position);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $input (`positions` `(` $positions^ `)`)? (`style` `` $style^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Kiln_PatchEmbedOp : Kiln_Op<"patch_embed", [Pure]> {
  let summary = "ViT patch embedding: a stride-P convolution, flattened.";
  let description = [{
    `Conv2d(C, D, kernel=P, stride=P)` then `flatten(2).transpose(1, 2)`:
    `pixels` `[B, C, H, W]`, `weight` `[D, C, P, P]` (the conv layout of
    checkpoints), optional `bias` `[D]`; the result is `[B, N, D]` with
    `N = (H / P) (W / P)` patches in row-major order.

    ```mlir
    %p = kiln.patch_embed %pixels, %w, %b {patch_size = 8 : i64}
        : (tensor<2x3x32x32xf32>, tensor<64x3x8x8xf32>, tensor<64xf32>)
        -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$pixels, Kiln_Tensor:$weight,
                       Optional<Kiln_Vector>:$bias, I64Attr:$patch_size);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $pixels `,` $weight (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

include "dialects/Kiln/IR/KilnCompositeOps.td"

#endif // KILN_DIALECTS_KILN_IR_KILNOPS_TD
