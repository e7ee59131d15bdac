//===- ChromeTrace.cpp - kiln-run --trace: runs as a Chrome trace ---------===//
//
// Events are written in the JSON object format ({"traceEvents": [...]}) with
// microsecond timestamps relative to the start of the first run. Complete
// events on one track must nest, and they do: a region lies inside its run
// and its barrier at the end of the region, since the runtime reports
// region times measured around the dispatches they contain.
//
//===----------------------------------------------------------------------===//

#include "ChromeTrace.h"
#include "JsonString.h"

#include "runtime/OutputFile.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

namespace kiln::rt {

namespace {

/// Microseconds with nanosecond precision, as JSON.
std::string micros(int64_t ns) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f", static_cast<double>(ns) / 1000.0);
  return text;
}

} // namespace

ChromeTrace::ChromeTrace(const ArtifactInfo &info, int workers)
    : info(info), dispatches(static_cast<size_t>(std::max(workers, 1))) {}

void ChromeTrace::beginRun(std::string label, bool timed) {
  runs.push_back({std::move(label), traceClockNs(), 0, timed});
}

void ChromeTrace::endRun() { runs.back().endNs = traceClockNs(); }

void ChromeTrace::dispatchRan(const DispatchSpan &span) {
  uint32_t run = static_cast<uint32_t>(runs.size() - 1);
  dispatches[std::min<size_t>(span.worker, dispatches.size() - 1)].push_back(
      {run, span});
}

void ChromeTrace::regionRan(const RegionSpan &span) {
  regions.push_back({static_cast<uint32_t>(runs.size() - 1), span});
}

std::string ChromeTrace::summary(size_t top) const {
  struct Row {
    std::string source;
    int64_t busyNs = 0;
    double idleNs = 0;
    uint64_t workgroups = 0;
    std::set<size_t> dispatches;
  };
  std::vector<Row> rows;
  std::map<std::string, size_t> rowBySource;
  std::vector<size_t> rowOf(info.dispatches.size(), SIZE_MAX);
  // Busy time of each (run, region), by row.
  std::map<std::pair<uint32_t, uint32_t>, std::map<size_t, int64_t>> regionBusy;
  size_t timedRuns = 0;
  int64_t totalNs = 0, wallNs = 0;
  for (const Run &run : runs) {
    timedRuns += run.timed;
    wallNs += run.timed ? run.endNs - run.beginNs : 0;
  }
  for (const auto &worker : dispatches) {
    for (const InRun<DispatchSpan> &entry : worker) {
      if (!runs[entry.run].timed) {
        continue;
      }
      size_t d = entry.span.dispatch;
      if (rowOf[d] == SIZE_MAX) {
        const DispatchInfo &dispatch = info.dispatches[d];
        std::string source =
            (dispatch.rootOp.empty() ? dispatch.name : dispatch.rootOp) +
            (dispatch.sourceLoc.empty() ? "" : " " + dispatch.sourceLoc);
        auto [it, added] = rowBySource.try_emplace(source, rows.size());
        if (added) {
          rows.push_back({source, 0, 0, {}});
        }
        rowOf[d] = it->second;
      }
      Row &row = rows[rowOf[d]];
      int64_t ns = std::max<int64_t>(entry.span.endNs - entry.span.beginNs, 0);
      row.busyNs += ns;
      row.workgroups += entry.span.workgroupCount;
      row.dispatches.insert(d);
      totalNs += ns;
      regionBusy[{entry.run, entry.span.region}][rowOf[d]] += ns;
    }
  }
  if (timedRuns == 0 || totalNs == 0) {
    return "";
  }
  // A region's idle worker time (workers x its wall time, less its busy
  // time: waits at the barrier, scheduling) goes to its sources in
  // proportion to their busy time there.
  int64_t idleNs = 0;
  for (const InRun<RegionSpan> &entry : regions) {
    auto busy = regionBusy.find({entry.run, entry.span.region});
    if (!runs[entry.run].timed || busy == regionBusy.end()) {
      continue;
    }
    int64_t regionBusyNs = 0;
    for (auto [row, ns] : busy->second) {
      regionBusyNs += ns;
    }
    int64_t idle =
        std::max<int64_t>(static_cast<int64_t>(dispatches.size()) *
                                  (entry.span.endNs - entry.span.beginNs) -
                              regionBusyNs,
                          0);
    idleNs += idle;
    for (auto [row, ns] : busy->second) {
      rows[row].idleNs +=
          static_cast<double>(idle) * static_cast<double>(ns) /
          static_cast<double>(std::max<int64_t>(regionBusyNs, 1));
    }
  }
  std::sort(rows.begin(), rows.end(),
            [](const Row &a, const Row &b) { return a.busyNs > b.busyNs; });
  auto perRunMs = [&](int64_t ns) {
    return static_cast<double>(ns) / 1e6 / static_cast<double>(timedRuns);
  };
  char line[200];
  std::snprintf(line, sizeof(line),
                "trace: %.3f ms wall, %.3f ms busy and %.3f ms idle on %zu "
                "worker%s per run (%zu timed run%s); by source:\n",
                perRunMs(wallNs), perRunMs(totalNs), perRunMs(idleNs),
                dispatches.size(), dispatches.size() == 1 ? "" : "s", timedRuns,
                timedRuns == 1 ? "" : "s");
  std::string out = line;
  out += "   share  busy ms/run  idle ms/run  dispatches  workgroups/run  "
         "root op and source\n";
  for (size_t i = 0; i < rows.size() && i < top; ++i) {
    const Row &row = rows[i];
    std::snprintf(
        line, sizeof(line), "  %5.1f%%  %11.3f  %11.3f  %10zu  %14llu  ",
        100.0 * static_cast<double>(row.busyNs) / static_cast<double>(totalNs),
        perRunMs(row.busyNs), perRunMs(static_cast<int64_t>(row.idleNs)),
        row.dispatches.size(),
        static_cast<unsigned long long>(row.workgroups / timedRuns));
    out += line + row.source + "\n";
  }
  if (rows.size() > top) {
    out += "  (" + std::to_string(rows.size() - top) + " more)\n";
  }
  return out;
}

