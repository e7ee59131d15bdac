//===- NpyTest.cpp - .npy reading and writing -----------------------------===//

#include "TestArtifact.h"

#include "runtime/Npy.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <sys/resource.h>

using namespace kiln::rt;
using namespace kiln::rt::test;

namespace {

/// A .npy file with header dict `dict`, format version `major` and `data`.
std::vector<uint8_t> npyBytes(const std::string &dict, size_t dataSize,
                              uint8_t major = 1) {
  std::string header = dict + "\n";
  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', major, 0};
  size_t lengthBytes = major == 1 ? 2 : 4;
  for (size_t i = 0; i < lengthBytes; ++i) {
    bytes.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
  }
  bytes.insert(bytes.end(), header.begin(), header.end());
  for (size_t i = 0; i < dataSize; ++i) {
    bytes.push_back(static_cast<uint8_t>(i));
  }
  return bytes;
}

/// Expects parsing `bytes` to fail with a message naming the file and
/// containing `needle`.
void expectNpyError(const std::vector<uint8_t> &bytes,
                    const std::string &needle) {
  StatusOr<Tensor> tensor = parseNpy(bytes.data(), bytes.size(), "t.npy");
  ASSERT_FALSE(tensor.ok());
  EXPECT_EQ(tensor.status().getCode(), StatusCode::InvalidFormat);
  EXPECT_EQ(tensor.status().message().rfind("t.npy: ", 0), 0u)
      << tensor.status().message();
  EXPECT_NE(tensor.status().message().find(needle), std::string::npos)
      << tensor.status().message();
}

TEST(NpyTest, RoundTripsEveryNumPyDType) {
  TempDir dir;
  for (DType dtype : {DType::F32, DType::F64, DType::F16, DType::I8, DType::I16,
                      DType::I32, DType::I64, DType::U8, DType::Bool}) {
    for (const std::vector<int64_t> &shape :
         {std::vector<int64_t>{}, {5}, {2, 3}, {0, 4}}) {
      SCOPED_TRACE(formatTensorType(dtype, shape));
      Tensor t = std::move(Tensor::create(dtype, shape)).value();
      auto *bytes = static_cast<uint8_t *>(t.data());
      for (uint64_t i = 0; i < t.byteSize(); ++i) {
        bytes[i] = dtype == DType::Bool ? i % 2 : static_cast<uint8_t>(i * 7);
      }
      std::string path = dir.file("t.npy");
      ASSERT_TRUE(writeNpy(path, t.view()).ok());
      std::vector<uint8_t> file = readFileBytes(path);
      EXPECT_EQ((file.size() - t.byteSize()) % 64, 0u) << "data not aligned";
      StatusOr<Tensor> back = readNpy(path);
      ASSERT_TRUE(back.ok()) << back.status().message();
      EXPECT_EQ(back->dtype(), dtype);
      EXPECT_EQ(back->shape(), shape);
      ASSERT_EQ(back->byteSize(), t.byteSize());
      EXPECT_EQ(std::memcmp(back->data(), t.data(), t.byteSize()), 0);
    }
  }
}

TEST(NpyTest, WritesTheHeaderNumPyWrites) {
  TempDir dir;
  Tensor t = std::move(Tensor::create(DType::F32, {2, 3})).value();
  ASSERT_TRUE(writeNpy(dir.file("t.npy"), t.view()).ok());
  std::vector<uint8_t> file = readFileBytes(dir.file("t.npy"));
  std::string header(file.begin() + 10, file.begin() + 128);
  EXPECT_EQ(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': "
                         "(2, 3), }",
                         0),
            0u);
  EXPECT_EQ(file[8] | file[9] << 8, 118);
  EXPECT_EQ(file[127], '\n');
  Tensor v = std::move(Tensor::create(DType::I64, {7})).value();
  ASSERT_TRUE(writeNpy(dir.file("v.npy"), v.view()).ok());
  file = readFileBytes(dir.file("v.npy"));
  EXPECT_NE(std::string(file.begin(), file.begin() + 64).find("(7,)"),
            std::string::npos);
}

TEST(NpyTest, ReadsVersionsTwoAndThree) {
  for (uint8_t major : {2, 3}) {
    std::vector<uint8_t> bytes = npyBytes(
        "{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": (3,)}", 12,
        major);
    StatusOr<Tensor> t = parseNpy(bytes.data(), bytes.size(), "t.npy");
    ASSERT_TRUE(t.ok()) << t.status().message();
    EXPECT_EQ(t->dtype(), DType::I32);
    EXPECT_EQ(t->dataAs<int32_t>()[1], 0x07060504);
  }
}

