//===- WeightSource.h - Where parameter data comes from ---------*- C++ -*-===//
//
// The compiler (artifact constants) and the reference interpreter read
// parameters through this interface: by name, with the shape the model
// declares, as row-major f32.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_WEIGHTS_WEIGHTSOURCE_H
#define KILN_COMPILER_WEIGHTS_WEIGHTSOURCE_H

#include "compiler/weights/SeededInitializer.h"
#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace kiln {

/// Supplies parameter data by name.
class WeightSource {
public:
  virtual ~WeightSource() = default;

  /// Fills `values` (resized to the parameter's element count) with the
  /// data of parameter `name` declared with `shape`, row-major. A missing
  /// or wrongly shaped tensor is an error emitted at `loc` that names the
  /// parameter. Sources reuse the vector's memory: the artifact writer
  /// loads every parameter into one buffer, whose pages are then faulted in
  /// once rather than once per parameter.
  virtual mlir::LogicalResult loadInto(llvm::StringRef name,
                                       llvm::ArrayRef<int64_t> shape,
                                       mlir::Location loc,
                                       std::vector<float> &values) = 0;

  /// The same into a fresh vector.
  mlir::FailureOr<std::vector<float>> load(llvm::StringRef name,
                                           llvm::ArrayRef<int64_t> shape,
                                           mlir::Location loc) {
    std::vector<float> values;
    if (mlir::failed(loadInto(name, shape, loc, values))) {
      return mlir::failure();
    }
    return values;
  }

  /// Checks that parameter `name` exists with `shape` (without reading its
  /// data) and records it as used; errors are emitted at `loc`.
  virtual mlir::LogicalResult check(llvm::StringRef name,
                                    llvm::ArrayRef<int64_t> shape,
                                    mlir::Location loc) {
    return mlir::success();
  }

  /// Once every parameter was checked or loaded: fails, naming them, if the
  /// source holds tensors the model never asked for.
  virtual mlir::LogicalResult checkAllUsed(mlir::Location loc) {
    return mlir::success();
  }
};

/// Parameters drawn from the seeded initialiser (SeededInitializer.h).
class SeededWeights : public WeightSource {
public:
  explicit SeededWeights(uint64_t seed = kDefaultParameterSeed) : seed(seed) {}

  /// Fills chunks of `values` in parallel (llvm::parallelFor): element i
  /// depends only on (seed, name, i), so they are seededParameterInto's.
  mlir::LogicalResult loadInto(llvm::StringRef name,
                               llvm::ArrayRef<int64_t> shape, mlir::Location,
                               std::vector<float> &values) override;

private:
  uint64_t seed;
};

/// Parameters from a safetensors file (F32, F16, BF16 or F64 tensors,
/// converted to f32), matched by name.
class SafetensorsWeights : public WeightSource {
public:
  /// Opens and validates `path`: header length, JSON, dtypes, shapes and
  /// data offsets. Errors are emitted at `loc` and name the file and the
  /// tensor.
  static mlir::FailureOr<std::unique_ptr<SafetensorsWeights>>
  open(llvm::StringRef path, mlir::Location loc);
  /// The same, with the error (which names the file) in `error` rather
  /// than a diagnostic: for tools, where the file has no source location.
  static mlir::FailureOr<std::unique_ptr<SafetensorsWeights>>
  open(llvm::StringRef path, std::string &error);

  mlir::LogicalResult loadInto(llvm::StringRef name,
                               llvm::ArrayRef<int64_t> shape,
                               mlir::Location loc,
                               std::vector<float> &values) override;
  mlir::LogicalResult check(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                            mlir::Location loc) override;
  mlir::LogicalResult checkAllUsed(mlir::Location loc) override;

  ~SafetensorsWeights() override;

private:
  struct Impl;
  explicit SafetensorsWeights(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace kiln

#endif // KILN_COMPILER_WEIGHTS_WEIGHTSOURCE_H
