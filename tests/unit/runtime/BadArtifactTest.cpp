//===- BadArtifactTest.cpp - The catalogue of malformed artifacts ---------===//
//
// Every case starts from a valid artifact, breaks one thing, and checks that
// loading fails (never crashes) with a message that names the problem.
//
//===----------------------------------------------------------------------===//

#include "TestArtifact.h"

#include "runtime/ArtifactFormat.h"
#include "runtime/ArtifactInfo.h"
#include "runtime/CpuFeatures.h"
#include "runtime/Program.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <elf.h>

using namespace kiln::rt;
using namespace kiln::rt::test;

namespace {

/// Loads `path` and expects an error containing every one of `needles`.
void expectLoadError(const std::string &path,
                     std::initializer_list<std::string> needles) {
  StatusOr<std::shared_ptr<const Program>> program = Program::load(path);
  ASSERT_FALSE(program.ok()) << "loaded a broken artifact";
  const std::string &message = program.status().message();
  EXPECT_NE(message.find(path), std::string::npos) << message;
  for (const std::string &needle : needles) {
    EXPECT_NE(message.find(needle), std::string::npos)
        << "message '" << message << "' lacks '" << needle << "'";
  }
}

/// Writes `artifact` and expects loading it to fail with `needles`.
void expectArtifactError(const TestArtifact &artifact,
                         std::initializer_list<std::string> needles) {
  TempDir dir;
  std::string path = dir.file("bad.kbin");
  Status written = artifact.write(path);
  ASSERT_TRUE(written.ok()) << written.message();
  expectLoadError(path, needles);
}

/// A valid artifact file's bytes.
std::vector<uint8_t> goodBytes() {
  TempDir dir;
  EXPECT_TRUE(addScaleModel(64).write(dir.file("m.kbin")).ok());
  return readFileBytes(dir.file("m.kbin"));
}

FileHeader headerOf(const std::vector<uint8_t> &bytes) {
  FileHeader header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  return header;
}

/// Expects loading `bytes` to fail with `needles`.
void expectBytesError(const std::vector<uint8_t> &bytes,
                      std::initializer_list<std::string> needles) {
  TempDir dir;
  writeFileBytes(dir.file("bad.kbin"), bytes);
  expectLoadError(dir.file("bad.kbin"), needles);
}

TEST(BadArtifactTest, GoodArtifactLoads) {
  TempDir dir;
  writeFileBytes(dir.file("m.kbin"), goodBytes());
  StatusOr<std::shared_ptr<const Program>> program =
      Program::load(dir.file("m.kbin"));
  EXPECT_TRUE(program.ok()) << program.status().message();
}

TEST(BadArtifactTest, TruncatedFilesSayTruncated) {
  std::vector<uint8_t> bytes = goodBytes();
  FileHeader header = headerOf(bytes);
  for (uint64_t cut :
       {uint64_t(0), uint64_t(10), uint64_t(63), uint64_t(64), uint64_t(200),
        header.dataOffset - 1, header.dataOffset + 100, bytes.size() - 1}) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + cut);
    if (cut < sizeof(FileHeader)) {
      expectBytesError(prefix, {"truncated", std::to_string(cut) + " bytes"});
    } else {
      expectBytesError(prefix, {"truncated", std::to_string(bytes.size()),
                                std::to_string(cut)});
    }
  }
}

TEST(BadArtifactTest, TrailingBytesAreAMismatch) {
  std::vector<uint8_t> bytes = goodBytes();
  bytes.push_back(0);
  expectBytesError(bytes, {"file size mismatch"});
}

/// One corrupted header field and the message it must produce.
struct HeaderCase {
  const char *name;
  size_t offset;
  /// Applied to the field's old value.
  uint64_t (*edit)(uint64_t);
  const char *needle;
  /// Width of the field in bytes.
  size_t width = 8;
};