TEST(NpyTest, ReadsScalarsAndLongLiterals) {
  std::vector<uint8_t> bytes =
      npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': ()}", 1);
  StatusOr<Tensor> t = parseNpy(bytes.data(), bytes.size(), "t.npy");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_TRUE(t->shape().empty());
  bytes =
      npyBytes("{'descr':'<f8','fortran_order':False,'shape':(2L, 1L),}", 16);
  t = parseNpy(bytes.data(), bytes.size(), "t.npy");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->shape(), (std::vector<int64_t>{2, 1}));
}

TEST(NpyTest, RejectsBadMagic) {
  std::vector<uint8_t> bytes =
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", 4);
  bytes[1] = 'X';
  expectNpyError(bytes, "bad magic");
  expectNpyError({}, "bad magic");
}

TEST(NpyTest, RejectsUnsupportedVersion) {
  expectNpyError(
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", 4, 4),
      "version 4.0");
}

TEST(NpyTest, RejectsTruncatedHeader) {
  std::vector<uint8_t> bytes =
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", 0);
  expectNpyError({bytes.begin(), bytes.begin() + 30}, "truncated header");
  expectNpyError({bytes.begin(), bytes.begin() + 9}, "truncated header");
}

TEST(NpyTest, RejectsBadHeaderDicts) {
  const char *cases[][2] = {
      {"{'descr' '<f4', 'fortran_order': False, 'shape': (1,)}",
       "expected ':'"},
      {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,)}",
       "expected True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
       "unexpected or repeated key 'x'"},
      {"{'descr': '<f4', 'descr': '<f4', 'shape': (1,)}",
       "unexpected or repeated key 'descr'"},
      {"{'descr': '<f4', 'fortran_order': False}", "missing key 'shape'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
       "non-negative integer"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3)}",
       "trailing comma"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk",
       "unexpected text"},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}",
       "unsupported descr"},
      {"['descr']", "expected '{'"},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c[0]);
    expectNpyError(npyBytes(c[0], 4), c[1]);
  }
}

TEST(NpyTest, RejectsFortranOrder) {
  expectNpyError(
      npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2)}", 16),
      "fortran_order");
}

TEST(NpyTest, RejectsUnsupportedDescrs) {
  expectNpyError(
      npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,)}", 8),
      "unsupported descr '<c8'");
  expectNpyError(
      npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1,)}", 4),
      "big-endian");
}

TEST(NpyTest, RejectsDataOfTheWrongSize) {
  expectNpyError(
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", 23),
      "data is 23 bytes but f32[2,3] needs 24 (truncated)");
  expectNpyError(
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", 25),
      "data is 25 bytes");
}

TEST(NpyTest, RejectsOverflowingShapes) {
  expectNpyError(npyBytes("{'descr': '<f8', 'fortran_order': False, "
                          "'shape': (4294967296, 4294967296)}",
                          0),
                 "too large");
  expectNpyError(npyBytes("{'descr': '<f8', 'fortran_order': False, "
                          "'shape': (99999999999999999999,)}",
                          0),
                 "does not fit in 64 bits");
}

TEST(NpyTest, ReadErrorsNameTheFile) {
  TempDir dir;
  StatusOr<Tensor> missing = readNpy(dir.file("missing.npy"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing.npy"), std::string::npos);
  std::vector<uint8_t> bytes =
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (8,)}", 31);
  writeFileBytes(dir.file("short.npy"), bytes);
  StatusOr<Tensor> truncated = readNpy(dir.file("short.npy"));
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find(
                "short.npy: data is 31 bytes but f32[8] needs 32"),
            std::string::npos)
      << truncated.status().message();
  writeFileBytes(dir.file("empty.npy"), {});
  StatusOr<Tensor> empty = readNpy(dir.file("empty.npy"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty.npy: not a .npy file"),
            std::string::npos);
}

TEST(NpyTest, RefusesToWriteBf16) {
  TempDir dir;
  Tensor t = std::move(Tensor::create(DType::BF16, {2})).value();
  Status status = writeNpy(dir.file("t.npy"), t.view());
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("no bf16 dtype"), std::string::npos);
}

TEST(NpyTest, FailedWriteLeavesThePreviousFile) {
  // A file size limit makes the write fail part-way, as a full disk would:
  // the old file stays whole and no temporary is left behind.
  TempDir dir;
  std::string path = dir.file("y.npy");
  Tensor small = std::move(Tensor::create(DType::F32, {4})).value();
  ASSERT_TRUE(writeNpy(path, small.view()).ok());
  std::vector<uint8_t> before = readFileBytes(path);
  Tensor large = std::move(Tensor::create(DType::F32, {1 << 16})).value();
  struct rlimit saved;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct rlimit limited = saved;
  limited.rlim_cur = 64 * 1024;
  auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  Status status = writeNpy(path, large.view());
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, oldHandler);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("cannot write '" + path + "'"),
            std::string::npos)
      << status.message();
  EXPECT_EQ(readFileBytes(path), before);
  size_t entries = 0;
  for ([[maybe_unused]] const auto &entry :
       std::filesystem::directory_iterator(dir.path())) {
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

} // namespace
