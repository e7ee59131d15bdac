//===- KdlZooGoldenTest.cpp - The zoo models against PyTorch golden data --===//
//
// For every case of tests/golden (SPEC.md), imports models/<model>.kiln
// with the case's -D list, runs it through the reference interpreter with
// the case's weights and inputs, and compares each output with the golden
// one under the case's tolerances (exactly for integer outputs). Every
// tensor of the weights file must be used: parameter names are part of the
// contract.
//
//===----------------------------------------------------------------------===//

#include "KdlFixture.h"

#include "compiler/reference/ReferenceInterpreter.h"
#include "compiler/weights/WeightSource.h"
#include "runtime/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace mlir;

namespace {

const std::string kGoldenDir = KILN_SOURCE_DIR "/tests/golden";

/// The golden case directories (those with a meta.json).
std::vector<std::string> goldenCases() {
  std::vector<std::string> cases;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(kGoldenDir, ec), end;
       it != end && !ec; it.increment(ec)) {
    if (llvm::sys::fs::exists(it->path() + "/meta.json")) {
      cases.push_back(llvm::sys::path::filename(it->path()).str());
    }
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

/// A .npy file as an interpreter tensor.
std::optional<kiln::ref::Tensor> readTensor(const std::string &path) {
  kiln::rt::StatusOr<kiln::rt::Tensor> file = kiln::rt::readNpy(path);
  if (!file.ok()) {
    ADD_FAILURE() << file.status().message();
    return std::nullopt;
  }
  kiln::ref::Tensor tensor;
  tensor.shape = file->shape();
  int64_t count = tensor.numElements();
  switch (file->dtype()) {
  case kiln::rt::DType::F32:
    tensor.floats.assign(file->dataAs<float>(), file->dataAs<float>() + count);
    return tensor;
  case kiln::rt::DType::I32:
    tensor.isFloat = false;
    tensor.ints.assign(file->dataAs<int32_t>(),
                       file->dataAs<int32_t>() + count);
    return tensor;
  case kiln::rt::DType::I64:
    tensor.isFloat = false;
    tensor.ints.assign(file->dataAs<int64_t>(),
                       file->dataAs<int64_t>() + count);
    return tensor;
  default:
    ADD_FAILURE() << path << ": unexpected dtype";
    return std::nullopt;
  }
}

class KdlZooGolden : public testing::TestWithParam<std::string> {};

TEST_P(KdlZooGolden, MatchesPyTorch) {
  std::string dir = kGoldenDir + "/" + GetParam();
  auto metaText = llvm::MemoryBuffer::getFile(dir + "/meta.json");
  ASSERT_TRUE(bool(metaText));
  llvm::Expected<llvm::json::Value> meta =
      llvm::json::parse((*metaText)->getBuffer());
  ASSERT_TRUE(bool(meta)) << llvm::toString(meta.takeError());
  const llvm::json::Object &object = *meta->getAsObject();

  // "-D B=2 -D S=32 ..." as defines.
  kiln::KdlOptions options;
  llvm::SmallVector<llvm::StringRef> words;
  object.getString("defines")->split(words, ' ', -1, false);
  for (llvm::StringRef word : words) {
    auto [name, value] = word.split('=');
    if (word != "-D") {
      options.defines[name.str()] = std::stoll(value.str());
    }
  }
  std::string model = object.getString("model")->str();
  auto source =
      llvm::MemoryBuffer::getFile(KILN_SOURCE_DIR "/models/" + model + ".kiln");
  ASSERT_TRUE(bool(source));
  MLIRContext context;
  kiln::test::ImportResult imported = kiln::test::importSource(
      context, (*source)->getBuffer(), options, model + ".kiln");
  ASSERT_TRUE(imported.succeeded()) << imported.firstError();
  func::FuncOp function;
  imported.module->walk([&](func::FuncOp op) { function = op; });

  ScopedDiagnosticHandler handler(&context, [](Diagnostic &diag) {
    ADD_FAILURE() << diag.str();
    return success();
  });
  FailureOr<std::unique_ptr<kiln::SafetensorsWeights>> weights =
      kiln::SafetensorsWeights::open(dir + "/weights.safetensors",
                                     function.getLoc());
  ASSERT_TRUE(succeeded(weights));
  std::vector<kiln::ref::Tensor> inputs;
  for (unsigned i = 0; i < function.getNumArguments(); ++i) {
    auto name = function.getArgAttrOfType<StringAttr>(i, "kiln.name");
    std::optional<kiln::ref::Tensor> input =
        readTensor(dir + "/" + name.str() + ".npy");
    ASSERT_TRUE(input.has_value());
    inputs.push_back(std::move(*input));
  }
  FailureOr<std::vector<kiln::ref::Tensor>> outputs =
      kiln::ref::interpret(function, inputs, **weights);
  ASSERT_TRUE(succeeded(outputs));
  EXPECT_TRUE(succeeded((*weights)->checkAllUsed(function.getLoc())));

  double rtol = *object.getNumber("rtol");
  const llvm::json::Object *atols = object.getObject("atol");
  for (unsigned i = 0; i < function.getNumResults(); ++i) {
    std::string name =
        function.getResultAttrOfType<StringAttr>(i, "kiln.name").str();
    std::optional<kiln::ref::Tensor> golden =
        readTensor(dir + "/" + name + ".npy");
    ASSERT_TRUE(golden.has_value());
    const kiln::ref::Tensor &actual = (*outputs)[i];
    ASSERT_EQ(actual.shape, golden->shape) << name;
    if (!golden->isFloat) {
      EXPECT_EQ(actual.ints, golden->ints) << name;
      continue;
    }
    double atol = *atols->getNumber(name);
    int64_t bad = 0;
    for (size_t k = 0; k < golden->floats.size(); ++k) {
      double expected = golden->floats[k];
      bad += !(std::fabs(actual.floats[k] - expected) <=
               atol + rtol * std::fabs(expected));
    }
    EXPECT_EQ(bad, 0) << name << ": elements outside the tolerance";
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, KdlZooGolden, testing::ValuesIn(goldenCases()),
                         [](const testing::TestParamInfo<std::string> &info) {
                           return info.param;
                         });

} // namespace
