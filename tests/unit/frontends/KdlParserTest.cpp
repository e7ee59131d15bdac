//===- KdlParserTest.cpp - Syntax errors of the .kiln language ------------===//
//
// Each malformed input reports exactly one error, at the offending token.
// (The lit tests in tests/lit/frontends/kdl check the full catalogue as
// users see it; these pin the parser's positions.)
//
//===----------------------------------------------------------------------===//

#include "KdlFixture.h"

#include "gtest/gtest.h"

using kiln::test::importSource;

namespace {

class KdlParser : public testing::Test {
protected:
  /// The first error of importing `source`, which must fail.
  std::string errorOf(llvm::StringRef source) {
    kiln::test::ImportResult result = importSource(context, source);
    EXPECT_FALSE(result.succeeded());
    int errors = 0;
    for (const kiln::test::Reported &reported : result.diagnostics) {
      errors += reported.severity == "error";
    }
    EXPECT_EQ(errors, 1) << source.str();
    return result.firstError();
  }

  mlir::MLIRContext context;
};

TEST_F(KdlParser, MissingCloseParen) {
  EXPECT_EQ(errorOf("model m(x: f32[4]) -> f32[4] {\n"
                    "  y = gelu(x\n"
                    "  return y\n"
                    "}\n"),
            "test.kiln:3:3: expected ',' or ')' in the arguments of 'gelu', "
            "got 'return'");
}

TEST_F(KdlParser, EndOfFileInBody) {
  EXPECT_EQ(errorOf("model m(x: f32[4]) -> f32[4] {\n  return x\n"),
            "test.kiln:3:1: expected '}' to end the body of model 'm', got "
            "end of file");
}

TEST_F(KdlParser, UnassignedCall) {
  EXPECT_EQ(errorOf("model m(x: f32[4]) -> f32[4] {\n  gelu(x)\n}\n"),
            "test.kiln:2:3: the result of 'gelu(..)' must be assigned, as "
            "in 'y = gelu(..)'");
}

TEST_F(KdlParser, ChainedComparison) {
  EXPECT_EQ(errorOf("model m(x: f32[4]) -> f32[4] {\n"
                    "  if 1 < 2 < 3 { x = x }\n  return x\n}\n"),
            "test.kiln:2:12: comparisons cannot be chained; combine them "
            "with 'and'");
}

TEST_F(KdlParser, ScopeOnlyAfterCall) {
  EXPECT_EQ(errorOf("model m(x: f32[4]) -> f32[4] {\n"
                    "  return x @ \"a\"\n}\n"),
            "test.kiln:2:12: a scope '@ \"..\"' can only follow a call, which "
            "creates its parameters under it");
}

TEST_F(KdlParser, FormatPieces) {
  EXPECT_EQ(errorOf("model m(x: f32[4]) -> f32[4] {\n"
                    "  return gelu(x) @ \"a.{\"\n}\n"),
            "test.kiln:2:23: unterminated '{' in a string (write '{{' for a "
            "brace)");
  EXPECT_EQ(errorOf("model m(x: f32[4]) -> f32[4] {\n"
                    "  return gelu(x) @ \"a.{}\"\n}\n"),
            "test.kiln:2:24: expected an expression, got '}'");
  EXPECT_EQ(errorOf("model m(x: f32[4]) -> f32[4] {\n"
                    "  return gelu(x) @ \"a.{i +}\"\n}\n"),
            "test.kiln:2:27: expected an expression, got '}'");
}

TEST_F(KdlParser, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "model m(x: f32[4]) -> f32[4] {\n  return " +
                     std::string(5000, '(') + "x" + std::string(5000, ')') +
                     "\n}\n";
  EXPECT_EQ(errorOf(deep),
            "test.kiln:2:209: nesting is too deep (more than 200 levels)");
  std::string longSum = "model m(x: f32[4]) -> f32[4] {\n  return x";
  for (int i = 0; i < 300; ++i) {
    longSum += " + x";
  }
  longSum += "\n}\n";
  EXPECT_EQ(errorOf(longSum),
            "test.kiln:2:808: expression is nested too deeply (more than 200 "
            "levels); each operator of a chain such as 'a + b + c' counts as "
            "one level: split it with variables");
}

TEST_F(KdlParser, DimsOnlyOnModels) {
  EXPECT_EQ(errorOf("block b(x: f32[N]) -> f32[N] dims N = 2 { return x }\n"),
            "test.kiln:1:30: only a model declares 'dims'; a block takes its "
            "sizes from the shapes of its arguments");
}

TEST_F(KdlParser, PositionalAfterKeyword) {
  EXPECT_EQ(errorOf("model m(x: f32[4]) -> f32[4] {\n"
                    "  return gelu(approximation = tanh, x)\n}\n"),
            "test.kiln:2:37: a positional argument cannot follow keyword "
            "arguments");
}

} // namespace