std::string ChromeTrace::dispatchLabel(size_t index) const {
  const DispatchInfo &dispatch = info.dispatches[index];
  if (dispatch.rootOp.empty()) {
    return dispatch.name;
  }
  std::string location = dispatch.sourceLoc;
  location = location.substr(location.find_last_of('/') + 1);
  return location.empty() ? dispatch.rootOp : dispatch.rootOp + " " + location;
}

/// Builds the whole document; every event carries pid 1.
std::string ChromeTrace::json() const {
  int64_t origin = runs.empty() ? 0 : runs.front().beginNs;
  size_t schedule = dispatches.size();
  std::string out = "{\"displayTimeUnit\": \"ns\", \"traceEvents\": [\n";
  bool first = true;
  auto event = [&](const std::string &name, const char *category, size_t tid,
                   int64_t beginNs, int64_t endNs, const std::string &args) {
    out += first ? "" : ",\n";
    first = false;
    out += "{\"name\": " + quoteJson(name) + ", \"cat\": \"" + category +
           "\", \"ph\": \"X\", \"pid\": 1, \"tid\": " + std::to_string(tid) +
           ", \"ts\": " + micros(beginNs - origin) +
           ", \"dur\": " + micros(std::max<int64_t>(endNs - beginNs, 0)) +
           ", \"args\": {" + args + "}}";
  };
  auto metadata = [&](const char *kind, size_t tid, const std::string &name) {
    out += first ? "" : ",\n";
    first = false;
    out += std::string("{\"name\": \"") + kind +
           "\", \"ph\": \"M\", \"pid\": 1, \"tid\": " + std::to_string(tid) +
           ", \"args\": {\"name\": " + quoteJson(name) + "}}";
  };
  metadata("process_name", 0, "kiln-run " + info.modelName);
  for (size_t w = 0; w < schedule; ++w) {
    metadata("thread_name", w, "worker " + std::to_string(w));
  }
  metadata("thread_name", schedule, "schedule");

  // The end of the last dispatch span of each (run, region): the barrier
  // starts there.
  size_t regionCount = std::max<size_t>(info.regions.size(), 1);
  std::vector<int64_t> lastEnd(runs.size() * regionCount, INT64_MIN);
  for (size_t w = 0; w < dispatches.size(); ++w) {
    for (const InRun<DispatchSpan> &entry : dispatches[w]) {
      const DispatchSpan &span = entry.span;
      int64_t &end = lastEnd[entry.run * regionCount + span.region];
      end = std::max(end, span.endNs);
      event(
          dispatchLabel(span.dispatch), "dispatch", w, span.beginNs, span.endNs,
          "\"dispatch\": " + quoteJson(info.dispatches[span.dispatch].name) +
              ", \"region\": " + std::to_string(span.region) +
              ", \"run\": " + std::to_string(entry.run) +
              ", \"first_workgroup\": " + std::to_string(span.firstWorkgroup) +
              ", \"workgroups\": " + std::to_string(span.workgroupCount));
    }
  }
  for (size_t r = 0; r < runs.size(); ++r) {
    event(runs[r].label, "run", schedule, runs[r].beginNs, runs[r].endNs,
          "\"run\": " + std::to_string(r));
  }
  for (const InRun<RegionSpan> &entry : regions) {
    const RegionSpan &span = entry.span;
    std::string args = "\"region\": " + std::to_string(span.region) +
                       ", \"run\": " + std::to_string(entry.run);
    event("region " + std::to_string(span.region), "region", schedule,
          span.beginNs, span.endNs,
          args + ", \"dispatches\": " +
              std::to_string(info.regions[span.region].dispatches.size()));
    int64_t barrier = lastEnd[entry.run * regionCount + span.region];
    event("barrier after region " + std::to_string(span.region), "barrier",
          schedule, std::clamp(barrier, span.beginNs, span.endNs), span.endNs,
          args);
  }
  return out + "\n]}\n";
}

Status ChromeTrace::write(OutputFile &file, const std::string &path) const {
  std::string text = json();
  if (!file.write(text.data(), text.size())) {
    return OutputFile::ioError("cannot write", path).withContext("trace");
  }
  return file.commit(path).withContext("trace");
}

size_t ChromeTrace::eventCount() const {
  size_t count = runs.size() + 2 * regions.size();
  for (const auto &worker : dispatches) {
    count += worker.size();
  }
  return count;
}

} // namespace kiln::rt
