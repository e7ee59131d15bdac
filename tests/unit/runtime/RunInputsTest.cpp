//===- RunInputsTest.cpp - kiln-run's inputs: .npy, .npz, all or none -----===//
//
// The .npz fixtures in data/ were written by NumPy (make_npz_fixtures.py):
// x is arange(16) and z is sixteen 0.5s, both f32.
//
//===----------------------------------------------------------------------===//

#include "TestArtifact.h"
#include "ToolProcess.h"

#include "runtime/Npy.h"

#include <gtest/gtest.h>

using namespace kiln::rt;
using namespace kiln::rt::test;

namespace {

/// A fixture file of data/.
std::string fixture(const std::string &name) {
  return std::string(KILN_TEST_DATA) + "/" + name;
}

/// Expects kiln-run to fail with exit code 1 and every needle in its
/// message.
void expectRunError(const std::string &args,
                    std::initializer_list<std::string> needles) {
  ToolResult r = runKilnRun(args);
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("kiln-run: error: "), std::string::npos) << r.output;
  for (const std::string &needle : needles) {
    EXPECT_NE(r.output.find(needle), std::string::npos)
        << "missing '" << needle << "' in\n"
        << r.output;
  }
}

class RunInputsTest : public testing::Test {
protected:
  void SetUp() override {
    addScale = dir.file("add_scale.kbin");
    sum = dir.file("sum.kbin");
    ASSERT_TRUE(addScaleModel(16).write(addScale).ok());
    ASSERT_TRUE(sumModel(16).write(sum).ok());
  }
  TempDir dir;
  std::string addScale, sum;
};

/// y = 2 (x + c) + 1 with c[i] = i / 2 and x = arange(16).
constexpr const char *kAddScaleY = "y: f32[16] = [1, 4, 7, 10, 13, 16, 19, 22";
/// y = x + z with z = 0.5.
constexpr const char *kSumY = "y: f32[16] = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5";

TEST_F(RunInputsTest, InputFromStoredNpz) {
  ToolResult r = runKilnRun(addScale + " --input x=" + fixture("x_stored.npz"));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find(kAddScaleY), std::string::npos) << r.output;
}

TEST_F(RunInputsTest, InputFromDeflatedNpz) {
  ToolResult r =
      runKilnRun(addScale + " --input x=" + fixture("x_deflated.npz"));
#ifdef KILN_RUN_HAS_ZLIB
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find(kAddScaleY), std::string::npos) << r.output;
#else
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("built without zlib"), std::string::npos);
#endif
}

TEST_F(RunInputsTest, AllInputsFromOneArchive) {
  for (const char *archive : {"x_z_stored.npz", "x_z_deflated.npz"}) {
#ifndef KILN_RUN_HAS_ZLIB
    if (std::string(archive) == "x_z_deflated.npz") {
      continue;
    }
#endif
    ToolResult r = runKilnRun(sum + " --inputs " + fixture(archive));
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find(kSumY), std::string::npos) << r.output;
  }
}

TEST_F(RunInputsTest, NpyAndNpzMix) {
  Tensor z = std::move(Tensor::create(DType::F32, {16})).value();
  for (int i = 0; i < 16; ++i) {
    z.dataAs<float>()[i] = 0.5f;
  }
  ASSERT_TRUE(writeNpy(dir.file("z.npy"), z.view()).ok());
  ToolResult r = runKilnRun(sum + " --input x=" + fixture("x_z_stored.npz") +
                            " --input z=" + dir.file("z.npy"));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find(kSumY), std::string::npos) << r.output;
}

TEST_F(RunInputsTest, SomeInputsGivenIsAnError) {
  expectRunError(sum + " --input x=" + fixture("x_stored.npz"),
                 {"input 'z' is not given", "every input must be given",
                  "(inputs: x, z)"});
}

TEST_F(RunInputsTest, ArchiveWithAnUnknownArray) {
  expectRunError(addScale + " --inputs " + fixture("x_z_stored.npz"),
                 {"x_z_stored.npz' has an array 'z'",
                  "the model has no input of that name (inputs: x)"});
}

