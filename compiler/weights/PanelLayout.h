//===- PanelLayout.h - GEMM weights stored as panels ------------*- C++ -*-===//
//
// A linear weight declared [N, K] (checkpoint layout: rows are outputs) is
// stored for GEMM kernels as ceil(N / p) panels of K x p: panel i holds rows
// i*p .. i*p+p-1 of the weight as its columns, so that a kernel computing p
// output columns streams one contiguous panel; when p does not divide N,
// the last panel's lanes past N are zeros. A batched weight [G.., N, K]
// (per-head projections) is stored as [G.., ceil(N / p), K, p], each [N, K]
// matrix on its own. See kiln.param's `panel` and `panel_columns`.
//
// Header-only and free of LLVM: the artifact writer and the reference
// interpreter share it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_WEIGHTS_PANELLAYOUT_H
#define KILN_COMPILER_WEIGHTS_PANELLAYOUT_H

#include <cstdint>
#include <vector>

namespace kiln {

/// Panel `panel` of matrix `g` (0 <= panel < ceil(n / p)) of `declared`
/// ([groups, n, k], row-major) into `panels`, sized for ceil(n / p) * p * k
/// floats per matrix: panels[g][panel][kk][j] = declared[g][panel * p +
/// j][kk], and 0 where panel * p + j >= n. Panels are independent: a caller
/// may fill them in any order or at once.
inline void copyPanel(const float *declared, int64_t g, int64_t panel,
                      int64_t n, int64_t k, int64_t p, float *panels) {
  int64_t padded = (n + p - 1) / p * p;
  const float *from = declared + (g * n + panel * p) * k;
  float *to = panels + (g * padded + panel * p) * k;
  int64_t rows = n - panel * p < p ? n - panel * p : p;
  for (int64_t lane = 0; lane < rows; ++lane) {
    for (int64_t kk = 0; kk < k; ++kk) {
      to[kk * p + lane] = from[lane * k + kk];
    }
  }
  for (int64_t kk = 0; rows < p && kk < k; ++kk) {
    for (int64_t lane = rows; lane < p; ++lane) {
      to[kk * p + lane] = 0.0f;
    }
  }
}

/// `declared` ([groups, n, k], row-major) as panels, into `panels`
/// (resized; its memory reused): every panel of copyPanel, in order.
inline void toPanelsInto(const std::vector<float> &declared, int64_t groups,
                         int64_t n, int64_t k, int64_t p,
                         std::vector<float> &panels) {
  int64_t count = (n + p - 1) / p;
  panels.resize(groups * count * p * k);
  for (int64_t g = 0; g < groups; ++g) {
    for (int64_t panel = 0; panel < count; ++panel) {
      copyPanel(declared.data(), g, panel, n, k, p, panels.data());
    }
  }
}

/// toPanelsInto over the matrices of a row-major tensor of shape `shape`
/// ([G.., N, K], `rank` >= 2): the leading dims are the groups.
inline void toPanelsInto(const std::vector<float> &declared,
                         const int64_t *shape, size_t rank, int64_t p,
                         std::vector<float> &panels) {
  int64_t groups = 1;
  for (size_t d = 0; d + 2 < rank; ++d) {
    groups *= shape[d];
  }
  toPanelsInto(declared, groups, shape[rank - 2], shape[rank - 1], p, panels);
}

/// The same as a new vector.
inline std::vector<float> toPanels(const std::vector<float> &declared,
                                   const int64_t *shape, size_t rank,
                                   int64_t p) {
  std::vector<float> panels;
  toPanelsInto(declared, shape, rank, p, panels);
  return panels;
}

} // namespace kiln

#endif // KILN_COMPILER_WEIGHTS_PANELLAYOUT_H
