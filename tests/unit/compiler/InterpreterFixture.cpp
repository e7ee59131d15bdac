//===- InterpreterFixture.cpp - Running inline IR on the reference --------===//

#include "tests/unit/compiler/InterpreterFixture.h"

#include "dialects/Kiln/IR/KilnDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"

#include <cmath>
#include <random>

using namespace mlir;
using namespace kiln;
using namespace kiln::ref;
using namespace kiln::ref::test;

Tensor test::floats(std::vector<int64_t> shape, std::vector<float> values) {
  Tensor tensor;
  tensor.shape = std::move(shape);
  tensor.floats = std::move(values);
  return tensor;
}

Tensor test::ints(std::vector<int64_t> shape, std::vector<int64_t> values) {
  Tensor tensor;
  tensor.shape = std::move(shape);
  tensor.isFloat = false;
  tensor.ints = std::move(values);
  return tensor;
}

Tensor test::randomTensor(std::vector<int64_t> shape, uint32_t seed, float lo,
                          float hi) {
  Tensor tensor = Tensor::zerosF32(std::move(shape));
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> distribution(lo, hi);
  for (float &value : tensor.floats) {
    value = distribution(generator);
  }
  return tensor;
}

std::string test::tensorType(const std::vector<int64_t> &shape,
                             StringRef element) {
  std::string text = "tensor<";
  for (int64_t size : shape) {
    text += std::to_string(size) + "x";
  }
  return text + element.str() + ">";
}

std::string test::enumAttr(StringRef mnemonic, StringRef value) {
  return ("#kiln." + mnemonic + "<" + value + ">").str();
}

void test::expectTensorNear(const Tensor &actual,
                            const std::vector<int64_t> &shape,
                            const std::vector<double> &expected,
                            double tolerance) {
  ASSERT_TRUE(actual.isFloat);
  ASSERT_EQ(actual.shape, shape);
  ASSERT_EQ(actual.floats.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(actual.floats[i], expected[i],
                tolerance * (1.0 + std::fabs(expected[i])))
        << "at element " << i;
  }
}

LogicalResult MapWeights::loadInto(StringRef name, ArrayRef<int64_t> shape,
                                   Location loc, std::vector<float> &values) {
  auto it = tensors.find(name.str());
  if (it == tensors.end()) {
    return emitError(loc) << "no parameter named '" << name << "'";
  }
  requestedShapes[name.str()] =
      std::vector<int64_t>(shape.begin(), shape.end());
  values = it->second;
  return success();
}

InterpreterTest::InterpreterTest() {
  context.loadDialect<KilnDialect, func::FuncDialect>();
}

FailureOr<std::vector<Tensor>>
InterpreterTest::tryRun(StringRef source, std::vector<Tensor> inputs,
                        WeightSource *weights, std::string &diagnostics) {
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    diagnostics += diag.str() + "\n";
    return success();
  });
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  if (!module) {
    return failure();
  }
  auto functions = module->getOps<func::FuncOp>();
  if (functions.empty()) {
    diagnostics += "no function in the module\n";
    return failure();
  }
  SeededWeights seeded;
  return interpret(*functions.begin(), inputs, weights ? *weights : seeded);
}

std::vector<Tensor> InterpreterTest::run(StringRef source,
                                         std::vector<Tensor> inputs,
                                         WeightSource *weights) {
  std::string diagnostics;
  FailureOr<std::vector<Tensor>> outputs =
      tryRun(source, std::move(inputs), weights, diagnostics);
  EXPECT_TRUE(succeeded(outputs)) << diagnostics;
  EXPECT_EQ(diagnostics, "");
  return succeeded(outputs) ? *outputs : std::vector<Tensor>();
}

std::string InterpreterTest::runExpectingError(StringRef source,
                                               std::vector<Tensor> inputs,
                                               WeightSource *weights) {
  std::string diagnostics;
  FailureOr<std::vector<Tensor>> outputs =
      tryRun(source, std::move(inputs), weights, diagnostics);
  EXPECT_TRUE(failed(outputs));
  EXPECT_NE(diagnostics, "");
  return diagnostics;
}
