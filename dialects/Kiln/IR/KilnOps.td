//===- KilnOps.td - Ops of the model-graph dialect ---------*- tablegen -*-===//
//
// Every op works on statically shaped ranked tensors. Result types are
// inferred from the operands, so a shape error is reported at the op that
// causes it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_KILN_IR_KILNOPS_TD
#define KILN_DIALECTS_KILN_IR_KILNOPS_TD

include "dialects/Kiln/IR/KilnDialect.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Kiln_Tensor : StaticShapeTensorOf<[F32]>;
def Kiln_Vector : 1DTensorOf<[F32]>;

//===----------------------------------------------------------------------===//
// ParamOp
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
  }];
  let arguments = (ins StrAttr:$name,
                       OptionalAttr<DenseI64ArrayAttr>:$permutation);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The shape of the parameter as declared (before `permutation`).
    ::llvm::SmallVector<int64_t> getDeclaredShape();
  }];
}

//===----------------------------------------------------------------------===//
// LinearOp
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
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError);
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
        ::mlir::Type lhs, ::mlir::Type rhs,
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError);
  }];
}

def Kiln_AddOp : Kiln_BinaryOp<"add", "addition">;
def Kiln_SubOp : Kiln_BinaryOp<"sub", "subtraction">;
def Kiln_MulOp : Kiln_BinaryOp<"mul", "multiplication">;
def Kiln_DivOp : Kiln_BinaryOp<"div", "division">;

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
    $input (`approximation` $approximation^)? attr-dict `:` type($input)
  }];
}

//===----------------------------------------------------------------------===//
// LayerNormOp
//===----------------------------------------------------------------------===//

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
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError);
  }];
}

#endif // KILN_DIALECTS_KILN_IR_KILNOPS_TD
