//===- TestArtifact.cpp - Building artifacts for the runtime tests --------===//

#include "TestArtifact.h"

#include "runtime/schema/Artifact_generated.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace kiln::rt::test {

namespace {

flatbuffers::Offset<fb::TensorType>
buildType(flatbuffers::FlatBufferBuilder &b, DType dtype,
          const std::vector<int64_t> &shape) {
  return fb::CreateTensorTypeDirect(b, static_cast<fb::DType>(dtype), &shape);
}

std::vector<flatbuffers::Offset<fb::IoTensor>>
buildTensors(flatbuffers::FlatBufferBuilder &b,
             const std::vector<TestTensor> &tensors) {
  std::vector<flatbuffers::Offset<fb::IoTensor>> out;
  for (const TestTensor &t : tensors) {
    out.push_back(fb::CreateIoTensorDirect(b, t.name.c_str(),
                                           buildType(b, t.dtype, t.shape)));
  }
  return out;
}

} // namespace

Status TestArtifact::write(const std::string &path) const {
  std::vector<uint64_t> exeSizes, constSizes;
  for (const TestExecutable &e : executables) {
    exeSizes.push_back(e.image.size());
  }
  for (const TestConstant &c : constants) {
    constSizes.push_back(c.data.size());
  }
  StatusOr<ArtifactLayout> layout = planArtifactLayout(exeSizes, constSizes);
  if (!layout.ok()) {
    return layout.status();
  }
  std::vector<BlobRange> exeRefs = layout->executables;
  std::vector<BlobRange> constRefs = layout->constants;
  if (tamperRefs) {
    tamperRefs(exeRefs, constRefs);
  }

  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<flatbuffers::String>> featureNames;
  for (const std::string &f : features) {
    featureNames.push_back(b.CreateString(f));
  }
  auto target =
      fb::CreateTargetDirect(b, triple.c_str(), cpu.c_str(),
                             features.empty() ? nullptr : &featureNames);
  auto ins = buildTensors(b, inputs);
  auto outs = buildTensors(b, outputs);
  std::vector<flatbuffers::Offset<fb::Executable>> exes;
  for (size_t i = 0; i < executables.size(); ++i) {
    fb::BlobRef image(exeRefs[i].offset, exeRefs[i].size);
    std::vector<flatbuffers::Offset<flatbuffers::String>> exports;
    for (const std::string &name : executables[i].exports) {
      exports.push_back(b.CreateString(name));
    }
    exes.push_back(fb::CreateExecutableDirect(b, executables[i].format.c_str(),
                                              &image, &exports));
  }
  std::vector<flatbuffers::Offset<fb::Constant>> consts;
  for (size_t i = 0; i < constants.size(); ++i) {
    const TestConstant &c = constants[i];
    fb::BlobRef data(constRefs[i].offset, constRefs[i].size);
    consts.push_back(fb::CreateConstantDirect(b, c.name.c_str(),
                                              buildType(b, c.dtype, c.shape),
                                              &data, c.layout.c_str()));
  }
  std::vector<flatbuffers::Offset<fb::Dispatch>> disps;
  for (const TestDispatch &d : dispatches) {
    std::vector<flatbuffers::Offset<fb::BufferRef>> bindings;
    for (const BindingInfo &bi : d.bindings) {
      bindings.push_back(
          fb::CreateBufferRef(b, static_cast<fb::BufferKind>(bi.kind), bi.index,
                              bi.offset, bi.size));
    }
    disps.push_back(fb::CreateDispatchDirect(
        b, d.name.c_str(), d.executable, d.exportOrdinal, &d.grid, &bindings,
        d.scratchSize, d.rootOp.c_str(), d.sourceLoc.c_str(), 0));
  }
  std::vector<flatbuffers::Offset<fb::Region>> regs;
  for (const std::vector<uint32_t> &r : regions) {
    regs.push_back(fb::CreateRegionDirect(b, &r));
  }
  auto root = fb::CreateArtifactDirect(b, producer.c_str(), modelName.c_str(),
                                       target, &ins, &outs, &exes, &consts,
                                       &disps, &regs, arenaSize);
  fb::FinishArtifactBuffer(b, root);

  std::vector<Span<const uint8_t>> exeBlobs, constBlobs;
  for (const TestExecutable &e : executables) {
    exeBlobs.push_back(e.image);
  }
  for (const TestConstant &c : constants) {
    constBlobs.push_back(c.data);
  }
  return writeArtifact(path, *layout, {b.GetBufferPointer(), b.GetSize()},
                       exeBlobs, constBlobs);
}

