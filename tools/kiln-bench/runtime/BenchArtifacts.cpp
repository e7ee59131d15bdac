//===- BenchArtifacts.cpp - Artifacts the runtime benchmarks run ----------===//
//
// A BenchModel is the little of Artifact.fbs the benchmarks need. Models
// with real constant data go through writeArtifact; the weights model is
// laid out by planArtifactLayout like any other, but only its header,
// FlatBuffer and kernel image are written, and ftruncate extends the file
// over the weight segment, which reads back as zeros.
//
//===----------------------------------------------------------------------===//

#include "BenchArtifacts.h"

#include "runtime/ArtifactFormat.h"
#include "runtime/ArtifactInfo.h"
#include "runtime/ArtifactWriter.h"
#include "runtime/abi/KernelAbi.h"
#include "runtime/schema/Artifact_generated.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <unistd.h>

namespace kiln::rt::bench {

namespace {

/// Exports of BenchKernels.c, in ordinal order.
enum KernelOrdinal : uint32_t { kTouch = 0, kAddress, kMix, kFold };

struct BenchTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
};

struct BenchConstant {
  BenchTensor type;
  /// The bytes; empty in a sparse model, where they are zeros.
  std::vector<uint8_t> data;
  uint64_t size = 0;
};

struct BenchDispatch {
  std::string name;
  KernelOrdinal kernel;
  uint32_t workgroups = 1;
  std::vector<BindingInfo> bindings;
};

/// The subset of an artifact the benchmarks vary.
struct BenchModel {
  std::string name;
  std::vector<BenchTensor> inputs, outputs;
  std::vector<BenchConstant> constants;
  std::vector<BenchDispatch> dispatches;
  std::vector<std::vector<uint32_t>> regions;
  uint64_t arenaSize = 0;
  /// Write the constants as holes instead of bytes.
  bool sparse = false;
};

/// The bytes of the freestanding kernel library.
const std::vector<uint8_t> &kernelImage() {
  static const std::vector<uint8_t> image = [] {
    std::ifstream in(KILN_BENCH_KERNELS, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
  }();
  return image;
}

flatbuffers::Offset<fb::TensorType> buildType(flatbuffers::FlatBufferBuilder &b,
                                              const BenchTensor &t) {
  return fb::CreateTensorTypeDirect(b, static_cast<fb::DType>(t.dtype),
                                    &t.shape);
}

std::vector<flatbuffers::Offset<fb::IoTensor>>
buildSignature(flatbuffers::FlatBufferBuilder &b,
               const std::vector<BenchTensor> &tensors) {
  std::vector<flatbuffers::Offset<fb::IoTensor>> out;
  for (const BenchTensor &t : tensors) {
    out.push_back(fb::CreateIoTensorDirect(b, t.name.c_str(), buildType(b, t)));
  }
  return out;
}

/// Writes the header, FlatBuffer and executables; the weight segment stays a
/// hole that ftruncate creates.
Status writeSparse(const std::string &path, const ArtifactLayout &layout,
                   const flatbuffers::FlatBufferBuilder &b) {
  FileHeader header = {};
  std::memcpy(header.magic, kArtifactMagic, sizeof(header.magic));
  header.schemaVersion = kSchemaVersion;
  header.kernelAbiVersion = KILN_KERNEL_ABI_VERSION;
  header.flatbufferOffset = sizeof(FileHeader);
  header.flatbufferSize = b.GetSize();
  header.dataOffset =
      alignTo(sizeof(FileHeader) + b.GetSize(), kWeightSegmentAlignment);
  header.dataSize = layout.dataSize;
  header.weightsOffset = layout.weightsOffset;
  header.fileSize = header.dataOffset + header.dataSize;
  const std::vector<uint8_t> &image = kernelImage();
  Span<const uint8_t> images[] = {{image.data(), image.size()}};
  header.codeChecksum =
      segmentChecksum(images, layout.executables, 0, layout.weightsOffset);
  // The weight segment is a hole of zeros.
  header.weightsChecksum =
      segmentChecksum({}, {}, layout.weightsOffset, layout.dataSize);
  header.metadataChecksum =
      metadataChecksumOf(header, b.GetBufferPointer(), b.GetSize());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return makeError(StatusCode::IoError, "cannot create '", path,
                     "': ", std::strerror(errno));
  }
  auto put = [&](const void *data, uint64_t size, uint64_t offset) {
    return ::pwrite(fd, data, size, static_cast<off_t>(offset)) ==
           static_cast<ssize_t>(size);
  };
  bool ok = put(&header, sizeof(header), 0) &&
            put(b.GetBufferPointer(), b.GetSize(), header.flatbufferOffset) &&
            put(image.data(), image.size(),
                header.dataOffset + layout.executables[0].offset) &&
            ::ftruncate(fd, static_cast<off_t>(header.fileSize)) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    return makeError(StatusCode::IoError, "cannot write '", path, "'");
  }
  return Status();
}

