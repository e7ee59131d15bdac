//===- kiln-compile.cpp - Compile a model to an artifact ------------------===//
//
//   kiln-compile model.kiln -o model.kbin [-D B=8] [--weights w.safetensors]
//   kiln-compile model.kiln --emit=exec      (IR after a stage, to stdout)
//   kiln-compile model.mlir -o model.kbin    (a model in the kiln dialect)
//   kiln-compile model.kiln -o model.kbin --load-pass-plugin=my.so \
//       --after-graph-optimization='func.func(my-pass)'
//
// Errors are printed as `file:line:col: error: ...` with the offending
// source line; the exit code is 1 and no output file is left behind.
//
//===----------------------------------------------------------------------===//

#include "compiler/Compiler.h"
#include "compiler/Pipeline.h"
#include "compiler/Registration.h"
#include "compiler/plugin/PassPluginLoader.h"
#include "frontends/kdl/KdlImporter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

#include <optional>

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
cl::opt<bool> printPipeline(
    "print-pipeline",
    cl::desc("Print the pipelines (with plugins' and --after-* additions) "
             "and exit"),
    cl::cat(category));

cl::OptionCategory pipelineCategory("Pipeline control and pass plugins");
// Loaded before the command line is parsed (loadPassPluginsFromCommandLine);
// declared for --help.
cl::list<std::string> passPlugins(
    "load-pass-plugin",
    cl::desc("Load a Kiln pass plugin (see docs/writing-a-pass.md)"),
    cl::value_desc("plugin.so"), cl::cat(pipelineCategory));
cl::opt<std::string> passPipeline(
    "pass-pipeline",
    cl::desc("Run this graph pipeline instead of the default one (anchored "
             "on builtin.module; it must leave the exec dialect)"),
    cl::value_desc("builtin.module(...)"), cl::cat(pipelineCategory));

/// One --<extension point> option per point of the default pipeline.
struct ExtensionOption {
  kiln::ExtensionPoint point;
  cl::list<std::string> pipelines;

  ExtensionOption(kiln::ExtensionPoint point, const char *description)
      : point(point),
        pipelines(kiln::extensionPointName(point), cl::desc(description),
                  cl::value_desc("passes"), cl::cat(pipelineCategory)) {}
};
ExtensionOption extensionOptions[] = {
    {kiln::ExtensionPoint::AfterImport,
     "Run passes on the kiln dialect as imported, e.g. 'func.func(my-pass)'"},
    {kiln::ExtensionPoint::AfterGraphOptimization,
     "Run passes on the kiln dialect after graph optimisation"},
    {kiln::ExtensionPoint::AfterDispatchFormation,
     "Run passes on the exec dialect once dispatches are formed"},
    {kiln::ExtensionPoint::BeforeCodegen,
     "Run passes on each executable's module before the kernel pipeline"},
};

/// Adds the --<extension point> pipelines after the plugins'; checks that
/// every pipeline parses. False on an error (reported).
bool setUpPipelines(kiln::CompileOptions &options) {
  // With --pass-pipeline there are no graph extension points: a mistake on
  // the command line, and a plugin's additions there do not run.
  if (!passPipeline.empty()) {
    for (ExtensionOption &option : extensionOptions) {
      if (option.point != kiln::ExtensionPoint::BeforeCodegen &&
          !option.pipelines.empty()) {
        llvm::errs() << "kiln-compile: error: --pass-pipeline replaces the "
                        "default graph pipeline, so it has no '"
                     << kiln::extensionPointName(option.point)
                     << "' point; add those passes to it\n";
        return false;
      }
    }
    for (auto &[point, pipelines] : options.extensions) {
      if (point != kiln::ExtensionPoint::BeforeCodegen && !pipelines.empty()) {
        llvm::errs() << "kiln-compile: warning: --pass-pipeline replaces the "
                        "default graph pipeline: what plugins add at '"
                     << kiln::extensionPointName(point) << "' does not run\n";
        pipelines.clear();
      }
    }
  }
  for (ExtensionOption &option : extensionOptions) {
    llvm::append_range(options.extensions[option.point], option.pipelines);
  }
  for (const auto &[point, pipelines] : options.extensions) {
    for (const std::string &pipeline : pipelines) {
      OpPassManager pm(ModuleOp::getOperationName());
      std::string error;
      llvm::raw_string_ostream os(error);
      if (failed(parsePassPipeline(pipeline, pm, os))) {
        llvm::errs() << "kiln-compile: error: bad pipeline at '"
                     << kiln::extensionPointName(point) << "' ('" << pipeline
                     << "'): " << error;
        return false;
      }
    }
  }
  options.graphPipeline = passPipeline;
  if (passPipeline.empty()) {
    return true;
  }
  std::string error;
  llvm::raw_string_ostream os(error);
  auto parsed = parsePassPipeline(passPipeline, os);
  if (failed(parsed)) {
    llvm::errs() << "kiln-compile: error: bad --pass-pipeline: " << error;
    return false;
  }
  if (parsed->getOpAnchorName() != ModuleOp::getOperationName()) {
    llvm::errs() << "kiln-compile: error: --pass-pipeline must be anchored "
                    "on 'builtin.module', e.g. 'builtin.module("
                 << passPipeline << ")'\n";
    return false;
  }
  return true;
}

