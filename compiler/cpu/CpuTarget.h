//===- CpuTarget.h - The CPU that kernels are compiled for ------*- C++ -*-===//

#ifndef KILN_COMPILER_CPU_CPUTARGET_H
#define KILN_COMPILER_CPU_CPUTARGET_H

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
};

/// The target for `cpu` ("host" for the compiling machine). Reports an error
/// through `diag` and returns failure for an unknown CPU.
mlir::FailureOr<CpuTarget> createCpuTarget(llvm::StringRef cpu,
                                           llvm::raw_ostream &diag);

/// CPU features that the runtime knows how to detect; the artifact lists
/// those the code was compiled to use.
llvm::ArrayRef<llvm::StringRef> runtimeCheckedFeatures();

} // namespace kiln

#endif // KILN_COMPILER_CPU_CPUTARGET_H
