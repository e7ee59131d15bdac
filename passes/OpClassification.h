//===- OpClassification.h - What kind of computation a linalg op is -*- C++
//-*-//
//
// Dispatch formation, tiling and code generation agree on three kinds of
// linalg op, all with the leading loops of their operands as the leading
// parallel loops (see LowerToLinalg.cpp):
//  - GEMM contractions  C[batch.., m, n] += A[.., m, .., k] * B[.., k, .., n]
//                       (or B[.., n, .., k]); A's other dims are batch dims
//                       in any order, B's other dims functions of them,
//  - row reductions     r[lead..] = reduce over the last loop,
//  - elementwise ops    all loops parallel.
//
// Any of them may carry a row limit: the attribute `kiln.row_limit` (unit,
// or an i64: the rows the producer expects below the count on average) and,
// as its last input, a rank-0 integer count read through the map
// `(d..) -> ()`. Only the result rows below the count (rows are the
// second-to-last dim of the result) are wanted; the others may hold
// anything. Grouped MoE expert GEMMs use it: their rows are the tokens
// routed to one expert, a number known only at run time, in a buffer sized
// for all tokens. Workgroup tiling skips tiles past the count and GEMM code
// generation stops at it; so do the elementwise ops that read the GEMM's
// rows in its workgroup, which tiling gives the limit too
// (kiln-cpu-limit-row-loops). Workgroup tile selection sizes the row tiles of
// a GEMM by the expected rows, so that a typical count fits one tile.
//
// Or a key limit: the attribute `kiln.key_end = array<i64: key>` naming the
// key loop and, as the last input, integer key ends indexed by the op's
// other loops (per query row: `[B, Sq]` read as (b, .., i, ..) -> (b, i)):
// the iteration points whose key is at or past their row's end are masked,
// so nothing needs computing there (a parallel key loop leaves those
// outputs unspecified; a reduction over the key loop skips them, the
// producer having made them neutral: -inf for a max, 0 for a sum).
// Attention uses it for causal masks, padding lengths and row spans: the
// kernels skip the key tiles past the last end of their rows. Workgroup
// tiles must hold all the keys of their rows.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_OPCLASSIFICATION_H
#define KILN_PASSES_OPCLASSIFICATION_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include <optional>