TEST_F(RunInputsTest, ArchiveWithoutTheArray) {
  expectRunError(sum + " --input x=" + fixture("x_stored.npz") +
                     " --input z=" + fixture("x_stored.npz"),
                 {"x_stored.npz: has no array 'z' (arrays: x)"});
}

TEST_F(RunInputsTest, InputGivenTwice) {
  expectRunError(addScale + " --input x=" + fixture("x_stored.npz") +
                     " --inputs " + fixture("x_deflated.npz"),
                 {"input 'x' is given twice"});
}

TEST_F(RunInputsTest, InputsMustBeAnArchive) {
  expectRunError(addScale + " --inputs " + dir.file("x.npy"),
                 {"--inputs '", "expected a .npz archive"});
}

/// A .npz with no arrays (numpy.savez() with none): only the end record
/// of an empty zip.
std::string writeEmptyArchive(const TempDir &dir) {
  std::vector<uint8_t> bytes = {'P', 'K', 5, 6};
  bytes.resize(22, 0);
  std::string path = dir.file("empty.npz");
  writeFileBytes(path, bytes);
  return path;
}

TEST_F(RunInputsTest, EmptyArchiveIsAnError) {
  // It used to feed nothing, and the model ran on random inputs.
  std::string empty = writeEmptyArchive(dir);
  expectRunError(addScale + " --inputs " + empty,
                 {"--inputs '", "the archive holds no arrays (inputs: x)"});
  // And to check nothing.
  expectRunError(
      addScale + " --expected " + empty,
      {"--expected '", "the archive holds no arrays (outputs: y, doubled)"});
}

TEST_F(RunInputsTest, EmptyPathIsAUsageError) {
  // `--output-dir ''` wrote nothing and exited 0.
  for (const char *option : {" --output-dir=", " --trace=", " --inputs="}) {
    ToolResult r = runKilnRun(addScale + option);
    EXPECT_EQ(r.exitCode, 2) << option << r.output;
    EXPECT_NE(r.output.find("needs a non-empty argument"), std::string::npos)
        << r.output;
  }
}

/// Each corruption of an archive and what the message must say.
struct ArchiveDamage {
  const char *name;
  void (*damage)(std::vector<uint8_t> &);
  const char *needle;
};

void PrintTo(const ArchiveDamage &d, std::ostream *os) { *os << d.name; }

class DamagedArchiveTest : public testing::TestWithParam<ArchiveDamage> {};

TEST_P(DamagedArchiveTest, IsRejectedWithAMessage) {
  TempDir dir;
  std::string model = dir.file("m.kbin"), archive = dir.file("in.npz");
  ASSERT_TRUE(addScaleModel(16).write(model).ok());
  std::vector<uint8_t> bytes = readFileBytes(fixture("x_stored.npz"));
  GetParam().damage(bytes);
  writeFileBytes(archive, bytes);
  expectRunError(model + " --input x=" + archive, {archive, GetParam().needle});
}

INSTANTIATE_TEST_SUITE_P(
    RunInputsTest, DamagedArchiveTest,
    testing::Values(
        ArchiveDamage{"Truncated",
                      [](std::vector<uint8_t> &b) { b.resize(b.size() / 2); },
                      "no zip end record"},
        ArchiveDamage{"Empty", [](std::vector<uint8_t> &b) { b.clear(); },
                      "not a .npz archive"},
        ArchiveDamage{"FlippedData",
                      // Inside the array data, past the .npy header.
                      [](std::vector<uint8_t> &b) { b[200] ^= 0x10; },
                      "CRC-32 mismatch"},
        ArchiveDamage{"DirectoryOffset",
                      [](std::vector<uint8_t> &b) { b[b.size() - 6] ^= 0x7f; },
                      "central directory"},
        ArchiveDamage{
            "LocalHeaderOffset",
            // The local header offset of the one 51-byte entry.
            [](std::vector<uint8_t> &b) { b[b.size() - 22 - 51 + 42] ^= 0x40; },
            "no local header"}),
    [](const testing::TestParamInfo<ArchiveDamage> &info) {
      return info.param.name;
    });

} // namespace