/// Keeps gtest from printing the raw bytes of a case in test names.
void PrintTo(const HeaderCase &c, std::ostream *os) { *os << c.name; }

class HeaderFieldTest : public testing::TestWithParam<HeaderCase> {};

TEST_P(HeaderFieldTest, IsRejectedWithAMessage) {
  const HeaderCase &c = GetParam();
  std::vector<uint8_t> bytes = goodBytes();
  uint64_t value = 0;
  std::memcpy(&value, bytes.data() + c.offset, c.width);
  value = c.edit(value);
  std::memcpy(bytes.data() + c.offset, &value, c.width);
  expectBytesError(bytes, {c.needle});
}

INSTANTIATE_TEST_SUITE_P(
    BadArtifactTest, HeaderFieldTest,
    testing::Values(
        HeaderCase{"Magic", 0, [](uint64_t v) { return v ^ 1; }, "bad magic"},
        HeaderCase{"NewerSchema", offsetof(FileHeader, schemaVersion),
                   [](uint64_t) -> uint64_t { return kSchemaVersion + 1; },
                   "schema version 3 is newer", 4},
        HeaderCase{"KernelAbi", offsetof(FileHeader, kernelAbiVersion),
                   [](uint64_t) -> uint64_t { return 99; },
                   "kernel ABI version 99", 4},
        HeaderCase{"FlatBufferOffset", offsetof(FileHeader, flatbufferOffset),
                   [](uint64_t v) { return v ^ 0x40; }, "FlatBuffer offset"},
        HeaderCase{"FlatBufferSize", offsetof(FileHeader, flatbufferSize),
                   [](uint64_t v) { return v ^ (uint64_t(1) << 40); },
                   "FlatBuffer size"},
        HeaderCase{"DataOffsetUnaligned", offsetof(FileHeader, dataOffset),
                   [](uint64_t v) { return v ^ 8; }, "multiple of 4096"},
        HeaderCase{"DataOffsetOverlaps", offsetof(FileHeader, dataOffset),
                   [](uint64_t) -> uint64_t { return 0; }, "overlaps"},
        HeaderCase{"DataSize", offsetof(FileHeader, dataSize),
                   [](uint64_t v) { return v ^ (uint64_t(1) << 33); },
                   "data section"},
        HeaderCase{"WeightsOffset", offsetof(FileHeader, weightsOffset),
                   [](uint64_t v) { return v ^ 1; }, "weights offset"},
        HeaderCase{"FileSize", offsetof(FileHeader, fileSize),
                   [](uint64_t v) { return v ^ 1; }, "the header says"},
        HeaderCase{"Reserved", offsetof(FileHeader, reserved) + 12,
                   [](uint64_t v) { return v ^ 1; },
                   "reserved header word 3 is 1, not 0", 4},
        HeaderCase{"MetadataChecksum", offsetof(FileHeader, metadataChecksum),
                   [](uint64_t v) { return v ^ 1; },
                   "metadata checksum mismatch", 4}),
    [](const testing::TestParamInfo<HeaderCase> &info) {
      return info.param.name;
    });

TEST(BadArtifactTest, CorruptFlatBufferFailsVerification) {
  std::vector<uint8_t> bytes = goodBytes();
  // The root table offset now points far outside the buffer.
  bytes[sizeof(FileHeader) + 2] = 0x7f;
  expectBytesError(bytes, {"fails verification"});
}

TEST(BadArtifactTest, CorruptVtableFailsVerification) {
  std::vector<uint8_t> bytes = goodBytes();
  FileHeader header = headerOf(bytes);
  uint32_t root;
  std::memcpy(&root, bytes.data() + sizeof(FileHeader), 4);
  // The root table's vtable offset, made to point outside the buffer.
  int32_t vtable = static_cast<int32_t>(header.flatbufferSize) * -4;
  std::memcpy(bytes.data() + sizeof(FileHeader) + root, &vtable, 4);
  expectBytesError(bytes, {"fails verification"});
}

