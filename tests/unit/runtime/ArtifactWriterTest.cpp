//===- ArtifactWriterTest.cpp - Layout planning and atomic writes ---------===//

#include "TestArtifact.h"

#include "runtime/ArtifactFormat.h"
#include "runtime/ArtifactWriter.h"
#include "runtime/abi/KernelAbi.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <thread>
#include <unistd.h>

using namespace kiln::rt;
using namespace kiln::rt::test;

namespace {

size_t countEntries(const std::string &dir) {
  size_t count = 0;
  for ([[maybe_unused]] const auto &entry :
       std::filesystem::directory_iterator(dir)) {
    ++count;
  }
  return count;
}

TEST(ArtifactWriterTest, PlanAlignsBlobsAndWeightSegment) {
  StatusOr<ArtifactLayout> layout = planArtifactLayout({100, 1}, {10, 5000, 0});
  ASSERT_TRUE(layout.ok()) << layout.status().message();
  ASSERT_EQ(layout->executables.size(), 2u);
  EXPECT_EQ(layout->executables[0].offset, 0u);
  EXPECT_EQ(layout->executables[1].offset, 128u);
  EXPECT_EQ(layout->executables[1].size, 1u);
  EXPECT_EQ(layout->weightsOffset, 4096u);
  ASSERT_EQ(layout->constants.size(), 3u);
  EXPECT_EQ(layout->constants[0].offset, 4096u);
  EXPECT_EQ(layout->constants[1].offset, 4160u);
  EXPECT_EQ(layout->constants[2].offset, 9216u);
  EXPECT_EQ(layout->dataSize, 9216u);
}

TEST(ArtifactWriterTest, PlanWithoutExecutablesStartsWeightsAtZero) {
  StatusOr<ArtifactLayout> layout = planArtifactLayout({}, {64});
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(layout->weightsOffset, 0u);
  EXPECT_EQ(layout->dataSize, 64u);
}

TEST(ArtifactWriterTest, PlanRejectsOverflowingSizes) {
  StatusOr<ArtifactLayout> layout = planArtifactLayout({16}, {UINT64_MAX});
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(layout.status().message().find("constant 0"), std::string::npos);
}

TEST(ArtifactWriterTest, WrittenFileHasTheDocumentedLayout) {
  TempDir dir;
  TestArtifact artifact = addScaleModel(100);
  ASSERT_TRUE(artifact.write(dir.file("m.kbin")).ok());
  std::vector<uint8_t> bytes = readFileBytes(dir.file("m.kbin"));
  FileHeader header;
  ASSERT_GE(bytes.size(), sizeof(header));
  std::memcpy(&header, bytes.data(), sizeof(header));
  EXPECT_EQ(std::memcmp(header.magic, kArtifactMagic, 8), 0);
  EXPECT_EQ(header.schemaVersion, kSchemaVersion);
  EXPECT_EQ(header.kernelAbiVersion, uint32_t(KILN_KERNEL_ABI_VERSION));
  EXPECT_EQ(header.flatbufferOffset, 128u);
  EXPECT_EQ(std::memcmp(bytes.data() + 132, "KILN", 4), 0);
  EXPECT_EQ(header.dataOffset % 4096, 0u);
  EXPECT_GE(header.dataOffset, 128 + header.flatbufferSize);
  EXPECT_EQ(header.weightsOffset % 4096, 0u);
  EXPECT_EQ(header.fileSize, bytes.size());
  EXPECT_EQ(header.dataOffset + header.dataSize, header.fileSize);

  // The blobs sit where the verified metadata says, byte for byte.
  StatusOr<ArtifactInfo> info =
      readArtifactInfo(bytes.data(), bytes.size(), "m.kbin");
  ASSERT_TRUE(info.ok()) << info.status().message();
  const ExecutableInfo &exe = info->executables[0];
  EXPECT_EQ(exe.offset % 64, 0u);
  EXPECT_LT(exe.offset + exe.size, header.weightsOffset + 1);
  EXPECT_EQ(std::memcmp(bytes.data() + header.dataOffset + exe.offset,
                        testKernelImage().data(), exe.size),
            0);
  const ConstantInfo &c = info->constants[0];
  EXPECT_EQ(c.offset % 64, 0u);
  EXPECT_GE(c.offset, header.weightsOffset);
  EXPECT_EQ(std::memcmp(bytes.data() + header.dataOffset + c.offset,
                        artifact.constants[0].data.data(), c.size),
            0);

  // The checksums cover the header (checksums zeroed) and FlatBuffer, the
  // code part of the data section and the weight segment.
  FileHeader zeroed = header;
  zeroed.metadataChecksum = zeroed.codeChecksum = zeroed.weightsChecksum = 0;
  EXPECT_EQ(header.metadataChecksum,
            Crc32c()
                .update(&zeroed, sizeof(zeroed))
                .update(bytes.data() + 128, header.flatbufferSize)
                .value());
  EXPECT_EQ(header.codeChecksum,
            crc32c(bytes.data() + header.dataOffset, header.weightsOffset));
  EXPECT_EQ(header.weightsChecksum,
            crc32c(bytes.data() + header.dataOffset + header.weightsOffset,
                   header.dataSize - header.weightsOffset));
  for (uint32_t word : header.reserved) {
    EXPECT_EQ(word, 0u);
  }
}

TEST(ArtifactWriterTest, MissingDirectoryFailsAndLeavesNothing) {
  TempDir dir;
  Status status = addScaleModel(8).write(dir.file("no/such/dir/m.kbin"));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("no/such/dir/m.kbin"), std::string::npos);
  EXPECT_EQ(countEntries(dir.path()), 0u);
}

