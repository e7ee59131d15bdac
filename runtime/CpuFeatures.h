//===- CpuFeatures.h - What the host CPU can execute ------------*- C++ -*-===//
//
// Artifacts list the CPU features their code needs by LLVM feature name
// ("avx2", "avx512f", "fma", ...). This class answers, from cpuid and
// xgetbv, whether the host CPU and operating system support each one, so
// that an artifact compiled for a newer CPU is refused with a message
// instead of dying on an illegal instruction.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CPUFEATURES_H
#define KILN_RUNTIME_CPUFEATURES_H

#include "runtime/Span.h"
#include "runtime/Status.h"

#include <string>
#include <string_view>
#include <vector>

namespace kiln::rt {

/// The set of features of one CPU, by LLVM feature name.
class CpuFeatures {
public:
  /// The features of the CPU this process runs on (detected once).
  static const CpuFeatures &host();

  /// Every feature name this runtime can check, in a fixed order.
  static std::vector<std::string> knownNames();
  /// Whether `name` (optionally prefixed with '+') is a known feature name.
  static bool isKnown(std::string_view name);

  /// Whether the CPU has the feature; false for unknown names.
  bool has(std::string_view name) const;
  /// The names of every known feature the CPU has.
  std::vector<std::string> present() const;

  /// Checks that every feature in `required` is known and present. Errors
  /// name the feature: "artifact requires CPU feature 'avx512f' which this
  /// CPU lacks" or "unknown CPU feature 'foo'".
  Status checkRequired(Span<const std::string> required) const;

private:
  CpuFeatures() = default;
  /// Bit i is set when the i-th known feature is present.
  std::vector<bool> bits;
};

/// Checks that code compiled for `triple` can run on this host: the
/// architecture must match and the OS must be Linux.
Status checkHostTriple(const std::string &triple);

} // namespace kiln::rt

#endif // KILN_RUNTIME_CPUFEATURES_H
