//===- CpuFeatures.cpp - What the host CPU can execute --------------------===//
//
// Each feature is one cpuid bit plus, for the vector extensions, the state
// components the OS must have enabled in XCR0: a CPU with AVX-512 on a kernel
// that does not save ZMM registers cannot run AVX-512 code.
//
//===----------------------------------------------------------------------===//

#include "runtime/CpuFeatures.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace kiln::rt {

namespace {

enum Reg { EAX, EBX, ECX, EDX };

/// OS-enabled register state a feature needs (XCR0 bits).
enum XState : uint64_t {
  kNone = 0,
  kYmm = 0x6,        // SSE + AVX state.
  kZmm = 0x6 | 0xe0, // plus opmask, ZMM_Hi256, Hi16_ZMM.
  kTile = 0x60000,   // AMX tile config + data.
};

struct FeatureBit {
  const char *name;
  uint32_t leaf;
  uint32_t subleaf;
  Reg reg;
  uint32_t bit;
  uint64_t xstate;
};

// LLVM feature names (X86.td). Keep sorted by leaf for readability only.
constexpr FeatureBit kFeatures[] = {
    {"x87", 1, 0, EDX, 0, kNone},
    {"cx8", 1, 0, EDX, 8, kNone},
    {"cmov", 1, 0, EDX, 15, kNone},
    {"mmx", 1, 0, EDX, 23, kNone},
    {"fxsr", 1, 0, EDX, 24, kNone},
    {"sse", 1, 0, EDX, 25, kNone},
    {"sse2", 1, 0, EDX, 26, kNone},
    {"sse3", 1, 0, ECX, 0, kNone},
    {"pclmul", 1, 0, ECX, 1, kNone},
    {"ssse3", 1, 0, ECX, 9, kNone},
    {"fma", 1, 0, ECX, 12, kYmm},
    {"cx16", 1, 0, ECX, 13, kNone},
    {"sse4.1", 1, 0, ECX, 19, kNone},
    {"sse4.2", 1, 0, ECX, 20, kNone},
    {"crc32", 1, 0, ECX, 20, kNone},
    {"movbe", 1, 0, ECX, 22, kNone},
    {"popcnt", 1, 0, ECX, 23, kNone},
    {"aes", 1, 0, ECX, 25, kNone},
    {"xsave", 1, 0, ECX, 26, kNone},
    {"avx", 1, 0, ECX, 28, kYmm},
    {"f16c", 1, 0, ECX, 29, kYmm},
    {"rdrnd", 1, 0, ECX, 30, kNone},
    {"fsgsbase", 7, 0, EBX, 0, kNone},
    {"bmi", 7, 0, EBX, 3, kNone},
    {"avx2", 7, 0, EBX, 5, kYmm},
    {"bmi2", 7, 0, EBX, 8, kNone},
    {"avx512f", 7, 0, EBX, 16, kZmm},
    {"evex512", 7, 0, EBX, 16, kZmm},
    {"avx512dq", 7, 0, EBX, 17, kZmm},
    {"rdseed", 7, 0, EBX, 18, kNone},
    {"adx", 7, 0, EBX, 19, kNone},
    {"avx512ifma", 7, 0, EBX, 21, kZmm},
    {"clflushopt", 7, 0, EBX, 23, kNone},
    {"clwb", 7, 0, EBX, 24, kNone},
    {"avx512cd", 7, 0, EBX, 28, kZmm},
    {"sha", 7, 0, EBX, 29, kNone},
    {"avx512bw", 7, 0, EBX, 30, kZmm},
    {"avx512vl", 7, 0, EBX, 31, kZmm},
    {"avx512vbmi", 7, 0, ECX, 1, kZmm},
    {"avx512vbmi2", 7, 0, ECX, 6, kZmm},
    {"gfni", 7, 0, ECX, 8, kNone},
    {"vaes", 7, 0, ECX, 9, kYmm},
    {"vpclmulqdq", 7, 0, ECX, 10, kYmm},
    {"avx512vnni", 7, 0, ECX, 11, kZmm},
    {"avx512bitalg", 7, 0, ECX, 12, kZmm},
    {"avx512vpopcntdq", 7, 0, ECX, 14, kZmm},
    {"rdpid", 7, 0, ECX, 22, kNone},
    {"movdiri", 7, 0, ECX, 27, kNone},
    {"movdir64b", 7, 0, ECX, 28, kNone},
    {"avx512vp2intersect", 7, 0, EDX, 8, kZmm},
    {"serialize", 7, 0, EDX, 14, kNone},
    {"amx-bf16", 7, 0, EDX, 22, kTile},
    {"avx512fp16", 7, 0, EDX, 23, kZmm},
    {"amx-tile", 7, 0, EDX, 24, kTile},
    {"amx-int8", 7, 0, EDX, 25, kTile},
    {"avxvnni", 7, 1, EAX, 4, kYmm},
    {"avx512bf16", 7, 1, EAX, 5, kZmm},
    {"avxifma", 7, 1, EAX, 23, kYmm},
    {"xsaveopt", 0xd, 1, EAX, 0, kNone},
    {"xsavec", 0xd, 1, EAX, 1, kNone},
    {"xsaves", 0xd, 1, EAX, 3, kNone},
    {"sahf", 0x80000001, 0, ECX, 0, kNone},
    {"lzcnt", 0x80000001, 0, ECX, 5, kNone},
    {"sse4a", 0x80000001, 0, ECX, 6, kNone},
    {"prfchw", 0x80000001, 0, ECX, 8, kNone},
    {"xop", 0x80000001, 0, ECX, 11, kYmm},
    {"fma4", 0x80000001, 0, ECX, 16, kYmm},
    {"tbm", 0x80000001, 0, ECX, 21, kNone},
    {"64bit", 0x80000001, 0, EDX, 29, kNone},
};
constexpr size_t kNumFeatures = sizeof(kFeatures) / sizeof(kFeatures[0]);

/// LLVM feature strings may carry a leading '+'; it means "enabled".
std::string_view stripPlus(std::string_view name) {
  return !name.empty() && name[0] == '+' ? name.substr(1) : name;
}

/// Index of `name` in kFeatures, or kNumFeatures.
size_t findFeature(std::string_view name) {
  name = stripPlus(name);
  for (size_t i = 0; i < kNumFeatures; ++i) {
    if (name == kFeatures[i].name) {
      return i;
    }
  }
  return kNumFeatures;
}

#if defined(__x86_64__)
/// Registers of cpuid(leaf, subleaf); zeros if the leaf does not exist.
void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
  regs[0] = regs[1] = regs[2] = regs[3] = 0;
  uint32_t maxLeaf = __get_cpuid_max(leaf & 0x80000000, nullptr);
  if (leaf > maxLeaf) {
    return;
  }
  if (leaf == 7 && subleaf > 0) {
    // Leaf 7 reports its highest valid subleaf in EAX of subleaf 0.
    uint32_t max[4];
    __cpuid_count(7, 0, max[0], max[1], max[2], max[3]);
    if (subleaf > max[0]) {
      return;
    }
  }
  __cpuid_count(leaf, subleaf, regs[0], regs[1], regs[2], regs[3]);
}

