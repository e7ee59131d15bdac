//===- SharedObjectLinker.h - Link objects with lld -------------*- C++ -*-===//

#ifndef KILN_COMPILER_CPU_SHAREDOBJECTLINKER_H
#define KILN_COMPILER_CPU_SHAREDOBJECTLINKER_H

#include "mlir/Support/LLVM.h"

#include <vector>

namespace kiln {

/// Links ELF relocatable objects into a freestanding shared object with the
/// lld library: no libraries, no undefined symbols, immediate binding.
/// Returns the shared object's bytes; on failure, lld's messages go to
/// `diag`.
mlir::FailureOr<std::vector<char>>
linkSharedObject(const std::vector<std::vector<char>> &objects,
                 llvm::StringRef soname, llvm::raw_ostream &diag);

} // namespace kiln

#endif // KILN_COMPILER_CPU_SHAREDOBJECTLINKER_H
