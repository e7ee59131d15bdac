//===- CpuLowerRowReductions.cpp - Row reductions with accumulators in registers
//-===//
//
// convert-linalg-to-loops turns a reduction into a loop that loads the
// accumulator from the output buffer, combines and stores it back on every
// iteration; LLVM cannot keep it in a register (the output may alias the
// inputs, as far as it knows) and so cannot vectorize the loop: attention's
// softmax and every norm's statistics ran at a few elements per nanosecond.
// This pass lowers each row reduction on memrefs (all loops parallel but
// the last, see OpClassification.h) to loops whose innermost one carries
// the accumulators as loop values, with the combiner marked `reassoc` so
// that LLVM's loop vectorizer may keep vector partial results:
//
//   scf.for %p0 ... scf.for %pn {            // the parallel loops
//     %init = memref.load %out[...]
//     %acc = scf.for %r ... iter_args(%a = %init) {
//       %x = memref.load %in[map(%p.., %r)]
//       ... the generic's body, linalg.index -> loop indices ...
//       %n = arith.addf %a, %y fastmath<reassoc>
//       scf.yield %n
//     }
//     memref.store %acc, %out[...]
//   }
//
// The order of the combination is fixed at compile time: results never
// depend on the thread count. Under a key limit (OpClassification.h) the
// key loop of each row stops at the row's key end: the reduction loop (a
// softmax step) or a parallel loop outside it (attention's scores as dot
// products).
//
//===----------------------------------------------------------------------===//

#include "passes/OpClassification.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace kiln {
#define GEN_PASS_DEF_CPULOWERROWREDUCTIONSPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Marks `op` reassociable when it combines the accumulator `acc`.
void allowReassociation(Operation *op, Value acc) {
  auto fastMath = dyn_cast_if_present<arith::ArithFastMathInterface>(op);
  if (!fastMath || !llvm::is_contained(op->getOperands(), acc) ||
      !isa<arith::AddFOp, arith::MulFOp, arith::MaximumFOp, arith::MinimumFOp>(
          op)) {
    return;
  }
  auto flags = fastMath.getFastMathFlagsAttr().getValue() |
               arith::FastMathFlags::reassoc;
  op->setAttr(fastMath.getFastMathAttrName(),
              arith::FastMathFlagsAttr::get(op->getContext(), flags));
}

/// The indices operand `operand` of `op` has at the loop indices `ivs`.
SmallVector<Value> indicesOf(OpBuilder &b, Location loc, linalg::GenericOp op,
                             OpOperand &operand, ValueRange ivs) {
  AffineMap map = op.getMatchingIndexingMap(&operand);
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      indices.push_back(ivs[dim.getPosition()]);
    } else {
      indices.push_back(affine::AffineApplyOp::create(
          b, loc, AffineMap::get(map.getNumDims(), 0, expr), ivs));
    }
  }
  return indices;
}

Value loadOperand(OpBuilder &b, Location loc, linalg::GenericOp op,
                  OpOperand &operand, ValueRange ivs) {
  return memref::LoadOp::create(b, loc, operand.get(),
                                indicesOf(b, loc, op, operand, ivs));
}