/// Lays out, builds and writes `model` with the one kernel library.
Status writeModel(const std::string &path, const BenchModel &model) {
  const std::vector<uint8_t> &image = kernelImage();
  if (image.empty()) {
    return Status(StatusCode::IoError,
                  std::string("cannot read the benchmark kernels '") +
                      KILN_BENCH_KERNELS + "'");
  }
  std::vector<uint64_t> constantSizes;
  for (const BenchConstant &c : model.constants) {
    constantSizes.push_back(c.size);
  }
  std::vector<uint64_t> imageSizes = {image.size()};
  StatusOr<ArtifactLayout> layout =
      planArtifactLayout(imageSizes, constantSizes);
  if (!layout.ok()) {
    return layout.status();
  }

  flatbuffers::FlatBufferBuilder b;
  auto target =
      fb::CreateTargetDirect(b, "x86_64-unknown-linux-gnu", "generic", nullptr);
  auto inputs = buildSignature(b, model.inputs);
  auto outputs = buildSignature(b, model.outputs);
  std::vector<flatbuffers::Offset<flatbuffers::String>> exports;
  for (const char *name : {"kiln_bench_touch", "kiln_bench_address",
                           "kiln_bench_mix", "kiln_bench_fold"}) {
    exports.push_back(b.CreateString(name));
  }
  fb::BlobRef imageRef(layout->executables[0].offset, image.size());
  std::vector<flatbuffers::Offset<fb::Executable>> executables = {
      fb::CreateExecutableDirect(b, "elf-shared-object", &imageRef, &exports)};
  std::vector<flatbuffers::Offset<fb::Constant>> constants;
  for (size_t i = 0; i < model.constants.size(); ++i) {
    fb::BlobRef data(layout->constants[i].offset, layout->constants[i].size);
    constants.push_back(fb::CreateConstantDirect(
        b, model.constants[i].type.name.c_str(),
        buildType(b, model.constants[i].type), &data, ""));
  }
  std::vector<flatbuffers::Offset<fb::Dispatch>> dispatches;
  for (const BenchDispatch &d : model.dispatches) {
    std::vector<uint32_t> grid = {d.workgroups, 1, 1};
    std::vector<flatbuffers::Offset<fb::BufferRef>> bindings;
    for (const BindingInfo &bi : d.bindings) {
      bindings.push_back(
          fb::CreateBufferRef(b, static_cast<fb::BufferKind>(bi.kind), bi.index,
                              bi.offset, bi.size));
    }
    dispatches.push_back(fb::CreateDispatchDirect(
        b, d.name.c_str(), 0, d.kernel, &grid, &bindings, 0, "kiln.bench",
        "kiln-bench-runtime:1:1", 0));
  }
  std::vector<flatbuffers::Offset<fb::Region>> regions;
  for (const std::vector<uint32_t> &r : model.regions) {
    regions.push_back(fb::CreateRegionDirect(b, &r));
  }
  fb::FinishArtifactBuffer(
      b, fb::CreateArtifactDirect(b, "kiln-bench-runtime", model.name.c_str(),
                                  target, &inputs, &outputs, &executables,
                                  &constants, &dispatches, &regions,
                                  model.arenaSize));
  if (model.sparse) {
    return writeSparse(path, *layout, b);
  }
  std::vector<Span<const uint8_t>> imageBlobs = {image}, constantBlobs;
  for (const BenchConstant &c : model.constants) {
    constantBlobs.push_back(c.data);
  }
  return writeArtifact(path, *layout, {b.GetBufferPointer(), b.GetSize()},
                       imageBlobs, constantBlobs);
}

} // namespace

Status writeDispatchChain(const std::string &path, uint32_t count,
                          bool oneRegion) {
  BenchModel model;
  model.name =
      oneRegion ? "dispatch_chain_one_region" : "dispatch_chain_region_each";
  model.arenaSize = uint64_t(64) * count;
  model.regions.resize(oneRegion ? 1 : count);
  for (uint32_t i = 0; i < count; ++i) {
    model.dispatches.push_back({"touch_" + std::to_string(i),
                                kTouch,
                                1,
                                {{BindingKind::Arena, 0, 64 * i, 4}}});
    model.regions[oneRegion ? 0 : i].push_back(i);
  }
  return writeModel(path, model);
}

Status writeWeightsModel(const std::string &path, uint64_t weightBytes) {
  constexpr uint64_t kChunk = uint64_t(256) << 20;
  BenchModel model;
  model.name = "weights";
  model.sparse = true;
  for (uint64_t left = weightBytes; left > 0;) {
    uint64_t size = std::min(left, kChunk);
    std::string name = "weight_" + std::to_string(model.constants.size());
    model.constants.push_back(
        {{name, DType::U8, {static_cast<int64_t>(size)}}, {}, size});
    left -= size;
  }
  model.outputs = {{"address", DType::I64, {1}}};
  model.dispatches = {
      {"address",
       kAddress,
       1,
       {{BindingKind::Constant, 0, 0, 64}, {BindingKind::Output, 0, 0, 8}}}};
  model.regions = {{0}};
  return writeModel(path, model);
}

Status writeMixModel(const std::string &path, int64_t n, uint32_t workgroups) {
  uint64_t bytes = static_cast<uint64_t>(n) * 4;
  BenchModel model;
  model.name = "mix";
  model.inputs = {{"x", DType::F32, {n}}};
  model.outputs = {{"y", DType::F32, {n}}};
  BenchConstant weights{
      {"w", DType::F32, {n}}, std::vector<uint8_t>(bytes), bytes};
  auto *w = reinterpret_cast<float *>(weights.data.data());
  for (int64_t i = 0; i < n; ++i) {
    w[i] = 0.5f + static_cast<float>(i % 17) / 34.0f;
  }
  model.constants = {std::move(weights)};
  model.arenaSize = bytes;
  BindingInfo h{BindingKind::Arena, 0, 0, bytes};
  model.dispatches = {
      {"mix",
       kMix,
       workgroups,
       {{BindingKind::Input, 0, 0, bytes},
        {BindingKind::Constant, 0, 0, bytes},
        h}},
      {"fold", kFold, workgroups, {h, {BindingKind::Output, 0, 0, bytes}}}};
  model.regions = {{0}, {1}};
  return writeModel(path, model);
}

} // namespace kiln::rt::bench
