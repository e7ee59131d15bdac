//===- SessionTest.cpp - Executing programs -------------------------------===//

#include "TestArtifact.h"

#include "runtime/Session.h"
#include "runtime/capi/KilnRuntime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

using namespace kiln::rt;
using namespace kiln::rt::test;

// Counts heap allocations made through operator new while enabled, to prove
// that run() allocates nothing after the first call.
namespace {
std::atomic<bool> countAllocations{false};
std::atomic<uint64_t> allocations{0};
} // namespace

void *operator new(size_t size) {
  if (countAllocations.load(std::memory_order_relaxed)) {
    allocations.fetch_add(1);
  }
  if (void *p = std::malloc(size ? size : 1)) {
    return p;
  }
  throw std::bad_alloc();
}
void operator delete(void *p) noexcept { std::free(p); }
void operator delete(void *p, size_t) noexcept { std::free(p); }

namespace {

/// A loaded program with tensors to run it on.
struct Fixture {
  TempDir dir;
  std::shared_ptr<const Program> program;
  std::vector<Tensor> inputs, outputs;
  std::vector<TensorView> inputViews;
  std::vector<MutableTensorView> outputViews;

  explicit Fixture(const TestArtifact &artifact) {
    std::string path = dir.file("m.kbin");
    Status written = artifact.write(path);
    EXPECT_TRUE(written.ok()) << written.message();
    StatusOr<std::shared_ptr<const Program>> loaded = Program::load(path);
    EXPECT_TRUE(loaded.ok()) << loaded.status().message();
    if (!loaded.ok()) {
      return;
    }
    program = *loaded;
    for (const TensorSpec &spec : program->inputs()) {
      inputs.push_back(
          std::move(Tensor::create(spec.dtype, spec.shape)).value());
    }
    for (const TensorSpec &spec : program->outputs()) {
      outputs.push_back(
          std::move(Tensor::create(spec.dtype, spec.shape)).value());
    }
    for (const Tensor &t : inputs) {
      inputViews.push_back(t.view());
    }
    for (Tensor &t : outputs) {
      outputViews.push_back(t.mutableView());
    }
  }

