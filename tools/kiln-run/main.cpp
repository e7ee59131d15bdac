//===- main.cpp - kiln-run: run a compiled artifact -----------------------===//
//
// Loads a .kbin, feeds it inputs from .npy/.npz files or from a seeded random
// generator, runs it (optionally repeatedly, for timing; optionally traced)
// and prints or saves the outputs. Exit codes: 0 success, 1 runtime error
// (bad artifact, bad input, failed kernel), 2 usage error.
//
// Inputs are all given or all random: with any --input or --inputs, every
// input of the model must be given, so that a typo or a forgotten input is
// an error rather than silently random data. Random inputs are reproducible
// on every machine: one splitmix64 stream, seeded with --seed, fills the
// inputs in signature order and C order within each. Each 64-bit draw x
// becomes
//   f32/f16/bf16: ((x >> 40) * 2^-24) * 2 - 1   (uniform in [-1, 1))
//   f64:          ((x >> 11) * 2^-53) * 2 - 1
//   integers and bool: x >> 63                  (0 or 1, safe as an index)
//
//===----------------------------------------------------------------------===//

#include "ChromeTrace.h"
#include "ToolInputs.h"

#include "runtime/Npy.h"
#include "runtime/Session.h"
#include "tools/StandardOutput.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

using namespace kiln::rt;

namespace {

/// The most events a trace holds: about 1.2 GB of JSON, built in memory
/// next to the events themselves.
constexpr size_t kMaxTraceEvents = 4'000'000;

const char *const kUsage =
    "usage: kiln-run MODEL.kbin [options]\n"
    "\n"
    "options:\n"
    "  --input NAME=FILE      feed input NAME from FILE: a .npy file, or a\n"
    "                         .npz archive holding an array called NAME\n"
    "                         (repeatable)\n"
    "  --inputs FILE.npz      feed every input from the array of its name in\n"
    "                         a .npz archive (numpy.savez or "
    "savez_compressed)\n"
    "  --output-dir DIR       write <output name>.npy for every output\n"
    "  --expect NAME=FILE     compare output NAME with FILE (.npy, or .npz\n"
    "                         holding an array NAME); exit 1 if they differ\n"
    "  --expected FILE.npz    compare every output named in the archive\n"
    "  --rtol R, --atol A     tolerance of the comparison, as numpy.allclose\n"
    "                         (default: rtol 1e-4, atol 1e-5)\n"
    "  --threads N            threads to run on (default: all CPUs)\n"
    "  --repeat N             time N runs after one warm-up run\n"
    "  --trace FILE.json      write a Chrome/Perfetto trace of every run and\n"
    "                         print where the timed runs spent their time\n"
    "                         (at most 4,000,000 events in all)\n"
    "  --seed S               seed of the random inputs (default: 0)\n"
    "  --inline               run every tile in order on one thread\n"
    "  --reference MODEL.kiln [-D NAME=VALUE] [--weights FILE.safetensors]\n"
    "                         run a model through the reference interpreter\n"
    "                         instead (kiln-reference; see its --help)\n"
    "  --help                 show this text\n"
    "\n"
    "Inputs are all given or all random: with any --input or --inputs, every\n"
    "model input must be given. Without them, one splitmix64 stream seeded\n"
    "with --seed fills the inputs in signature order, the same on every\n"
    "machine; floats are uniform in [-1, 1), integers and bools are 0 or 1.\n";

struct Options {
  std::string model;
  std::vector<std::pair<std::string, std::string>> inputFiles;
  std::vector<std::string> inputArchives;
  std::string outputDir;
  std::string tracePath;
  int threads = 0;
  int repeat = 0;
  uint64_t seed = 0;
  bool inlineExecution = false;
  ExpectOptions expect;
};

/// Thrown for command-line mistakes; main turns it into exit code 2.
struct UsageError {
  std::string message;
};

int fail(const std::string &message) {
  std::fflush(stdout); // What was printed comes before the error.
  std::fprintf(stderr, "kiln-run: error: %s\n", message.c_str());
  return 1;
}

uint64_t parseNumber(const std::string &option, const std::string &text,
                     uint64_t min, uint64_t max) {
  char *end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0])) ||
      *end != '\0' || errno != 0 || value < min || value > max) {
    throw UsageError{option + " expects an integer from " +
                     std::to_string(min) + " to " + std::to_string(max) +
                     ", got '" + text + "'"};
  }
  return value;
}

double parseTolerance(const std::string &option, const std::string &text) {
  char *end = nullptr;
  errno = 0;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno != 0 || !(value >= 0)) {
    throw UsageError{option + " expects a number >= 0, got '" + text + "'"};
  }
  return value;
}