TEST(ArtifactWriterTest, ReadOnlyFileSystemFailsCleanly) {
  // /proc refuses new files even to root.
  Status status = addScaleModel(8).write("/proc/kiln-test.kbin");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.getCode(), StatusCode::IoError);
  EXPECT_NE(status.message().find("cannot create a temporary file for "
                                  "'/proc/kiln-test.kbin'"),
            std::string::npos)
      << status.message();
}

TEST(ArtifactWriterTest, UnwritableDirectoryFailsAndLeavesNothing) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root ignores directory permissions";
  }
  TempDir dir;
  std::filesystem::create_directory(dir.file("ro"));
  std::filesystem::permissions(dir.file("ro"),
                               std::filesystem::perms::owner_read |
                                   std::filesystem::perms::owner_exec);
  Status status = addScaleModel(8).write(dir.file("ro/m.kbin"));
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("ro/m.kbin"), std::string::npos);
  EXPECT_EQ(countEntries(dir.file("ro")), 0u);
  std::filesystem::permissions(dir.file("ro"), std::filesystem::perms::all);
}

TEST(ArtifactWriterTest, DirectoryTargetFailsAndLeavesNothing) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("target"));
  Status status = addScaleModel(8).write(dir.file("target"));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(
      status.message().find("'" + dir.file("target") + "' is a directory"),
      std::string::npos)
      << status.message();
  EXPECT_EQ(countEntries(dir.path()), 1u);
}

TEST(ArtifactWriterTest, MismatchedBlobsLeaveExistingFileUntouched) {
  TempDir dir;
  std::string path = dir.file("m.kbin");
  ASSERT_TRUE(addScaleModel(8).write(path).ok());
  std::vector<uint8_t> before = readFileBytes(path);
  StatusOr<ArtifactLayout> layout = planArtifactLayout({16}, {});
  ASSERT_TRUE(layout.ok());
  uint8_t fb[16] = {0, 0, 0, 0, 'K', 'I', 'L', 'N'};
  Status status = writeArtifact(path, *layout, fb, {}, {});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("1 executables but 0 were passed"),
            std::string::npos);
  EXPECT_EQ(readFileBytes(path), before);
  EXPECT_EQ(countEntries(dir.path()), 1u);
}