/// The OS-enabled state components, or 0 if the OS does not use XSAVE.
uint64_t readXcr0() {
  uint32_t regs[4];
  cpuid(1, 0, regs);
  // OSXSAVE: the OS has enabled xgetbv and manages the extended state.
  if (!(regs[ECX] & (1u << 27))) {
    return 0;
  }
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}
#endif

} // namespace

/// Detected once per process; cpuid is slow in some virtual machines.
const CpuFeatures &CpuFeatures::host() {
  static const CpuFeatures features = [] {
    CpuFeatures result;
    result.bits.assign(kNumFeatures, false);
#if defined(__x86_64__)
    uint64_t xcr0 = readXcr0();
    for (size_t i = 0; i < kNumFeatures; ++i) {
      const FeatureBit &f = kFeatures[i];
      uint32_t regs[4];
      cpuid(f.leaf, f.subleaf, regs);
      bool cpuHas = (regs[f.reg] >> f.bit) & 1;
      bool osHas = (xcr0 & f.xstate) == f.xstate;
      result.bits[i] = cpuHas && osHas;
    }
#endif
    return result;
  }();
  return features;
}

std::vector<std::string> CpuFeatures::knownNames() {
  std::vector<std::string> names;
  for (const FeatureBit &f : kFeatures) {
    names.push_back(f.name);
  }
  return names;
}

bool CpuFeatures::isKnown(std::string_view name) {
  return findFeature(name) < kNumFeatures;
}

bool CpuFeatures::has(std::string_view name) const {
  size_t index = findFeature(name);
  return index < kNumFeatures && bits[index];
}

std::vector<std::string> CpuFeatures::present() const {
  std::vector<std::string> names;
  for (size_t i = 0; i < kNumFeatures; ++i) {
    if (bits[i]) {
      names.push_back(kFeatures[i].name);
    }
  }
  return names;
}

/// Unknown names are refused rather than ignored: a feature the runtime
/// cannot check might be one the code needs.
Status CpuFeatures::checkRequired(Span<const std::string> required) const {
  for (const std::string &name : required) {
    size_t index = findFeature(name);
    if (index == kNumFeatures) {
      return makeError(StatusCode::Unsupported, "unknown CPU feature '", name,
                       "' (this runtime cannot check it)");
    }
    if (!bits[index]) {
      return makeError(StatusCode::Unsupported,
                       "artifact requires CPU feature '", stripPlus(name),
                       "' which this CPU lacks");
    }
  }
  return Status();
}

/// Compares the architecture component exactly and looks for a Linux OS
/// component, which covers -linux-gnu, -linux-musl and -unknown-linux.
Status checkHostTriple(const std::string &triple) {
#if defined(__x86_64__)
  const std::string arch = "x86_64";
#elif defined(__aarch64__)
  const std::string arch = "aarch64";
#else
  const std::string arch = "unknown";
#endif
  std::string tripleArch = triple.substr(0, triple.find('-'));
  if (tripleArch != arch) {
    return makeError(StatusCode::Unsupported, "target triple '", triple,
                     "' is for ", tripleArch, ", but this host is ", arch);
  }
  if (triple.find("-linux") == std::string::npos) {
    return makeError(StatusCode::Unsupported, "target triple '", triple,
                     "' is not a Linux triple");
  }
  return Status();
}

} // namespace kiln::rt
