//===- ZooCompiledTest.cpp - The zoo, compiled, against PyTorch -----------===//
//
// For every case of tests/golden: import models/<model>.kiln with the
// case's -D list, compile it with the case's weights file to an artifact,
// run it through the runtime at 1 and 2 threads on the case's inputs, and
// compare with the PyTorch golden outputs. Both thread counts must give
// the same bits.
//
//===----------------------------------------------------------------------===//

#include "compiler/Compiler.h"
#include "compiler/Registration.h"
#include "frontends/kdl/KdlImporter.h"
#include "runtime/Program.h"
#include "runtime/Session.h"
#include "tests/e2e/GoldenCase.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/SourceMgr.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace mlir;

namespace kiln::test {
namespace {

class ZooCompiled : public ::testing::TestWithParam<std::string> {};

TEST_P(ZooCompiled, MatchesPyTorch) {
  std::string error;
  std::optional<GoldenCase> golden = GoldenCase::load(GetParam(), error);
  ASSERT_TRUE(golden) << error;

  DialectRegistry registry;
  registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  std::string errors;
  llvm::raw_string_ostream errorStream(errors);
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, errorStream);
  auto source = llvm::MemoryBuffer::getFile(golden->modelPath());
  ASSERT_TRUE(bool(source)) << golden->modelPath();
  sourceMgr.AddNewSourceBuffer(std::move(*source), llvm::SMLoc());
  KdlOptions kdl;
  kdl.defines = golden->defines();
  FailureOr<OwningOpRef<ModuleOp>> module = importKdl(sourceMgr, context, kdl);
  ASSERT_TRUE(succeeded(module)) << errors;

  auto weights = SafetensorsWeights::open(golden->weightsPath(),
                                          UnknownLoc::get(&context));
  ASSERT_TRUE(succeeded(weights)) << errors;
  llvm::SmallString<128> artifact;
  ASSERT_FALSE(
      llvm::sys::fs::createTemporaryFile("kiln-zoo", "kbin", artifact));
  llvm::scope_exit removeArtifact([&] { llvm::sys::fs::remove(artifact); });
  CompileOptions options;
  options.artifact.weights = weights->get();
  ASSERT_TRUE(succeeded(compileToArtifact(**module, options, artifact)))
      << errors;
  auto program = rt::Program::load(artifact.str().str());
  ASSERT_TRUE(program.ok()) << program.status().message();

  std::vector<rt::Tensor> inputs;
  std::vector<rt::TensorView> inputViews;
  for (const rt::TensorSpec &spec : (*program)->inputs()) {
    rt::StatusOr<rt::Tensor> input = golden->tensor(spec.name);
    ASSERT_TRUE(input.ok()) << input.status().message();
    inputs.push_back(std::move(input).value());
  }
  for (const rt::Tensor &input : inputs) {
    inputViews.push_back(input.view());
  }

  std::vector<std::vector<rt::Tensor>> runs;
  for (int threads : {1, 2}) {
    rt::SessionOptions sessionOptions;
    sessionOptions.threads = threads;
    auto session = rt::Session::create(*program, sessionOptions);
    ASSERT_TRUE(session.ok()) << session.status().message();
    auto outputs = (*session)->allocateOutputs();
    ASSERT_TRUE(outputs.ok());
    std::vector<rt::MutableTensorView> views;
    for (rt::Tensor &t : *outputs) {
      views.push_back(t.mutableView());
    }
    rt::Status status = (*session)->run(inputViews, views);
    ASSERT_TRUE(status.ok()) << status.message();
    runs.push_back(std::move(*outputs));
  }
  const std::vector<rt::TensorSpec> &outputs = (*program)->outputs();
  for (size_t i = 0; i < outputs.size(); ++i) {
    EXPECT_EQ(0, std::memcmp(runs[0][i].data(), runs[1][i].data(),
                             runs[0][i].byteSize()))
        << outputs[i].name << " differs between 1 and 2 threads";
    EXPECT_EQ(golden->compare(outputs[i].name, runs[0][i]), "");
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ZooCompiled,
                         ::testing::ValuesIn(GoldenCase::all()),
                         [](const ::testing::TestParamInfo<std::string> &i) {
                           return i.param;
                         });

} // namespace
} // namespace kiln::test
