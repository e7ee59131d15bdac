//===- kiln-compile.cpp - Compile a model to an artifact ------------------===//
//
//   kiln-compile model.kiln -o model.kbin [-D B=8] [--weights w.safetensors]
//   kiln-compile model.kiln --emit=exec      (IR after a stage, to stdout)
//   kiln-compile model.kiln --emit=dot-schedule -o s.dot  (Graphviz)
//   kiln-compile model.kiln -o model.kbin --dump-dispatches
//   kiln-compile model.mlir -o model.kbin    (a model in the kiln dialect)
//   kiln-compile model.kiln -o model.kbin --load-pass-plugin=my.so \
//       --after-graph-optimization='func.func(my-pass)'
//
// Errors are printed as `file:line:col: error: ...` with the offending
// source line; the exit code is 1 and no output file is left behind.
// A compile that takes over a second prints progress lines on stderr
// (--quiet drops them); stdout only ever holds the requested output.
//
//===----------------------------------------------------------------------===//

#include "compiler/Compiler.h"
#include "compiler/DispatchSummary.h"
#include "compiler/GraphvizExport.h"
#include "compiler/ModelSourceChecks.h"
#include "compiler/Pipeline.h"
#include "compiler/Registration.h"
#include "compiler/artifact/ArtifactEmitter.h"
#include "compiler/cpu/CpuTarget.h"
#include "compiler/plugin/PassPluginLoader.h"
#include "frontends/kdl/KdlImporter.h"
#include "tools/ModelSourceOptions.h"
#include "tools/TextOutput.h"
#include "tools/kiln-compile/ProgressPrinter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <limits>
#include <optional>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class Emit {
  Artifact,
  Input,
  Kiln,
  Linalg,
  Exec,
  Llvm,
  DotGraph,
  DotSchedule
};

cl::OptionCategory category("kiln-compile options");

cl::opt<std::string> inputFile(cl::Positional,
                               cl::desc("<model.kiln | model.mlir>"),
                               cl::cat(category));
kiln::tools::ModelSourceFlags sourceFlags(category);
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
        clEnumValN(Emit::Input, "input",
                   "the kiln dialect as the frontend built it, before any "
                   "pass"),
        clEnumValN(Emit::Kiln, "kiln",
                   "the kiln dialect after the graph passes"),
        clEnumValN(Emit::Linalg, "linalg", "linalg on tensors"),
        clEnumValN(Emit::Exec, "exec", "dispatches and executables"),
        clEnumValN(Emit::Llvm, "llvm", "optimised LLVM IR of the kernels"),
        clEnumValN(Emit::DotGraph, "dot-graph",
                   "the kiln dataflow graph (Graphviz DOT)"),
        clEnumValN(Emit::DotSchedule, "dot-schedule",
                   "the dispatches by barrier region (Graphviz DOT)")),
    cl::cat(category));
cl::opt<std::string> targetCpu("target-cpu",
                               cl::desc("CPU to compile kernels for"),
                               cl::value_desc("name"), cl::init("host"),
                               cl::cat(category));
cl::opt<unsigned> compileThreads(
    "compile-threads",
    cl::desc("Threads that compile kernels and draw and lay out weights, "
             "-j for short (0: one per hardware thread; the artifact is the "
             "same for any count)"),
    cl::value_desc("n"), cl::init(0), cl::cat(category));
cl::alias compileThreadsShort("j", cl::desc("Alias for --compile-threads"),
                              cl::aliasopt(compileThreads), cl::cat(category));
cl::opt<uint64_t> seed("seed", cl::desc("Seed of the parameter initialiser"),
                       cl::init(kiln::kDefaultParameterSeed),
                       cl::cat(category));
cl::opt<bool> printPipeline(
    "print-pipeline",
    cl::desc("Print the pipelines (with plugins' and --after-* additions) "
             "and exit"),
    cl::cat(category));

cl::OptionCategory inspectCategory("Inspecting a compile");
cl::opt<std::string> dumpDispatches(
    "dump-dispatches", cl::ValueOptional,
    cl::desc("Print the dispatches in schedule order to stderr (or to "
             "<file>): region, index, executable, root op, grid, tile, "
             "flops, source location"),
    cl::value_desc("file"), cl::cat(inspectCategory));
cl::opt<std::string> dumpDispatchesDir(
    "dump-dispatches-dir",
    cl::desc("Write each executable's function (before code generation) to "
             "<dir>/<executable>.mlir"),
    cl::value_desc("dir"), cl::cat(inspectCategory));
