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
// kiln-opt reads its input and writes its output itself, around MLIR's
// driver, so that it fails as Kiln's other tools do: a text source nested
// deeper than MLIR's recursive-descent parser can take (which overflowed
// its stack) is refused at the bracket that passes the limit, an output
// file is whole or left as it was, and a full disk or standard output that
// cannot be written is an error naming the file, not LLVM's abort.
//
//===----------------------------------------------------------------------===//

#include "compiler/ModelSourceChecks.h"
#include "compiler/Pipeline.h"
#include "compiler/Registration.h"
#include "compiler/plugin/PassPluginLoader.h"
#include "tools/TextOutput.h"

#include "mlir/Bytecode/BytecodeReader.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace {

constexpr llvm::StringLiteral kTool = "kiln-opt";

/// Fails, with an error, on input the parser must not see: a binary file
/// that is not MLIR bytecode, or text nested too deep.
mlir::LogicalResult checkInput(const llvm::MemoryBuffer &input) {
  if (mlir::isBytecode(input.getMemBufferRef())) {
    return mlir::success();
  }
  if (std::optional<std::string> error =
          kiln::binarySourceError(input, "MLIR source or bytecode")) {
    llvm::errs() << kTool << ": error: " << *error << "\n";
    return mlir::failure();
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBuffer(input.getMemBufferRef(),
                                       /*RequiresNullTerminator=*/false),
      llvm::SMLoc());
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  return kiln::checkMlirNesting(sourceMgr, &context);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  mlir::DialectRegistry registry;
  kiln::registerCompilerDialects(registry);
  kiln::registerCompilerPasses();
  kiln::registerDefaultPipelines();

  kiln::PipelineExtensions ignored;
  mlir::FailureOr<std::vector<char *>> args =
      kiln::loadPassPluginsFromCommandLine(argc, argv, kTool, ignored,
                                           llvm::errs());
  if (mlir::failed(args)) {
    return 1;
  }
  int count = static_cast<int>(args->size());
  args->push_back(nullptr);
  auto [inputName, outputName] = mlir::registerAndParseCLIOptions(
      count, args->data(), "Kiln optimizer driver\n", registry);
  mlir::MlirOptMainConfig config =
      mlir::MlirOptMainConfig::createFromCLOptions();
  if (config.shouldShowDialects() || config.shouldListPasses()) {
    // MLIR's driver prints the list and reads no input.
    mlir::LogicalResult listed = mlir::MlirOptMain(
        llvm::outs(), llvm::MemoryBuffer::getMemBuffer(""), registry, config);
    return kiln::tools::flushStandardOutput(kTool) && mlir::succeeded(listed)
               ? 0
               : 1;
  }

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input =
      kiln::openModelSource(inputName, &error, "MLIR source or bytecode");
  if (!input) {
    llvm::errs() << kTool << ": error: " << error << "\n";
    return 1;
  }
  if (mlir::failed(checkInput(*input))) {
    return 1;
  }
  if (outputName == "-") {
    mlir::LogicalResult result =
        mlir::MlirOptMain(llvm::outs(), std::move(input), registry, config);
    return kiln::tools::flushStandardOutput(kTool) && mlir::succeeded(result)
               ? 0
               : 1;
  }
  // A file gets the whole result or nothing, as mlir-opt's does.
  std::string text;
  llvm::raw_string_ostream os(text);
  if (mlir::failed(mlir::MlirOptMain(os, std::move(input), registry, config))) {
    return 1;
  }
  return kiln::tools::writeTextFile(kTool, outputName, text) ? 0 : 1;
}
