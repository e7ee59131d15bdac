//===- Tracing.h - Observing the timeline of a run --------------*- C++ -*-===//
//
// A Tracer passed to Session::run receives one DispatchSpan for every stretch
// of consecutive workgroups of one dispatch that one worker ran, and one
// RegionSpan per region. Tools turn them into Chrome/Perfetto traces
// (kiln-run --trace). Without a tracer, run() takes a separate code path
// with no clock reads and no calls, so tracing costs nothing when it is off.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_TRACING_H
#define KILN_RUNTIME_TRACING_H

#include <chrono>
#include <cstdint>

namespace kiln::rt {

/// The time base of every span: nanoseconds of std::chrono::steady_clock.
inline int64_t traceClockNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Workgroups [firstWorkgroup, firstWorkgroup + workgroupCount) of one
/// dispatch (linear ids, x fastest), run back to back by one worker.
struct DispatchSpan {
  /// Index of the region in the schedule.
  uint32_t region = 0;
  /// Index of the dispatch in ArtifactInfo::dispatches.
  uint32_t dispatch = 0;
  uint64_t firstWorkgroup = 0;
  uint64_t workgroupCount = 0;
  /// The worker thread, in [0, Session::threadCount()).
  uint32_t worker = 0;
  int64_t beginNs = 0;
  int64_t endNs = 0;
};

/// One region, from the start of its first tile to the end of the barrier
/// that follows it (the moment every worker has finished).
struct RegionSpan {
  uint32_t region = 0;
  int64_t beginNs = 0;
  int64_t endNs = 0;
};

/// Receives the spans of a run. dispatchRan is called concurrently from the
/// workers, each with its own `worker` index, so an implementation can keep
/// one buffer per worker and needs no lock; regionRan is called on the
/// thread that called run(), after every span of the region was reported.
/// Both may allocate: tracing is a diagnostic mode.
class Tracer {
public:
  virtual ~Tracer() = default;
  /// One stretch of one dispatch on one worker.
  virtual void dispatchRan(const DispatchSpan &span) = 0;
  /// A whole region, barrier included.
  virtual void regionRan(const RegionSpan &span) = 0;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_TRACING_H
