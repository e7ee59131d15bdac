//===- kiln-compile.cpp - Compile a model to an artifact ------------------===//
//
//   kiln-compile model.kiln -o model.kbin [-D B=8] [--weights w.safetensors]
//   kiln-compile model.kiln --emit=exec      (IR after a stage, to stdout)
//   kiln-compile model.mlir -o model.kbin    (a model in the kiln dialect)
//
// Errors are printed as `file:line:col: error: ...` with the offending
// source line; the exit code is 1 and no output file is left behind.
//
//===----------------------------------------------------------------------===//

#include "compiler/Compiler.h"
#include "compiler/Pipeline.h"
#include "compiler/Registration.h"
#include "frontends/kdl/KdlImporter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class Emit { Artifact, Kiln, Linalg, Exec, Llvm };

cl::OptionCategory category("kiln-compile options");

cl::opt<std::string> inputFile(cl::Positional,
                               cl::desc("<model.kiln | model.mlir>"),
                               cl::cat(category));
cl::list<std::string> defines("D", cl::Prefix,
                              cl::desc("Override a dimension of a .kiln model"),
                              cl::value_desc("NAME=VALUE"), cl::cat(category));
cl::list<std::string> importDirs("I", cl::Prefix,
                                 cl::desc("Search directory for imports"),
                                 cl::value_desc("dir"), cl::cat(category));
cl::opt<std::string>
    weightsFile("weights",
                cl::desc("Parameters from a safetensors file (by name)"),
                cl::value_desc("file.safetensors"), cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                cl::value_desc("path"), cl::init("-"),
                                cl::cat(category));
cl::opt<Emit> emit(
    "emit", cl::desc("What to produce"), cl::init(Emit::Artifact),
    cl::values(
        clEnumValN(Emit::Artifact, "artifact", "the .kbin artifact (default)"),
        clEnumValN(Emit::Kiln, "kiln", "the kiln dialect after graph cleanups"),
        clEnumValN(Emit::Linalg, "linalg", "linalg on tensors"),
        clEnumValN(Emit::Exec, "exec", "dispatches and executables"),
        clEnumValN(Emit::Llvm, "llvm", "optimised LLVM IR of the kernels")),
    cl::cat(category));
cl::opt<std::string> targetCpu("target-cpu",
                               cl::desc("CPU to compile kernels for"),
                               cl::value_desc("name"), cl::init("host"),
                               cl::cat(category));
cl::opt<uint64_t> seed("seed", cl::desc("Seed of the parameter initialiser"),
                       cl::init(kiln::kDefaultParameterSeed),
                       cl::cat(category));
cl::opt<bool>
    printPipeline("print-pipeline",
                  cl::desc("Print the default graph pipeline and exit"),
                  cl::cat(category));

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "Kiln model compiler\n\n"
      "Compiles a model in the kiln dialect to a .kbin artifact that "
      "kiln-run executes.\n");
  if (printPipeline) {
    llvm::outs() << kiln::defaultGraphPipeline() << "\n";
    return 0;
  }
  if (inputFile.empty()) {
    llvm::errs() << "kiln-compile: error: no input file (see --help)\n";
    return 2;
  }
  // The linker library resets every cl::opt when it runs: keep copies.
  const std::string input = inputFile, output = outputFile;
  const Emit what = emit;
  kiln::CompileOptions options;
  options.cpu = targetCpu;
  bool isKdl = StringRef(input).ends_with(".kiln");
  kiln::KdlOptions kdlOptions;
  kdlOptions.importDirs.assign(importDirs.begin(), importDirs.end());
  for (const std::string &define : defines) {
    auto [name, value] = StringRef(define).split('=');
    int64_t number = 0;
    if (name.empty() || value.getAsInteger(10, number)) {
      llvm::errs() << "kiln-compile: error: -D expects NAME=INTEGER, got '"
                   << define << "'\n";
      return 2;
    }
    kdlOptions.defines[name.str()] = number;
  }
  if (!isKdl && !defines.empty()) {
    llvm::errs() << "kiln-compile: error: -D applies to .kiln models only\n";
    return 2;
  }

  DialectRegistry registry;
  kiln::registerCompilerDialects(registry);
  kiln::registerCompilerPasses();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string error;
  auto source = openInputFile(input, &error);
  if (!source) {
    llvm::errs() << "kiln-compile: error: " << error << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(source), SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module;
  if (isKdl) {
    // Errors point at the model's source; the generic form of a rejected
    // op would only be noise to a .kiln author.
    context.printOpOnDiagnostic(false);
    FailureOr<OwningOpRef<ModuleOp>> imported =
        kiln::importKdl(sourceMgr, context, kdlOptions);
    context.printOpOnDiagnostic(true);
    if (failed(imported)) {
      return 1;
    }
    module = std::move(*imported);
  } else {
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
  if (!module || failed(verify(*module))) {
    return 1;
  }

  std::unique_ptr<kiln::WeightSource> weights;
  if (!weightsFile.empty()) {
    auto opened = kiln::SafetensorsWeights::open(
        weightsFile,
        FileLineColLoc::get(&context, weightsFile.getValue(), 0, 0));
    if (failed(opened)) {
      return 1;
    }
    weights = std::move(*opened);
  } else {
    weights = std::make_unique<kiln::SeededWeights>(seed);
  }
  options.artifact.weights = weights.get();

  if (what == Emit::Artifact) {
    if (output == "-") {
      llvm::errs() << "kiln-compile: error: an artifact needs -o <file>\n";
      return 1;
    }
    return failed(kiln::compileToArtifact(*module, options, output)) ? 1 : 0;
  }

  // Textual output appears only once everything succeeded.
  std::string text;
  llvm::raw_string_ostream os(text);
  if (what == Emit::Llvm) {
    options.hooks.onLlvmModule = [&](llvm::Module &m) { m.print(os, nullptr); };
    if (failed(kiln::compileKernels(*module, options))) {
      return 1;
    }
  } else {
    kiln::GraphStage stage = what == Emit::Kiln     ? kiln::GraphStage::Kiln
                             : what == Emit::Linalg ? kiln::GraphStage::Linalg
                                                    : kiln::GraphStage::Exec;
    if (failed(kiln::runGraphPipeline(*module, stage))) {
      return 1;
    }
    module->print(os);
    os << "\n";
  }
  auto file = openOutputFile(output, &error);
  if (!file) {
    llvm::errs() << "kiln-compile: error: " << error << "\n";
    return 1;
  }
  file->os() << text;
  file->keep();
  return 0;
}
