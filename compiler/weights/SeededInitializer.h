//===- SeededInitializer.h - Reproducible parameter values ------*- C++ -*-===//
//
// Parameters of a model compiled without a weights file are drawn from this
// generator. Element i of parameter `name` depends only on (seed, name, i),
// so values are the same on every machine, in any order of generation, and
// a test can regenerate any parameter independently of the compiler.
//
// Values are uniform in [-1/sqrt(n), 1/sqrt(n)), n the fan-in of the declared
// shape (PyTorch's default bound for Linear and Conv2d weights): the last
// dimension, or in x kh x kw for a rank-4 convolution weight [out, in, kh, kw]
// (`patch_embed`'s). Query tokens, positions and tables of rank 3 keep the
// last dimension.
//
// Header-only and free of LLVM, so that tests and tools can share it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_WEIGHTS_SEEDEDINITIALIZER_H
#define KILN_COMPILER_WEIGHTS_SEEDEDINITIALIZER_H

#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

namespace kiln {

/// Default seed of `kiln-compile --seed`.
inline constexpr uint64_t kDefaultParameterSeed = 0x6b696c6e; // "kiln"

/// SplitMix64: a fast, well-mixed 64-bit counter hash.
inline uint64_t splitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// A float uniform in [-1, 1) from 24 random bits of `bits`.
inline float unitUniform(uint64_t bits) {
  return static_cast<float>(bits >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

/// The n of a parameter of `shape`'s bound 1/sqrt(n) (see the header).
inline int64_t seededFanIn(const std::vector<int64_t> &shape) {
  if (shape.empty()) {
    return 1;
  }
  if (shape.size() == 4) {
    return shape[1] * shape[2] * shape[3];
  }
  return shape.back();
}

/// The stream of seeded parameter `name`: its key and its bound.
struct SeededStream {
  SeededStream(std::string_view name, int64_t fanIn, uint64_t seed)
      : key(0xcbf29ce484222325ull ^ seed), // FNV-1a over the name.
        bound(1.0f / std::sqrt(static_cast<float>(fanIn > 0 ? fanIn : 1))) {
    for (char c : name) {
      key = (key ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    }
  }

  /// Element `index`.
  float operator()(uint64_t index) const {
    return bound * unitUniform(splitMix64(key + splitMix64(index)));
  }

  uint64_t key;
  float bound;
};

/// The stream of parameter `name` of `shape`, with `values` resized to its
/// element count (its memory reused): element i is stream(i).
inline SeededStream seededStreamInto(std::string_view name,
                                     const std::vector<int64_t> &shape,
                                     uint64_t seed,
                                     std::vector<float> &values) {
  uint64_t count = 1;
  for (int64_t d : shape) {
    count *= static_cast<uint64_t>(d);
  }
  values.resize(count);
  return SeededStream(name, seededFanIn(shape), seed);
}

/// Parameter `name` of `shape` into `values` (resized; its memory reused).
inline void seededParameterInto(std::string_view name,
                                const std::vector<int64_t> &shape,
                                uint64_t seed, std::vector<float> &values) {
  SeededStream stream = seededStreamInto(name, shape, seed, values);
  for (uint64_t i = 0; i < values.size(); ++i) {
    values[i] = stream(i);
  }
}

/// The whole seeded parameter `name` of `shape`, row-major.
inline std::vector<float> seededParameter(std::string_view name,
                                          const std::vector<int64_t> &shape,
                                          uint64_t seed) {
  std::vector<float> values;
  seededParameterInto(name, shape, seed, values);
  return values;
}

} // namespace kiln

#endif // KILN_COMPILER_WEIGHTS_SEEDEDINITIALIZER_H
