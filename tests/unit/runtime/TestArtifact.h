//===- TestArtifact.h - Artifacts for the runtime tests ---------*- C++ -*-===//
//
// A plain description of an artifact that the tests fill in (or start from
// one of the ready-made models and then break on purpose), written with the
// FlatBuffers builder and ArtifactWriter exactly as the compiler does.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TESTS_UNIT_RUNTIME_TESTARTIFACT_H
#define KILN_TESTS_UNIT_RUNTIME_TESTARTIFACT_H

#include "runtime/ArtifactInfo.h"
#include "runtime/ArtifactWriter.h"
#include "runtime/Tensor.h"

#include <functional>
#include <string>
#include <vector>

namespace kiln::rt::test {

struct TestTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
};

struct TestConstant {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
  std::string layout;
};

struct TestExecutable {
  std::string format = "elf-shared-object";
  std::vector<uint8_t> image;
  std::vector<std::string> exports;
};

struct TestDispatch {
  std::string name;
  uint32_t executable = 0;
  uint32_t exportOrdinal = 0;
  std::vector<uint32_t> grid = {1, 1, 1};
  std::vector<BindingInfo> bindings;
  uint64_t scratchSize = 0;
  std::string rootOp = "kiln.test";
  std::string sourceLoc = "test.kiln:1:1";
};

/// An artifact to write; every field maps to one in Artifact.fbs.
struct TestArtifact {
  std::string producer = "kiln-runtime-tests";
  std::string modelName = "test";
  std::string triple = "x86_64-unknown-linux-gnu";
  std::string cpu = "generic";
  std::vector<std::string> features;
  std::vector<TestTensor> inputs, outputs;
  std::vector<TestExecutable> executables;
  std::vector<TestConstant> constants;
  std::vector<TestDispatch> dispatches;
  std::vector<std::vector<uint32_t>> regions;
  uint64_t arenaSize = 0;
  /// Edits the BlobRefs recorded in the FlatBuffer (not where the bytes go).
  std::function<void(std::vector<BlobRange> &executables,
                     std::vector<BlobRange> &constants)>
      tamperRefs;

  /// Writes the artifact to `path`.
  Status write(const std::string &path) const;
};

/// Exports of the test kernel library, in ordinal order.
enum KernelOrdinal : uint32_t {
  kAdd = 0,
  kScale,
  kFail,
  kMark,
  kOrder,
  kAddress
};

/// The bytes of the freestanding test kernel library.
const std::vector<uint8_t> &testKernelImage();

/// An executable holding every test kernel.
TestExecutable testKernels();

/// The model most tests run, over `n` f32 elements:
///   region 0: "add_c" arena = x + c;  "double_x" doubled = x + x
///   region 1: "scale" y = 2 * arena + 1 (through scratch)
/// Inputs: x f32[n]. Outputs: y f32[n], doubled f32[n]. Constant c[i] = i/2.
/// `workgroups` scales every grid. The dispatches' root ops and source
/// locations are "kiln.add" at add_scale.kiln:3:7 and :4:11 and
/// "kiln.scale" at add_scale.kiln:5:7.
TestArtifact addScaleModel(int64_t n, uint32_t workgroups = 1);

/// A model with two inputs, over `n` f32 elements: one dispatch "sum"
/// computing y = x + z. Inputs: x f32[n], z f32[n]. Output: y f32[n].
TestArtifact sumModel(int64_t n);

/// A temporary directory removed with everything in it on destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  /// `name` inside the directory.
  std::string file(const std::string &name) const { return dir + "/" + name; }
  const std::string &path() const { return dir; }

private:
  std::string dir;
};

/// Reads a whole file; empty if it cannot be read.
std::vector<uint8_t> readFileBytes(const std::string &path);
/// Writes `bytes` to `path`, replacing it.
void writeFileBytes(const std::string &path, const std::vector<uint8_t> &bytes);

} // namespace kiln::rt::test

#endif // KILN_TESTS_UNIT_RUNTIME_TESTARTIFACT_H
