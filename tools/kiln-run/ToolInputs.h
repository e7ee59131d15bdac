//===- ToolInputs.h - Inputs and outputs of kiln-run and kiln-reference --===//
//
// Both tools take inputs the same way: --input NAME=FILE (.npy, or the array
// of that name in a .npz), --inputs FILE.npz, or seeded random data; and
// print and write outputs the same way.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_RUN_TOOLINPUTS_H
#define KILN_TOOLS_KILN_RUN_TOOLINPUTS_H

#include "runtime/ArtifactInfo.h"
#include "runtime/Tensor.h"

#include <string>
#include <utility>
#include <vector>

namespace kiln::rt {

struct InputOptions {
  std::vector<std::pair<std::string, std::string>> inputFiles;
  std::vector<std::string> inputArchives;
  uint64_t seed = 0;
};

/// Loads every input of `specs`, in order, from the files `options` names
/// (all of them must be given then), or draws them all from the seeded
/// generator. Errors name the input and the file.
StatusOr<std::vector<Tensor>>
prepareInputs(const std::vector<TensorSpec> &specs,
              const InputOptions &options);

/// Expected outputs and the tolerance of the comparison.
struct ExpectOptions {
  /// --expect NAME=FILE: a .npy file, or a .npz holding an array NAME.
  std::vector<std::pair<std::string, std::string>> files;
  /// --expected FILE.npz: every array is the expected value of the output
  /// of its name.
  std::vector<std::string> archives;
  /// Floats match when |got - expected| <= atol + rtol * |expected| (as
  /// numpy.allclose; NaN matches NaN); integers and bools match exactly.
  double rtol = 1e-4;
  double atol = 1e-5;

  bool empty() const { return files.empty() && archives.empty(); }
};

/// Compares the outputs `expect` names with their expected values, printing
/// one line per output (the largest error, or the first mismatching element
/// and the number of mismatches). Returns whether all matched; errors are
/// unreadable files or expected values of another type or shape.
StatusOr<bool> checkOutputs(const std::vector<TensorSpec> &specs,
                            const std::vector<Tensor> &outputs,
                            const ExpectOptions &expect);

/// Prints each output (name, type, first values) and, with a non-empty
/// `outputDir`, writes it as <outputDir>/<name>.npy.
Status reportOutputs(const std::vector<TensorSpec> &specs,
                     const std::vector<Tensor> &outputs,
                     const std::string &outputDir);

} // namespace kiln::rt

#endif // KILN_TOOLS_KILN_RUN_TOOLINPUTS_H
