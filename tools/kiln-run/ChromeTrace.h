//===- ChromeTrace.h - kiln-run --trace: runs as a Chrome trace -*- C++ -*-===//
//
// Collects the spans the runtime reports (runtime/Tracing.h) over one or
// more runs and writes them in the Chrome trace-event JSON format, which
// chrome://tracing and ui.perfetto.dev open:
//
//   * one track per worker thread ("worker N") with a complete ("X") event
//     for every stretch of one dispatch that the worker ran, named after the
//     dispatch's root op and source line ("kiln.linear mlp_block.mlir:15:8");
//   * a "schedule" track with one event per run, nested in it one per
//     region, and nested at the end of each region its barrier: from the end
//     of the region's last tile until every worker has finished.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_RUN_CHROMETRACE_H
#define KILN_TOOLS_KILN_RUN_CHROMETRACE_H

#include "runtime/ArtifactInfo.h"
#include "runtime/OutputFile.h"
#include "runtime/Tracing.h"

#include <string>
#include <vector>

namespace kiln::rt {

/// A Tracer that remembers everything and writes it out at the end.
class ChromeTrace : public Tracer {
public:
  /// Traces runs of `info` on a session with `workers` threads. `info`
  /// must outlive the trace.
  ChromeTrace(const ArtifactInfo &info, int workers);

  /// Starts run `label` (e.g. "run 1", "warm-up run"); pass the trace to
  /// Session::run next. Only timed runs count in summary().
  void beginRun(std::string label, bool timed = true);
  /// Ends the current run.
  void endRun();

  void dispatchRan(const DispatchSpan &span) override;
  void regionRan(const RegionSpan &span) override;

  /// Writes the JSON to `file` (opened on `path`) and commits it; errors
  /// name the path.
  Status write(OutputFile &file, const std::string &path) const;

  /// Events recorded so far: one per dispatch span, region, barrier and
  /// run.
  size_t eventCount() const;

  /// A table of where the timed runs spent their time: busy time (the sum
  /// of the dispatches' spans over all workers) and idle time (workers x a
  /// region's wall time, less its busy time, shared among the region's
  /// sources by busy time) per run, grouped by root op and model-source
  /// location, largest busy time first, the first `top` rows.
  std::string summary(size_t top) const;

  /// The event name of dispatch `index`: its root op and the file name and
  /// line of its source location, or its own name if it has no root op.
  std::string dispatchLabel(size_t index) const;

private:
  struct Run {
    std::string label;
    int64_t beginNs = 0, endNs = 0;
    bool timed = true;
  };
  /// A span and the run it belongs to.
  template <typename SpanT> struct InRun {
    uint32_t run;
    SpanT span;
  };

  std::string json() const;

  const ArtifactInfo &info;
  std::vector<Run> runs;
  /// One buffer per worker, so workers record without a lock.
  std::vector<std::vector<InRun<DispatchSpan>>> dispatches;
  std::vector<InRun<RegionSpan>> regions;
};

} // namespace kiln::rt

#endif // KILN_TOOLS_KILN_RUN_CHROMETRACE_H
