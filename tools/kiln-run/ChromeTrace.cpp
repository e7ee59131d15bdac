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

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

namespace kiln::rt {

namespace {

/// A JSON string literal of `text`.
std::string quote(const std::string &text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof(escape), "\\u%04x", c);
      out += escape;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

/// Microseconds with nanosecond precision, as JSON.
std::string micros(int64_t ns) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f", static_cast<double>(ns) / 1000.0);
  return text;
}

} // namespace

ChromeTrace::ChromeTrace(const ArtifactInfo &info, int workers)
    : info(info), dispatches(static_cast<size_t>(std::max(workers, 1))) {}

void ChromeTrace::beginRun(std::string label) {
  runs.push_back({std::move(label), traceClockNs(), 0});
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
    out += "{\"name\": " + quote(name) + ", \"cat\": \"" + category +
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
           ", \"args\": {\"name\": " + quote(name) + "}}";
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
          "\"dispatch\": " + quote(info.dispatches[span.dispatch].name) +
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

Status ChromeTrace::write(const std::string &path) const {
  std::string text = json();
  std::FILE *file = std::fopen(path.c_str(), "w");
  if (!file) {
    return makeError(StatusCode::IoError, "cannot create trace '", path,
                     "': ", std::strerror(errno));
  }
  bool ok = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  ok = std::fclose(file) == 0 && ok;
  if (!ok) {
    return makeError(StatusCode::IoError, "cannot write trace '", path, "'");
  }
  return Status();
}

} // namespace kiln::rt