  std::unique_ptr<Session> session(int threads, bool inlineExecution = false) {
    StatusOr<std::unique_ptr<Session>> s =
        Session::create(program, {threads, inlineExecution});
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  Status run(Session &session) { return session.run(inputViews, outputViews); }
};

void fillInput(Tensor &x, float seed) {
  for (uint64_t i = 0; i < x.numElements(); ++i) {
    x.dataAs<float>()[i] = seed + static_cast<float>(i % 97) * 0.25f - 7.0f;
  }
}

/// Checks y = 2 (x + c) + 1 and doubled = x + x for the add-scale model.
void expectAddScale(const Tensor &x, const Tensor &y, const Tensor &doubled) {
  for (uint64_t i = 0; i < x.numElements(); ++i) {
    float xi = x.dataAs<float>()[i];
    float sum = xi + static_cast<float>(i) * 0.5f;
    ASSERT_EQ(y.dataAs<float>()[i], sum * 2.0f + 1.0f) << "y[" << i << "]";
    ASSERT_EQ(doubled.dataAs<float>()[i], xi + xi) << "doubled[" << i << "]";
  }
}

TEST(SessionTest, RunsTheModelInline) {
  Fixture f(addScaleModel(1000));
  fillInput(f.inputs[0], 1.0f);
  auto session = f.session(1, /*inlineExecution=*/true);
  ASSERT_TRUE(f.run(*session).ok());
  expectAddScale(f.inputs[0], f.outputs[0], f.outputs[1]);
  EXPECT_EQ(session->threadCount(), 1);
}

TEST(SessionTest, ThreadCountsGiveBitIdenticalResults) {
  Fixture f(addScaleModel(1 << 16, 16));
  fillInput(f.inputs[0], 3.0f);
  auto reference = f.session(1, true);
  ASSERT_TRUE(f.run(*reference).ok());
  expectAddScale(f.inputs[0], f.outputs[0], f.outputs[1]);
  std::vector<uint8_t> expected(f.outputs[0].byteSize());
  std::memcpy(expected.data(), f.outputs[0].data(), expected.size());
  for (int threads : {1, 2, 4}) {
    SCOPED_TRACE(std::to_string(threads) + " threads");
    auto session = f.session(threads);
    EXPECT_EQ(session->threadCount(), threads);
    for (int repeat = 0; repeat < 3; ++repeat) {
      std::memset(f.outputs[0].data(), 0, f.outputs[0].byteSize());
      ASSERT_TRUE(f.run(*session).ok());
      ASSERT_EQ(
          std::memcmp(expected.data(), f.outputs[0].data(), expected.size()),
          0);
    }
  }
}

TEST(SessionTest, ConcurrentSessionsShareOneProgram) {
  Fixture f(addScaleModel(1 << 14, 8));
  constexpr int kCallers = 4;
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int caller = 0; caller < kCallers; ++caller) {
    callers.emplace_back([&, caller] {
      StatusOr<std::unique_ptr<Session>> session =
          Session::create(f.program, {2, false});
      Tensor x = std::move(Tensor::create(DType::F32, {1 << 14})).value();
      StatusOr<std::vector<Tensor>> outputs = (*session)->allocateOutputs();
      std::vector<MutableTensorView> views;
      for (Tensor &t : *outputs) {
        views.push_back(t.mutableView());
      }
      for (int run = 0; run < 20; ++run) {
        fillInput(x, static_cast<float>(caller * 100 + run));
        if (!(*session)->run({x.view()}, views).ok()) {
          ++failures;
        }
        for (uint64_t i = 0; i < x.numElements(); ++i) {
          float sum = x.dataAs<float>()[i] + static_cast<float>(i) * 0.5f;
          if ((*outputs)[0].dataAs<float>()[i] != sum * 2.0f + 1.0f) {
            ++failures;
            break;
          }
        }
      }
    });
  }
  for (std::thread &t : callers) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
}

TEST(SessionTest, EveryWorkgroupRunsOnceWithItsId) {
  TestArtifact a;
  a.executables = {testKernels()};
  a.outputs = {{"count", DType::I32, {60}}, {"ids", DType::I32, {60}}};
  a.dispatches = {
      {"mark",
       0,
       kMark,
       {3, 4, 5},
       {{BindingKind::Output, 0, 0, 240}, {BindingKind::Output, 1, 0, 240}}}};
  a.regions = {{0}};
  Fixture f(a);
  for (int threads : {1, 4}) {
    std::memset(f.outputs[0].data(), 0, 240);
    auto session = f.session(threads);
    ASSERT_TRUE(f.run(*session).ok());
    for (int z = 0; z < 5; ++z) {
      for (int y = 0; y < 4; ++y) {
        for (int x = 0; x < 3; ++x) {
          int l = x + 3 * (y + 4 * z);
          EXPECT_EQ(f.outputs[0].dataAs<int32_t>()[l], 1);
          EXPECT_EQ(f.outputs[1].dataAs<int32_t>()[l], x | y << 8 | z << 16);
        }
      }
    }
  }
}

TEST(SessionTest, InlineExecutorRunsTilesInScheduleOrder) {
  TestArtifact a;
  a.executables = {testKernels()};
  a.outputs = {{"order", DType::I32, {10}}};
  BindingInfo counter{BindingKind::Output, 0, 0, 4};
  a.dispatches = {
      {"first",
       0,
       kOrder,
       {2, 2, 1},
       {counter, {BindingKind::Output, 0, 4, 16}}},
      {"second",
       0,
       kOrder,
       {3, 1, 1},
       {counter, {BindingKind::Output, 0, 20, 12}}},
      {"third",
       0,
       kOrder,
       {1, 1, 2},
       {counter, {BindingKind::Output, 0, 32, 8}}},
  };
  a.regions = {{0, 1}, {2}};
  Fixture f(a);
  auto session = f.session(0, true);
  ASSERT_TRUE(f.run(*session).ok());
  const int32_t *order = f.outputs[0].dataAs<int32_t>();
  EXPECT_EQ(order[0], 9);
  for (int i = 1; i < 10; ++i) {
    EXPECT_EQ(order[i], i - 1) << "slot " << i;
  }
}

TEST(SessionTest, KernelFailureNamesDispatchAndWorkgroup) {
  TestArtifact a = addScaleModel(64);
  a.dispatches.push_back({"boom", 0, kFail, {3, 1, 1}, {}});
  a.regions.push_back({3});
  Fixture f(a);
  for (bool inlineExecution : {true, false}) {
    auto session = f.session(2, inlineExecution);
    Status status = f.run(*session);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.getCode(), StatusCode::KernelFailure);
    EXPECT_EQ(status.message(),
              "dispatch 'boom' failed with code 7 at workgroup (1,0,0)");
    // The session stays usable after a failure.
    EXPECT_FALSE(f.run(*session).ok());
  }
}

TEST(SessionTest, WrongInputShapeNamesTheTensor) {
  Fixture f(addScaleModel(32));
  auto session = f.session(1);
  Tensor x = std::move(Tensor::create(DType::F32, {33})).value();
  Status status = session->run({x.view()}, f.outputViews);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "input 'x': expected f32[32], got f32[33]");
  Tensor rank2 = std::move(Tensor::create(DType::F32, {32, 1})).value();
  status = session->run({rank2.view()}, f.outputViews);
  EXPECT_EQ(status.message(), "input 'x': expected f32[32], got f32[32,1]");
}

TEST(SessionTest, WrongDTypeNamesTheTensor) {
  Fixture f(addScaleModel(32));
  auto session = f.session(1);
  std::vector<MutableTensorView> outputs = f.outputViews;
  outputs[1].dtype = DType::I32;
  Status status = session->run(f.inputViews, outputs);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.getCode(), StatusCode::InvalidArgument);
  EXPECT_EQ(status.message(),
            "output 'doubled': expected f32[32], got i32[32]");
}

