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

/// The panels of a row-major tensor [G.., N, K] (rank >= 2), whose
/// leading dims are groups of [N, K] matrices, in panels of p.
struct PanelGrid {
  int64_t groups, n, k, p;

  PanelGrid(const int64_t *shape, size_t rank, int64_t p)
      : groups(1), n(shape[rank - 2]), k(shape[rank - 1]), p(p) {
    for (size_t d = 0; d + 2 < rank; ++d) {
      groups *= shape[d];
    }
  }

  int64_t panelsPerMatrix() const { return (n + p - 1) / p; }
  /// Panels in all: copy() takes indices [0, count()).
  int64_t count() const { return groups * panelsPerMatrix(); }
  /// Floats of the stored layout.
  size_t size() const { return static_cast<size_t>(count() * p * k); }
  /// Panel `index` (matrix index / panelsPerMatrix()) by copyPanel.
  void copy(const float *declared, int64_t index, float *panels) const {
    copyPanel(declared, index / panelsPerMatrix(), index % panelsPerMatrix(), n,
              k, p, panels);
  }
};

/// `declared` of shape `shape` (PanelGrid) as panels, into `panels`
/// (resized; its memory reused): every panel of copyPanel, in order.
inline void toPanelsInto(const std::vector<float> &declared,
                         const int64_t *shape, size_t rank, int64_t p,
                         std::vector<float> &panels) {
  PanelGrid grid(shape, rank, p);
  panels.resize(grid.size());
  for (int64_t i = 0; i < grid.count(); ++i) {
    grid.copy(declared.data(), i, panels.data());
  }
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
