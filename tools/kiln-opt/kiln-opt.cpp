//===- kiln-opt.cpp - mlir-opt with Kiln's dialects and passes ------------===//
//
// Drives the lit tests. Registers the kiln and exec dialects, the upstream
// dialects Kiln lowers through, Kiln's passes, the handful of upstream
// passes the tests and pipelines use, and the default pipelines by name
// (--kiln-graph-pipeline, --kiln-cpu-kernel-pipeline).
//
// --load-pass-plugin=<plugin.so> loads a Kiln pass plugin
// (compiler/plugin/PassPlugin.h). MLIR's own option of that name expects
// MLIR's plugin entry point, so kiln-opt takes the option out of the
// command line and loads the plugin itself, before MLIR builds its pass
// options: a plugin's passes are then --<pass> options and names in
// --pass-pipeline and --mlir-print-ir-after=<pass>. Pipelines a plugin
// adds at extension points only apply to kiln-compile.
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipeline.h"
#include "compiler/Registration.h"
#include "compiler/plugin/PassPluginLoader.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  kiln::registerCompilerDialects(registry);
  kiln::registerCompilerPasses();
  kiln::registerDefaultPipelines();

  kiln::PipelineExtensions ignored;
  mlir::FailureOr<std::vector<char *>> args =
      kiln::loadPassPluginsFromCommandLine(argc, argv, "kiln-opt", ignored,
                                           llvm::errs());
  if (mlir::failed(args)) {
    return 1;
  }
  int count = static_cast<int>(args->size());
  args->push_back(nullptr);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      count, args->data(), "Kiln optimizer driver\n", registry));
}
