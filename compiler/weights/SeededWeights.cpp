//===- SeededWeights.cpp - Parameters from the seeded initialiser ---------===//
//
// A full-size model's parameters are gigabytes of hashes: drawn on one
// thread they took about 5 s of a 27 s Show-o compile. Chunks of a
// parameter are independent, so they are drawn on LLVM's parallel
// strategy (kiln-compile -j sets its size).
//
//===----------------------------------------------------------------------===//

#include "compiler/weights/WeightSource.h"

#include "llvm/Support/Parallel.h"

#include <algorithm>

using namespace mlir;

namespace kiln {

LogicalResult SeededWeights::loadInto(StringRef name, ArrayRef<int64_t> shape,
                                      Location, std::vector<float> &values) {
  SeededStream stream = seededStreamInto(
      name.str(), std::vector<int64_t>(shape.begin(), shape.end()), seed,
      values);
  uint64_t count = values.size();
  constexpr uint64_t kChunk = 1 << 16;
  llvm::parallelFor(0, (count + kChunk - 1) / kChunk, [&](size_t chunk) {
    uint64_t end = std::min<uint64_t>(count, (chunk + 1) * kChunk);
    for (uint64_t i = chunk * kChunk; i < end; ++i) {
      values[i] = stream(i);
    }
  });
  return success();
}

} // namespace kiln
