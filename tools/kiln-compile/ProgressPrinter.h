//===- ProgressPrinter.h - kiln-compile's progress lines --------*- C++ -*-===//
//
// A long compile says what it is doing, on stderr:
//
//   kiln-compile: [1.4 s] kernels 7/14
//   kiln-compile: [2.9 s] kernels 13/14
//   kiln-compile: [3.0 s] kernels 14/14
//   kiln-compile: [3.0 s] linking the kernels...
//   kiln-compile: [3.0 s] writing the artifact...
//   kiln-compile: wrote qformer.kbin (30 dispatches, 74.7 MiB) in 4.0 s
//
// Nothing is printed until the compile has run for the threshold (1 s by
// default), so short compiles (and lit tests) stay quiet; a stage that
// started earlier is not announced late. Kernel counts are printed at most
// once a second (once per threshold if that is shorter), and the last one
// always.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_COMPILE_PROGRESSPRINTER_H
#define KILN_TOOLS_KILN_COMPILE_PROGRESSPRINTER_H

#include "compiler/cpu/KernelCompiler.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace kiln {

/// Prints progress lines of one compile (see above).
class ProgressPrinter {
public:
  using Clock = std::chrono::steady_clock;

  /// Prints to `os` once `thresholdSeconds` have passed since `start`, unless
  /// `enabled` is false.
  ProgressPrinter(llvm::raw_ostream &os, Clock::time_point start,
                  double thresholdSeconds, bool enabled);

  /// Prints a line for `progress` if the compile is long enough.
  void report(const CompileProgress &progress);

  /// Prints the final line, "wrote `what` in T s", if the compile is long
  /// enough.
  void finish(llvm::StringRef what);

private:
  /// Seconds since `start`.
  double elapsed() const;
  /// Prints `message` after the elapsed time; false if it is too early.
  bool print(llvm::StringRef message);

  llvm::raw_ostream &os;
  double threshold;
  bool enabled;
  Clock::time_point start;
  /// When the last kernel count was printed (seconds since `start`).
  double lastKernelLine = -1;
  /// When the write stage started or last printed a line.
  double lastWriteLine = 0;
};

} // namespace kiln

#endif // KILN_TOOLS_KILN_COMPILE_PROGRESSPRINTER_H