TEST(ArtifactWriterTest, RejectsFlatBufferWithoutIdentifier) {
  TempDir dir;
  uint8_t fb[16] = {};
  Status status = writeArtifact(dir.file("m.kbin"), {}, fb, {}, {});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("file identifier"), std::string::npos);
  EXPECT_EQ(countEntries(dir.path()), 0u);
}

/// A small artifact's parts: a FlatBuffer that only has the identifier,
/// one executable and three constants, and the layout that places them.
struct Parts {
  std::vector<uint8_t> flatbuffer = {0, 0, 0, 0, 'K', 'I', 'L', 'N'};
  std::vector<uint8_t> code = std::vector<uint8_t>(100, 0xc3);
  std::vector<std::vector<uint8_t>> constants;
  ArtifactLayout layout;

  Parts() {
    for (uint8_t i = 0; i < 3; ++i) {
      constants.emplace_back(1000 + 500 * i, static_cast<uint8_t>(i + 1));
    }
    layout = *planArtifactLayout(
        {code.size()},
        {constants[0].size(), constants[1].size(), constants[2].size()});
  }
  std::vector<Span<const uint8_t>> constantSpans() const {
    return {constants.begin(), constants.end()};
  }
  Status writeInMemory(const std::string &path) const {
    std::vector<Span<const uint8_t>> exes = {code}, consts = constantSpans();
    return writeArtifact(path, layout, flatbuffer, exes, consts);
  }
};

