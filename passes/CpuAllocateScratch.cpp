//===- CpuAllocateScratch.cpp - Temporary buffers into workgroup scratch --===//
//
// Buffers get disjoint, 64-byte aligned offsets in allocation order. A tile's
// temporaries are few and small (a GEMM tile before its epilogue, per-row
// statistics), so no reuse is attempted.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace kiln {
#define GEN_PASS_DEF_CPUALLOCATESCRATCHPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

constexpr int64_t kAlignment = 64;

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

    SmallVector<int64_t> offsets;
    int64_t size = 0;
    for (memref::AllocOp alloc : allocs) {
      MemRefType type = alloc.getType();
      int64_t bytes = type.getNumElements() *
                      llvm::divideCeil(type.getElementTypeBitWidth(), 8);
      offsets.push_back(size);
      size = llvm::alignTo(size + bytes, kAlignment);
    }
    MLIRContext *ctx = &getContext();
    auto scratchType = MemRefType::get({size}, IntegerType::get(ctx, 8));
    Location loc = func.getLoc();
    if (failed(func.insertArgument(func.getNumArguments(), scratchType, {},
                                   loc))) {
      return signalPassFailure();
    }
    Value scratch = func.getArgument(func.getNumArguments() - 1);
    for (auto [alloc, offset] : llvm::zip(allocs, offsets)) {
      OpBuilder b(alloc);
      Value shift = arith::ConstantIndexOp::create(b, alloc.getLoc(), offset);
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
