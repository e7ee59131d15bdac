//===- InterpreterFixture.h - Inline IR on the reference --------*- C++ -*-===//
//
// The fixture of the reference interpreter tests: parses an inline module,
// runs its first function and hands back the outputs or the diagnostics.
// Tests compute their expectations independently, with their own loops.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TESTS_UNIT_COMPILER_INTERPRETERFIXTURE_H
#define KILN_TESTS_UNIT_COMPILER_INTERPRETERFIXTURE_H

#include "compiler/reference/ReferenceInterpreter.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

#include <map>
#include <string>
#include <vector>

namespace kiln::ref::test {

/// A float tensor of `shape` holding `values`.
Tensor floats(std::vector<int64_t> shape, std::vector<float> values);

/// An integer tensor of `shape` holding `values`.
Tensor ints(std::vector<int64_t> shape, std::vector<int64_t> values);

/// A float tensor of `shape` with values uniform in [lo, hi) drawn from a
/// generator seeded with `seed`.
Tensor randomTensor(std::vector<int64_t> shape, uint32_t seed, float lo = -1.0f,
                    float hi = 1.0f);

/// The MLIR spelling of a tensor type, e.g. `tensor<2x3xf32>`.
std::string tensorType(const std::vector<int64_t> &shape,
                       llvm::StringRef element = "f32");

/// A kiln enum attribute as written in an attribute dictionary, e.g.
/// `enumAttr("mask_kind", "causal")`.
std::string enumAttr(llvm::StringRef mnemonic, llvm::StringRef value);

/// Expects `actual` to be a float tensor of `shape` whose elements are
/// within `tolerance` (absolute plus relative) of `expected`.
void expectTensorNear(const Tensor &actual, const std::vector<int64_t> &shape,
                      const std::vector<double> &expected,
                      double tolerance = 1e-5);

/// Parameters held in a map from name to row-major data.
class MapWeights : public WeightSource {
public:
  std::map<std::string, std::vector<float>> tensors;
  /// The declared shapes the interpreter asked for, by name.
  std::map<std::string, std::vector<int64_t>> requestedShapes;

  mlir::LogicalResult loadInto(llvm::StringRef name,
                               llvm::ArrayRef<int64_t> shape,
                               mlir::Location loc,
                               std::vector<float> &values) override;
};

/// Parses inline IR with the kiln and func dialects and runs it.
class InterpreterTest : public ::testing::Test {
protected:
  InterpreterTest();

  /// Runs the first function of `source` on `inputs`; any diagnostic fails
  /// the test.
  std::vector<Tensor> run(llvm::StringRef source, std::vector<Tensor> inputs,
                          WeightSource *weights = nullptr);

  /// Runs the first function of `source` on `inputs`, expecting failure;
  /// returns the text of all diagnostics.
  std::string runExpectingError(llvm::StringRef source,
                                std::vector<Tensor> inputs,
                                WeightSource *weights = nullptr);

  mlir::MLIRContext context;

private:
  /// Parses and runs, collecting diagnostics into `diagnostics`.
  mlir::FailureOr<std::vector<Tensor>> tryRun(llvm::StringRef source,
                                              std::vector<Tensor> inputs,
                                              WeightSource *weights,
                                              std::string &diagnostics);
};

} // namespace kiln::ref::test

#endif // KILN_TESTS_UNIT_COMPILER_INTERPRETERFIXTURE_H
