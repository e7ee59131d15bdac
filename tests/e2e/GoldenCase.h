//===- GoldenCase.h - One case of tests/golden ------------------*- C++ -*-===//
//
// A golden case (tests/golden/SPEC.md) is a directory with meta.json (the
// model, its -D list and tolerances), weights.safetensors, and one .npy per
// input and output. Tests read it through this class.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TESTS_E2E_GOLDENCASE_H
#define KILN_TESTS_E2E_GOLDENCASE_H

#include "runtime/Tensor.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln::test {

class GoldenCase {
public:
  /// The case directories of tests/golden, sorted.
  static std::vector<std::string> all();

  /// Reads tests/golden/<name>/meta.json; errors go to `error`.
  static std::optional<GoldenCase> load(const std::string &name,
                                        std::string &error);

  const std::string &directory() const { return dir; }
  /// The zoo model file, models/<model>.kiln.
  std::string modelPath() const;
  std::string weightsPath() const { return dir + "/weights.safetensors"; }
  const std::map<std::string, int64_t> &defines() const { return defs; }

  /// The tensor `name`.npy of the case (an input or a golden output).
  rt::StatusOr<rt::Tensor> tensor(const std::string &name) const;

  /// Checks `actual` against the golden output `name`: exactly for integer
  /// outputs, else |a - g| <= atol + rtol |g| elementwise. Returns an empty
  /// string when it matches, else what is wrong.
  std::string compare(const std::string &name, const rt::Tensor &actual) const;

private:
  std::string dir, model;
  std::map<std::string, int64_t> defs;
  double rtol = 1e-4;
  std::map<std::string, double> atol;
};

} // namespace kiln::test

#endif // KILN_TESTS_E2E_GOLDENCASE_H
