//===- Session.h - Running a loaded program ---------------------*- C++ -*-===//
//
// A Session is one caller's execution context for a Program: it owns the
// activation arena, one scratch buffer per worker thread, the prepared
// kernel arguments and a oneTBB task arena with exactly the requested number
// of threads. Create one Session per concurrent caller; all of them may
// share one Program. After the first run(), run() allocates nothing.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_SESSION_H
#define KILN_RUNTIME_SESSION_H

#include "runtime/Program.h"
#include "runtime/Span.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"
#include "runtime/Tracing.h"

#include <memory>
#include <vector>

namespace kiln::rt {

/// How a Session executes.
struct SessionOptions {
  /// Threads that run tiles, the calling thread included; 0 picks the
  /// number of CPUs this process may use. The process-wide oneTBB limit is
  /// raised if it is lower, so N threads really run.
  int threads = 0;
  /// Run every tile in order (regions in order, dispatches in region order,
  /// workgroups x fastest) on the calling thread, for debugging.
  bool inlineExecution = false;
};

/// One caller's context for running a Program. Not safe for concurrent
/// run() calls on the same Session (a second one fails with an error).
class Session {
public:
  /// Creates a session for `program`, allocating its arena and scratch.
  static StatusOr<std::unique_ptr<Session>>
  create(std::shared_ptr<const Program> program,
         const SessionOptions &options = {});

  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;
  ~Session();

  /// Runs the program once. `inputs` and `outputs` follow the order of
  /// Program::inputs() and Program::outputs(); their dtypes and shapes must
  /// match exactly and their data pointers must be non-null (unless the
  /// tensor is empty); an output may not share memory with an input or
  /// another output. Errors name the tensor ("input 'x': expected
  /// f32[32,768], got f32[32,769]") or the failing dispatch and workgroup.
  /// With a `tracer`, every dispatch and region of the run is reported to
  /// it (see Tracing.h); without one, nothing is timed.
  Status run(Span<const TensorView> inputs,
             Span<const MutableTensorView> outputs, Tracer *tracer = nullptr);

  /// Allocates zeroed tensors matching the program's outputs.
  StatusOr<std::vector<Tensor>> allocateOutputs() const;

  /// The number of threads run() uses (1 with inline execution).
  int threadCount() const;
  /// The program this session runs.
  const Program &program() const;

private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_SESSION_H
