//===- kiln-reference.cpp - Run a model through the reference interpreter -===//
//
//   kiln-reference model.kiln [-D B=2] [--weights w.safetensors]
//                  [--input x=x.npy] [--output-dir out/]
//   kiln-run --reference ...   (the same; kiln-run hands over to this tool)
//
// The model runs op by op in the reference interpreter (f32, f64 sums): the
// oracle compiled results are checked against. Inputs and outputs work as in
// kiln-run.
//
//===----------------------------------------------------------------------===//

#include "compiler/ModelSourceChecks.h"
#include "compiler/Registration.h"
#include "compiler/reference/ReferenceInterpreter.h"
#include "dialects/Kiln/IR/ModelFunction.h"
#include "frontends/kdl/KdlImporter.h"
#include "tools/ModelSourceOptions.h"
#include "tools/StandardOutput.h"
#include "tools/kiln-run/ToolInputs.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/Threading.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("kiln-reference options");
cl::opt<std::string> modelFile(cl::Positional,
                               cl::desc("<model.kiln | model.mlir>"),
                               cl::cat(category));
kiln::tools::ModelSourceFlags sourceFlags(category);
cl::opt<std::string> weightsFile("weights",
                                 cl::desc("Parameters from a safetensors file"),
                                 cl::value_desc("file"), cl::cat(category));
cl::opt<uint64_t> paramSeed("param-seed",
                            cl::desc("Seed of the parameter initialiser"),
                            cl::init(kiln::kDefaultParameterSeed),
                            cl::cat(category));
cl::opt<unsigned> paramThreads(
    "param-threads",
    cl::desc("Threads that draw seeded parameters, -j for short (0: one per "
             "hardware thread; the values are the same for any count). The "
             "interpreter itself runs on one"),
    cl::value_desc("n"), cl::init(0), cl::cat(category));
cl::alias paramThreadsShort("j", cl::desc("Alias for --param-threads"),
                            cl::aliasopt(paramThreads), cl::cat(category));
cl::list<std::string> inputs("input", cl::desc("Input NAME from FILE"),
                             cl::value_desc("NAME=FILE"), cl::cat(category));
cl::list<std::string> inputArchives("inputs",
                                    cl::desc("Every input from a .npz"),
                                    cl::value_desc("file.npz"),
                                    cl::cat(category));
cl::opt<std::string> outputDir("output-dir",
                               cl::desc("Write <output>.npy files here"),
                               cl::value_desc("dir"), cl::cat(category));
cl::list<std::string> expectFiles(
    "expect", cl::desc("Compare output NAME with FILE; exit 1 if they differ"),
    cl::value_desc("NAME=FILE"), cl::cat(category));
cl::list<std::string>
    expectArchives("expected", cl::desc("Compare every output named in a .npz"),
                   cl::value_desc("file.npz"), cl::cat(category));
cl::opt<double> rtolOption("rtol", cl::desc("Relative tolerance of --expect"),
                           cl::init(1e-4), cl::cat(category));
cl::opt<double> atolOption("atol", cl::desc("Absolute tolerance of --expect"),
                           cl::init(1e-5), cl::cat(category));
cl::opt<uint64_t> seed("seed", cl::desc("Seed of the random inputs"),
                       cl::init(0), cl::cat(category));
cl::opt<unsigned> repeat(
    "repeat",
    cl::desc("Time N runs after one warm-up run (min/median/max, as kiln-run)"),
    cl::value_desc("N"), cl::init(0), cl::cat(category));

int fail(const std::string &message) {
  std::fflush(stdout);
  llvm::errs() << "kiln-reference: error: " << message << "\n";
  return 1;
}

/// A command line kiln-run and kiln-compile would refuse too: exit 2.
int usage(const std::string &message) {
  llvm::errs() << "kiln-reference: error: " << message << "\n";
  return 2;
}

/// NAME=FILE pairs of --input and --expect.
std::optional<std::vector<std::pair<std::string, std::string>>>
namedFiles(const char *option, const std::vector<std::string> &pairs) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const std::string &pair : pairs) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size()) {
      llvm::errs() << "kiln-reference: error: bad " << option << " '" << pair
                   << "': expected NAME=FILE\n";
      return std::nullopt;
    }
    files.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
  }
  return files;
}

