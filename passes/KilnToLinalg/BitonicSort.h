//===- BitonicSort.h - Rows of keys sorted by a sorting network -*- C++ -*-===//
//
// Part of Kiln: top_k's sort of many members (TopKPattern.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_KILNTOLINALG_BITONICSORT_H
#define KILN_PASSES_KILNTOLINALG_BITONICSORT_H

#include "mlir/IR/Value.h"

namespace kiln {

class GenericBuilder;

/// `keys` ([rows.., P] of i64, P a power of two) with each row sorted by
/// descending unsigned value, as generics of Batcher's bitonic network:
/// log2(P) (log2(P) + 1) / 2 stages, up to three of a merge's in one
/// generic, each reading keys at indices that depend on the slot alone.
mlir::Value sortRowsDescending(GenericBuilder &g, mlir::Value keys);

} // namespace kiln

#endif // KILN_PASSES_KILNTOLINALG_BITONICSORT_H