cl::opt<bool> quiet("quiet",
                    cl::desc("Print no progress lines (a compile that takes "
                             "over a second prints them to stderr)"),
                    cl::cat(inspectCategory));
cl::opt<double> progressThreshold(
    "progress-threshold",
    cl::desc("Seconds a compile runs before it prints progress lines"),
    cl::value_desc("seconds"), cl::init(1.0), cl::Hidden,
    cl::cat(inspectCategory));

cl::OptionCategory pipelineCategory("Pipeline control and pass plugins");
// Loaded before the command line is parsed (loadPassPluginsFromCommandLine);
// declared for --help.
cl::list<std::string> passPlugins(
    "load-pass-plugin",
    cl::desc("Load a Kiln pass plugin (see docs/writing-a-pass.md)"),
    cl::value_desc("plugin.so"), cl::cat(pipelineCategory));
cl::opt<int64_t> memoryBudget(
    "memory-budget",
    cl::desc("MiB of intermediate results live at once above which "
             "dispatches keep their program order, so that independent "
             "chains (MoE experts) reuse memory, and MoE experts are summed "
             "in groups whose outputs take at most half of it (default "
             "1024; 0: never)"),
    cl::value_desc("MiB"), cl::cat(pipelineCategory));
cl::opt<int64_t> keysInPlaceRows(
    "keys-in-place-rows",
    cl::desc("Attention heads with fewer query rows read their keys and "
             "values in place rather than copied into panels (default: 224 "
             "on CPUs with AVX-512, 128 on others; 1: always in panels)"),
    cl::value_desc("rows"), cl::cat(pipelineCategory));
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

/// Reads `flag`, which sets an option of the default graph pipeline
/// (`passOption`, written as in a pipeline): `value` stays unset when the
/// flag is not given. False, with an error printed, when it is below
/// `least` (`unit` follows the bound) or when --pass-pipeline replaces
/// that pipeline.
bool graphPipelineFlag(const cl::opt<int64_t> &flag, int64_t least,
                       StringRef unit, StringRef passOption,
                       std::optional<int64_t> &value) {
  if (flag.getNumOccurrences() == 0) {
    return true;
  }
  if (flag < least) {
    llvm::errs() << "kiln-compile: error: --" << flag.ArgStr << " must be "
                 << least << " or more" << unit << ", got " << flag << "\n";
    return false;
  }
  if (!passPipeline.empty()) {
    llvm::errs() << "kiln-compile: error: --" << flag.ArgStr
                 << " sets an option of the default graph pipeline, which "
                    "--pass-pipeline replaces; give "
                 << passOption << " in it instead\n";
    return false;
  }
  value = flag;
  return true;
}

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
  std::optional<int64_t> budget, inPlace;
  if (!graphPipelineFlag(memoryBudget, 0, " MiB",
                         "kiln-lower-to-linalg{memory-budget-kib=N} and "
                         "kiln-schedule-regions{memory-budget-kib=N}",
                         budget) ||
      !graphPipelineFlag(keysInPlaceRows, 1, "",
                         "kiln-lower-to-linalg{keys-in-place-rows=N}",
                         inPlace)) {
    return false;
  }
  if (budget) {
    // A budget beyond what KiB count is no budget.
    options.graph.memoryBudgetKib =
        *budget > std::numeric_limits<int64_t>::max() / 1024 ? 0
                                                             : *budget * 1024;
  }
  options.graph.keysInPlaceRows = inPlace;
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

/// Prints the pipelines the compile would run for `options.cpu`; false
/// (with an error printed) for an unknown CPU.
bool printPipelines(const kiln::CompileOptions &options) {
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  FailureOr<kiln::CpuTarget> target =
      kiln::createCpuTarget(options.cpu, errorStream);
  if (failed(target)) {
    llvm::errs() << "kiln-compile: error: " << error << "\n";
    return false;
  }
  kiln::GraphPipelineOptions graph = options.graph;
  graph.panel = target->blocking.panel;
  graph.keysInPlaceRows =
      graph.keysInPlaceRows.value_or(target->blocking.keysInPlaceRows);
  llvm::outs() << "graph pipeline:\n  "
               << (options.graphPipeline.empty()
                       ? kiln::defaultGraphPipeline(options.extensions, graph)
                       : options.graphPipeline)
               << "\nkernel pipeline (on each executable):\n  "
               << kiln::defaultKernelPipeline(options.extensions,
                                              target->blocking)
               << "\n";
  return true;
}