TEST(BadArtifactTest, MissingFileIdentifier) {
  std::vector<uint8_t> bytes = goodBytes();
  std::memcpy(bytes.data() + sizeof(FileHeader) + 4, "NOPE", 4);
  expectBytesError(bytes, {"file identifier \"KILN\""});
}

TEST(BadArtifactTest, ExecutableImageOutsideData) {
  TestArtifact a = addScaleModel(64);
  a.tamperRefs = [](std::vector<BlobRange> &exes, std::vector<BlobRange> &) {
    exes[0].offset = uint64_t(1) << 40;
  };
  expectArtifactError(a, {"executable 0", "outside the executable part"});
}

TEST(BadArtifactTest, ExecutableImageInWeightSegment) {
  TestArtifact a = addScaleModel(64);
  a.tamperRefs = [](std::vector<BlobRange> &exes,
                    std::vector<BlobRange> &consts) {
    exes[0].offset = consts[0].offset;
  };
  expectArtifactError(a, {"executable 0", "outside the executable part"});
}

TEST(BadArtifactTest, MisalignedBlob) {
  TestArtifact a = addScaleModel(64);
  a.tamperRefs = [](std::vector<BlobRange> &, std::vector<BlobRange> &consts) {
    consts[0].offset += 4;
  };
  expectArtifactError(a, {"constant 0 ('c')", "not 64-byte aligned"});
}

TEST(BadArtifactTest, ConstantOutsideWeightSegment) {
  TestArtifact a = addScaleModel(64);
  a.tamperRefs = [](std::vector<BlobRange> &, std::vector<BlobRange> &consts) {
    consts[0].offset = 0;
  };
  expectArtifactError(a, {"constant 0 ('c')", "outside the weight segment"});
}

TEST(BadArtifactTest, ExecutableIndexOutOfRange) {
  TestArtifact a = addScaleModel(64);
  a.dispatches[1].executable = 5;
  expectArtifactError(a, {"dispatch 1 ('double_x')", "executable index 5"});
}

TEST(BadArtifactTest, ExportOrdinalOutOfRange) {
  TestArtifact a = addScaleModel(64);
  a.dispatches[0].exportOrdinal = 99;
  expectArtifactError(a, {"dispatch 0 ('add_c')", "export ordinal 99"});
}

TEST(BadArtifactTest, ArenaBindingOutOfRange) {
  TestArtifact a = addScaleModel(64);
  a.dispatches[2].bindings[0].offset = 128;
  expectArtifactError(
      a, {"dispatch 2 ('scale'): binding 0", "exceeds the arena of 320 bytes"});
}

TEST(BadArtifactTest, InputBindingLargerThanInput) {
  TestArtifact a = addScaleModel(64);
  a.dispatches[0].bindings[0].size = 257;
  expectArtifactError(a, {"binding 0", "exceeds input 'x' of 256 bytes"});
}

TEST(BadArtifactTest, ConstantBindingOffsetOutOfRange) {
  TestArtifact a = addScaleModel(64);
  a.dispatches[0].bindings[1].offset = UINT64_MAX;
  expectArtifactError(a, {"binding 1", "exceeds constant 'c'"});
}

TEST(BadArtifactTest, OutputIndexOutOfRange) {
  TestArtifact a = addScaleModel(64);
  a.dispatches[1].bindings[2].index = 9;
  expectArtifactError(a, {"output index 9 is out of range (2 outputs)"});
}

TEST(BadArtifactTest, InvalidBufferKind) {
  TestArtifact a = addScaleModel(64);
  a.dispatches[1].bindings[2].kind = static_cast<BindingKind>(9);
  expectArtifactError(a, {"binding 2", "invalid buffer kind 9"});
}

TEST(BadArtifactTest, RegionDispatchIndexOutOfRange) {
  TestArtifact a = addScaleModel(64);
  a.regions[1].push_back(17);
  expectArtifactError(a, {"region 1", "dispatch index 17 is out of range"});
}

