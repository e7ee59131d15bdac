//===- RepeatedCompileTest.cpp - Two compiles in one process --------------===//
//
// The in-process lld that links an artifact's kernels resets every LLVM
// command-line option to its default, among them the one that keeps LLVM
// 22.1's HashRecognize off (compiler/cpu/KernelCompiler.cpp). A process's
// second compile then ran it, and a top_k over rows of 48 hung in it. This
// compiles a model (linking it), then that top_k, in one process; ctest's
// timeout fails a hang.
//
//===----------------------------------------------------------------------===//

#include "compiler/Compiler.h"
#include "compiler/Registration.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace kiln;

namespace {

constexpr const char *kFirst = R"mlir(
func.func @first(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = kiln.gelu %x : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
)mlir";

constexpr const char *kTopK = R"mlir(
func.func @second(%x: tensor<3x48xf32>) -> (tensor<3x48xf32>, tensor<3x48xi64>) {
  %v, %i = kiln.top_k %x {k = 48 : i64} : tensor<3x48xf32> -> (tensor<3x48xf32>, tensor<3x48xi64>)
  return %v, %i : tensor<3x48xf32>, tensor<3x48xi64>
}
)mlir";

TEST(RepeatedCompile, SecondCompileKeepsHashRecognizeOff) {
  DialectRegistry registry;
  registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  for (const char *source : {kFirst, kTopK}) {
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(source, &context);
    ASSERT_TRUE(module);
    llvm::SmallString<128> artifact;
    ASSERT_FALSE(
        llvm::sys::fs::createTemporaryFile("kiln-repeated", "kbin", artifact));
    CompileOptions options;
    EXPECT_TRUE(succeeded(compileToArtifact(*module, options, artifact)));
    llvm::sys::fs::remove(artifact);
  }
}

} // namespace
