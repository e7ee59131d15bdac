//===- KdlImporterTest.cpp - Elaborating .kiln models ---------------------===//

#include "KdlFixture.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using kiln::test::importSource;
using testing::HasSubstr;
using testing::Not;

namespace {

class KdlImporter : public testing::Test {
protected:
  /// The printed module of `source`, which must import.
  std::string import(llvm::StringRef source, kiln::KdlOptions options = {}) {
    kiln::test::ImportResult result = importSource(context, source, options);
    EXPECT_TRUE(result.succeeded()) << result.firstError();
    return result.text;
  }
  std::string errorOf(llvm::StringRef source, kiln::KdlOptions options = {}) {
    kiln::test::ImportResult result = importSource(context, source, options);
    EXPECT_FALSE(result.succeeded());
    return result.firstError();
  }

  mlir::MLIRContext context;
};

TEST_F(KdlImporter, DimsDefaultsAndDefines) {
  const char *source = "model m(x: f32[B, D]) -> f32[B, 2 * D]\n"
                       "  dims B = 1, D = 8 {\n"
                       "  return linear(x, 2 * D) @ \"fc\"\n"
                       "}\n";
  EXPECT_THAT(import(source), HasSubstr("tensor<16x8xf32>"));
  kiln::KdlOptions options;
  options.defines["D"] = 3;
  EXPECT_THAT(import(source, options), HasSubstr("tensor<6x3xf32>"));
  options.defines["Q"] = 3;
  EXPECT_EQ(errorOf(source, options),
            "test.kiln:1:7: -D Q=3 does not name a dimension of model 'm'");
}

TEST_F(KdlImporter, DimsDependOnEarlierDims) {
  kiln::KdlOptions options;
  options.defines["D"] = 12;
  std::string text = import("model m(x: f32[2, D]) -> f32[2, D]\n"
                            "  dims D = 8, H = 2, DH = D / H {\n"
                            "  return linear(x, H * DH) @ \"fc\"\n"
                            "}\n",
                            options);
  EXPECT_THAT(text, HasSubstr("\"fc.weight\" : tensor<12x12xf32>"));
}

TEST_F(KdlImporter, LoopsConditionsAndScopes) {
  std::string text = import("model m(x: f32[2, 4]) -> f32[2, 4] {\n"
                            "  for i in 0..4 @ \"layers.{i}\" {\n"
                            "    if i in [1, 3] { x = gelu(x) }\n"
                            "    else if i % 2 == 0 { "
                            "x = linear(x, 4) @ \"fc{i + 10}\" }\n"
                            "  }\n"
                            "  return x\n"
                            "}\n");
  EXPECT_THAT(text, HasSubstr("\"layers.0.fc10.weight\""));
  EXPECT_THAT(text, HasSubstr("\"layers.2.fc12.bias\""));
  EXPECT_THAT(text, Not(HasSubstr("layers.1.")));
}

TEST_F(KdlImporter, BlocksBindDimsAndNestScopes) {
  std::string text = import("block ffn(x: f32[..., D], hidden: int,\n"
                            "          act: enum(gelu, silu) = gelu)\n"
                            "    -> f32[..., D] {\n"
                            "  h = linear(x, hidden) @ \"up\"\n"
                            "  if act == silu { h = silu(h) } "
                            "else { h = gelu(h) }\n"
                            "  return linear(h, D, bias = false) @ \"down\"\n"
                            "}\n"
                            "model m(x: f32[2, 3, 4]) -> f32[2, 3, 4] {\n"
                            "  return ffn(x, 16, act = silu) @ \"mlp\"\n"
                            "}\n");
  EXPECT_THAT(text, HasSubstr("\"mlp.up.weight\" : tensor<16x4xf32>"));
  EXPECT_THAT(text, HasSubstr("\"mlp.down.weight\" : tensor<4x16xf32>"));
  EXPECT_THAT(text, Not(HasSubstr("mlp.down.bias")));
  EXPECT_THAT(text, HasSubstr("kiln.silu"));
}

TEST_F(KdlImporter, MultipleResultsAndLists) {
  std::string text = import(
      "model m(x: f32[4, 8]) -> (w: f32[4, 2], i: i64[4, 2],\n"
      "                          s: f32[8, 8]) {\n"
      "  w, i = top_k(softmax(x), k = 2)\n"
      "  parts = []\n"
      "  for j in 0..2 { parts = parts + [slice(x, axis = 0, start = 2 * j,"
      " end = 2 * j + 2)] }\n"
      "  return w, i, concat(parts + parts, axis = 0)\n"
      "}\n");
  EXPECT_THAT(text, HasSubstr("kiln.top_k"));
  EXPECT_THAT(text, HasSubstr("kiln.name = \"i\""));
}

TEST_F(KdlImporter, ConditionalOutputs) {
  const char *source =
      "model m(x: f32[4]) -> (y: f32[4], z: f32[4] if Z == 1)\n"
      "  dims Z = 1 {\n"
      "  if Z == 1 { return gelu(x), silu(x) }\n"
      "  return gelu(x)\n"
      "}\n";
  EXPECT_THAT(import(source), HasSubstr("kiln.name = \"z\""));
  kiln::KdlOptions options;
  options.defines["Z"] = 0;
  EXPECT_THAT(import(source, options), Not(HasSubstr("kiln.name = \"z\"")));
}

TEST_F(KdlImporter, StandardLibraryIsBuiltIn) {
  std::string text = import("import \"std/mlp\"\n"
                            "model m(x: f32[2, 8]) -> f32[2, 8] {\n"
                            "  return swiglu(x, 32) @ \"mlp\"\n"
                            "}\n");
  EXPECT_THAT(text, HasSubstr("\"mlp.gate_proj.weight\" : tensor<32x8xf32>"));
  EXPECT_THAT(text, HasSubstr("\"mlp.down_proj.weight\" : tensor<8x32xf32>"));
}

TEST_F(KdlImporter, MoeNamesItsExperts) {
  std::string text = import(
      "model m(x: f32[6, 8]) -> (y: f32[6, 8], c: i64[3]) {\n"
      "  y, c = moe(x, experts = 3, top_k = 2, hidden = 4, counts = true,\n"
      "             expert_names = [\"w1\", \"w3\", \"w2\"]) @ \"moe\"\n"
      "  return y, c\n"
      "}\n");
  EXPECT_THAT(text, HasSubstr("\"moe.gate.weight\" : tensor<3x8xf32>"));
  EXPECT_THAT(text, HasSubstr("\"moe.experts.2.w2.weight\" : tensor<8x4xf32>"));
}

TEST_F(KdlImporter, ErrorsInsideBlocksCarryTheCallChain) {
  kiln::test::ImportResult result =
      importSource(context, "block f(x: f32[N]) -> f32[N] {\n"
                            "  return x + undefined\n"
                            "}\n"
                            "model m(x: f32[4]) -> f32[4] { return f(x) }\n");
  ASSERT_FALSE(result.succeeded());
  EXPECT_EQ(result.firstError(), "test.kiln:2:14: unknown name 'undefined'");
}

TEST_F(KdlImporter, IntegerArithmeticIsChecked) {
  EXPECT_EQ(errorOf("model m(x: f32[4]) -> f32[4] dims A = 4611686018427387904 "
                    "{\n  b = A * 4\n  return x\n}\n"),
            "test.kiln:2:9: integer overflow in '*' of 4611686018427387904 "
            "and 4");
  // Python's rounding: the failing `return` is never reached.
  import("model m(x: f32[4]) -> f32[4] {\n"
         "  if -3 % 2 == 1 and -3 / 2 == -2 { return x }\n"
         "  return gelu(y)\n}\n");
}

TEST_F(KdlImporter, SliceBoundsAreNamedForWhatIsWrong) {
  auto slice = [&](const char *args) {
    return errorOf("model m(x: f32[10]) -> f32[2] {\n  return slice(x, "
                   "axis = 0, " +
                   std::string(args) + ")\n}\n");
  };
  EXPECT_EQ(slice("start = 0, end = 11"),
            "test.kiln:2:10: slice 0:11 runs outside a dimension of 10");
  EXPECT_EQ(slice("start = -11, end = 2"),
            "test.kiln:2:10: slice -11:2 runs outside a dimension of 10");
  EXPECT_EQ(slice("start = 0, end = 2, step = 0"),
            "test.kiln:2:10: slice step must be positive, got 0");
  EXPECT_EQ(slice("start = 5, end = 5"),
            "test.kiln:2:10: slice 5:5:1 selects nothing of a dimension of 10");
}

TEST_F(KdlImporter, SliceSizesDoNotOverflow) {
  // ceil(9 / step) used to be computed as (9 + step - 1) / step, which
  // wraps for a step near 2^63.
  import("model m(x: f32[10]) -> f32[1] {\n  return slice(x, axis = 0, "
         "start = 1, step = 9223372036854775807)\n}\n");
  import("model m(x: f32[10]) -> f32[3] {\n  return slice(x, axis = 0, "
         "start = 1, step = 4)\n}\n");
}

TEST_F(KdlImporter, HugeLoopsAreRefused) {
  EXPECT_EQ(errorOf("model m(x: f32[4]) -> f32[4] {\n"
                    "  for i in 0..100000000 { x = x }\n"
                    "  return x\n}\n"),
            "test.kiln:2:3: a loop of more than 1000000 iterations");
}

TEST_F(KdlImporter, DeepCallChainsAreBounded) {
  // 64 blocks, each nesting 95 conditions around 100 negations of a call
  // of the next: every file-level limit holds, but together they would
  // exhaust the stack without the elaborator's own bound.
  std::string source;
  for (int k = 0; k < 64; ++k) {
    std::string inner = k + 1 < 64 ? "b" + std::to_string(k + 1) + "(x)" : "x";
    source += "block b" + std::to_string(k) + "(x: f32[N]) -> f32[N] { ";
    for (int i = 0; i < 95; ++i) {
      source += "if true { ";
    }
    source += "return " + std::string(100, '-') + inner;
    for (int i = 0; i < 95; ++i) {
      source += " }";
    }
    source += " }\n";
  }
  source += "model m(x: f32[4]) -> f32[4] { return b0(x) }\n";
  EXPECT_THAT(errorOf(source),
              HasSubstr("nests calls, statements and expressions more than "
                        "2000 levels deep"));
}

} // namespace
