//===- ProgressPrinter.cpp - kiln-compile's progress lines ----------------===//

#include "tools/kiln-compile/ProgressPrinter.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

namespace kiln {

ProgressPrinter::ProgressPrinter(llvm::raw_ostream &os, Clock::time_point start,
                                 double thresholdSeconds, bool enabled)
    : os(os), threshold(thresholdSeconds), enabled(enabled), start(start) {}

double ProgressPrinter::elapsed() const {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// `bytes` in the unit that suits `scale`: "12.3 GiB", "204.6 MiB".
static std::string formatSize(uint64_t bytes, uint64_t scale) {
  bool gib = scale >= (uint64_t(1) << 30);
  return llvm::formatv("{0:F1} {1}", bytes / (gib ? 1073741824.0 : 1048576.0),
                       gib ? "GiB" : "MiB")
      .str();
}

bool ProgressPrinter::print(llvm::StringRef message) {
  double now = elapsed();
  if (!enabled || now < threshold) {
    return false;
  }
  os << llvm::formatv("kiln-compile: [{0:F1} s] {1}\n", now, message);
  return true;
}

void ProgressPrinter::report(const CompileProgress &progress) {
  switch (progress.stage) {
  case CompileProgress::Stage::Graph:
    print("running the graph pipeline...");
    return;
  case CompileProgress::Stage::Kernels: {
    if (progress.done == 0) {
      print(llvm::formatv("compiling {0} executables ({1} dispatches)...",
                          progress.total, progress.dispatches)
                .str());
      return;
    }
    // One line per interval, and always the last.
    double interval = std::min(threshold, 1.0);
    if (progress.done < progress.total &&
        elapsed() - lastKernelLine < interval) {
      return;
    }
    if (print(llvm::formatv("kernels {0}/{1}", progress.done, progress.total)
                  .str())) {
      lastKernelLine = elapsed();
    }
    return;
  }
  case CompileProgress::Stage::Link:
    print("linking the kernels...");
    return;
  case CompileProgress::Stage::Write:
    if (progress.total == 0) {
      lastWriteLine = elapsed();
      print("writing the artifact...");
      return;
    }
    // Weights worth a line a second: a model of many GiB.
    if (elapsed() - lastWriteLine >= 1.0 &&
        print(llvm::formatv("weights {0} of {1}",
                            formatSize(progress.done, progress.total),
                            formatSize(progress.total, progress.total))
                  .str())) {
      lastWriteLine = elapsed();
    }
    return;
  }
}

void ProgressPrinter::finish(llvm::StringRef what) {
  double now = elapsed();
  if (enabled && now >= threshold) {
    os << llvm::formatv("kiln-compile: wrote {0} in {1:F1} s\n", what, now);
  }
}

} // namespace kiln