/// The name `--emit` knows `what` by.
StringRef emitName(Emit what) {
  switch (what) {
  case Emit::Artifact:
    return "artifact";
  case Emit::Input:
    return "input";
  case Emit::Kiln:
    return "kiln";
  case Emit::Linalg:
    return "linalg";
  case Emit::Exec:
    return "exec";
  case Emit::Llvm:
    return "llvm";
  case Emit::DotGraph:
    return "dot-graph";
  case Emit::DotSchedule:
    return "dot-schedule";
  }
  llvm_unreachable("unknown --emit");
}

bool flushStandardOutput() {
  return kiln::tools::flushStandardOutput("kiln-compile");
}

bool writeTextFile(StringRef path, StringRef text) {
  return kiln::tools::writeTextFile("kiln-compile", path, text);
}

/// What --dump-dispatches and --dump-dispatches-dir ask for, copied out of
/// the options (the linker resets them).
struct DispatchDumps {
  bool table = false;
  /// Where the table goes; empty for stderr.
  std::string tablePath;
  std::string directory;

  bool any() const { return table || !directory.empty(); }

  /// Writes the dumps of `module`, in the exec dialect.
  LogicalResult write(ModuleOp module) const;
};

LogicalResult DispatchDumps::write(ModuleOp module) const {
  std::vector<kiln::DispatchSummary> dispatches =
      kiln::summarizeDispatches(module);
  if (table) {
    std::string text;
    llvm::raw_string_ostream os(text);
    kiln::printDispatchTable(dispatches, os);
    if (tablePath.empty()) {
      llvm::errs() << text;
    } else if (!writeTextFile(tablePath, text)) {
      return failure();
    }
  }
  if (directory.empty()) {
    return success();
  }
  if (std::error_code ec = llvm::sys::fs::create_directories(directory)) {
    llvm::errs() << "kiln-compile: error: cannot create '" << directory
                 << "': " << ec.message() << "\n";
    return failure();
  }
  for (auto executable : module.getOps<kiln::exec::ExecutableOp>()) {
    StringRef name = executable.getSymName();
    SmallString<128> path(directory);
    llvm::sys::path::append(path, name + ".mlir");
    std::string text;
    llvm::raw_string_ostream os(text);
    SmallVector<std::string> users;
    for (const kiln::DispatchSummary &d : dispatches) {
      if (d.executable == name) {
        users.push_back("#" + std::to_string(d.index));
      }
    }
    os << "// @" << name << ", run by dispatch"
       << (users.size() == 1 ? " " : "es ") << llvm::join(users, ", ");
    os << ". Compile it with\n//   kiln-opt " << path
       << " --kiln-cpu-kernel-pipeline\n";
    executable.getFunction().print(os);
    os << "\n";
    if (!writeTextFile(path, text)) {
      return failure();
    }
  }
  return success();
}

} // namespace

