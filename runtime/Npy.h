//===- Npy.h - Reading and writing NumPy .npy files -------------*- C++ -*-===//
//
// The .npy format: a magic string, a version, a Python-literal header dict
// ({'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }) and the raw
// data. Readable: format versions 1.0, 2.0 and 3.0, C order, little-endian
// descrs <f4 <f8 <f2 <i2 <i4 <i8 |i1 |u1 |b1. Written: version 1.0 (2.0 if
// the header would not fit), for every DType but bf16, which NumPy lacks.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_NPY_H
#define KILN_RUNTIME_NPY_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <string>

namespace kiln::rt {

/// Reads the .npy file at `path`. A malformed file yields an InvalidFormat
/// error naming the file and the problem.
StatusOr<Tensor> readNpy(const std::string &path);

/// Parses .npy bytes already in memory; `name` labels errors.
StatusOr<Tensor> parseNpy(const void *bytes, uint64_t size,
                          const std::string &name);

/// Writes `tensor` to `path` in .npy format 1.0. A failed write removes the
/// partial file.
Status writeNpy(const std::string &path, const TensorView &tensor);

} // namespace kiln::rt

#endif // KILN_RUNTIME_NPY_H
