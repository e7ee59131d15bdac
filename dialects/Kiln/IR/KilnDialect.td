//===- KilnDialect.td - The model-graph dialect ------------*- tablegen -*-===//
//
// The `kiln` dialect holds a model as a graph of tensor ops with the
// semantics users know from PyTorch and Hugging Face (linear, gelu,
// layer_norm, ...). Everything after dispatch formation works on the exec
// dialect instead.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_KILN_IR_KILNDIALECT_TD
#define KILN_DIALECTS_KILN_IR_KILNDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/EnumAttr.td"

def Kiln_Dialect : Dialect {
  let name = "kiln";
  let cppNamespace = "::kiln";
  let summary = "Model graphs of transformer-era architectures.";
  let description = [{
    Tensor-level ops with the semantics of the frameworks models are written
    in. A model is a `func.func` whose arguments are its inputs (named by the
    `kiln.name` argument attribute), whose parameters are `kiln.param` ops and
    whose results are its outputs.
  }];
  let useDefaultAttributePrinterParser = 1;
}

class Kiln_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kiln_Dialect, mnemonic, traits>;

def Kiln_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "How GELU is evaluated", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Tanh", 1, "tanh">,
      I32EnumAttrCase<"Quick", 2, "quick">
    ]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_GeluApproximationAttr
    : EnumAttr<Kiln_Dialect, Kiln_GeluApproximation, "gelu_approximation"> {
  let assemblyFormat = "$value";
}

#endif // KILN_DIALECTS_KILN_IR_KILNDIALECT_TD