const std::vector<uint8_t> &testKernelImage() {
  static const std::vector<uint8_t> image = readFileBytes(KILN_TEST_KERNELS);
  return image;
}

TestExecutable testKernels() {
  TestExecutable exe;
  exe.image = testKernelImage();
  exe.exports = {"kiln_test_add",  "kiln_test_scale", "kiln_test_fail",
                 "kiln_test_mark", "kiln_test_order", "kiln_test_address"};
  return exe;
}

TestArtifact addScaleModel(int64_t n, uint32_t workgroups) {
  uint64_t bytes = static_cast<uint64_t>(n) * 4;
  TestArtifact a;
  a.modelName = "add_scale";
  a.inputs = {{"x", DType::F32, {n}}};
  a.outputs = {{"y", DType::F32, {n}}, {"doubled", DType::F32, {n}}};
  a.executables = {testKernels()};
  TestConstant c{"c", DType::F32, {n}, std::vector<uint8_t>(bytes), ""};
  auto *values = reinterpret_cast<float *>(c.data.data());
  for (int64_t i = 0; i < n; ++i) {
    values[i] = static_cast<float>(i) * 0.5f;
  }
  a.constants = {c};
  a.arenaSize = bytes + 64;
  uint32_t w = workgroups;
  BindingInfo x{BindingKind::Input, 0, 0, bytes};
  BindingInfo arena{BindingKind::Arena, 0, 64, bytes};
  a.dispatches = {
      {"add_c",
       0,
       kAdd,
       {3 * w, 2, 1},
       {x, {BindingKind::Constant, 0, 0, bytes}, arena},
       0},
      {"double_x",
       0,
       kAdd,
       {5 * w, 1, 1},
       {x, x, {BindingKind::Output, 1, 0, bytes}},
       0},
      {"scale",
       0,
       kScale,
       {2 * w, 2, 2},
       {arena, {BindingKind::Output, 0, 0, bytes}},
       (static_cast<uint64_t>(n) + 8 * w - 1) / (8 * w) * 4},
  };
  a.dispatches[0].rootOp = a.dispatches[1].rootOp = "kiln.add";
  a.dispatches[2].rootOp = "kiln.scale";
  a.dispatches[0].sourceLoc = "models/add_scale.kiln:3:7";
  a.dispatches[1].sourceLoc = "models/add_scale.kiln:4:11";
  a.dispatches[2].sourceLoc = "models/add_scale.kiln:5:7";
  a.regions = {{0, 1}, {2}};
  return a;
}

TestArtifact sumModel(int64_t n) {
  uint64_t bytes = static_cast<uint64_t>(n) * 4;
  TestArtifact a;
  a.modelName = "sum";
  a.inputs = {{"x", DType::F32, {n}}, {"z", DType::F32, {n}}};
  a.outputs = {{"y", DType::F32, {n}}};
  a.executables = {testKernels()};
  a.dispatches = {{"sum",
                   0,
                   kAdd,
                   {2, 1, 1},
                   {{BindingKind::Input, 0, 0, bytes},
                    {BindingKind::Input, 1, 0, bytes},
                    {BindingKind::Output, 0, 0, bytes}},
                   0}};
  a.regions = {{0}};
  return a;
}

TempDir::TempDir() {
  std::string templ =
      (std::filesystem::temp_directory_path() / "kiln-rt-test-XXXXXX").string();
  if (::mkdtemp(templ.data())) {
    dir = templ;
  }
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

std::vector<uint8_t> readFileBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void writeFileBytes(const std::string &path,
                    const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

} // namespace kiln::rt::test
