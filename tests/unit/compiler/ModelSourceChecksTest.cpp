//===- ModelSourceChecksTest.cpp - Nesting and binary-source checks -------===//

#include "compiler/ModelSourceChecks.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <gtest/gtest.h>

#include <string>

namespace {

/// The nesting check's error on `text` ("" when it passes), as
/// "line:col: message".
std::string nestingError(const std::string &text, unsigned limit) {
  mlir::MLIRContext context;
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "m.mlir"), llvm::SMLoc());
  std::string error;
  mlir::ScopedDiagnosticHandler capture(&context, [&](mlir::Diagnostic &diag) {
    auto loc = llvm::cast<mlir::FileLineColLoc>(diag.getLocation());
    error = std::to_string(loc.getLine()) + ":" +
            std::to_string(loc.getColumn()) + ": " + diag.str();
    return mlir::success();
  });
  return mlir::succeeded(kiln::checkMlirNesting(sourceMgr, &context, limit))
             ? ""
             : error;
}

TEST(ModelSourceChecks, NestingPastTheLimitIsFoundAtItsBracket) {
  EXPECT_EQ(nestingError("a = [[[x]]]", 3), "");
  EXPECT_EQ(nestingError("a = [[[[x]]]]", 3),
            "1:8: nested more than 3 levels deep: Kiln reads no .mlir source "
            "nested deeper");
  // Every bracket kind counts; closing ones free a level.
  EXPECT_EQ(nestingError("f({[<x>]})\ng({[<y>]})", 4), "");
  EXPECT_EQ(nestingError("f(\n  {[<x>]})", 3), "2:5: nested more than 3 "
                                               "levels deep: Kiln reads no "
                                               ".mlir source nested deeper");
}

TEST(ModelSourceChecks, StringsCommentsAndArrowsDoNotCount) {
  // Brackets inside strings (escaped quotes included) and comments.
  EXPECT_EQ(nestingError("a = \"[[[[\\\"[[\" // ((((\nb = (x)", 1), "");
  // `->` and `>=` close nothing: counted as closers, they would hide the
  // depth of what follows.
  EXPECT_EQ(nestingError("(a) -> (b) -> ((c))", 2), "");
  EXPECT_NE(nestingError("((a -> b >= c ((d))))", 3), "");
  EXPECT_EQ(nestingError("((a -> b >= c ((d))))", 4), "");
}

TEST(ModelSourceChecks, BinaryFilesAreNamed) {
  auto buffer = [](llvm::StringRef bytes) {
    return llvm::MemoryBuffer::getMemBufferCopy(bytes, "m.kbin");
  };
  EXPECT_FALSE(kiln::binarySourceError(*buffer("model m() {}")));
  std::optional<std::string> binary =
      kiln::binarySourceError(*buffer(llvm::StringRef("a\0b", 3)));
  ASSERT_TRUE(binary);
  EXPECT_EQ(*binary,
            "'m.kbin' is a binary file, not a model source (.kiln or .mlir)");
  std::optional<std::string> artifact = kiln::binarySourceError(
      *buffer(llvm::StringRef(kiln::rt::kArtifactMagic, 8)));
  ASSERT_TRUE(artifact);
  EXPECT_NE(artifact->find("it is a compiled artifact"), std::string::npos);
}

} // namespace
