//===- CApiTest.cpp - The C API: handles, signature, runs, statuses -------===//

#include "TestArtifact.h"

#include "runtime/Session.h"
#include "runtime/capi/KilnRuntime.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace kiln::rt;
using namespace kiln::rt::test;

namespace {

/// Takes ownership of a status and returns its message ("" for success).
std::string consume(kiln_status_t *status, kiln_status_code_t &code) {
  code = kiln_status_code(status);
  std::string message = kiln_status_message(status);
  kiln_status_free(status);
  return message;
}

/// The message of a status expected to fail with `expected`.
std::string expectError(kiln_status_t *status, kiln_status_code_t expected) {
  EXPECT_NE(status, nullptr);
  kiln_status_code_t code;
  std::string message = consume(status, code);
  EXPECT_EQ(code, expected) << message;
  return message;
}

/// A loaded add/scale program over `n` elements.
class CApiTest : public testing::Test {
protected:
  void load(const TestArtifact &artifact) {
    path = dir.file("m.kbin");
    ASSERT_TRUE(artifact.write(path).ok());
    kiln_status_t *status = kiln_program_load(path.c_str(), &program);
    ASSERT_EQ(status, nullptr) << kiln_status_message(status);
    ASSERT_NE(program, nullptr);
  }
  void TearDown() override { kiln_program_release(program); }

  TempDir dir;
  std::string path;
  kiln_program_t *program = nullptr;
};

TEST_F(CApiTest, LoadErrorsAreValues) {
  kiln_program_t *out = reinterpret_cast<kiln_program_t *>(0x1);
  std::string missing = dir.file("none.kbin");
  std::string message = expectError(kiln_program_load(missing.c_str(), &out),
                                    KILN_STATUS_IO_ERROR);
  EXPECT_NE(message.find("cannot open '" + missing + "'"), std::string::npos);
  EXPECT_EQ(out, nullptr);

  writeFileBytes(dir.file("bad.kbin"), std::vector<uint8_t>(200, 'x'));
  message = expectError(kiln_program_load(dir.file("bad.kbin").c_str(), &out),
                        KILN_STATUS_INVALID_FORMAT);
  EXPECT_NE(message.find("bad magic"), std::string::npos);

  expectError(kiln_program_load(nullptr, &out), KILN_STATUS_INVALID_ARGUMENT);
  expectError(kiln_program_load("x", nullptr), KILN_STATUS_INVALID_ARGUMENT);
}

TEST_F(CApiTest, DescribesTheSignature) {
  load(addScaleModel(64));
  ASSERT_EQ(kiln_program_input_count(program), 1u);
  ASSERT_EQ(kiln_program_output_count(program), 2u);
  kiln_tensor_info_t info;
  ASSERT_EQ(kiln_program_output_info(program, 1, &info), nullptr);
  EXPECT_STREQ(info.name, "doubled");
  EXPECT_EQ(info.dtype, KILN_DTYPE_F32);
  ASSERT_EQ(info.rank, 1u);
  EXPECT_EQ(info.shape[0], 64);
  EXPECT_EQ(info.byte_size, 256u);
  EXPECT_NE(expectError(kiln_program_input_info(program, 1, &info),
                        KILN_STATUS_INVALID_ARGUMENT)
                .find("input index 1 is out of range (1 inputs)"),
            std::string::npos);

  size_t index = 99;
  ASSERT_EQ(kiln_program_find_output(program, "doubled", &index), nullptr);
  EXPECT_EQ(index, 1u);
  EXPECT_NE(expectError(kiln_program_find_input(program, "y", &index),
                        KILN_STATUS_INVALID_ARGUMENT)
                .find("no input named 'y' (inputs: x)"),
            std::string::npos);
  EXPECT_EQ(kiln_program_input_count(nullptr), 0u);
  expectError(kiln_program_input_info(nullptr, 0, &info),
              KILN_STATUS_INVALID_ARGUMENT);
}

/// Runs the program through the C API with `threads` and `flags` on `x`
/// and returns y and doubled.
std::vector<std::vector<float>> runC(kiln_program_t *program, int32_t threads,
                                     uint32_t flags,
                                     const std::vector<float> &x) {
  kiln_session_t *session = nullptr;
  kiln_status_t *status =
      kiln_session_create(program, threads, flags, &session);
  EXPECT_EQ(status, nullptr) << kiln_status_message(status);
  std::vector<std::vector<float>> outs(2, std::vector<float>(x.size()));
  int64_t n = static_cast<int64_t>(x.size());
  kiln_tensor_view_t input = {KILN_DTYPE_F32, 1, &n, x.data()};
  kiln_mutable_tensor_view_t outputs[2] = {
      {KILN_DTYPE_F32, 1, &n, outs[0].data()},
      {KILN_DTYPE_F32, 1, &n, outs[1].data()}};
  status = kiln_session_run(session, &input, 1, outputs, 2);
  EXPECT_EQ(status, nullptr) << kiln_status_message(status);
  kiln_session_release(session);
  return outs;
}

TEST_F(CApiTest, RunsLikeTheCppApi) {
  load(addScaleModel(1000, 3));
  std::vector<float> x(1000);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(i % 31) * 0.37f - 3.0f;
  }
  std::vector<std::vector<float>> inlineResult =
      runC(program, 0, KILN_SESSION_INLINE, x);
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(inlineResult[0][i],
              (x[i] + static_cast<float>(i) * 0.5f) * 2.0f + 1.0f);
    ASSERT_EQ(inlineResult[1][i], x[i] + x[i]);
  }
  EXPECT_EQ(runC(program, 2, 0, x), inlineResult);
}