TEST(ArtifactWriterTest, StreamedConstantsWriteTheSameFile) {
  TempDir dir;
  Parts parts;
  ASSERT_TRUE(parts.writeInMemory(dir.file("memory.kbin")).ok());
  std::vector<size_t> asked;
  std::vector<std::pair<uint64_t, uint64_t>> reports;
  std::vector<uint8_t> scratch;
  std::vector<Span<const uint8_t>> exes = {parts.code};
  Status status = writeArtifact(
      dir.file("streamed.kbin"), parts.layout, parts.flatbuffer, exes,
      [&](size_t index) -> StatusOr<Span<const uint8_t>> {
        asked.push_back(index);
        scratch = parts.constants[index]; // Valid until the next call only.
        return Span<const uint8_t>(scratch);
      },
      [&](uint64_t done, uint64_t total) { reports.push_back({done, total}); });
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(asked, (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(reports, (std::vector<std::pair<uint64_t, uint64_t>>{
                         {1000, 4500}, {2500, 4500}, {4500, 4500}}));
  EXPECT_EQ(readFileBytes(dir.file("streamed.kbin")),
            readFileBytes(dir.file("memory.kbin")));
}

TEST(ArtifactWriterTest, PipeTargetIsWrittenInPlace) {
  // A pipe (like /dev/null or /dev/stdout) cannot be renamed onto: the
  // writer writes it in order, producing the weights twice for the
  // checksum in the header.
  TempDir dir;
  Parts parts;
  ASSERT_TRUE(parts.writeInMemory(dir.file("memory.kbin")).ok());
  std::string pipe = dir.file("pipe");
  ASSERT_EQ(::mkfifo(pipe.c_str(), 0600), 0);
  std::vector<uint8_t> received;
  std::thread reader([&] {
    std::ifstream in(pipe, std::ios::binary);
    received.assign(std::istreambuf_iterator<char>(in), {});
  });
  size_t asked = 0;
  std::vector<Span<const uint8_t>> exes = {parts.code};
  Status status = writeArtifact(
      pipe, parts.layout, parts.flatbuffer, exes,
      [&](size_t index) -> StatusOr<Span<const uint8_t>> {
        ++asked;
        return Span<const uint8_t>(parts.constants[index]);
      },
      nullptr);
  if (!status.ok()) {
    std::ofstream release(pipe); // The reader waits for a writer to open.
  }
  reader.join();
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(asked, 6u);
  EXPECT_EQ(received, readFileBytes(dir.file("memory.kbin")));
  struct stat info;
  ASSERT_EQ(::stat(pipe.c_str(), &info), 0);
  EXPECT_TRUE(S_ISFIFO(info.st_mode));
  EXPECT_EQ(countEntries(dir.path()), 2u);
}

TEST(ArtifactWriterTest, SymbolicLinkTargetKeepsTheLink) {
  // The file the link names is replaced, as /dev/stdout redirected to a
  // file is; the link itself stays.
  TempDir dir;
  Parts parts;
  ASSERT_TRUE(parts.writeInMemory(dir.file("expected.kbin")).ok());
  {
    std::ofstream(dir.file("real.kbin")) << "old";
  }
  std::filesystem::create_symlink("real.kbin", dir.file("link.kbin"));
  Status status = parts.writeInMemory(dir.file("link.kbin"));
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_TRUE(std::filesystem::is_symlink(dir.file("link.kbin")));
  EXPECT_EQ(readFileBytes(dir.file("real.kbin")),
            readFileBytes(dir.file("expected.kbin")));
  EXPECT_EQ(countEntries(dir.path()), 3u);
}

TEST(ArtifactWriterTest, DanglingLinkCreatesTheFileItNames) {
  TempDir dir;
  Parts parts;
  ASSERT_TRUE(parts.writeInMemory(dir.file("expected.kbin")).ok());
  std::filesystem::create_symlink("named.kbin", dir.file("link.kbin"));
  Status status = parts.writeInMemory(dir.file("link.kbin"));
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_TRUE(std::filesystem::is_symlink(dir.file("link.kbin")));
  EXPECT_EQ(readFileBytes(dir.file("named.kbin")),
            readFileBytes(dir.file("expected.kbin")));
}

TEST(ArtifactWriterTest, LinkToADeletedFileIsWrittenThrough) {
  // /dev/stdout of a process whose output file was deleted: the link
  // opens but names no path, so the writer cannot put a temporary beside
  // it and writes through it instead of replacing the link.
  TempDir dir;
  Parts parts;
  ASSERT_TRUE(parts.writeInMemory(dir.file("expected.kbin")).ok());
  int fd = ::open(dir.file("gone.kbin").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::unlink(dir.file("gone.kbin").c_str()), 0);
  std::string link = dir.file("out");
  std::filesystem::create_symlink("/proc/self/fd/" + std::to_string(fd), link);
  Status status = parts.writeInMemory(link);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  std::vector<uint8_t> expected = readFileBytes(dir.file("expected.kbin"));
  std::vector<uint8_t> written(expected.size() + 1);
  EXPECT_EQ(::pread(fd, written.data(), written.size(), 0),
            static_cast<ssize_t>(expected.size()));
  written.resize(expected.size());
  EXPECT_EQ(written, expected);
  ::close(fd);
}

TEST(ArtifactWriterTest, TooLargeForTheFileSystemFailsBeforeWriting) {
  TempDir dir;
  std::string path = dir.file("m.kbin");
  ASSERT_TRUE(Parts().writeInMemory(path).ok());
  std::vector<uint8_t> before = readFileBytes(path);
  // 1 PiB of weights: no test machine has the room.
  StatusOr<ArtifactLayout> layout = planArtifactLayout({}, {uint64_t(1) << 50});
  ASSERT_TRUE(layout.ok());
  size_t asked = 0;
  Status status = writeArtifact(
      path, *layout, Parts().flatbuffer, {},
      [&](size_t) -> StatusOr<Span<const uint8_t>> {
        ++asked;
        return makeError(StatusCode::Internal, "not reached");
      },
      nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.getCode(), StatusCode::IoError);
  EXPECT_EQ(status.message().find("cannot write '" + path +
                                  "': the artifact takes 1024.0 TiB but its "
                                  "file system has "),
            0u)
      << status.message();
  EXPECT_EQ(asked, 0u);
  EXPECT_EQ(readFileBytes(path), before);
  EXPECT_EQ(countEntries(dir.path()), 1u);
}

// Past the blocks available to unprivileged writers the artifact is refused
// for root too: the free count can hold blocks the disk cannot give (about
// 150 GB more than the available count on the CI VMs).
TEST(ArtifactWriterTest, BeyondTheAvailableBlocksFailsBeforeWriting) {
  TempDir dir;
  struct statvfs fs;
  ASSERT_EQ(::statvfs(dir.path().c_str(), &fs), 0);
  if (fs.f_blocks == 0) {
    GTEST_SKIP() << "the file system reports no blocks";
  }
  // 16 GiB past what is available: between that and the free count on a
  // disk like the CI's, and no write frees as much between the two calls.
  uint64_t size = fs.f_bavail * fs.f_frsize + (uint64_t(16) << 30);
  StatusOr<ArtifactLayout> layout = planArtifactLayout({}, {size});
  ASSERT_TRUE(layout.ok());
  std::string path = dir.file("m.kbin");
  Status status = writeArtifact(
      path, *layout, Parts().flatbuffer, {},
      [&](size_t) -> StatusOr<Span<const uint8_t>> {
        return makeError(StatusCode::Internal, "not reached");
      },
      nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(
      status.message().find("cannot write '" + path + "': the artifact takes "),
      0u)
      << status.message();
  EXPECT_NE(status.message().find("but its file system has"), std::string::npos)
      << status.message();
  EXPECT_EQ(countEntries(dir.path()), 0u);
}

TEST(ArtifactWriterTest, FailingConstantSourceLeavesExistingFileUntouched) {
  TempDir dir;
  std::string path = dir.file("m.kbin");
  Parts parts;
  ASSERT_TRUE(parts.writeInMemory(path).ok());
  std::vector<uint8_t> before = readFileBytes(path);
  std::vector<Span<const uint8_t>> exes = {parts.code};
  Status status = writeArtifact(
      path, parts.layout, parts.flatbuffer, exes,
      [&](size_t index) -> StatusOr<Span<const uint8_t>> {
        if (index == 1) {
          return makeError(StatusCode::InvalidArgument,
                           "parameter 'w' could not be loaded");
        }
        return Span<const uint8_t>(parts.constants[index]);
      },
      nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "cannot write '" + path + "': parameter 'w' could not be loaded");
  EXPECT_EQ(readFileBytes(path), before);
  EXPECT_EQ(countEntries(dir.path()), 1u);
}

// A failure at the end (here the rename: a directory took the file's
// place while the constants were written) names the file once.
TEST(ArtifactWriterTest, FailedRenameNamesTheFileOnce) {
  TempDir dir;
  std::string path = dir.file("m.kbin");
  Parts parts;
  std::vector<Span<const uint8_t>> exes = {parts.code};
  Status status = writeArtifact(
      path, parts.layout, parts.flatbuffer, exes,
      [&](size_t index) -> StatusOr<Span<const uint8_t>> {
        if (index == 0) {
          std::filesystem::create_directories(path + "/inside");
        }
        return Span<const uint8_t>(parts.constants[index]);
      },
      nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.getCode(), StatusCode::IoError);
  EXPECT_EQ(status.message().find("cannot rename the temporary file onto '" +
                                  path + "': "),
            0u)
      << status.message();
  size_t first = status.message().find(path);
  EXPECT_EQ(status.message().find(path, first + 1), std::string::npos)
      << status.message();
  // The temporary is gone; only the directory is left.
  EXPECT_EQ(countEntries(dir.path()), 1u);
}

TEST(ArtifactWriterTest, ConstantOfTheWrongSizeIsRefused) {
  TempDir dir;
  Parts parts;
  std::vector<Span<const uint8_t>> exes = {parts.code};
  Status status = writeArtifact(
      dir.file("m.kbin"), parts.layout, parts.flatbuffer, exes,
      [&](size_t index) -> StatusOr<Span<const uint8_t>> {
        return Span<const uint8_t>(parts.constants[index].data(), 10);
      },
      nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(
      status.message().find("constant 0 is 10 bytes but the layout says 1000"),
      std::string::npos)
      << status.message();
  EXPECT_EQ(countEntries(dir.path()), 0u);
}

} // namespace
