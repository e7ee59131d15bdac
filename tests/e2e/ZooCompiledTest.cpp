//===- ZooCompiledTest.cpp - The zoo, compiled, against PyTorch -----------===//
//
// For every case of tests/golden: import models/<model>.kiln with the
// case's -D list, compile it with the case's weights file to an artifact,
// run it through the runtime on the case's inputs, and
// compare with the PyTorch golden outputs. The inline executor and 1, 2
// and 4 threads must give the same bits, and so must 64 concurrent
// invocations of one loaded Q-Former.
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
#include <thread>

using namespace mlir;

namespace kiln::test {
namespace {

/// A golden case compiled to an artifact and loaded, with its inputs.
struct CompiledCase {
  std::optional<GoldenCase> golden;
  std::shared_ptr<const rt::Program> program;
  std::vector<rt::Tensor> inputs;
  std::vector<rt::TensorView> inputViews;
};

/// Compiles and loads golden case `name`; failures are gtest failures.
void compileCase(const std::string &name, CompiledCase &out) {
  std::string error;
  out.golden = GoldenCase::load(name, error);
  ASSERT_TRUE(out.golden) << error;
  const GoldenCase &golden = *out.golden;

  DialectRegistry registry;
  registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  std::string errors;
  llvm::raw_string_ostream errorStream(errors);
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, errorStream);
  auto source = llvm::MemoryBuffer::getFile(golden.modelPath());
  ASSERT_TRUE(bool(source)) << golden.modelPath();
  sourceMgr.AddNewSourceBuffer(std::move(*source), llvm::SMLoc());
  KdlOptions kdl;
  kdl.defines = golden.defines();
  FailureOr<OwningOpRef<ModuleOp>> module = importKdl(sourceMgr, context, kdl);
  ASSERT_TRUE(succeeded(module)) << errors;

  auto weights =
      SafetensorsWeights::open(golden.weightsPath(), UnknownLoc::get(&context));
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
  out.program = *program;

  for (const rt::TensorSpec &spec : out.program->inputs()) {
    rt::StatusOr<rt::Tensor> input = golden.tensor(spec.name);
    ASSERT_TRUE(input.ok()) << input.status().message();
    out.inputs.push_back(std::move(input).value());
  }
  for (const rt::Tensor &input : out.inputs) {
    out.inputViews.push_back(input.view());
  }
}

/// One invocation in a session of its own.
rt::StatusOr<std::vector<rt::Tensor>> runOnce(const CompiledCase &compiled,
                                              rt::SessionOptions options) {
  auto session = rt::Session::create(compiled.program, options);
  if (!session.ok()) {
    return session.status();
  }
  auto outputs = (*session)->allocateOutputs();
  if (!outputs.ok()) {
    return outputs.status();
  }
  std::vector<rt::MutableTensorView> views;
  for (rt::Tensor &t : *outputs) {
    views.push_back(t.mutableView());
  }
  rt::Status status = (*session)->run(compiled.inputViews, views);
  if (!status.ok()) {
    return status;
  }
  return std::move(*outputs);
}

/// Names of the outputs of `run` whose bits differ from `reference`.
std::string differingOutputs(const CompiledCase &compiled,
                             const std::vector<rt::Tensor> &reference,
                             const std::vector<rt::Tensor> &run) {
  std::string differ;
  const std::vector<rt::TensorSpec> &outputs = compiled.program->outputs();
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (std::memcmp(reference[i].data(), run[i].data(),
                    reference[i].byteSize()) != 0) {
      differ += (differ.empty() ? "" : ", ") + outputs[i].name;
    }
  }
  return differ;
}

class ZooCompiled : public ::testing::TestWithParam<std::string> {};

TEST_P(ZooCompiled, MatchesPyTorch) {
  CompiledCase compiled;
  ASSERT_NO_FATAL_FAILURE(compileCase(GetParam(), compiled));

  // The inline executor is the reference for the bits; 1, 2 and 4 threads
  // must reproduce them exactly.
  rt::SessionOptions inlineOptions;
  inlineOptions.inlineExecution = true;
  auto reference = runOnce(compiled, inlineOptions);
  ASSERT_TRUE(reference.ok()) << reference.status().message();
  for (int threads : {1, 2, 4}) {
    rt::SessionOptions options;
    options.threads = threads;
    auto run = runOnce(compiled, options);
    ASSERT_TRUE(run.ok()) << run.status().message();
    EXPECT_EQ(differingOutputs(compiled, *reference, *run), "")
        << "differ from the inline executor at " << threads << " threads";
  }
  const std::vector<rt::TensorSpec> &outputs = compiled.program->outputs();
  for (size_t i = 0; i < outputs.size(); ++i) {
    EXPECT_EQ(compiled.golden->compare(outputs[i].name, (*reference)[i]), "");
  }
}

// 64 invocations of one loaded Q-Former at once, each in its own session
// on its own thread, give the bits of a single invocation.
TEST(ZooConcurrency, SixtyFourQFormerInvocationsAreBitIdentical) {
  CompiledCase compiled;
  ASSERT_NO_FATAL_FAILURE(compileCase("qformer", compiled));
  rt::SessionOptions single;
  single.threads = 1;
  auto reference = runOnce(compiled, single);
  ASSERT_TRUE(reference.ok()) << reference.status().message();

  constexpr int kInvocations = 64;
  std::vector<std::string> failures(kInvocations);
  std::vector<std::thread> threads;
  for (int i = 0; i < kInvocations; ++i) {
    threads.emplace_back([&, i] {
      rt::SessionOptions options;
      options.threads = 1 + i % 2;
      auto run = runOnce(compiled, options);
      failures[i] = !run.ok() ? run.status().message()
                              : differingOutputs(compiled, *reference, *run);
    });
  }
  for (std::thread &t : threads) {
    t.join();
  }
  for (int i = 0; i < kInvocations; ++i) {
    EXPECT_EQ(failures[i], "") << "invocation " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ZooCompiled,
                         ::testing::ValuesIn(GoldenCase::all()),
                         [](const ::testing::TestParamInfo<std::string> &i) {
                           return i.param;
                         });

} // namespace
} // namespace kiln::test
