//===- CpuTarget.cpp - The CPU that kernels are compiled for --------------===//

#include "compiler/cpu/CpuTarget.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;

namespace kiln {

ArrayRef<StringRef> runtimeCheckedFeatures() {
  static const StringRef features[] = {
      "sse4.2",     "avx",          "avx2",           "fma",
      "f16c",       "bmi",          "bmi2",           "avx512f",
      "avx512dq",   "avx512cd",     "avx512bw",       "avx512vl",
      "avx512vnni", "avx512bf16",   "avx512vbmi",     "avx512vbmi2",
      "avx512ifma", "avx512bitalg", "avx512vpopcntdq"};
  return features;
}

bool usesIntelBlocking(StringRef cpu) {
  return !cpu.starts_with("znver") && !cpu.starts_with("x86-64");
}

KernelBlocking kernelBlockingFor(bool avx512, StringRef cpu) {
  if (avx512) {
    KernelBlocking blocking;
    if (usesIntelBlocking(cpu)) {
      blocking.mr = 14;
      blocking.kc = 1024;
      blocking.unroll = 4;
    }
    return blocking;
  }
  KernelBlocking avx2;
  avx2.vectorWidth = 8;
  avx2.mr = 6;
  avx2.nr = 16;
  avx2.kc = 256;
  avx2.panel = 16;
  avx2.keysInPlaceRows = 128;
  return avx2;
}

std::unique_ptr<llvm::TargetMachine> CpuTarget::createMachine() const {
  return std::unique_ptr<llvm::TargetMachine>(llvmTarget->createTargetMachine(
      llvm::Triple(triple), cpu, features, llvm::TargetOptions(),
      llvm::Reloc::PIC_, std::nullopt, llvm::CodeGenOptLevel::Aggressive));
}

FailureOr<CpuTarget> createCpuTarget(StringRef cpu, llvm::raw_ostream &diag) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  CpuTarget target;
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  target.triple = triple.str();
  bool host = cpu == "host";
  target.cpu = host ? llvm::sys::getHostCPUName().str() : cpu.str();

  std::string error;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget) {
    diag << "cannot compile for " << target.triple << ": " << error;
    return failure();
  }
  // Checked before the target machine is made: LLVM warns on stderr about
  // an unknown CPU name, and aborts when asked for 64-bit code on a 32-bit
  // CPU (i386, pentium4), whose names are valid for the triple.
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      llvmTarget->createMCSubtargetInfo(triple, "", ""));
  if (!generic || !generic->isCPUStringValid(target.cpu)) {
    diag << "unknown CPU '" << target.cpu << "' for " << target.triple;
    return failure();
  }
  std::unique_ptr<llvm::MCSubtargetInfo> named(
      llvmTarget->createMCSubtargetInfo(triple, target.cpu, ""));
  if (triple.isX86() && !named->checkFeatures("+64bit")) {
    diag << "CPU '" << target.cpu << "' cannot run " << triple.getArchName()
         << " code: kernels are compiled for " << target.triple;
    return failure();
  }
  llvm::SubtargetFeatures features;
  if (host) {
    for (const auto &feature : llvm::sys::getHostCPUFeatures()) {
      features.AddFeature(feature.getKey(), feature.getValue());
    }
  }
  target.llvmTarget = llvmTarget;
  target.features = features.getString();
  target.machine = target.createMachine();
  if (!target.machine) {
    diag << "cannot create a target machine for CPU '" << target.cpu << "'";
    return failure();
  }
  const llvm::MCSubtargetInfo *info = target.machine->getMCSubtargetInfo();
  for (StringRef feature : runtimeCheckedFeatures()) {
    if (info->checkFeatures(("+" + feature).str())) {
      target.requiredFeatures.push_back(feature.str());
    }
  }
  target.blocking =
      kernelBlockingFor(info->checkFeatures("+avx512f"), target.cpu);
  target.blocking.fma = info->checkFeatures("+fma");
  target.blocking.rounding = info->checkFeatures("+sse4.1");
  return target;
}

} // namespace kiln
