//===- CpuTarget.h - The CPU that kernels are compiled for ------*- C++ -*-===//

#ifndef KILN_COMPILER_CPU_CPUTARGET_H
#define KILN_COMPILER_CPU_CPUTARGET_H

#include "compiler/Pipeline.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>
#include <vector>

namespace kiln {

/// Where kernels run: an LLVM target machine plus what the artifact records
/// about it.
struct CpuTarget {
  std::string triple;
  std::string cpu;
  /// Enabled LLVM feature names that the runtime can check (see
  /// runtimeCheckedFeatures()).
  std::vector<std::string> requiredFeatures;
  std::unique_ptr<llvm::TargetMachine> machine;
  /// The LLVM target and subtarget features `machine` was made from.
  const llvm::Target *llvmTarget = nullptr;
  std::string features;
  /// How the kernels use its vector registers (kernelBlockingFor).
  KernelBlocking blocking;

  /// Another target machine like `machine`, for a thread of its own: LLVM's
  /// code generation may not run on one target machine from two threads.
  std::unique_ptr<llvm::TargetMachine> createMachine() const;
};

/// The target for `cpu` ("host" for the compiling machine). Reports an error
/// through `diag` and returns failure for an unknown CPU.
mlir::FailureOr<CpuTarget> createCpuTarget(llvm::StringRef cpu,
                                           llvm::raw_ostream &diag);

/// The kernels' blocking on a CPU with or without AVX-512:
///  - AVX-512, 32 registers of 16 lanes: 8 x 32 register blocks (16
///    accumulators), depth blocks of 512, panels of 32 columns (tuned on
///    Zen 4, whose 512-bit FMAs issue one a cycle: the AMD `znver*` CPUs
///    and the generic `x86-64-v4`);
///  - AVX-512 on the Intel cores (every other CPU name: two 512-bit FMA
///    pipes, twice Zen 4's rate per cycle): 14 x 32 blocks (28
///    accumulators), depth blocks of 1024, the depth loop unrolled by 4
///    (docs/compiler.md, "GEMM blocking on Intel AVX-512");
///  - otherwise (AVX2), 16 registers of 8 lanes: 6 x 16 blocks (12
///    accumulators, 2 vectors of B, 1 broadcast of A), depth blocks of 256
///    (a 16 KiB slab of B and 6 KiB of A in a 32 KiB L1), panels of 16
///    columns, so that a slab is contiguous. An 8 x 32 block there needs
///    32 accumulators in 16 registers: it spilled, and GEMMs ran at a
///    third of OpenBLAS's speed.
KernelBlocking kernelBlockingFor(bool avx512, llvm::StringRef cpu);

/// Whether `cpu` (an LLVM CPU name) takes the Intel AVX-512 blocking: not an
/// AMD `znver*` and not a generic `x86-64*` level.
bool usesIntelBlocking(llvm::StringRef cpu);

/// CPU features that the runtime knows how to detect; the artifact lists
/// those the code was compiled to use.
llvm::ArrayRef<llvm::StringRef> runtimeCheckedFeatures();

} // namespace kiln

#endif // KILN_COMPILER_CPU_CPUTARGET_H
