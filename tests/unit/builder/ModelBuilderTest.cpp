//===- ModelBuilderTest.cpp - Declaring models with the C++ API -----------===//

#include "frontends/builder/ModelBuilder.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace kiln {
namespace {

/// Collects the messages of every diagnostic emitted in its lifetime.
struct DiagnosticCapture {
  explicit DiagnosticCapture(MLIRContext &context)
      : handler(&context, [this](Diagnostic &diag) {
          messages.push_back(diag.str());
          return success();
        }) {}
  std::vector<std::string> messages;
  ScopedDiagnosticHandler handler;
};

class ModelBuilderTest : public ::testing::Test {
protected:
  MLIRContext context;
  Location loc = FileLineColLoc::get(&context, "model.kiln", 3, 7);
};

TEST_F(ModelBuilderTest, BuildsAnMlpBlockWithScopedParameterNames) {
  ModelBuilder b(&context, "mlp", loc);
  Value x = *b.input("x", {2, 8, 16});
  b.pushScope("encoder.layer.0");
  b.pushScope("intermediate.dense");
  Value h = *b.linear(x, *b.param("weight", {32, 16}), *b.param("bias", {32}));
  b.popScope();
  b.pushScope("output");
  b.pushScope("dense");
  Value o = *b.linear(b.gelu(h), *b.param("weight", {16, 32}),
                      *b.param("bias", {16}));
  b.popScope();
  b.pushScope("LayerNorm");
  Value y = *b.layerNorm(*b.add(x, o), *b.param("weight", {16}),
                         *b.param("bias", {16}), 1e-12);
  b.popScope();
  b.popScope();
  b.popScope();
  ASSERT_TRUE(succeeded(b.output("y", y)));
  FailureOr<OwningOpRef<ModuleOp>> module = b.finish();
  ASSERT_TRUE(succeeded(module));

  std::vector<std::string> names;
  (*module)->walk([&](ParamOp p) { names.push_back(p.getName().str()); });
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{
                       "encoder.layer.0.intermediate.dense.bias",
                       "encoder.layer.0.intermediate.dense.weight",
                       "encoder.layer.0.output.LayerNorm.bias",
                       "encoder.layer.0.output.LayerNorm.weight",
                       "encoder.layer.0.output.dense.bias",
                       "encoder.layer.0.output.dense.weight"}));
  auto func = *(*module)->getOps<func::FuncOp>().begin();
  EXPECT_EQ(func.getFunctionType().getNumInputs(), 1u);
  EXPECT_EQ(func.getArgAttrOfType<StringAttr>(0, "kiln.name").getValue(), "x");
  EXPECT_EQ(func.getResultAttrOfType<StringAttr>(0, "kiln.name").getValue(),
            "y");
  EXPECT_EQ(cast<RankedTensorType>(func.getResultTypes()[0]).getShape(),
            ArrayRef<int64_t>({2, 8, 16}));
}

TEST_F(ModelBuilderTest, ReportsShapeErrorsAtTheCurrentLocation) {
  DiagnosticCapture capture(context);
  ModelBuilder b(&context, "bad", loc);
  Value x = *b.input("x", {2, 16});
  Value w = *b.param("w", {8, 15});
  b.setLocation(FileLineColLoc::get(&context, "model.kiln", 9, 4));
  EXPECT_TRUE(failed(b.linear(x, w)));
  ASSERT_EQ(capture.messages.size(), 1u);
  EXPECT_EQ(capture.messages[0],
            "linear: expects weight [out, in] with in = 16 (the input's last "
            "dimension), got [8, 15]");
  // The builder stays usable after an error.
  EXPECT_TRUE(succeeded(b.linear(x, *b.param("w2", {8, 16}))));
}

TEST_F(ModelBuilderTest, VerifierErrorsOfOpsWithoutInferenceAreReported) {
  DiagnosticCapture capture(context);
  ModelBuilder b(&context, "bad", loc);
  Value q = *b.input("q", {1, 4, 12});
  AttentionOptions options;
  options.heads = 5;
  EXPECT_TRUE(failed(b.attention(q, q, q, options)));
  ASSERT_EQ(capture.messages.size(), 1u);
  EXPECT_EQ(capture.messages[0], "'kiln.attention' op expects heads to divide "
                                 "the query width 12, got 5");
}

TEST_F(ModelBuilderTest, ParametersAreSharedByNameAndCheckedByShape) {
  DiagnosticCapture capture(context);
  ModelBuilder b(&context, "params", loc);
  Value a = *b.param("w", {4, 4});
  EXPECT_EQ(a, *b.param("w", {4, 4}));
  EXPECT_TRUE(failed(b.param("w", {4, 5})));
  ASSERT_FALSE(capture.messages.empty());
  EXPECT_EQ(capture.messages[0], "param: 'w' is declared with shape [4, 5] "
                                 "and, before, [4, 4]");
}

TEST_F(ModelBuilderTest, ModelsNeedOutputsAndUniqueNames) {
  DiagnosticCapture capture(context);
  {
    ModelBuilder b(&context, "empty", loc);
    (void)b.input("x", {4});
    EXPECT_TRUE(failed(b.input("x", {4})));
    EXPECT_TRUE(failed(b.finish()));
  }
  EXPECT_EQ(capture.messages.size(), 2u);
  EXPECT_EQ(capture.messages[0], "input: 'x' is declared twice");
  EXPECT_EQ(capture.messages[1], "model: 'empty' has no outputs");
}

TEST_F(ModelBuilderTest, BuildsCompositesWithOptionalResults) {
  ModelBuilder b(&context, "moe", loc);
  Value x = *b.input("x", {8, 4});
  SmallVector<Value> experts;
  for (int e = 0; e < 2; ++e) {
    b.pushScope("experts." + std::to_string(e));
    experts.push_back(*b.param("w1.weight", {6, 4}));
    experts.push_back(*b.param("w3.weight", {6, 4}));
    experts.push_back(*b.param("w2.weight", {4, 6}));
    b.popScope();
  }
  MoeOptions options;
  options.topK = 1;
  options.auxLoss = AuxLoss::Switch;
  FailureOr<MoeResult> result =
      b.moe(x, *b.param("gate.weight", {2, 4}), experts, {}, options);
  ASSERT_TRUE(succeeded(result));
  ASSERT_TRUE(result->counts && result->aux);
  EXPECT_TRUE(succeeded(b.output("y", result->output)));
  EXPECT_TRUE(succeeded(b.output("counts", result->counts)));
  EXPECT_TRUE(succeeded(b.output("aux", result->aux)));
  EXPECT_TRUE(succeeded(b.finish()));
}

} // namespace
} // namespace kiln
