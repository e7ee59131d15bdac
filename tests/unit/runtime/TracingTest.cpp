//===- TracingTest.cpp - Session::run reporting to a Tracer ---------------===//

#include "TestArtifact.h"

#include "runtime/Session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>

using namespace kiln::rt;
using namespace kiln::rt::test;

namespace {

/// Records every span; locks, since it checks the runtime rather than
/// relying on its per-worker guarantee.
class RecordingTracer : public Tracer {
public:
  void dispatchRan(const DispatchSpan &span) override {
    std::lock_guard<std::mutex> lock(mutex);
    dispatches.push_back(span);
  }
  void regionRan(const RegionSpan &span) override {
    std::lock_guard<std::mutex> lock(mutex);
    regions.push_back(span);
  }
  std::mutex mutex;
  std::vector<DispatchSpan> dispatches;
  std::vector<RegionSpan> regions;
};

/// Runs the add/scale model once with `options`, reporting to `tracer`.
void traceOneRun(const SessionOptions &options,
                 std::shared_ptr<const Program> &program,
                 RecordingTracer &tracer) {
  std::unique_ptr<Session> session =
      std::move(Session::create(program, options)).value();
  Tensor x = std::move(Tensor::create(DType::F32, {4096})).value();
  std::vector<Tensor> outputs = std::move(session->allocateOutputs()).value();
  std::vector<MutableTensorView> views;
  for (Tensor &t : outputs) {
    views.push_back(t.mutableView());
  }
  std::vector<TensorView> inputs = {x.view()};
  Status status = session->run(inputs, views, &tracer);
  EXPECT_TRUE(status.ok()) << status.message();
}

/// An executor configuration to trace.
struct Executor {
  const char *name;
  SessionOptions options;
};

void PrintTo(const Executor &e, std::ostream *os) { *os << e.name; }

class TracingTest : public testing::TestWithParam<Executor> {};

TEST_P(TracingTest, SpansCoverEveryWorkgroupOnceInsideTheirRegion) {
  TempDir dir;
  ASSERT_TRUE(addScaleModel(4096, 8).write(dir.file("m.kbin")).ok());
  std::shared_ptr<const Program> program =
      std::move(Program::load(dir.file("m.kbin"))).value();
  RecordingTracer tracer;
  traceOneRun(GetParam().options, program, tracer);
  const ArtifactInfo &info = program->info();

  ASSERT_EQ(tracer.regions.size(), info.regions.size());
  for (size_t r = 0; r < tracer.regions.size(); ++r) {
    EXPECT_EQ(tracer.regions[r].region, r);
    EXPECT_LE(tracer.regions[r].beginNs, tracer.regions[r].endNs);
    if (r) {
      EXPECT_GE(tracer.regions[r].beginNs, tracer.regions[r - 1].endNs);
    }
  }
  const SessionOptions &options = GetParam().options;
  int threads = options.inlineExecution ? 1 : options.threads;
  std::vector<std::vector<int>> seen(info.dispatches.size());
  for (size_t d = 0; d < info.dispatches.size(); ++d) {
    seen[d].assign(info.dispatches[d].workgroupCount, 0);
  }
  for (const DispatchSpan &span : tracer.dispatches) {
    ASSERT_LT(span.dispatch, info.dispatches.size());
    ASSERT_LT(span.region, info.regions.size());
    const std::vector<uint32_t> &members = info.regions[span.region].dispatches;
    EXPECT_NE(std::find(members.begin(), members.end(), span.dispatch),
              members.end());
    EXPECT_LT(span.worker, static_cast<uint32_t>(threads));
    EXPECT_GE(span.beginNs, tracer.regions[span.region].beginNs);
    EXPECT_LE(span.endNs, tracer.regions[span.region].endNs);
    EXPECT_LE(span.beginNs, span.endNs);
    ASSERT_LE(span.firstWorkgroup + span.workgroupCount,
              seen[span.dispatch].size());
    for (uint64_t w = 0; w < span.workgroupCount; ++w) {
      ++seen[span.dispatch][span.firstWorkgroup + w];
    }
  }
  for (size_t d = 0; d < seen.size(); ++d) {
    for (size_t w = 0; w < seen[d].size(); ++w) {
      ASSERT_EQ(seen[d][w], 1) << "dispatch " << d << " workgroup " << w;
    }
  }
  if (options.inlineExecution) {
    // In order, one stretch per dispatch.
    ASSERT_EQ(tracer.dispatches.size(), info.dispatches.size());
    for (size_t d = 0; d < info.dispatches.size(); ++d) {
      EXPECT_EQ(tracer.dispatches[d].dispatch, d);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Executors, TracingTest,
                         testing::Values(Executor{"Inline", {1, true}},
                                         Executor{"Threads1", {1, false}},
                                         Executor{"Threads2", {2, false}},
                                         Executor{"Threads4", {4, false}}),
                         [](const testing::TestParamInfo<Executor> &i) {
                           return i.param.name;
                         });

TEST(TracingTest, FailedKernelEndsItsSpan) {
  TestArtifact a = addScaleModel(64);
  a.dispatches.push_back({"boom", 0, kFail, {3, 1, 1}, {}});
  a.regions.push_back({3});
  TempDir dir;
  ASSERT_TRUE(a.write(dir.file("m.kbin")).ok());
  std::shared_ptr<const Program> program =
      std::move(Program::load(dir.file("m.kbin"))).value();
  std::unique_ptr<Session> session =
      std::move(Session::create(program, {1, true})).value();
  Tensor x = std::move(Tensor::create(DType::F32, {64})).value();
  std::vector<Tensor> outputs = std::move(session->allocateOutputs()).value();
  std::vector<MutableTensorView> views = {outputs[0].mutableView(),
                                          outputs[1].mutableView()};
  std::vector<TensorView> inputs = {x.view()};
  RecordingTracer tracer;
  Status status = session->run(inputs, views, &tracer);
  ASSERT_FALSE(status.ok());
  // Workgroup (1,0,0) fails: the span covers workgroup 0 only.
  ASSERT_FALSE(tracer.dispatches.empty());
  EXPECT_EQ(tracer.dispatches.back().dispatch, 3u);
  EXPECT_EQ(tracer.dispatches.back().workgroupCount, 1u);
  EXPECT_EQ(tracer.regions.size(), 3u);
}

} // namespace
