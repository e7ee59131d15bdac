//===- CpuAllocateScratch.cpp - Temporary buffers into workgroup scratch --===//
//
// Buffers get 64-byte aligned offsets in allocation order, disjoint except
// across the two regions of an `scf.if` without results: only one of them
// runs, so both start at the same offset and the scratch holds the larger.
// That is how a kernel's bodies for full and partial tiles (up to four,
// kiln-cpu-tile-workgroups) branch; laid out one after the other, a GEMM
// tile with partial rows and columns needed three times the scratch of its
// largest body. Within a region a tile's temporaries are few and small (a
// GEMM tile before its epilogue, per-row statistics), so no other reuse is
// attempted.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/StorageBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace kiln {
#define GEN_PASS_DEF_CPUALLOCATESCRATCHPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

constexpr int64_t kAlignment = 64;

/// Gives the allocations in `block` (nested ones included) offsets from
/// `base` into `offsets`; returns the end of the last one, aligned.
int64_t layOut(Block &block, int64_t base,
               DenseMap<Operation *, int64_t> &offsets) {
  for (Operation &op : block) {
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      offsets[alloc] = base;
      base = llvm::alignTo(base + storageBytes(alloc.getType()), kAlignment);
      continue;
    }
    // A branch without results: no buffer of one region outlives it, and
    // the other region does not run.
    auto branch = dyn_cast<scf::IfOp>(op);
    bool exclusive = branch && branch->getNumResults() == 0;
    int64_t end = base;
    for (Region &region : op.getRegions()) {
      for (Block &inner : region) {
        if (exclusive) {
          end = std::max(end, layOut(inner, base, offsets));
        } else {
          end = base = layOut(inner, base, offsets);
        }
      }
    }
    base = end;
  }
  return base;
}

struct CpuAllocateScratchPass
    : kiln::impl::CpuAllocateScratchPassBase<CpuAllocateScratchPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!func->hasAttr("exec.kernel")) {
      return;
    }
    SmallVector<memref::AllocOp> allocs;
    bool invalid = false;
    func.walk([&](memref::AllocOp alloc) {
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity()) {
        alloc.emitError("expects statically shaped temporaries in a kernel");
        invalid = true;
      }
      allocs.push_back(alloc);
    });
    if (invalid) {
      return signalPassFailure();
    }
    func.walk([](memref::DeallocOp dealloc) { dealloc.erase(); });

    DenseMap<Operation *, int64_t> offsets;
    int64_t size = 0;
    for (Block &block : func.getBody()) {
      size = layOut(block, size, offsets);
    }
    MLIRContext *ctx = &getContext();
    auto scratchType = MemRefType::get({size}, IntegerType::get(ctx, 8));
    Location loc = func.getLoc();
    if (failed(func.insertArgument(func.getNumArguments(), scratchType, {},
                                   loc))) {
      return signalPassFailure();
    }
    Value scratch = func.getArgument(func.getNumArguments() - 1);
    for (memref::AllocOp alloc : allocs) {
      OpBuilder b(alloc);
      Value shift =
          arith::ConstantIndexOp::create(b, alloc.getLoc(), offsets.at(alloc));
      auto view = memref::ViewOp::create(b, alloc.getLoc(), alloc.getType(),
                                         scratch, shift, ValueRange{});
      alloc.replaceAllUsesWith(view.getResult());
      alloc.erase();
    }
    func->setAttr("exec.scratch_size",
                  IntegerAttr::get(IntegerType::get(ctx, 64), size));
  }
};

} // namespace