TEST(SessionTest, WrongCountsAreReported) {
  Fixture f(addScaleModel(32));
  auto session = f.session(1);
  Status status = session->run({}, f.outputViews);
  EXPECT_EQ(status.message(), "expected 1 inputs, got 0");
  status = session->run(f.inputViews, {f.outputViews.data(), 1});
  EXPECT_EQ(status.message(), "expected 2 outputs, got 1");
}

TEST(SessionTest, NullPointersAreRejected) {
  Fixture f(addScaleModel(32));
  auto session = f.session(1);
  std::vector<TensorView> inputs = f.inputViews;
  inputs[0].data = nullptr;
  EXPECT_EQ(session->run(inputs, f.outputViews).message(),
            "input 'x': data pointer is null");
  std::vector<MutableTensorView> outputs = f.outputViews;
  outputs[0].data = nullptr;
  EXPECT_EQ(session->run(f.inputViews, outputs).message(),
            "output 'y': data pointer is null");
}

TEST(SessionTest, OutputsSharingMemoryAreRejected) {
  Fixture f(addScaleModel(32));
  auto session = f.session(1);
  // y written over x, where the kernels read x.
  std::vector<MutableTensorView> outputs = f.outputViews;
  outputs[0].data = const_cast<void *>(f.inputViews[0].data);
  EXPECT_EQ(session->run(f.inputViews, outputs).message(),
            "output 'y' overlaps input 'x': outputs must not share memory");
  // doubled overlapping the second half of y.
  outputs = f.outputViews;
  outputs[1].data = static_cast<float *>(outputs[0].data) + 16;
  EXPECT_EQ(
      session->run(f.inputViews, outputs).message(),
      "output 'doubled' overlaps output 'y': outputs must not share memory");
  // Adjacent buffers do not overlap.
  std::vector<float> both(64);
  outputs[0].data = both.data();
  outputs[1].data = both.data() + 32;
  EXPECT_TRUE(session->run(f.inputViews, outputs).ok());
}

TEST(SessionTest, RunAllocatesNothingAfterTheFirstRun) {
  Fixture f(addScaleModel(4096, 4));
  for (bool inlineExecution : {true, false}) {
    auto session = f.session(2, inlineExecution);
    ASSERT_TRUE(f.run(*session).ok());
    // The counter works: allocating outputs does allocate.
    allocations = 0;
    countAllocations = true;
    EXPECT_TRUE(session->allocateOutputs().ok());
    countAllocations = false;
    EXPECT_GT(allocations.load(), 0u);
    allocations = 0;
    countAllocations = true;
    Status status = f.run(*session);
    status = f.run(*session);
    countAllocations = false;
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(allocations.load(), 0u)
        << (inlineExecution ? "inline" : "parallel") << " executor";
  }
}

TEST(SessionTest, CApiRunAllocatesNothingAfterTheFirstRun) {
  Fixture f(addScaleModel(4096, 4));
  kiln_program_t *program = nullptr;
  ASSERT_EQ(kiln_program_load(f.dir.file("m.kbin").c_str(), &program), nullptr);
  kiln_session_t *session = nullptr;
  ASSERT_EQ(kiln_session_create(program, 2, 0, &session), nullptr);
  int64_t n = 4096;
  kiln_tensor_view_t input = {KILN_DTYPE_F32, 1, &n, f.inputs[0].data()};
  kiln_mutable_tensor_view_t outputs[2] = {
      {KILN_DTYPE_F32, 1, &n, f.outputs[0].data()},
      {KILN_DTYPE_F32, 1, &n, f.outputs[1].data()}};
  ASSERT_EQ(kiln_session_run(session, &input, 1, outputs, 2), nullptr);
  allocations = 0;
  countAllocations = true;
  kiln_status_t *status = kiln_session_run(session, &input, 1, outputs, 2);
  countAllocations = false;
  EXPECT_EQ(status, nullptr);
  EXPECT_EQ(allocations.load(), 0u);
  kiln_session_release(session);
  kiln_program_release(program);
}

TEST(SessionTest, ProgramWithoutDispatchesRuns) {
  TestArtifact a;
  a.inputs = {{"x", DType::F32, {0}}};
  Fixture f(a);
  auto session = f.session(2);
  EXPECT_TRUE(f.run(*session).ok());
}

TEST(SessionTest, BadThreadCountIsRejected) {
  Fixture f(addScaleModel(8));
  StatusOr<std::unique_ptr<Session>> session =
      Session::create(f.program, {-1, false});
  ASSERT_FALSE(session.ok());
  EXPECT_NE(session.status().message().find("thread count -1"),
            std::string::npos);
  EXPECT_FALSE(Session::create(nullptr).ok());
}

} // namespace
