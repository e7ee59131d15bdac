//===- RunTraceTest.cpp - kiln-run --trace writes a valid Chrome trace ----===//

#include "JsonReader.h"
#include "TestArtifact.h"
#include "ToolProcess.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

using namespace kiln::rt;
using namespace kiln::rt::test;

namespace {

using Kind = JsonValue::Kind;

/// One complete ("X") event, read back.
struct Event {
  std::string name, category;
  double ts = 0, dur = 0;
  int tid = 0;
  JsonValue args;
};

/// Runs kiln-run with --trace and parses the trace; every event must have
/// the fields the trace-event format requires. The tool's output goes to
/// `output` if given.
std::vector<Event> traceOf(const std::string &args, const TempDir &dir,
                           std::set<std::string> &threadNames,
                           std::string *output = nullptr) {
  std::string path = dir.file("trace.json");
  ToolResult r = runKilnRun(args + " --trace " + path);
  EXPECT_EQ(r.exitCode, 0) << r.output;
  if (output) {
    *output = r.output;
  }
  std::string error;
  std::vector<uint8_t> bytes = readFileBytes(path);
  std::optional<JsonValue> json =
      parseJson(std::string(bytes.begin(), bytes.end()), error);
  EXPECT_TRUE(json.has_value()) << "invalid JSON: " << error;
  std::vector<Event> events;
  if (!json) {
    return events;
  }
  const JsonValue *list = json->get("traceEvents");
  EXPECT_TRUE(list && list->kind == Kind::Array);
  for (const JsonValue &e : list ? list->array : std::vector<JsonValue>()) {
    const JsonValue *name = e.get("name"), *ph = e.get("ph"),
                    *pid = e.get("pid"), *tid = e.get("tid");
    EXPECT_TRUE(name && name->kind == Kind::String);
    EXPECT_TRUE(ph && ph->kind == Kind::String);
    EXPECT_TRUE(pid && pid->kind == Kind::Number);
    EXPECT_TRUE(tid && tid->kind == Kind::Number);
    if (!name || !ph || !tid) {
      continue;
    }
    if (ph->string == "M") {
      if (name->string == "thread_name") {
        threadNames.insert(e.get("args")->get("name")->string);
      }
      continue;
    }
    EXPECT_EQ(ph->string, "X");
    const JsonValue *ts = e.get("ts"), *dur = e.get("dur"), *cat = e.get("cat");
    EXPECT_TRUE(ts && ts->kind == Kind::Number && ts->number >= 0);
    EXPECT_TRUE(dur && dur->kind == Kind::Number && dur->number >= 0);
    EXPECT_TRUE(cat && cat->kind == Kind::String);
    if (ts && dur && cat) {
      events.push_back({name->string, cat->string, ts->number, dur->number,
                        static_cast<int>(tid->number),
                        e.get("args") ? *e.get("args") : JsonValue()});
    }
  }
  return events;
}

/// The number of an event's argument `key`.
int64_t arg(const Event &e, const char *key) {
  const JsonValue *value = e.args.get(key);
  EXPECT_TRUE(value && value->kind == Kind::Number) << e.name << " " << key;
  return value ? static_cast<int64_t>(value->number) : -1;
}

TEST(RunTraceTest, EveryDispatchOfEveryRunIsNamedAndTimed) {
  TempDir dir;
  std::string model = dir.file("m.kbin");
  ASSERT_TRUE(addScaleModel(512, 4).write(model).ok());
  std::set<std::string> threads;
  std::vector<Event> events =
      traceOf(model + " --threads 2 --repeat 2", dir, threads);
  EXPECT_EQ(threads,
            (std::set<std::string>{"worker 0", "worker 1", "schedule"}));

  // Workgroups per (run, dispatch name): each run covers every workgroup.
  std::map<std::pair<int64_t, std::string>, int64_t> workgroups;
  std::map<std::string, int> counts;
  std::map<std::pair<int64_t, int64_t>, const Event *> regionOf;
  for (const Event &e : events) {
    ++counts[e.name];
    if (e.category == "dispatch") {
      EXPECT_LT(e.tid, 2) << "dispatches run on the workers";
      workgroups[{arg(e, "run"), e.name}] += arg(e, "workgroups");
    } else if (e.category == "region") {
      regionOf[{arg(e, "run"), arg(e, "region")}] = &e;
    }
  }
  // The add/scale model's grids: 6w, 5w and 8w workgroups with w = 4.
  for (int64_t run = 0; run < 3; ++run) {
    EXPECT_EQ((workgroups[{run, "kiln.add add_scale.kiln:3:7"}]), 24);
    EXPECT_EQ((workgroups[{run, "kiln.add add_scale.kiln:4:11"}]), 20);
    EXPECT_EQ((workgroups[{run, "kiln.scale add_scale.kiln:5:7"}]), 32);
  }
  EXPECT_EQ(counts["warm-up run"], 1);
  EXPECT_EQ(counts["run 1"], 1);
  EXPECT_EQ(counts["run 2"], 1);
  EXPECT_EQ(counts["region 0"], 3);
  EXPECT_EQ(counts["region 1"], 3);
  EXPECT_EQ(counts["barrier after region 0"], 3);
  EXPECT_EQ(counts["barrier after region 1"], 3);

  // Dispatch and barrier events lie inside their region (timestamps are
  // printed to the nanosecond, hence the slack).
  for (const Event &e : events) {
    if (e.category != "dispatch" && e.category != "barrier") {
      continue;
    }
    const Event *region = regionOf[{arg(e, "run"), arg(e, "region")}];
    ASSERT_NE(region, nullptr) << e.name;
    EXPECT_GE(e.ts, region->ts - 0.002) << e.name;
    EXPECT_LE(e.ts + e.dur, region->ts + region->dur + 0.002) << e.name;
  }
}

TEST(RunTraceTest, SummaryIdleTimeIsWhatTheRegionsLeft) {
  TempDir dir;
  std::string model = dir.file("m.kbin");
  ASSERT_TRUE(addScaleModel(512, 4).write(model).ok());
  std::set<std::string> threads;
  std::string output;
  std::vector<Event> events =
      traceOf(model + " --threads 2 --repeat 3", dir, threads, &output);

  // From the trace: per timed run (run 0 is the warm-up), 2 workers x each
  // region's wall time less the dispatch time inside it, at least 0.
  std::map<std::pair<int64_t, int64_t>, double> regionWall, regionBusy;
  for (const Event &e : events) {
    if (arg(e, "run") == 0 ||
        (e.category != "region" && e.category != "dispatch")) {
      continue;
    }
    auto key = std::make_pair(arg(e, "run"), arg(e, "region"));
    (e.category == "region" ? regionWall : regionBusy)[key] += e.dur;
  }
  ASSERT_EQ(regionWall.size(), 6u) << "2 regions in each of 3 timed runs";
  double idleUs = 0;
  for (auto [key, wall] : regionWall) {
    idleUs += std::max(0.0, 2 * wall - regionBusy[key]);
  }
  double expectedMs = idleUs / 1000.0 / 3.0;

  // The summary's total, and its rows, which share it out.
  double wallMs = 0, busyMs = 0, totalMs = -1;
  ASSERT_EQ(std::sscanf(output.substr(output.find("trace: ")).c_str(),
                        "trace: %lf ms wall, %lf ms busy and %lf ms idle on 2 "
                        "workers per run",
                        &wallMs, &busyMs, &totalMs),
            3)
      << output;
  EXPECT_NEAR(totalMs, expectedMs, 0.002) << output;
  double rowsMs = 0;
  int rows = 0;
  for (size_t at = output.find("add_scale.kiln"); at != std::string::npos;
       at = output.find("add_scale.kiln", at + 1)) {
    size_t begin = output.rfind('\n', at) + 1;
    double share = 0, busy = 0, idle = -1;
    ASSERT_EQ(std::sscanf(output.c_str() + begin, " %lf%% %lf %lf", &share,
                          &busy, &idle),
              3)
        << output.substr(begin, at - begin);
    EXPECT_GE(idle, 0);
    rowsMs += idle;
    ++rows;
  }
  EXPECT_EQ(rows, 3) << output;
  EXPECT_NEAR(rowsMs, totalMs, 0.003 * rows) << output;
}

TEST(RunTraceTest, InlineRunsOnOneWorker) {
  TempDir dir;
  std::string model = dir.file("m.kbin");
  ASSERT_TRUE(addScaleModel(64).write(model).ok());
  std::set<std::string> threads;
  std::vector<Event> events = traceOf(model + " --inline", dir, threads);
  int dispatches = 0;
  for (const Event &e : events) {
    if (e.category == "dispatch") {
      ++dispatches;
      EXPECT_EQ(e.tid, 0);
    }
  }
  // One stretch per dispatch: the inline executor never interleaves.
  EXPECT_EQ(dispatches, 3);
}

TEST(RunTraceTest, UnwritableTraceFailsBeforeRunning) {
  TempDir dir;
  std::string model = dir.file("m.kbin");
  ASSERT_TRUE(addScaleModel(64).write(model).ok());
  ToolResult r =
      runKilnRun(model + " --trace " + dir.file("no/such/dir/t.json"));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("trace: cannot create a temporary file for '" +
                          dir.file("no/such/dir/t.json") + "'"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("y: f32"), std::string::npos) << r.output;
}

} // namespace