void printPipelines(const kiln::CompileOptions &options) {
  llvm::outs() << "graph pipeline:\n  "
               << (options.graphPipeline.empty()
                       ? kiln::defaultGraphPipeline(options.extensions)
                       : options.graphPipeline)
               << "\nkernel pipeline (on each executable):\n  "
               << kiln::defaultKernelPipeline(options.extensions) << "\n";
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // Passes and plugins first: --mlir-print-ir-before=<pass> and friends
  // list the passes registered when they are created.
  kiln::registerCompilerPasses();
  kiln::registerDefaultPipelines();
  kiln::CompileOptions options;
  FailureOr<std::vector<char *>> args = kiln::loadPassPluginsFromCommandLine(
      argc, argv, "kiln-compile", options.extensions, llvm::errs());
  if (failed(args)) {
    return 1;
  }
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  cl::HideUnrelatedOptions({&category, &pipelineCategory});
  cl::ParseCommandLineOptions(
      static_cast<int>(args->size()), args->data(),
      "Kiln model compiler\n\n"
      "Compiles a model (.kiln, or the kiln dialect in .mlir) to a .kbin "
      "artifact that kiln-run executes.\n\n"
      "MLIR's debugging options apply to every pass manager it runs, e.g.\n"
      "--mlir-print-ir-after-all, --mlir-print-ir-before=<pass>, "
      "--mlir-timing,\n--mlir-pass-statistics; --help-hidden lists them.\n");
  if (!setUpPipelines(options)) {
    return 1;
  }
  if (printPipeline) {
    printPipelines(options);
    return 0;
  }
  if (inputFile.empty()) {
    llvm::errs() << "kiln-compile: error: no input file (see --help)\n";
    return 2;
  }
  // The linker library resets every cl::opt when it runs: keep copies.
  const std::string input = inputFile, output = outputFile;
  const Emit what = emit;
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

  // --mlir-print-ir-*, --mlir-timing and friends, on every pass manager.
  // Timings add up per pipeline: the graph's, and all the kernels' (with
  // LLVM's code generation after each as "Rest"). Pipelines run one after
  // the other, each configured right before it runs.
  DefaultTimingManager timing;
  applyDefaultTimingManagerCLOptions(timing);
  TimingScope timingRoot = timing.getRootScope();
  std::optional<TimingScope> pipelineTiming;
  options.hooks.configurePassManager = [&](PassManager &pm,
                                           StringRef pipeline) {
    if (failed(applyPassManagerCLOptions(pm))) {
      return failure();
    }
    if (timing.isEnabled()) {
      if (pipelineTiming) {
        pipelineTiming->stop();
      }
      pipelineTiming = timingRoot.nest(pipeline.str() + " pipeline");
      pm.enableTiming(*pipelineTiming);
    }
    return success();
  };

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
    if (failed(kiln::runGraphPipeline(*module, stage, options))) {
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
