//===- ArtifactInfo.h - The verified contents of an artifact ----*- C++ -*-===//
//
// A plain C++ copy of an artifact's metadata, made once at load time after
// the file has passed every check. Everything the runtime and the tools need
// to know about an artifact is read from here, never from the FlatBuffer
// itself, so nothing downstream of the reader sees unverified data.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_ARTIFACTINFO_H
#define KILN_RUNTIME_ARTIFACTINFO_H

#include "runtime/DType.h"
#include "runtime/Status.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace kiln::rt {

/// A named tensor of the model's signature.
struct TensorSpec {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// Bytes of the tensor's data.
  uint64_t byteSize = 0;
};

/// The CPU and features the executables were compiled for.
struct TargetInfo {
  std::string triple;
  std::string cpu;
  std::vector<std::string> features;
};

/// Where a dispatch binding's bytes live (values equal kiln.fb.BufferKind).
enum class BindingKind : uint8_t { Input = 0, Output, Constant, Arena };

/// Returns "input", "output", "constant" or "arena".
const char *bindingKindName(BindingKind kind);

/// One binding of a dispatch.
struct BindingInfo {
  BindingKind kind = BindingKind::Input;
  /// Input, output or constant index (0 for the arena).
  uint32_t index = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
};

/// A code object and its exported kernels.
struct ExecutableInfo {
  std::string format;
  /// Image range relative to the data section.
  uint64_t offset = 0;
  uint64_t size = 0;
  std::vector<std::string> exports;
};

/// One kernel launch of the schedule.
struct DispatchInfo {
  std::string name;
  uint32_t executable = 0;
  uint32_t exportOrdinal = 0;
  std::array<uint32_t, 3> grid = {1, 1, 1};
  std::vector<BindingInfo> bindings;
  uint64_t scratchSize = 0;
  std::string rootOp;
  std::string sourceLoc;
  uint64_t flops = 0;
  /// grid[0] * grid[1] * grid[2].
  uint64_t workgroupCount = 1;
};

/// Dispatches that may run concurrently; a barrier follows.
struct RegionInfo {
  std::vector<uint32_t> dispatches;
};

/// A weight of the model, stored in the weight segment.
struct ConstantInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// Data range relative to the data section.
  uint64_t offset = 0;
  uint64_t size = 0;
  std::string layout;
};

/// The file-level layout read from the FileHeader.
struct FileLayoutInfo {
  uint32_t schemaVersion = 0;
  uint32_t kernelAbiVersion = 0;
  uint64_t fileSize = 0;
  uint64_t flatbufferOffset = 0;
  uint64_t flatbufferSize = 0;
  uint64_t dataOffset = 0;
  uint64_t dataSize = 0;
  uint64_t weightsOffset = 0;
  /// CRC-32C checksums the header records (runtime/ArtifactFormat.h).
  uint32_t metadataChecksum = 0;
  uint32_t codeChecksum = 0;
  uint32_t weightsChecksum = 0;
};

/// Everything an artifact says, verified.
struct ArtifactInfo {
  std::string producer;
  std::string modelName;
  TargetInfo target;
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  std::vector<ExecutableInfo> executables;
  std::vector<ConstantInfo> constants;
  std::vector<DispatchInfo> dispatches;
  std::vector<RegionInfo> regions;
  /// Bytes of activation memory one invocation needs.
  uint64_t arenaSize = 0;
  FileLayoutInfo file;
};

/// Checks the header, runs the FlatBuffers verifier and then checks every
/// field of the artifact in `bytes` (the whole file) semantically: presence,
/// enum values, shapes, blob ranges, indices, grids, bindings and regions;
/// then the metadata checksum. `path` names the file in error messages. Does
/// not look at the host (CPU features, triple) and loads no code.
StatusOr<ArtifactInfo> readArtifactInfo(const uint8_t *bytes, uint64_t size,
                                        const std::string &path);

/// Maps the file at `path` and returns readArtifactInfo of its contents;
/// the mapping is released before returning. For inspection tools.
StatusOr<ArtifactInfo> readArtifactInfoFile(const std::string &path);

/// Checks the semantic rules of an ArtifactInfo converted from a FlatBuffer
/// (everything but presence and enum ranges, which the conversion checks).
Status verifyArtifactInfo(const ArtifactInfo &info, const std::string &path);

/// Compares the checksum of the executables' part of the data section of
/// `bytes` (the whole file `info` was read from) with the header's.
Status verifyCodeChecksum(const uint8_t *bytes, const ArtifactInfo &info);

/// The same for the weight segment. Reads every weight.
Status verifyWeightsChecksum(const uint8_t *bytes, const ArtifactInfo &info);

/// Reads the artifact at `path` as readArtifactInfoFile does and checks all
/// three checksums (metadata, code, weights). For `kiln-inspect --verify`.
Status verifyArtifactFile(const std::string &path);

} // namespace kiln::rt

#endif // KILN_RUNTIME_ARTIFACTINFO_H