TEST_F(CApiTest, SessionKeepsTheProgramAlive) {
  load(addScaleModel(64));
  kiln_session_t *session = nullptr;
  ASSERT_EQ(kiln_session_create(program, 1, 0, &session), nullptr);
  EXPECT_EQ(kiln_session_thread_count(session), 1);
  kiln_program_release(program);
  program = nullptr;
  std::vector<float> x(64, 1.0f), y(64), doubled(64);
  int64_t n = 64;
  kiln_tensor_view_t input = {KILN_DTYPE_F32, 1, &n, x.data()};
  kiln_mutable_tensor_view_t outputs[2] = {
      {KILN_DTYPE_F32, 1, &n, y.data()},
      {KILN_DTYPE_F32, 1, &n, doubled.data()}};
  EXPECT_EQ(kiln_session_run(session, &input, 1, outputs, 2), nullptr);
  EXPECT_EQ(doubled[63], 2.0f);
  kiln_session_release(session);
}

TEST_F(CApiTest, RunErrorsNameTheTensor) {
  load(addScaleModel(64));
  kiln_session_t *session = nullptr;
  ASSERT_EQ(kiln_session_create(program, 1, 0, &session), nullptr);
  std::vector<float> x(65), y(64), doubled(64);
  int64_t n = 64, wrong = 65;
  kiln_tensor_view_t input = {KILN_DTYPE_F32, 1, &wrong, x.data()};
  kiln_mutable_tensor_view_t outputs[2] = {
      {KILN_DTYPE_F32, 1, &n, y.data()},
      {KILN_DTYPE_F32, 1, &n, doubled.data()}};
  EXPECT_EQ(expectError(kiln_session_run(session, &input, 1, outputs, 2),
                        KILN_STATUS_INVALID_ARGUMENT),
            "input 'x': expected f32[64], got f32[65]");
  input.shape = &n;
  input.dtype = static_cast<kiln_dtype_t>(12);
  EXPECT_EQ(expectError(kiln_session_run(session, &input, 1, outputs, 2),
                        KILN_STATUS_INVALID_ARGUMENT),
            "input 0: invalid dtype value 12");
  input.dtype = KILN_DTYPE_I32;
  EXPECT_EQ(expectError(kiln_session_run(session, &input, 1, outputs, 2),
                        KILN_STATUS_INVALID_ARGUMENT),
            "input 'x': expected f32[64], got i32[64]");
  input.dtype = KILN_DTYPE_F32;
  outputs[1].shape = nullptr;
  EXPECT_EQ(expectError(kiln_session_run(session, &input, 1, outputs, 2),
                        KILN_STATUS_INVALID_ARGUMENT),
            "output 1: shape is null but rank is 1");
  outputs[1].shape = &n;
  outputs[0].data = nullptr;
  EXPECT_EQ(expectError(kiln_session_run(session, &input, 1, outputs, 2),
                        KILN_STATUS_INVALID_ARGUMENT),
            "output 'y': data pointer is null");
  EXPECT_EQ(expectError(kiln_session_run(session, &input, 1, outputs, 1),
                        KILN_STATUS_INVALID_ARGUMENT),
            "expected 1 inputs and 2 outputs, got 1 and 1");
  expectError(kiln_session_run(session, nullptr, 1, outputs, 2),
              KILN_STATUS_INVALID_ARGUMENT);
  expectError(kiln_session_run(nullptr, &input, 1, outputs, 2),
              KILN_STATUS_INVALID_ARGUMENT);
  kiln_session_release(session);
}