TEST(BadArtifactTest, DispatchInTwoRegions) {
  TestArtifact a = addScaleModel(64);
  a.regions[1].push_back(0);
  expectArtifactError(a, {"region 1", "already in region 0"});
}

TEST(BadArtifactTest, DispatchInNoRegion) {
  TestArtifact a = addScaleModel(64);
  a.regions[1].clear();
  expectArtifactError(a, {"dispatch 2 ('scale')", "in no region"});
}

TEST(BadArtifactTest, GridWithZero) {
  TestArtifact a = addScaleModel(64);
  a.dispatches[2].grid = {2, 0, 2};
  expectArtifactError(a, {"dispatch 2 ('scale')", "grid [2,0,2]", "zero"});
}

TEST(BadArtifactTest, GridWithTwoEntries) {
  TestArtifact a = addScaleModel(64);
  a.dispatches[0].grid = {4, 4};
  expectArtifactError(a, {"dispatch 0 ('add_c')", "grid has 2 entries"});
}

TEST(BadArtifactTest, GridTooLarge) {
  TestArtifact a = addScaleModel(64);
  a.dispatches[0].grid = {1u << 20, 1u << 20, 1};
  expectArtifactError(a, {"dispatch 0 ('add_c')", "more than 2^32"});
}

TEST(BadArtifactTest, UnknownCpuFeature) {
  TestArtifact a = addScaleModel(64);
  a.features = {"sse2", "frobnicate"};
  expectArtifactError(a, {"unknown CPU feature 'frobnicate'"});
}

TEST(BadArtifactTest, MissingCpuFeature) {
  std::string lacking;
  for (const std::string &name : CpuFeatures::knownNames()) {
    if (!CpuFeatures::host().has(name)) {
      lacking = name;
      break;
    }
  }
  if (lacking.empty()) {
    GTEST_SKIP() << "this CPU has every known feature";
  }
  TestArtifact a = addScaleModel(64);
  a.features = {"sse2", lacking};
  expectArtifactError(a, {"artifact requires CPU feature '" + lacking +
                          "' which this CPU lacks"});
}

TEST(BadArtifactTest, ForeignTriple) {
  TestArtifact a = addScaleModel(64);
  a.triple = "aarch64-unknown-linux-gnu";
  expectArtifactError(a, {"target triple 'aarch64-unknown-linux-gnu'"});
  a.triple = "x86_64-pc-windows-msvc";
  expectArtifactError(a, {"not a Linux triple"});
  a.triple = "";
  expectArtifactError(a, {"target triple is missing"});
}

TEST(BadArtifactTest, MissingExportSymbol) {
  TestArtifact a = addScaleModel(64);
  a.executables[0].exports.push_back("kiln_test_missing");
  expectArtifactError(a, {"executable 0", "export 'kiln_test_missing' not "
                                          "found"});
}

TEST(BadArtifactTest, ImageThatIsNotElf) {
  TestArtifact a = addScaleModel(64);
  a.executables[0].image.assign(4096, 0xab);
  expectArtifactError(a, {"executable 0", "not an ELF file"});
}

TEST(BadArtifactTest, ElfThatDlopenRejects) {
  TestArtifact a = addScaleModel(64);
  std::vector<uint8_t> &image = a.executables[0].image;
  // Misalign the first loadable segment's address against its offset.
  Elf64_Ehdr header;
  std::memcpy(&header, image.data(), sizeof(header));
  for (uint16_t i = 0; i < header.e_phnum; ++i) {
    uint8_t *at = image.data() + header.e_phoff + i * sizeof(Elf64_Phdr);
    Elf64_Phdr phdr;
    std::memcpy(&phdr, at, sizeof(phdr));
    if (phdr.p_type == PT_LOAD) {
      phdr.p_vaddr += 1;
      std::memcpy(at, &phdr, sizeof(phdr));
      break;
    }
  }
  expectArtifactError(a, {"executable 0", "dlopen failed"});
}