/// The artifact-style signature of a function's arguments or results.
std::vector<kiln::rt::TensorSpec> specsOf(func::FuncOp model, bool results) {
  std::vector<kiln::rt::TensorSpec> specs;
  unsigned count = results ? model.getNumResults() : model.getNumArguments();
  for (unsigned i = 0; i < count; ++i) {
    auto type = cast<RankedTensorType>(results ? model.getResultTypes()[i]
                                               : model.getArgumentTypes()[i]);
    auto name = results ? model.getResultAttrOfType<StringAttr>(i, "kiln.name")
                        : model.getArgAttrOfType<StringAttr>(i, "kiln.name");
    kiln::rt::TensorSpec spec;
    spec.name =
        name ? name.str() : (results ? "output" : "input") + std::to_string(i);
    Type element = type.getElementType();
    spec.dtype = element.isF32()         ? kiln::rt::DType::F32
                 : element.isInteger(32) ? kiln::rt::DType::I32
                 : element.isInteger(64) ? kiln::rt::DType::I64
                                         : kiln::rt::DType::F32;
    spec.shape.assign(type.getShape().begin(), type.getShape().end());
    specs.push_back(spec);
  }
  return specs;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // LLVM registers a --threads option of its own, which the parser would
  // take silently: the interpreter runs on one thread.
  for (int i = 1; i < argc; ++i) {
    StringRef arg = StringRef(argv[i]).split('=').first;
    if (arg == "--threads" || arg == "-threads") {
      return usage("--threads does not apply: the reference interpreter "
                   "runs on one thread");
    }
  }
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "Kiln reference interpreter\n\n"
      "Runs a model op by op with naive C++ (f32, f64 sums), the oracle of "
      "every compiled result.\n");
  if (paramThreads) {
    llvm::parallel::strategy = llvm::hardware_concurrency(paramThreads);
  }
  if (modelFile.empty()) {
    return fail("no model given (see --help)");
  }
  if (outputDir.getNumOccurrences() && outputDir.empty()) {
    return usage("--output-dir needs a non-empty argument");
  }
  // The limits kiln-run puts on the same options.
  if (repeat.getNumOccurrences() && (repeat < 1 || repeat > 1000000)) {
    return usage("--repeat expects a number in [1, 1000000], got " +
                 std::to_string(repeat));
  }
  for (auto [option, value] : {std::pair{"--rtol", rtolOption.getValue()},
                               std::pair{"--atol", atolOption.getValue()}}) {
    if (!(value >= 0)) {
      char text[32];
      std::snprintf(text, sizeof(text), "%g", value);
      return usage(std::string(option) + " expects a number >= 0, got " + text);
    }
  }
  bool isKdl = sourceFlags.isKdl(modelFile);
  kiln::KdlOptions kdlOptions;
  if (std::optional<std::string> error =
          sourceFlags.kdlOptions(modelFile, kdlOptions)) {
    return usage(*error);
  }
  DialectRegistry registry;
  kiln::registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  std::string error;
  auto source = kiln::openModelSource(modelFile, &error);
  if (!source) {
    return fail(error);
  }
  if (std::optional<std::string> binary = kiln::binarySourceError(*source)) {
    return fail(*binary);
  }
  sourceMgr.AddNewSourceBuffer(std::move(source), SMLoc());
  OwningOpRef<ModuleOp> module;
  if (isKdl) {
    auto imported = kiln::importKdl(sourceMgr, context, kdlOptions);
    if (failed(imported)) {
      return 1;
    }
    module = std::move(*imported);
  } else if (succeeded(kiln::checkMlirNesting(sourceMgr, &context))) {
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
  if (!module || failed(verify(*module))) {
    return 1;
  }
  // The model rules kiln-compile applies, so that both tools accept the
  // same models.
  FailureOr<func::FuncOp> checked = kiln::findCheckedModel(*module);
  if (failed(checked)) {
    return 1;
  }
  func::FuncOp model = *checked;

  std::unique_ptr<kiln::WeightSource> weights;
  if (!weightsFile.empty()) {
    // The file has no source location to point at: its errors (which name
    // it) are the tool's.
    std::string message;
    auto opened = kiln::SafetensorsWeights::open(weightsFile, message);
    if (failed(opened)) {
      return fail(message);
    }
    weights = std::move(*opened);
  } else {
    weights = std::make_unique<kiln::SeededWeights>(paramSeed);
  }

  kiln::rt::InputOptions inputOptions;
  kiln::rt::ExpectOptions expect;
  auto inputFiles = namedFiles("--input", inputs);
  auto expectedFiles = namedFiles("--expect", expectFiles);
  if (!inputFiles || !expectedFiles) {
    return 1;
  }
  inputOptions.inputFiles = std::move(*inputFiles);
  expect.files = std::move(*expectedFiles);
  expect.archives.assign(expectArchives.begin(), expectArchives.end());
  expect.rtol = rtolOption;
  expect.atol = atolOption;
  inputOptions.inputArchives.assign(inputArchives.begin(), inputArchives.end());
  inputOptions.seed = seed;
  std::vector<kiln::rt::TensorSpec> inputSpecs = specsOf(model, false);
  auto tensors = kiln::rt::prepareInputs(inputSpecs, inputOptions);
  if (!tensors.ok()) {
    return fail(tensors.status().message());
  }
  std::vector<kiln::ref::Tensor> refInputs;
  for (const kiln::rt::Tensor &t : *tensors) {
    kiln::ref::Tensor r;
    r.shape = t.shape();
    if (t.dtype() == kiln::rt::DType::F32) {
      r.floats.assign(t.dataAs<float>(), t.dataAs<float>() + t.numElements());
    } else {
      r.isFloat = false;
      for (uint64_t i = 0; i < t.numElements(); ++i) {
        r.ints.push_back(t.dtype() == kiln::rt::DType::I32
                             ? t.dataAs<int32_t>()[i]
                             : t.dataAs<int64_t>()[i]);
      }
    }
    refInputs.push_back(std::move(r));
  }

  // With --repeat, a warm-up run and then N timed ones, as kiln-run does.
  unsigned runs = repeat ? repeat + 1 : 1;
  std::vector<double> millis;
  FailureOr<std::vector<kiln::ref::Tensor>> results = failure();
  for (unsigned run = 0; run < runs; ++run) {
    auto start = std::chrono::steady_clock::now();
    results = kiln::ref::interpret(model, refInputs, *weights);
    auto stop = std::chrono::steady_clock::now();
    if (failed(results)) {
      return 1;
    }
    if (!repeat || run > 0) {
      millis.push_back(
          std::chrono::duration<double, std::milli>(stop - start).count());
    }
  }
  if (failed(weights->checkAllUsed(model.getLoc()))) {
    return 1;
  }
  std::vector<kiln::rt::TensorSpec> outputSpecs = specsOf(model, true);
  std::vector<kiln::rt::Tensor> outputs;
  for (auto [spec, r] : llvm::zip(outputSpecs, *results)) {
    kiln::rt::Tensor t =
        kiln::rt::Tensor::create(spec.dtype, spec.shape).value();
    for (int64_t i = 0; i < r.numElements(); ++i) {
      if (spec.dtype == kiln::rt::DType::F32) {
        t.dataAs<float>()[i] = r.floats[i];
      } else if (spec.dtype == kiln::rt::DType::I32) {
        t.dataAs<int32_t>()[i] = static_cast<int32_t>(r.ints[i]);
      } else {
        t.dataAs<int64_t>()[i] = r.ints[i];
      }
    }
    outputs.push_back(std::move(t));
  }
  kiln::rt::Status status =
      kiln::rt::reportOutputs(outputSpecs, outputs, outputDir);
  if (!status.ok()) {
    return fail(status.message());
  }
  bool matched = true;
  if (!expect.empty()) {
    auto checked = kiln::rt::checkOutputs(outputSpecs, outputs, expect);
    if (!checked.ok()) {
      return fail(checked.status().message());
    }
    matched = *checked;
  }
  std::sort(millis.begin(), millis.end());
  if (repeat) {
    std::printf("time: min %.3f ms, median %.3f ms, max %.3f ms over %u runs "
                "after 1 warm-up (reference interpreter, 1 thread)\n",
                millis.front(), millis[millis.size() / 2], millis.back(),
                static_cast<unsigned>(repeat));
  } else {
    std::printf("time: %.3f ms (reference interpreter)\n", millis.front());
  }
  return matched ? kiln::tools::finishStandardOutput("kiln-reference", 0)
                 : fail("outputs differ from the expected values");
}
