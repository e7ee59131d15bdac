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

/// Declares an enum `Name` with `cases` and its attribute `Kiln_NameAttr`,
/// printed as the bare keyword.
class Kiln_Enum<string name, string summary, list<I32EnumAttrCase> cases>
    : I32EnumAttr<name, summary, cases> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_ReduceKind : Kiln_Enum<"ReduceKind", "What a reduction computes", [
    I32EnumAttrCase<"Sum", 0, "sum">, I32EnumAttrCase<"Mean", 1, "mean">,
    I32EnumAttrCase<"Max", 2, "max">, I32EnumAttrCase<"Min", 3, "min">]>;
def Kiln_ReduceKindAttr
    : EnumAttr<Kiln_Dialect, Kiln_ReduceKind, "reduce_kind"> {
  let assemblyFormat = "$value";
}

def Kiln_RopeStyle : Kiln_Enum<"RopeStyle", "Which channels rotary pairs", [
    I32EnumAttrCase<"RotateHalf", 0, "rotate_half">,
    I32EnumAttrCase<"Interleaved", 1, "interleaved">]>;
def Kiln_RopeStyleAttr : EnumAttr<Kiln_Dialect, Kiln_RopeStyle, "rope_style"> {
  let assemblyFormat = "$value";
}

def Kiln_MaskKind : Kiln_Enum<"MaskKind", "The structure of an attention mask", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"Causal", 1, "causal">,
    I32EnumAttrCase<"KeyPadding", 2, "key_padding">,
    I32EnumAttrCase<"RowSpans", 3, "row_spans">,
    I32EnumAttrCase<"Bias", 4, "bias">]>;
def Kiln_MaskKindAttr : EnumAttr<Kiln_Dialect, Kiln_MaskKind, "mask_kind"> {
  let assemblyFormat = "`<` $value `>`";
}

def Kiln_ScalePlacement : Kiln_Enum<"ScalePlacement",
    "Where attention scales", [
    I32EnumAttrCase<"Scores", 0, "scores">,
    I32EnumAttrCase<"Query", 1, "query">]>;
def Kiln_ScalePlacementAttr
    : EnumAttr<Kiln_Dialect, Kiln_ScalePlacement, "scale_placement"> {
  let assemblyFormat = "`<` $value `>`";
}

def Kiln_EmptyRows : Kiln_Enum<"EmptyRows",
    "What a query row that may see no key yields", [
    I32EnumAttrCase<"AllKeys", 0, "all_keys">,
    I32EnumAttrCase<"Zero", 1, "zero">]>;
def Kiln_EmptyRowsAttr : EnumAttr<Kiln_Dialect, Kiln_EmptyRows, "empty_rows"> {
  let assemblyFormat = "`<` $value `>`";
}

def Kiln_MoeScoring : Kiln_Enum<"MoeScoring", "How router logits score experts", [
    I32EnumAttrCase<"Softmax", 0, "softmax">,
    I32EnumAttrCase<"Sigmoid", 1, "sigmoid">]>;
def Kiln_MoeScoringAttr : EnumAttr<Kiln_Dialect, Kiln_MoeScoring, "moe_scoring"> {
  let assemblyFormat = "`<` $value `>`";
}

def Kiln_MoeOrder : Kiln_Enum<"MoeOrder", "Whether top-k comes before scoring", [
    I32EnumAttrCase<"ScoreThenTopK", 0, "score_then_topk">,
    I32EnumAttrCase<"TopKThenScore", 1, "topk_then_score">]>;
def Kiln_MoeOrderAttr : EnumAttr<Kiln_Dialect, Kiln_MoeOrder, "moe_order"> {
  let assemblyFormat = "`<` $value `>`";
}

def Kiln_GroupScore : Kiln_Enum<"GroupScore", "How an expert group is scored", [
    I32EnumAttrCase<"Max", 0, "max">,
    I32EnumAttrCase<"Top2Sum", 1, "top2_sum">]>;
def Kiln_GroupScoreAttr : EnumAttr<Kiln_Dialect, Kiln_GroupScore, "group_score"> {
  let assemblyFormat = "`<` $value `>`";
}

def Kiln_AuxLoss : Kiln_Enum<"AuxLoss", "Which load-balancing loss", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"Switch", 1, "switch">,
    I32EnumAttrCase<"Sequence", 2, "sequence">]>;
def Kiln_AuxLossAttr : EnumAttr<Kiln_Dialect, Kiln_AuxLoss, "aux_loss"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // KILN_DIALECTS_KILN_IR_KILNDIALECT_TD