TEST(BadArtifactTest, TruncatedElfImage) {
  TestArtifact a = addScaleModel(64);
  a.executables[0].image.resize(3000);
  expectArtifactError(a, {"executable 0", "image is truncated"});
}

TEST(BadArtifactTest, ElfWithLibraryDependency) {
  TestArtifact a = addScaleModel(64);
  std::vector<uint8_t> &image = a.executables[0].image;
  // Turn the DT_SYMENT entry of the kernels' dynamic section into DT_NEEDED.
  Elf64_Ehdr header;
  std::memcpy(&header, image.data(), sizeof(header));
  bool patched = false;
  for (uint16_t i = 0; i < header.e_phnum && !patched; ++i) {
    Elf64_Phdr phdr;
    std::memcpy(&phdr, image.data() + header.e_phoff + i * sizeof(phdr),
                sizeof(phdr));
    for (uint64_t e = 0; phdr.p_type == PT_DYNAMIC &&
                         (e + 1) * sizeof(Elf64_Dyn) <= phdr.p_filesz;
         ++e) {
      Elf64_Dyn dyn;
      uint8_t *at = image.data() + phdr.p_offset + e * sizeof(dyn);
      std::memcpy(&dyn, at, sizeof(dyn));
      if (dyn.d_tag == DT_SYMENT) {
        dyn.d_tag = DT_NEEDED;
        dyn.d_un.d_val = 1;
        std::memcpy(at, &dyn, sizeof(dyn));
        patched = true;
      }
    }
  }
  ASSERT_TRUE(patched);
  expectArtifactError(
      a, {"executable 0", "depends on shared library '", "(DT_NEEDED)"});
}

TEST(BadArtifactTest, UnsupportedExecutableFormat) {
  TestArtifact a = addScaleModel(64);
  a.executables[0].format = "ptx";
  expectArtifactError(a, {"executable 0", "unsupported format 'ptx'"});
}

TEST(BadArtifactTest, InvalidDType) {
  TestArtifact a = addScaleModel(64);
  a.inputs[0].dtype = static_cast<DType>(42);
  expectArtifactError(a, {"input 0 ('x')", "invalid dtype value 42"});
}

TEST(BadArtifactTest, NegativeDimension) {
  TestArtifact a = addScaleModel(64);
  a.outputs[1].shape = {4, -16};
  expectArtifactError(a, {"output 1 ('doubled')", "dimension 1 is negative"});
}

TEST(BadArtifactTest, OverflowingShape) {
  TestArtifact a = addScaleModel(64);
  a.inputs[0].shape = {int64_t(1) << 40, int64_t(1) << 40};
  expectArtifactError(a, {"input 0 ('x')", "too large"});
}

TEST(BadArtifactTest, DuplicateInputName) {
  TestArtifact a = addScaleModel(64);
  a.inputs.push_back(a.inputs[0]);
  expectArtifactError(a, {"input 'x'", "used twice"});
}

TEST(BadArtifactTest, MissingName) {
  TestArtifact a = addScaleModel(64);
  a.dispatches[1].name = "";
  expectArtifactError(a, {"dispatch 1: name is missing"});
}

TEST(BadArtifactTest, ConstantSizeDisagreesWithType) {
  TestArtifact a = addScaleModel(64);
  a.constants[0].shape = {65};
  expectArtifactError(a,
                      {"constant 0 ('c')", "256 bytes", "f32[65] needs 260"});
}

/// The offset of the first occurrence of `text` in `bytes`.
size_t find(const std::vector<uint8_t> &bytes, const std::string &text) {
  auto at = std::search(bytes.begin(), bytes.end(), text.begin(), text.end());
  EXPECT_NE(at, bytes.end()) << "'" << text << "' is not in the artifact";
  return static_cast<size_t>(at - bytes.begin());
}