int main(int argc, char **argv) {
  // Progress lines count from here.
  auto start = kiln::ProgressPrinter::Clock::now();
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
  cl::HideUnrelatedOptions({&category, &inspectCategory, &pipelineCategory});
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
    options.cpu = targetCpu;
    return printPipelines(options) && flushStandardOutput() ? 0 : 1;
  }
  if (inputFile.empty()) {
    llvm::errs() << "kiln-compile: error: no input file (see --help)\n";
    return 2;
  }
  // The linker library resets every cl::opt when it runs: keep copies.
  const std::string input = inputFile, output = outputFile;
  const Emit what = emit;
  const DispatchDumps dumps{dumpDispatches.getNumOccurrences() > 0,
                            dumpDispatches, dumpDispatchesDir};
  kiln::ProgressPrinter progress(llvm::errs(), start, progressThreshold,
                                 !quiet);
  if (dumps.any() && (what == Emit::Input || what == Emit::Kiln ||
                      what == Emit::Linalg || what == Emit::DotGraph)) {
    llvm::errs() << "kiln-compile: error: --dump-dispatches"
                 << (dumps.table ? "" : "-dir")
                 << " needs dispatches: compile an artifact or use "
                    "--emit=exec, llvm or dot-schedule\n";
    return 2;
  }
  options.cpu = targetCpu;
  options.hooks.threads = compileThreads;
  // Seeded parameters and panel layouts are drawn on LLVM's parallel
  // strategy: -j bounds it too.
  if (compileThreads) {
    llvm::parallel::strategy = llvm::hardware_concurrency(compileThreads);
  }
  // A bad --target-cpu is the command line's error, not the model's.
  {
    std::string error;
    llvm::raw_string_ostream errorStream(error);
    if (failed(kiln::createCpuTarget(options.cpu, errorStream))) {
      llvm::errs() << "kiln-compile: error: --target-cpu: " << error << "\n";
      return 2;
    }
  }
  bool isKdl = sourceFlags.isKdl(input);
  kiln::KdlOptions kdlOptions;
  if (std::optional<std::string> error =
          sourceFlags.kdlOptions(input, kdlOptions)) {
    llvm::errs() << "kiln-compile: error: " << *error << "\n";
    return 2;
  }

  DialectRegistry registry;
  kiln::registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string error;
  auto source = kiln::openModelSource(input, &error);
  if (!source) {
    llvm::errs() << "kiln-compile: error: " << error << "\n";
    return 1;
  }
  if (std::optional<std::string> binary = kiln::binarySourceError(*source)) {
    llvm::errs() << "kiln-compile: error: " << *binary << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(source), SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module;
  // Errors in the model point at its source; the generic form of a
  // rejected op would only be noise to its author. Past these checks an
  // error is the compiler's, and the op as the passes left it helps.
  context.printOpOnDiagnostic(false);
  if (isKdl) {
    FailureOr<OwningOpRef<ModuleOp>> imported =
        kiln::importKdl(sourceMgr, context, kdlOptions);
    if (failed(imported)) {
      return 1;
    }
    module = std::move(*imported);
  } else if (succeeded(kiln::checkMlirNesting(sourceMgr, &context))) {
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
  if (!module || failed(verify(*module)) ||
      failed(kiln::checkModelInterface(*module))) {
    return 1;
  }
  context.printOpOnDiagnostic(true);

  std::unique_ptr<kiln::WeightSource> weights;
  if (!weightsFile.empty()) {
    // The file has no source location to point at: its errors (which name
    // it) are the tool's.
    std::string message;
    auto opened = kiln::SafetensorsWeights::open(weightsFile, message);
    if (failed(opened)) {
      llvm::errs() << "kiln-compile: error: " << message << "\n";
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

  options.hooks.onProgress = [&](const kiln::CompileProgress &p) {
    progress.report(p);
  };
  if (dumps.any()) {
    options.onDispatchesFormed = [&](ModuleOp m) { return dumps.write(m); };
  }

  if (what == Emit::Artifact) {
    if (output == "-") {
      llvm::errs() << "kiln-compile: error: an artifact needs -o <file>\n";
      return 1;
    }
    if (failed(kiln::compileToArtifact(*module, options, output))) {
      return 1;
    }
    size_t dispatches = 0;
    module->walk([&](kiln::exec::DispatchOp) { ++dispatches; });
    uint64_t bytes = 0;
    (void)llvm::sys::fs::file_size(output, bytes);
    progress.finish(llvm::formatv("{0} ({1} dispatches, {2:F1} MiB)", output,
                                  dispatches, bytes / (1024.0 * 1024.0))
                        .str());
    return 0;
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
    // --emit=input prints the module as the frontend built it.
    if (what != Emit::Input) {
      kiln::GraphStage stage = what == Emit::Kiln || what == Emit::DotGraph
                                   ? kiln::GraphStage::Kiln
                               : what == Emit::Linalg ? kiln::GraphStage::Linalg
                                                      : kiln::GraphStage::Exec;
      if (failed(kiln::runGraphPipeline(*module, stage, options))) {
        return 1;
      }
    }
    if (dumps.any() && failed(dumps.write(*module))) {
      return 1;
    }
    if (what == Emit::DotGraph || what == Emit::DotSchedule) {
      if (failed(what == Emit::DotGraph
                     ? kiln::writeDataflowGraph(*module, os)
                     : kiln::writeScheduleGraph(*module, os))) {
        return 1;
      }
    } else {
      module->print(os);
      os << "\n";
    }
  }
  if (!writeTextFile(output, text)) {
    return 1;
  }
  progress.finish(
      ((output == "-" ? "stdout" : output) + " (--emit=" + emitName(what) + ")")
          .str());
  return 0;
}
