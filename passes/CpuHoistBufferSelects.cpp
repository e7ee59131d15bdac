//===- CpuHoistBufferSelects.cpp - One buffer pick per row ---------------===//
//
// The MoE combine reads, for each token and routing slot, a row of the
// chosen expert's output: after loop lowering its body holds, per element,
//
//   %e = memref.load %experts[%t, %slot]           (the token's expert)
//   %v = scf.index_switch %e -> f32
//        case 0 { %x = memref.load %out0[%row, %col]; scf.yield %x }
//        ...
//        default { %x = memref.load %outN[%row, %col]; scf.yield %x }
//
// LLVM keeps that switch in the column loop and the loop scalar (about 2 ns
// per element). This pass rewrites a switch whose every region loads the
// same indices from a buffer of one type into a switch over the buffers and
// one load after it,
//
//   %buffer = scf.index_switch %e -> memref<...>
//             case 0 { scf.yield %out0 } ... default { scf.yield %outN }
//   %v = memref.load %buffer[%row, %col]
//
// and then hoists, out of the static loops around each such switch (at
// least one iteration each), what does not change in them: pure ops, the
// buffer switch, and loads from kernel bindings that nothing in the loop
// writes (a dispatch's bindings never overlap, DESIGN.md's memory plan).
// The column loop is then a contiguous load, a multiply and an add, which
// LLVM vectorizes.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

#include "llvm/ADT/SmallPtrSet.h"

namespace kiln {
#define GEN_PASS_DEF_CPUHOISTBUFFERSELECTSPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The load that is a switch region's whole body (`load; yield load`).
memref::LoadOp soleLoad(Region &region) {
  Block &block = region.front();
  if (!llvm::hasSingleElement(block.without_terminator())) {
    return nullptr;
  }
  auto load = dyn_cast<memref::LoadOp>(block.front());
  auto yield = cast<scf::YieldOp>(block.getTerminator());
  if (!load || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != load.getResult()) {
    return nullptr;
  }
  return load;
}

/// Rewrites `pick` into a switch over buffers and one load when every
/// region loads the same indices from a buffer of the same type defined
/// outside it; returns the new switch.
scf::IndexSwitchOp sinkLoads(scf::IndexSwitchOp pick) {
  if (pick.getNumResults() != 1) {
    return nullptr;
  }
  SmallVector<memref::LoadOp> loads;
  for (Region &region : pick->getRegions()) {
    memref::LoadOp load = soleLoad(region);
    if (!load ||
        !load.getMemRef().getParentRegion()->isProperAncestor(&region)) {
      return nullptr;
    }
    if (!loads.empty() &&
        (load.getMemRefType() != loads.front().getMemRefType() ||
         load.getIndices() != loads.front().getIndices())) {
      return nullptr;
    }
    loads.push_back(load);
  }
  OpBuilder b(pick);
  auto buffers = scf::IndexSwitchOp::create(
      b, pick.getLoc(), TypeRange{loads.front().getMemRefType()}, pick.getArg(),
      pick.getCases(), pick.getNumCases());
  for (auto [region, load] : llvm::zip(buffers->getRegions(), loads)) {
    OpBuilder::InsertionGuard guard(b);
    b.createBlock(&region);
    scf::YieldOp::create(b, pick.getLoc(), load.getMemRef());
  }
  auto load =
      memref::LoadOp::create(b, pick.getLoc(), buffers.getResult(0),
                             llvm::to_vector(loads.front().getIndices()));
  pick.getResult(0).replaceAllUsesWith(load.getResult());
  pick.erase();
  return buffers;
}

/// The argument of `func`'s entry block that `memref` views, if any.
BlockArgument bindingOf(Value memref, func::FuncOp func) {
  while (Operation *def = memref.getDefiningOp()) {
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view) {
      return nullptr;
    }
    memref = view.getViewSource();
  }
  auto arg = cast<BlockArgument>(memref);
  return arg.getOwner() == &func.getBody().front() ? arg : nullptr;
}

/// The bindings something in `loop` writes; false when a write's target is
/// not known to be a binding (then no load may move).
bool writtenBindings(scf::ForOp loop, func::FuncOp func,
                     llvm::SmallPtrSetImpl<Value> &written) {
  WalkResult result = loop.getBody()->walk([&](Operation *op) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects) {
      return op->hasTrait<OpTrait::HasRecursiveMemoryEffects>()
                 ? WalkResult::advance()
                 : WalkResult::interrupt();
    }
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &effect : instances) {
      if (!isa<MemoryEffects::Write, MemoryEffects::Free>(effect.getEffect())) {
        continue;
      }
      BlockArgument binding =
          effect.getValue() ? bindingOf(effect.getValue(), func) : nullptr;
      if (!binding) {
        return WalkResult::interrupt();
      }
      written.insert(binding);
    }
    return WalkResult::advance();
  });
  return !result.wasInterrupted();
}

/// True for a loop whose body runs at least once.
bool runsAtLeastOnce(scf::ForOp loop) {
  std::optional<int64_t> lower = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> upper = getConstantIntValue(loop.getUpperBound());
  return lower && upper && *lower < *upper;
}

/// Hoists what does not change in `loop` out of it.
void hoistInvariants(scf::ForOp loop, func::FuncOp func) {
  if (!runsAtLeastOnce(loop)) {
    return;
  }
  llvm::SmallPtrSet<Value, 8> written;
  bool knownWrites = writtenBindings(loop, func, written);
  auto movable = [&](Operation *op, Region *) {
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      BlockArgument binding = bindingOf(load.getMemRef(), func);
      return knownWrites && binding && !written.contains(binding);
    }
    if (auto pick = dyn_cast<scf::IndexSwitchOp>(op)) {
      // A buffer switch only selects among values defined above.
      return llvm::all_of(pick->getRegions(), [](Region &region) {
        return llvm::hasSingleElement(region.front());
      });
    }
    return isMemoryEffectFree(op) && isSpeculatable(op);
  };
  moveLoopInvariantCode(
      {&loop.getRegion()},
      [&](Value value, Region *region) {
        return value.getParentRegion()->isProperAncestor(region);
      },
      movable, [&](Operation *op, Region *) { op->moveBefore(loop); });
}

struct CpuHoistBufferSelectsPass
    : kiln::impl::CpuHoistBufferSelectsPassBase<CpuHoistBufferSelectsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<scf::IndexSwitchOp> picks;
    func.walk([&](scf::IndexSwitchOp pick) { picks.push_back(pick); });
    // Loops around a buffer switch, innermost first.
    SmallVector<scf::ForOp> loops;
    llvm::SmallPtrSet<Operation *, 8> seen;
    for (scf::IndexSwitchOp pick : picks) {
      scf::IndexSwitchOp buffers = sinkLoads(pick);
      if (!buffers) {
        continue;
      }
      for (auto loop = buffers->getParentOfType<scf::ForOp>(); loop;
           loop = loop->getParentOfType<scf::ForOp>()) {
        if (seen.insert(loop).second) {
          loops.push_back(loop);
        }
      }
    }
    // Inner loops first, so that what leaves one can leave the next.
    auto depth = [](scf::ForOp loop) {
      unsigned d = 0;
      for (Operation *op = loop; op; op = op->getParentOp()) {
        ++d;
      }
      return d;
    };
    llvm::stable_sort(
        loops, [&](scf::ForOp a, scf::ForOp b) { return depth(a) > depth(b); });
    for (scf::ForOp loop : loops) {
      hoistInvariants(loop, func);
    }
  }
};

} // namespace