/// NAME=FILE of --input and --expect.
std::pair<std::string, std::string> parseNamedFile(const std::string &option,
                                                   const std::string &value) {
  size_t eq = value.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == value.size()) {
    throw UsageError{"bad " + option + " '" + value + "': expected NAME=FILE"};
  }
  return {value.substr(0, eq), value.substr(eq + 1)};
}

Options parseOptions(int argc, char **argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg.rfind("--", 0) != 0) {
      if (!options.model.empty()) {
        throw UsageError{"unexpected argument '" + arg + "'"};
      }
      options.model = arg;
      continue;
    }
    std::string name = arg, value;
    bool hasValue = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      hasValue = true;
    }
    if (name == "--inline") {
      options.inlineExecution = true;
      continue;
    }
    static const char *const kValued[] = {
        "--input",    "--inputs", "--output-dir", "--threads",
        "--repeat",   "--seed",   "--trace",      "--expect",
        "--expected", "--rtol",   "--atol"};
    if (std::find(std::begin(kValued), std::end(kValued), name) ==
        std::end(kValued)) {
      throw UsageError{"unknown option '" + arg + "'"};
    }
    if (!hasValue) {
      if (i + 1 >= argc) {
        throw UsageError{"option '" + name + "' needs an argument"};
      }
      value = argv[++i];
    }
    if (value.empty()) {
      // `--output-dir ''` wrote nothing and exited 0.
      throw UsageError{"option '" + name + "' needs a non-empty argument"};
    }
    if (name == "--input") {
      options.inputFiles.push_back(parseNamedFile(name, value));
    } else if (name == "--expect") {
      options.expect.files.push_back(parseNamedFile(name, value));
    } else if (name == "--expected") {
      options.expect.archives.push_back(value);
    } else if (name == "--rtol") {
      options.expect.rtol = parseTolerance(name, value);
    } else if (name == "--atol") {
      options.expect.atol = parseTolerance(name, value);
    } else if (name == "--inputs") {
      options.inputArchives.push_back(value);
    } else if (name == "--output-dir") {
      options.outputDir = value;
    } else if (name == "--trace") {
      options.tracePath = value;
    } else if (name == "--threads") {
      options.threads = static_cast<int>(parseNumber(name, value, 1, 1024));
    } else if (name == "--repeat") {
      options.repeat = static_cast<int>(parseNumber(name, value, 1, 1000000));
    } else {
      options.seed = parseNumber(name, value, 0, UINT64_MAX);
    }
  }
  if (options.model.empty()) {
    throw UsageError{"no model given"};
  }
  if (options.inlineExecution && options.threads > 1) {
    throw UsageError{"--inline runs every tile on the calling thread; "
                     "--threads does not apply"};
  }
  return options;
}