TEST_F(CApiTest, KernelFailureIsAStatus) {
  TestArtifact a = addScaleModel(64);
  a.dispatches.push_back({"boom", 0, kFail, {3, 1, 1}, {}});
  a.regions.push_back({3});
  load(a);
  kiln_session_t *session = nullptr;
  ASSERT_EQ(kiln_session_create(program, 2, 0, &session), nullptr);
  std::vector<float> x(64), y(64), doubled(64);
  int64_t n = 64;
  kiln_tensor_view_t input = {KILN_DTYPE_F32, 1, &n, x.data()};
  kiln_mutable_tensor_view_t outputs[2] = {
      {KILN_DTYPE_F32, 1, &n, y.data()},
      {KILN_DTYPE_F32, 1, &n, doubled.data()}};
  EXPECT_EQ(expectError(kiln_session_run(session, &input, 1, outputs, 2),
                        KILN_STATUS_KERNEL_FAILURE),
            "dispatch 'boom' failed with code 7 at workgroup (1,0,0)");
  kiln_session_release(session);
}

TEST_F(CApiTest, SessionCreationErrors) {
  load(addScaleModel(64));
  kiln_session_t *session = nullptr;
  EXPECT_NE(expectError(kiln_session_create(program, -3, 0, &session),
                        KILN_STATUS_INVALID_ARGUMENT)
                .find("thread count -3"),
            std::string::npos);
  EXPECT_EQ(expectError(kiln_session_create(program, 1, 6, &session),
                        KILN_STATUS_INVALID_ARGUMENT),
            "kiln_session_create: unknown flags 0x6");
  expectError(kiln_session_create(nullptr, 1, 0, &session),
              KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(session, nullptr);
  ASSERT_EQ(kiln_session_create(program, 0, KILN_SESSION_INLINE, &session),
            nullptr);
  EXPECT_EQ(kiln_session_thread_count(session), 1);
  kiln_session_release(session);
}

TEST(CApiStatusTest, NullIsSuccessAndDTypesHaveNames) {
  EXPECT_EQ(kiln_status_code(nullptr), KILN_STATUS_OK);
  EXPECT_STREQ(kiln_status_message(nullptr), "");
  kiln_status_free(nullptr);
  kiln_program_release(nullptr);
  kiln_session_release(nullptr);
  EXPECT_STREQ(kiln_dtype_name(KILN_DTYPE_BF16), "bf16");
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_I64), 8u);
  EXPECT_STREQ(kiln_dtype_name(static_cast<kiln_dtype_t>(15)), "unknown");
  EXPECT_EQ(kiln_dtype_size(static_cast<kiln_dtype_t>(10)), 0u);
}

} // namespace