namespace kiln {

/// How a GEMM contraction reads its operands.
struct GemmOperands {
  /// Operand numbers of A (rows x K) and B.
  unsigned lhs = 0, rhs = 1;
  /// Position of the row dim m among A's results (k is the last one).
  unsigned lhsRowPos = 0;
  /// Positions of k and n among B's results (B's other results are
  /// functions of batch dims only), when B is not in panels.
  unsigned rhsKPos = 0, rhsNPos = 1;
  /// True when n comes before k in B (B[n, k], the checkpoint [out, in]
  /// layout).
  bool rhsTransposed = false;
  /// Non-zero when B is read from panels of this width (kiln.param's
  /// `panel` layout): B[n floordiv p, k, n mod p], possibly after leading
  /// batch dims (attention's values: B[b, h, n floordiv p, k, n mod p]).
  int64_t rhsPanel = 0;
};

/// The attribute marking a contraction that is rows of dot products, not a
/// GEMM (a linear layer with a handful of outputs): matchGemm refuses it,
/// and it lowers as a row reduction along K.
inline constexpr llvm::StringLiteral kDotRowsAttr = "kiln.dot_rows";

/// The attribute marking a row-limited op.
inline constexpr llvm::StringLiteral kRowLimitAttr = "kiln.row_limit";

/// The attribute (i64) giving the scalar steps one element of an op's
/// result costs when its body loops over whole rows (top_k's selection
/// passes): workgroup tiles are sized by work, not by elements.
inline constexpr llvm::StringLiteral kElementCostAttr = "kiln.element_cost";

/// The count operand of a row-limited op, or null.
mlir::OpOperand *rowLimitOperand(mlir::linalg::LinalgOp op);

/// The attribute (unit) marking an op that starts a dispatch of its own:
/// dispatch formation never joins it to an earlier group, whose operands
/// would then live until it runs (the MoE lowering's sums of later groups
/// of experts, which would otherwise join the first group's sum).
inline constexpr llvm::StringLiteral kStartsDispatchAttr =
    "kiln.starts_dispatch";

/// The rows a row-limited op expects below its count, when it says.
std::optional<int64_t> expectedRowCount(mlir::Operation *op);

/// The attribute naming an attention op's part: "scores", "mask", "max",
/// "sum", "probs" or "pv" (the product with V). Dispatch formation puts the
/// parts in one dispatch and kiln-cpu-flash-attention rewrites them into
/// an online softmax over blocks of keys.
inline constexpr llvm::StringLiteral kAttentionPartAttr = "kiln.attention_part";

/// On an attention's mask op with a key limit: the keys visible to a row
/// are exactly [begin, end), end its key end and begin the input this
/// array names (`array<i64: n>`, read by (batch, query row) like the ends)
/// or 0 (`array<i64>`). Key blocks before every begin of a tile need no
/// computing and blocks inside every row's range no mask work.
inline constexpr llvm::StringLiteral kVisibleRangeAttr = "kiln.visible_range";
/// On an attention's mask op: the factor it scales the scores by, when it
/// does (the scale applies to the scores, not the query).
inline constexpr llvm::StringLiteral kScoreScaleAttr = "kiln.score_scale";

/// Keys per panel of attention's keys and values as the attention lowering
/// lays them out: the GEMM kernel's widest nr (kiln-cpu-lower-contractions
/// reads panels of whole register blocks).
inline constexpr int64_t kAttentionKeyPanel = 32;
/// Keys per block of kiln-cpu-flash-attention's online softmax, at most.
inline constexpr int64_t kAttentionKeyBlock = 256;

/// Keys per block of kiln-cpu-flash-attention's online softmax over `keys`
/// keys: all of them up to 320; else the largest multiple of 32 in [128,
/// 256] that divides `keys`, else 256, and the keys past the last whole
/// block (`keys` mod the block) form a last, narrower block. Every whole
/// block is whole key panels, so the flash loop can slice keys laid out in
/// panels (AttentionPattern.cpp).
int64_t attentionKeyBlock(int64_t keys);

/// The attribute marking an op with a key limit.
inline constexpr llvm::StringLiteral kKeyEndAttr = "kiln.key_end";

/// On a contraction of a decoding step's flash loop (keys read in place):
/// the rows of B this many keys on, B[n + d, ..] for dot products over
/// B[n, k] (kiln-cpu-lower-dot-products) and B[k + d, ..] for GEMMs over
/// B[k, n] (kiln-cpu-lower-contractions), are prefetched into L2 as the
/// kernel reads B's rows: the next key block arrives while this one
/// computes, one row per key step rather than all at once.
inline constexpr llvm::StringLiteral kPrefetchAheadAttr = "kiln.prefetch_ahead";

/// Under kPrefetchAheadAttr, the rows this many keys on are prefetched
/// too: keys and values read in place are `Hkv dh` floats apart, so a
/// head's lines fall on few sets of L2 (1/8 of them at 4 KiB, 1/32 at 16
/// KiB), and the rows a flash block ahead are evicted to L3 before they
/// are read; these come back into L2 in time (docs/attention.md,
/// "Decoding").
inline constexpr int64_t kNearPrefetchRows = 32;

/// The key loop and the key ends of an op with a key limit.
struct KeyLimit {
  unsigned keyLoop = 0;
  mlir::OpOperand *ends = nullptr;
};

/// The key limit of `op`, if it has one.
std::optional<KeyLimit> keyLimit(mlir::linalg::LinalgOp op);

/// The indices of `ends` at the loop indices `ivs` (its map's results are
/// loops, so this is a selection of `ivs`).
llvm::SmallVector<mlir::Value> keyEndIndices(mlir::linalg::LinalgOp op,
                                             const KeyLimit &limit,
                                             mlir::ValueRange ivs);

/// A memref `operand` that an op reads through `map`, restricted along the
/// loop `loop` (a key loop, or rows) to [offset, offset + size): a subview,
/// or `operand` itself when the map does not read that loop. An operand in
/// panels of the loop (`i floordiv p` and `i mod p`, attention's keys of
/// wide heads) is restricted to the panels from offset / p, the first
/// `size` indices' worth: `offset` must be a multiple of p.
mlir::Value loopRangeView(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value operand, mlir::AffineMap map,
                          unsigned loop, mlir::OpFoldResult offset,
                          mlir::OpFoldResult size);

/// Rewrites the elementwise `op` (on memrefs) to run its loop `loop` over
/// [0, bound) only: every operand that the loop indexes becomes a view of
/// that many elements there (loopRangeView). The new op keeps the old one's
/// attributes but `dropped` (the limit just applied).
void boundLoop(mlir::linalg::GenericOp op, unsigned loop, mlir::Value bound,
               llvm::StringRef dropped);

/// The loop that is the rows (the second-to-last dim) of every result of
/// `op`, if there is one.
std::optional<unsigned> resultRowLoop(mlir::linalg::LinalgOp op);

/// Matches `C[batch.., m, n] += A[.., m, .., k] * B[.., k, .., n]` (B may
/// also be `B[.., n, .., k]` or in panels) with a `mulf` + `addf` body and
/// the reduction as the last loop. Batch dims of A and B may be permuted
/// (attention reads heads from the middle of [batch, seq, heads, dim]). A
/// row limit or a key limit may follow A and B.
std::optional<GemmOperands> matchGemm(mlir::linalg::LinalgOp op);

/// True for an op whose only reduction loop is the last one and whose
/// result is indexed by all other loops in order.
bool isRowReduction(mlir::linalg::LinalgOp op);

/// True for an op whose loops are all parallel.
bool isElementwise(mlir::linalg::LinalgOp op);

/// What workgroup tile sizes of dim `resultDim` of a dispatch's tiled shape
/// (rank `rank`, `size` in that dim) must be multiples of, for the linalg
/// ops under `root`. Tiling gives an op a slice at offset map(tile offset)
/// and reuses its indexing maps on tile-local indices, which is right only
/// where the maps are translation invariant: `d floordiv q` and `d mod q`
/// (an image row of q patches, in patch_embed's im2col) are for offsets
/// that are multiples of q. Ops whose results have another rank, or
/// another size in `resultDim` (a GEMM's A, read whole along K), are tiled
/// whole in it and add nothing.
int64_t tileMultiple(mlir::Operation *root, size_t rank, unsigned resultDim,
                     int64_t size);

} // namespace kiln

#endif // KILN_PASSES_OPCLASSIFICATION_H
