//===- CpuEmitKernelAbi.cpp - Entry points in the runtime's convention ----===//
//
// The field offsets below are those of kiln_dispatch_state_t and
// kiln_workgroup_state_t in runtime/abi/KernelAbi.h on LP64 targets; the
// static_asserts keep them honest.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "runtime/abi/KernelAbi.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include <cstddef>

namespace kiln {
#define GEN_PASS_DEF_CPUEMITKERNELABIPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

constexpr int32_t kBindingsOffset = offsetof(kiln_dispatch_state_t, bindings);
constexpr int32_t kIdOffset = offsetof(kiln_workgroup_state_t, id);
constexpr int32_t kScratchOffset = offsetof(kiln_workgroup_state_t, scratch);
static_assert(sizeof(void *) == 8, "kernels are emitted for LP64 targets");

struct CpuEmitKernelAbiPass
    : kiln::impl::CpuEmitKernelAbiPassBase<CpuEmitKernelAbiPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto body : llvm::to_vector(module.getOps<LLVM::LLVMFuncOp>())) {
      if (!body->hasAttr("exec.kernel")) {
        continue;
      }
      if (failed(wrap(body))) {
        return signalPassFailure();
      }
    }
  }

  LogicalResult wrap(LLVM::LLVMFuncOp body) {
    auto count = body->getAttrOfType<IntegerAttr>("exec.binding_count");
    LLVM::LLVMFunctionType type = body.getFunctionType();
    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i32 = IntegerType::get(ctx, 32), i64 = IntegerType::get(ctx, 64);
    auto i8 = IntegerType::get(ctx, 8);
    // Bindings, then the workgroup id x, y, z, then scratch.
    if (!count || type.getNumParams() != count.getInt() + 4) {
      return body.emitError("expects a kernel body taking its bindings, the "
                            "workgroup id and the scratch buffer");
    }
    std::string name = body.getSymName().str();
    body.setSymName(name + "_body");
    body.setLinkage(LLVM::Linkage::Internal);
    body->removeAttr("exec.kernel");

    OpBuilder b(body);
    Location loc = body.getLoc();
    auto entry = LLVM::LLVMFuncOp::create(
        b, loc, name, LLVM::LLVMFunctionType::get(i32, {ptr, ptr}));
    Block *block = entry.addEntryBlock(b);
    b.setInsertionPointToStart(block);
    Value dispatch = block->getArgument(0), workgroup = block->getArgument(1);
    auto fieldAt = [&](Value base, int32_t offset) -> Value {
      return LLVM::GEPOp::create(b, loc, ptr, i8, base,
                                 ArrayRef<LLVM::GEPArg>{offset});
    };
    Value bindings =
        LLVM::LoadOp::create(b, loc, ptr, fieldAt(dispatch, kBindingsOffset));
    SmallVector<Value> args;
    for (int32_t i = 0, e = count.getInt(); i < e; ++i) {
      Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, bindings,
                                       ArrayRef<LLVM::GEPArg>{i});
      args.push_back(LLVM::LoadOp::create(b, loc, ptr, slot));
    }
    for (int64_t d = 0; d < 3; ++d) {
      Value id = LLVM::LoadOp::create(b, loc, i32,
                                      fieldAt(workgroup, kIdOffset + 4 * d));
      args.push_back(LLVM::ZExtOp::create(b, loc, i64, id));
    }
    args.push_back(
        LLVM::LoadOp::create(b, loc, ptr, fieldAt(workgroup, kScratchOffset)));
    LLVM::CallOp::create(b, loc, body, args);
    Value zero = LLVM::ConstantOp::create(b, loc, i32, 0);
    LLVM::ReturnOp::create(b, loc, zero);
    return success();
  }
};

} // namespace