void lower(linalg::GenericOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned loops = ranges.size();
  Block &body = op->getRegion(0).front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  unsigned inputs = op.getNumDpsInputs();
  std::optional<KeyLimit> limit = keyLimit(op);

  // The row's key end, where the loops `ivs` (the rest at 0) are.
  auto rowEnd = [&](ArrayRef<Value> ivs) -> Value {
    SmallVector<Value> all(ivs);
    all.resize(loops, arith::ConstantIndexOp::create(b, loc, 0));
    return arith::IndexCastOp::create(
        b, loc, b.getIndexType(),
        memref::LoadOp::create(b, loc, limit->ends->get(),
                               keyEndIndices(op, *limit, all)));
  };

  // The parallel loops, outermost first; a key loop among them stops at
  // its row's end (attention's scores as dot products: the loops that
  // index the ends are outside it).
  SmallVector<Value> ivs;
  std::function<void(unsigned)> nest = [&](unsigned depth) {
    if (depth + 1 < loops) {
      Value upper = arith::ConstantIndexOp::create(b, loc, ranges[depth]);
      if (limit && limit->keyLoop == depth) {
        upper = arith::MinSIOp::create(b, loc, upper, rowEnd(ivs));
      }
      scf::ForOp::create(
          b, loc, arith::ConstantIndexOp::create(b, loc, 0), upper,
          arith::ConstantIndexOp::create(b, loc, 1), ValueRange{},
          [&](OpBuilder &nb, Location, Value iv, ValueRange) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
            ivs.push_back(iv);
            nest(depth + 1);
            ivs.pop_back();
            scf::YieldOp::create(b, loc);
          });
      return;
    }
    // Accumulators: the outputs at the row (the reduced index is not in
    // their maps; 0 stands for it).
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    SmallVector<Value> rowIvs(ivs);
    rowIvs.push_back(zero);
    SmallVector<Value> inits;
    for (OpOperand &init : op.getDpsInitsMutable()) {
      inits.push_back(loadOperand(b, loc, op, init, rowIvs));
    }
    Value end = arith::ConstantIndexOp::create(b, loc, ranges.back());
    if (limit && limit->keyLoop + 1 == loops) {
      end = arith::MinSIOp::create(b, loc, end, rowEnd(ivs));
    }
    auto reduce = scf::ForOp::create(
        b, loc, zero, end, arith::ConstantIndexOp::create(b, loc, 1), inits,
        [&](OpBuilder &nb, Location, Value r, ValueRange accs) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          SmallVector<Value> all(ivs);
          all.push_back(r);
          IRMapping mapping;
          for (unsigned i = 0; i < inputs; ++i) {
            mapping.map(
                body.getArgument(i),
                loadOperand(b, loc, op, *op.getDpsInputOperand(i), all));
          }
          for (auto [i, acc] : llvm::enumerate(accs)) {
            mapping.map(body.getArgument(inputs + i), acc);
          }
          for (Operation &nested : body.without_terminator()) {
            if (auto index = dyn_cast<linalg::IndexOp>(nested)) {
              mapping.map(index.getResult(), all[index.getDim()]);
              continue;
            }
            b.clone(nested, mapping);
          }
          SmallVector<Value> next;
          for (auto [i, value] : llvm::enumerate(yield.getValues())) {
            Value mapped = mapping.lookupOrDefault(value);
            allowReassociation(mapped.getDefiningOp(), accs[i]);
            next.push_back(mapped);
          }
          scf::YieldOp::create(b, loc, next);
        });
    for (auto [init, result] :
         llvm::zip(op.getDpsInitsMutable(), reduce.getResults())) {
      memref::StoreOp::create(b, loc, result, init.get(),
                              indicesOf(b, loc, op, init, rowIvs));
    }
  };
  nest(0);
  op.erase();
}

struct CpuLowerRowReductionsPass
    : kiln::impl::CpuLowerRowReductionsPassBase<CpuLowerRowReductionsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> reductions;
    getOperation().walk([&](linalg::GenericOp op) {
      // GEMMs are kiln-cpu-lower-contractions', except those reading B as
      // B[n, k], which are dot products along k here.
      std::optional<GemmOperands> gemm = matchGemm(op);
      if (!op.hasPureBufferSemantics() || !isRowReduction(op) ||
          (gemm && !gemm->rhsTransposed) || op.hasDynamicShape() ||
          op.getNumLoops() < 1) {
        return;
      }
      // A key loop must be outside the loops that index the row ends.
      std::optional<KeyLimit> limit = keyLimit(op);
      if (limit && limit->keyLoop + 1 != op.getNumLoops() &&
          !llvm::all_of(op.getMatchingIndexingMap(limit->ends).getResults(),
                        [&](AffineExpr e) {
                          return cast<AffineDimExpr>(e).getPosition() <
                                 limit->keyLoop;
                        })) {
        return;
      }
      reductions.push_back(op);
    });
    for (linalg::GenericOp op : reductions) {
      lower(op);
    }
  }
};

} // namespace
