//===- CpuRelaxFma.cpp - Fused multiply-adds on CPUs without FMA ----------===//
//
// The kernels ask for exact fused multiply-adds (`llvm.intr.fma`): the GEMM
// register blocks, the flash-attention exponential, math's polynomial
// expansions. On a CPU without FMA instructions (x86-64 before Haswell and
// Piledriver) LLVM can only honour that exactness with a call to libm's
// `fmaf`, which the kernels' self-contained shared object cannot link.
// There they become `llvm.intr.fmuladd`, a multiply and an add rounded
// twice, as C compilers contract `a * b + c` for such targets. Results
// differ from the FMA ones by rounding, as they do across FMA placements.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace kiln {
#define GEN_PASS_DEF_CPURELAXFMAPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

struct CpuRelaxFmaPass : kiln::impl::CpuRelaxFmaPassBase<CpuRelaxFmaPass> {
  void runOnOperation() override {
    getOperation()->walk([](LLVM::FMAOp fma) {
      OpBuilder b(fma);
      auto relaxed = LLVM::FMulAddOp::create(b, fma.getLoc(), fma.getA(),
                                             fma.getB(), fma.getC());
      relaxed.setFastmathFlags(fma.getFastmathFlags());
      fma.replaceAllUsesWith(relaxed.getResult());
      fma.erase();
    });
  }
};

} // namespace