int runModel(const Options &options) {
  StatusOr<std::shared_ptr<const Program>> program =
      Program::load(options.model);
  if (!program.ok()) {
    return fail(program.status().message());
  }
  StatusOr<std::unique_ptr<Session>> session =
      Session::create(*program, {options.threads, options.inlineExecution});
  if (!session.ok()) {
    return fail(session.status().message());
  }
  StatusOr<std::vector<Tensor>> inputs =
      prepareInputs((*program)->inputs(),
                    {options.inputFiles, options.inputArchives, options.seed});
  if (!inputs.ok()) {
    return fail(inputs.status().message());
  }
  StatusOr<std::vector<Tensor>> outputs = (*session)->allocateOutputs();
  if (!outputs.ok()) {
    return fail(outputs.status().message());
  }
  std::vector<TensorView> inputViews;
  for (const Tensor &tensor : *inputs) {
    inputViews.push_back(tensor.view());
  }
  std::vector<MutableTensorView> outputViews;
  for (Tensor &tensor : *outputs) {
    outputViews.push_back(tensor.mutableView());
  }

  // Without --trace no tracer is passed, and the runtime times nothing.
  // The trace's file is opened (as a temporary next to it) before running,
  // so that an unwritable path fails first, and committed at the end: a
  // failed run leaves an earlier trace as it was.
  std::unique_ptr<ChromeTrace> trace;
  OutputFile traceFile;
  if (!options.tracePath.empty()) {
    trace = std::make_unique<ChromeTrace>((*program)->info(),
                                          (*session)->threadCount());
    if (Status status = traceFile.open(options.tracePath); !status.ok()) {
      return fail("trace: " + status.message());
    }
  }
  int timedRuns = options.repeat ? options.repeat : 1;
  int totalRuns = options.repeat ? timedRuns + 1 : 1;
  std::vector<double> millis;
  for (int run = 0; run < totalRuns; ++run) {
    bool timed = run >= totalRuns - timedRuns;
    if (trace) {
      trace->beginRun(timed ? "run " + std::to_string(run) : "warm-up run",
                      timed);
    }
    auto start = std::chrono::steady_clock::now();
    Status status = (*session)->run(inputViews, outputViews, trace.get());
    auto stop = std::chrono::steady_clock::now();
    if (trace) {
      trace->endRun();
    }
    if (!status.ok()) {
      return fail(status.message());
    }
    // Every event stays in memory until the trace is written (about 300
    // bytes of JSON each): refuse, after the first run, a --repeat whose
    // trace would not fit.
    if (trace && run == 0 &&
        trace->eventCount() * static_cast<size_t>(totalRuns) >
            kMaxTraceEvents) {
      size_t perRun = trace->eventCount();
      return fail("--trace: " + std::to_string(totalRuns) + " runs of " +
                  std::to_string(perRun) + " events each pass the trace's " +
                  std::to_string(kMaxTraceEvents) + " events; trace at most " +
                  std::to_string(kMaxTraceEvents / perRun - 1) +
                  " runs (--repeat)");
    }
    if (timed) {
      millis.push_back(
          std::chrono::duration<double, std::milli>(stop - start).count());
    }
  }
  if (trace) {
    if (Status status = trace->write(traceFile, options.tracePath);
        !status.ok()) {
      return fail(status.message());
    }
  }

  if (Status status =
          reportOutputs((*program)->outputs(), *outputs, options.outputDir);
      !status.ok()) {
    return fail(status.message());
  }
  bool matched = true;
  if (!options.expect.empty()) {
    StatusOr<bool> checked =
        checkOutputs((*program)->outputs(), *outputs, options.expect);
    if (!checked.ok()) {
      return fail(checked.status().message());
    }
    matched = *checked;
  }
  int threads = (*session)->threadCount();
  std::sort(millis.begin(), millis.end());
  if (options.repeat) {
    std::printf("time: min %.3f ms, median %.3f ms, max %.3f ms over %d runs "
                "after 1 warm-up (%d thread%s)\n",
                millis.front(), millis[millis.size() / 2], millis.back(),
                timedRuns, threads, threads == 1 ? "" : "s");
  } else {
    std::printf("time: %.3f ms (1 run, %d thread%s)\n", millis.front(), threads,
                threads == 1 ? "" : "s");
  }
  if (trace) {
    std::printf("%s", trace->summary(10).c_str());
  }
  return matched ? 0 : fail("outputs differ from the expected values");
}

} // namespace

/// `kiln-run --reference ...` is kiln-reference (a compiler tool, installed
/// next to kiln-run when the compiler is built): hand the other arguments
/// over to it.
int runReference(int argc, char **argv) {
  char self[4096];
  ssize_t length = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string dir = length > 0 ? std::string(self, length) : argv[0];
  dir = dir.substr(0, dir.find_last_of('/') + 1);
  std::string tool = dir + "kiln-reference";
  std::vector<char *> args = {tool.data()};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--reference") == 0) {
      continue;
    }
    // Options of compiled runs only (in either spelling LLVM's parser
    // takes): kiln-reference would have refused --trace and --inline as
    // unknown, in LLVM's words, and taken --threads as LLVM's own option.
    std::string_view name(argv[i]);
    size_t dashes = name.rfind("--", 0) == 0 ? 2 : name.rfind('-', 0) == 0;
    name = name.substr(dashes, name.find('=') - dashes);
    static const std::pair<const char *, const char *> kRunOnly[] = {
        {"trace", "the reference interpreter records no trace"},
        {"inline", "the reference interpreter runs on one thread"},
        {"threads", "the reference interpreter runs on one thread"}};
    for (auto [own, why] : kRunOnly) {
      if (dashes && name == own) {
        std::fprintf(stderr,
                     "kiln-run: error: --%s does not apply to --reference "
                     "(%s)\n",
                     own, why);
        return 2;
      }
    }
    args.push_back(argv[i]);
  }
  args.push_back(nullptr);
  ::execv(tool.c_str(), args.data());
  return fail("--reference runs '" + tool + "' (" + std::strerror(errno) +
              "); it is built with the compiler (KILN_BUILD_COMPILER=ON)");
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--reference") == 0) {
      return kiln::tools::finishStandardOutput("kiln-run",
                                               runReference(argc, argv));
    }
  }
  Options options;
  try {
    options = parseOptions(argc, argv);
  } catch (const UsageError &error) {
    std::fprintf(stderr, "kiln-run: error: %s\n%s", error.message.c_str(),
                 kUsage);
    return 2;
  }
  return kiln::tools::finishStandardOutput("kiln-run", runModel(options));
}
