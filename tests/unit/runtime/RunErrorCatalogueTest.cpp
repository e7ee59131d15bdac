//===- RunErrorCatalogueTest.cpp - Bad artifacts and inputs via kiln-run --===//
//
// The user-facing half of the bad-input catalogue (BadArtifactTest checks
// the same artifacts through the C++ API): each case breaks one thing about
// the artifact or the inputs, runs kiln-run on it, and expects exit code 1
// (never a crash) with "kiln-run: error:", the file at fault and a message
// that names the problem.
//
//===----------------------------------------------------------------------===//

#include "TestArtifact.h"
#include "ToolProcess.h"

#include "runtime/ArtifactFormat.h"
#include "runtime/CpuFeatures.h"
#include "runtime/Npy.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>

using namespace kiln::rt;
using namespace kiln::rt::test;

namespace {

/// What a case hands to kiln-run.
struct Invocation {
  /// kiln-run's arguments; empty to skip the case on this host.
  std::string args;
  /// A file the message must name; empty if none.
  std::string subject;
};

/// One way to break a run and the words its message must contain.
struct RunErrorCase {
  const char *name;
  Invocation (*prepare)(const TempDir &dir);
  std::vector<std::string> needles;
};

void PrintTo(const RunErrorCase &c, std::ostream *os) { *os << c.name; }

/// Writes `artifact` as m.kbin and runs it with random inputs.
Invocation runArtifact(const TempDir &dir, const TestArtifact &artifact) {
  std::string path = dir.file("m.kbin");
  EXPECT_TRUE(artifact.write(path).ok());
  return {path, path};
}

/// A valid artifact whose bytes `edit` then changes.
template <typename Edit> Invocation editBytes(const TempDir &dir, Edit edit) {
  std::string path = dir.file("m.kbin");
  EXPECT_TRUE(addScaleModel(64).write(path).ok());
  std::vector<uint8_t> bytes = readFileBytes(path);
  edit(bytes);
  writeFileBytes(path, bytes);
  return {path, path};
}

/// A valid artifact with header field `offset` (of `width` bytes) replaced
/// by `edit(old value)`.
template <typename Edit>
Invocation editHeader(const TempDir &dir, size_t offset, size_t width,
                      Edit edit) {
  return editBytes(dir, [&](std::vector<uint8_t> &bytes) {
    uint64_t value = 0;
    std::memcpy(&value, bytes.data() + offset, width);
    value = edit(value);
    std::memcpy(bytes.data() + offset, &value, width);
  });
}

/// The add/scale model with its input x read from a .npy file of `dtype`
/// and `shape` whose bytes `edit` may then change.
template <typename Edit>
Invocation npyInput(const TempDir &dir, DType dtype, std::vector<int64_t> shape,
                    Edit edit) {
  std::string model = dir.file("m.kbin"), npy = dir.file("x.npy");
  EXPECT_TRUE(addScaleModel(64).write(model).ok());
  Tensor x = std::move(Tensor::create(dtype, std::move(shape))).value();
  EXPECT_TRUE(writeNpy(npy, x.view()).ok());
  std::vector<uint8_t> bytes = readFileBytes(npy);
  edit(bytes);
  writeFileBytes(npy, bytes);
  return {model + " --input x=" + npy, npy};
}

Invocation npyInput(const TempDir &dir, DType dtype,
                    std::vector<int64_t> shape) {
  return npyInput(dir, dtype, std::move(shape), [](std::vector<uint8_t> &) {});
}

/// The name of a known CPU feature this host lacks, or "".
std::string lackingFeature() {
  for (const std::string &name : CpuFeatures::knownNames()) {
    if (!CpuFeatures::host().has(name)) {
      return name;
    }
  }
  return "";
}

class RunErrorCatalogueTest : public testing::TestWithParam<RunErrorCase> {};

TEST_P(RunErrorCatalogueTest, FailsWithAMessageNamingTheProblem) {
  TempDir dir;
  Invocation invocation = GetParam().prepare(dir);
  if (invocation.args.empty()) {
    GTEST_SKIP() << "not applicable on this host";
  }
  ToolResult r = runKilnRun(invocation.args);
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_EQ(r.output.rfind("kiln-run: error: ", 0), 0u) << r.output;
  if (!invocation.subject.empty()) {
    EXPECT_NE(r.output.find(invocation.subject), std::string::npos) << r.output;
  }
  for (const std::string &needle : GetParam().needles) {
    EXPECT_NE(r.output.find(needle), std::string::npos)
        << "missing '" << needle << "' in\n"
        << r.output;
  }
}

using Bytes = std::vector<uint8_t>;

const RunErrorCase kCases[] = {
    // The file itself.
    {"MissingArtifact",
     [](const TempDir &d) -> Invocation {
       return {d.file("none.kbin"), d.file("none.kbin")};
     },
     {"cannot open", "No such file"}},
    {"DirectoryAsArtifact",
     [](const TempDir &d) -> Invocation { return {d.path(), d.path()}; },
     {"not a regular file"}},
    {"EmptyFile",
     [](const TempDir &d) { return editBytes(d, [](Bytes &b) { b.clear(); }); },
     {"truncated", "0 bytes"}},
    {"TruncatedInHeader",
     [](const TempDir &d) {
       return editBytes(d, [](Bytes &b) { b.resize(10); });
     },
     {"truncated", "less than the 128-byte header"}},
    {"TruncatedInData",
     [](const TempDir &d) {
       return editBytes(d, [](Bytes &b) { b.resize(b.size() / 2); });
     },
     {"truncated: the header says the file has"}},
    // The fixed header, bit-flipped.
    {"WrongMagic",
     [](const TempDir &d) {
       return editBytes(d, [](Bytes &b) { b[3] ^= 0x20; });
     },
     {"not a Kiln artifact (bad magic)"}},
    {"NewerSchemaVersion",
     [](const TempDir &d) {
       return editHeader(
           d, offsetof(FileHeader, schemaVersion), 4,
           [](uint64_t) -> uint64_t { return kSchemaVersion + 1; });
     },
     {"schema version 3 is newer than what this runtime reads"}},
    {"OtherKernelAbiVersion",
     [](const TempDir &d) {
       return editHeader(d, offsetof(FileHeader, kernelAbiVersion), 4,
                         [](uint64_t) -> uint64_t { return 99; });
     },
     {"kernel ABI version 99 does not match"}},
    {"FlippedFlatBufferOffset",
     [](const TempDir &d) {
       return editHeader(d, offsetof(FileHeader, flatbufferOffset), 8,
                         [](uint64_t v) { return v ^ 0x40; });
     },
     {"FlatBuffer offset 192 is not 128"}},
    {"FlippedFlatBufferSize",
     [](const TempDir &d) {
       return editHeader(d, offsetof(FileHeader, flatbufferSize), 8,
                         [](uint64_t v) { return v ^ (uint64_t(1) << 40); });
     },
     {"FlatBuffer size", "does not fit the file"}},
    {"FlippedDataOffset",
     [](const TempDir &d) {
       return editHeader(d, offsetof(FileHeader, dataOffset), 8,
                         [](uint64_t v) { return v ^ 8; });
     },
     {"data offset", "is not a multiple of 4096"}},
    {"FlippedWeightsOffset",
     [](const TempDir &d) {
       return editHeader(d, offsetof(FileHeader, weightsOffset), 8,
                         [](uint64_t v) { return v ^ (uint64_t(1) << 30); });
     },
     {"weights offset"}},
    {"FlippedFileSize",
     [](const TempDir &d) {
       return editHeader(d, offsetof(FileHeader, fileSize), 8,
                         [](uint64_t v) { return v ^ 1; });
     },
     {"the header says"}},
    // The FlatBuffer and the offsets inside it.
    {"FlippedRootOffset",
     [](const TempDir &d) {
       return editBytes(d, [](Bytes &b) { b[sizeof(FileHeader) + 2] = 0x7f; });
     },
     {"the FlatBuffer fails verification"}},
    {"FlippedFileIdentifier",
     [](const TempDir &d) {
       return editBytes(d, [](Bytes &b) { b[sizeof(FileHeader) + 5] ^= 0x01; });
     },
     {"lacks the file identifier \"KILN\""}},
    {"ExecutableOffsetOutOfRange",
     [](const TempDir &d) {
       TestArtifact a = addScaleModel(64);
       a.tamperRefs = [](std::vector<BlobRange> &exes,
                         std::vector<BlobRange> &) {
         exes[0].offset ^= uint64_t(1) << 40;
       };
       return runArtifact(d, a);
     },
     {"executable 0: image", "lies outside"}},
    {"ConstantOffsetOutOfRange",
     [](const TempDir &d) {
       TestArtifact a = addScaleModel(64);
       a.tamperRefs = [](std::vector<BlobRange> &,
                         std::vector<BlobRange> &consts) {
         consts[0].offset += 4096;
       };
       return runArtifact(d, a);
     },
     {"constant 0 ('c')", "outside the weight segment"}},
    {"BindingOffsetOutOfRange",
     [](const TempDir &d) {
       TestArtifact a = addScaleModel(64);
       a.dispatches[2].bindings[0].offset = uint64_t(1) << 20;
       return runArtifact(d, a);
     },
     {"dispatch 2 ('scale'): binding 0", "exceeds the arena"}},
    {"RegionIndexOutOfRange",
     [](const TempDir &d) {
       TestArtifact a = addScaleModel(64);
       a.regions[1].push_back(17);
       return runArtifact(d, a);
     },
     {"region 1: dispatch index 17 is out of range"}},
    // The host.
    {"MissingCpuFeature",
     [](const TempDir &d) -> Invocation {
       std::string lacking = lackingFeature();
       if (lacking.empty()) {
         return {};
       }
       TestArtifact a = addScaleModel(64);
       a.features = {"sse2", lacking};
       return runArtifact(d, a);
     },
     {"artifact requires CPU feature '", "which this CPU lacks"}},
    {"UnknownCpuFeature",
     [](const TempDir &d) {
       TestArtifact a = addScaleModel(64);
       a.features = {"frobnicate"};
       return runArtifact(d, a);
     },
     {"unknown CPU feature 'frobnicate'"}},
    {"ForeignTriple",
     [](const TempDir &d) {
       TestArtifact a = addScaleModel(64);
       a.triple = "aarch64-unknown-linux-gnu";
       return runArtifact(d, a);
     },
     {"target triple 'aarch64-unknown-linux-gnu'"}},
    // The inputs.
    {"WrongInputShape",
     [](const TempDir &d) { return npyInput(d, DType::F32, {65}); },
     {"input 'x': expected f32[64], got f32[65]"}},
    {"WrongInputRank",
     [](const TempDir &d) { return npyInput(d, DType::F32, {8, 8}); },
     {"input 'x': expected f32[64], got f32[8,8]"}},
    {"WrongInputDType",
     [](const TempDir &d) { return npyInput(d, DType::I32, {64}); },
     {"input 'x': expected f32[64], got i32[64]"}},
    {"UnknownInputName",
     [](const TempDir &d) -> Invocation {
       Invocation i = npyInput(d, DType::F32, {64});
       i.args.replace(i.args.find("--input x="), 10, "--input nope=");
       return {i.args, "--input 'nope'"};
     },
     {"the model has no input of that name (inputs: x)"}},
    {"MissingInput",
     [](const TempDir &d) -> Invocation {
       std::string model = d.file("sum.kbin"), npy = d.file("x.npy");
       EXPECT_TRUE(sumModel(64).write(model).ok());
       Tensor x = std::move(Tensor::create(DType::F32, {64})).value();
       EXPECT_TRUE(writeNpy(npy, x.view()).ok());
       return {model + " --input x=" + npy, "input 'z'"};
     },
     {"is not given; with --input or --inputs every input must be given"}},
    {"MissingInputFile",
     [](const TempDir &d) -> Invocation {
       EXPECT_TRUE(addScaleModel(64).write(d.file("m.kbin")).ok());
       return {d.file("m.kbin") + " --input x=" + d.file("none.npy"),
               d.file("none.npy")};
     },
     {"cannot open"}},
    {"CorruptNpyMagic",
     [](const TempDir &d) {
       return npyInput(d, DType::F32, {64}, [](Bytes &b) { b[1] = 'X'; });
     },
     {"not a .npy file (bad magic)"}},
    {"TruncatedNpy",
     [](const TempDir &d) {
       return npyInput(d, DType::F32, {64},
                       [](Bytes &b) { b.resize(b.size() - 9); });
     },
     {"data is 247 bytes but f32[64] needs 256 (truncated)"}},
    {"CorruptNpyHeader",
     [](const TempDir &d) {
       return npyInput(d, DType::F32, {64}, [](Bytes &b) {
         std::string text(b.begin(), b.end());
         size_t at = text.find("'shape'");
         b[at + 10] = 'x';
       });
     },
     {"bad header dict at offset"}},
    {"UnsupportedNpyDescr",
     [](const TempDir &d) {
       return npyInput(d, DType::F32, {64}, [](Bytes &b) {
         std::string text(b.begin(), b.end());
         size_t at = text.find("<f4");
         b[at + 1] = 'c';
         b[at + 2] = '8';
       });
     },
     {"unsupported descr '<c8'"}},
    // The run.
    {"KernelFailure",
     [](const TempDir &d) {
       TestArtifact a = addScaleModel(64);
       a.dispatches.push_back({"boom", 0, kFail, {3, 1, 1}, {}});
       a.regions.push_back({3});
       // The message names the dispatch rather than the file.
       return Invocation{runArtifact(d, a).args, ""};
     },
     {"dispatch 'boom' failed with code 7 at workgroup (1,0,0)"}},
};

INSTANTIATE_TEST_SUITE_P(RunErrors, RunErrorCatalogueTest,
                         testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<RunErrorCase> &info) {
                           return info.param.name;
                         });

} // namespace
