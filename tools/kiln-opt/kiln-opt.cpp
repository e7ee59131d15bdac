//===- kiln-opt.cpp - mlir-opt with Kiln's dialects and passes ------------===//
//
// Drives the lit tests. Registers the kiln and exec dialects, the upstream
// dialects Kiln lowers through, Kiln's passes and the handful of upstream
// passes the tests and pipelines use.
//
//===----------------------------------------------------------------------===//

#include "compiler/Registration.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  kiln::registerCompilerDialects(registry);
  kiln::registerCompilerPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Kiln optimizer driver\n", registry));
}