TEST(BadArtifactTest, WellFormedMetadataChangeFailsTheChecksum) {
  // A changed letter of a dispatch's name leaves the FlatBuffer valid and
  // every field plausible; only the checksum notices. Grids and binding
  // sizes changed the same way would make kernels touch the wrong memory.
  TestArtifact a = addScaleModel(64);
  std::vector<uint8_t> bytes = goodBytes();
  bytes[find(bytes, a.dispatches[1].name)] ^= 0x20;
  expectBytesError(bytes, {"metadata checksum mismatch",
                           "the file is corrupted; compile it again"});
}

TEST(BadArtifactTest, CorruptCodeIsRefusedBeforeLoading) {
  std::vector<uint8_t> good = goodBytes();
  FileHeader header = headerOf(good);
  TempDir dir;
  std::string path = dir.file("code.kbin");
  // Every byte of the code part, including the padding after the image.
  for (uint64_t at = header.dataOffset;
       at < header.dataOffset + header.weightsOffset; at += 97) {
    std::vector<uint8_t> bytes = good;
    bytes[at] ^= 0x10;
    writeFileBytes(path, bytes);
    StatusOr<std::shared_ptr<const Program>> program = Program::load(path);
    ASSERT_FALSE(program.ok()) << "loaded code with byte " << at << " flipped";
    EXPECT_NE(program.status().message().find("code checksum mismatch"),
              std::string::npos)
        << program.status().message();
    // The metadata is intact: the artifact can still be inspected.
    EXPECT_TRUE(readArtifactInfoFile(path).ok());
  }
}

TEST(BadArtifactTest, CorruptWeightsAreFoundByVerify) {
  std::vector<uint8_t> bytes = goodBytes();
  FileHeader header = headerOf(bytes);
  TempDir dir;
  std::string path = dir.file("weights.kbin");
  writeFileBytes(path, bytes);
  EXPECT_TRUE(verifyArtifactFile(path).ok());
  bytes[header.dataOffset + header.weightsOffset + 5] ^= 0x01;
  writeFileBytes(path, bytes);
  // Loading does not read the weights; verifying does.
  EXPECT_TRUE(Program::load(path).ok());
  Status status = verifyArtifactFile(path);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find(path + ": weights checksum mismatch"),
            std::string::npos)
      << status.message();
}

TEST(BadArtifactTest, RandomCorruptionIsAlwaysRefused) {
  // Flip bytes of the header, the FlatBuffer and the code: with the
  // checksums every such file is refused, by a check naming the field when
  // one fails and by a checksum otherwise. (The padding between the
  // FlatBuffer and the data section is read by nothing.)
  std::vector<uint8_t> good = goodBytes();
  FileHeader header = headerOf(good);
  uint64_t metadataEnd = header.flatbufferOffset + header.flatbufferSize;
  uint64_t codeSize = header.weightsOffset;
  TempDir dir;
  std::string path = dir.file("fuzz.kbin");
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<uint8_t> bytes = good;
    for (uint64_t flips = 1 + next() % 3; flips > 0; --flips) {
      uint64_t at = next() % (metadataEnd + codeSize);
      at = at < metadataEnd ? at : header.dataOffset + (at - metadataEnd);
      bytes[at] ^= static_cast<uint8_t>(1 + next() % 255);
    }
    writeFileBytes(path, bytes);
    StatusOr<std::shared_ptr<const Program>> program = Program::load(path);
    ASSERT_FALSE(program.ok()) << "trial " << trial << " loaded";
    ASSERT_NE(program.status().message().find(path), std::string::npos);
  }
}

TEST(BadArtifactTest, DirectoryIsNotAnArtifact) {
  TempDir dir;
  StatusOr<std::shared_ptr<const Program>> program = Program::load(dir.path());
  ASSERT_FALSE(program.ok());
  EXPECT_NE(program.status().message().find("not a regular file"),
            std::string::npos);
}

} // namespace
