//===- Program.h - A loaded, verified artifact ------------------*- C++ -*-===//
//
// Program::load maps a .kbin file, verifies all of it (header, FlatBuffer,
// every offset and index, target triple and CPU features), loads its
// executables and resolves their kernels, and precomputes the execution plan.
// A Program is immutable afterwards: any number of Sessions, on any threads,
// may run it at once. Weights are used in place from the read-only mapping.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_PROGRAM_H
#define KILN_RUNTIME_PROGRAM_H

#include "runtime/ArtifactInfo.h"
#include "runtime/Status.h"

#include <memory>
#include <string>
#include <vector>

namespace kiln::rt {

class LoadedExecutable;
class MappedFile;
struct ExecutionPlan;

/// A loaded artifact, shared by the Sessions that run it.
class Program {
public:
  /// Loads and verifies the artifact at `path`. Every error names the file
  /// and the field, dispatch or feature at fault.
  static StatusOr<std::shared_ptr<const Program>> load(const std::string &path);

  Program(const Program &) = delete;
  Program &operator=(const Program &) = delete;
  ~Program();

  /// The file this program was loaded from.
  const std::string &path() const { return filePath; }
  /// The verified contents of the artifact.
  const ArtifactInfo &info() const { return artifact; }
  /// The model's inputs, in the order Session::run takes them.
  const std::vector<TensorSpec> &inputs() const { return artifact.inputs; }
  /// The model's outputs, in the order Session::run takes them.
  const std::vector<TensorSpec> &outputs() const { return artifact.outputs; }

  /// The resolved schedule (internal; used by Session).
  const ExecutionPlan &plan() const { return *executionPlan; }

private:
  Program();

  Status loadExecutables();
  void buildPlan();

  std::string filePath;
  std::unique_ptr<MappedFile> file;
  ArtifactInfo artifact;
  std::vector<std::unique_ptr<LoadedExecutable>> executables;
  std::unique_ptr<ExecutionPlan> executionPlan;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_PROGRAM_H
