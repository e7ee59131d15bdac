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
#include "NpzArchive.h"

#include "runtime/Npy.h"
#include "runtime/Session.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace kiln::rt;

namespace {

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
    "  --threads N            threads to run on (default: all CPUs)\n"
    "  --repeat N             time N runs after one warm-up run\n"
    "  --trace FILE.json      write a Chrome/Perfetto trace of every run\n"
    "  --seed S               seed of the random inputs (default: 0)\n"
    "  --inline               run every tile in order on one thread\n"
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
};

/// Thrown for command-line mistakes; main turns it into exit code 2.
struct UsageError {
  std::string message;
};

int fail(const std::string &message) {
  std::fprintf(stderr, "kiln-run: error: %s\n", message.c_str());
  return 1;
}

uint64_t parseNumber(const std::string &option, const std::string &text,
                     uint64_t min, uint64_t max) {
  char *end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] == '-' || *end != '\0' || errno != 0 ||
      value < min || value > max) {
    throw UsageError{option + " expects an integer from " +
                     std::to_string(min) + " to " + std::to_string(max) +
                     ", got '" + text + "'"};
  }
  return value;
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
    if (name != "--input" && name != "--inputs" && name != "--output-dir" &&
        name != "--threads" && name != "--repeat" && name != "--seed" &&
        name != "--trace") {
      throw UsageError{"unknown option '" + arg + "'"};
    }
    if (!hasValue) {
      if (i + 1 >= argc) {
        throw UsageError{"option '" + name + "' needs an argument"};
      }
      value = argv[++i];
    }
    if (name == "--input") {
      size_t eq = value.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == value.size()) {
        throw UsageError{"bad --input '" + value + "': expected NAME=FILE"};
      }
      options.inputFiles.emplace_back(value.substr(0, eq),
                                      value.substr(eq + 1));
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
  return options;
}

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast and portable.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

void fillRandom(Tensor &tensor, SplitMix64 &rng) {
  for (uint64_t i = 0; i < tensor.numElements(); ++i) {
    uint64_t x = rng.next();
    float f = static_cast<float>(x >> 40) * (1.0f / 16777216.0f) * 2 - 1;
    switch (tensor.dtype()) {
    case DType::F32:
      tensor.dataAs<float>()[i] = f;
      break;
    case DType::F16:
      tensor.dataAs<uint16_t>()[i] = floatToHalf(f);
      break;
    case DType::BF16:
      tensor.dataAs<uint16_t>()[i] = floatToBf16(f);
      break;
    case DType::F64:
      tensor.dataAs<double>()[i] =
          static_cast<double>(x >> 11) * (1.0 / 9007199254740992.0) * 2 - 1;
      break;
    case DType::I8:
    case DType::U8:
    case DType::Bool:
      tensor.dataAs<uint8_t>()[i] = static_cast<uint8_t>(x >> 63);
      break;
    case DType::I16:
      tensor.dataAs<int16_t>()[i] = static_cast<int16_t>(x >> 63);
      break;
    case DType::I32:
      tensor.dataAs<int32_t>()[i] = static_cast<int32_t>(x >> 63);
      break;
    case DType::I64:
      tensor.dataAs<int64_t>()[i] = static_cast<int64_t>(x >> 63);
      break;
    }
  }
}

/// Element `i` of `tensor` as text.
std::string formatElement(const Tensor &tensor, uint64_t i) {
  char text[32];
  switch (tensor.dtype()) {
  case DType::F32:
    std::snprintf(text, sizeof(text), "%.6g", tensor.dataAs<float>()[i]);
    break;
  case DType::F16:
    std::snprintf(text, sizeof(text), "%.5g",
                  halfToFloat(tensor.dataAs<uint16_t>()[i]));
    break;
  case DType::BF16:
    std::snprintf(text, sizeof(text), "%.4g",
                  bf16ToFloat(tensor.dataAs<uint16_t>()[i]));
    break;
  case DType::F64:
    std::snprintf(text, sizeof(text), "%.9g", tensor.dataAs<double>()[i]);
    break;
  case DType::I8:
    return std::to_string(tensor.dataAs<int8_t>()[i]);
  case DType::U8:
    return std::to_string(tensor.dataAs<uint8_t>()[i]);
  case DType::Bool:
    return tensor.dataAs<uint8_t>()[i] ? "true" : "false";
  case DType::I16:
    return std::to_string(tensor.dataAs<int16_t>()[i]);
  case DType::I32:
    return std::to_string(tensor.dataAs<int32_t>()[i]);
  case DType::I64:
    return std::to_string(tensor.dataAs<int64_t>()[i]);
  }
  return text;
}

/// Whether `path` names a .npz archive rather than a .npy file.
bool isNpz(const std::string &path) {
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".npz") == 0;
}

/// "x, mask" for messages.
std::string inputNames(const Program &program) {
  std::string names;
  for (const TensorSpec &spec : program.inputs()) {
    names += (names.empty() ? "" : ", ") + spec.name;
  }
  return names.empty() ? "none" : names;
}

/// Decides which file feeds each input: --input pairs and every array of
/// every --inputs archive. Each must name a model input, none twice, and
/// together they must cover every input. Archives are opened once, here.
StatusOr<std::map<std::string, std::string>>
inputSources(const Program &program, const Options &options,
             std::map<std::string, NpzArchive> &archives) {
  std::map<std::string, std::string> sources;
  auto isInput = [&](const std::string &name) {
    return std::any_of(
        program.inputs().begin(), program.inputs().end(),
        [&](const TensorSpec &spec) { return spec.name == name; });
  };
  auto add = [&](const std::string &name, const std::string &file) -> Status {
    auto [it, added] = sources.emplace(name, file);
    if (!added) {
      return makeError(StatusCode::InvalidArgument, "input '", name,
                       "' is given twice ('", it->second, "' and '", file,
                       "')");
    }
    return Status();
  };
  for (const auto &[name, file] : options.inputFiles) {
    if (!isInput(name)) {
      return makeError(StatusCode::InvalidArgument, "--input '", name,
                       "': the model has no input of that name (inputs: ",
                       inputNames(program), ")");
    }
    KILN_RETURN_IF_ERROR(add(name, file));
  }
  for (const std::string &file : options.inputArchives) {
    if (!isNpz(file)) {
      return makeError(StatusCode::InvalidArgument, "--inputs '", file,
                       "': expected a .npz archive");
    }
    StatusOr<NpzArchive> archive = NpzArchive::open(file);
    if (!archive.ok()) {
      return archive.status();
    }
    for (const std::string &name : archive->names()) {
      if (!isInput(name)) {
        return makeError(StatusCode::InvalidArgument, "'", file,
                         "' has an array '", name,
                         "' but the model has no input of that name "
                         "(inputs: ",
                         inputNames(program), ")");
      }
      KILN_RETURN_IF_ERROR(add(name, file));
    }
    archives.emplace(file, std::move(archive).value());
  }
  if (!sources.empty()) {
    for (const TensorSpec &spec : program.inputs()) {
      if (!sources.count(spec.name)) {
        return makeError(StatusCode::InvalidArgument, "input '", spec.name,
                         "' is not given; with --input or --inputs every "
                         "input must be given (inputs: ",
                         inputNames(program), ")");
      }
    }
  }
  return sources;
}

/// Reads input `spec` from `file` (a .npy file, or the array of its name in
/// a .npz archive) and checks it against the signature.
StatusOr<Tensor> readInput(const TensorSpec &spec, const std::string &file,
                           std::map<std::string, NpzArchive> &archives) {
  auto read = [&]() -> StatusOr<Tensor> {
    if (!isNpz(file)) {
      return readNpy(file);
    }
    auto it = archives.find(file);
    if (it == archives.end()) {
      StatusOr<NpzArchive> archive = NpzArchive::open(file);
      if (!archive.ok()) {
        return archive.status();
      }
      it = archives.emplace(file, std::move(archive).value()).first;
    }
    return it->second.read(spec.name);
  };
  StatusOr<Tensor> tensor = read();
  if (tensor.ok() &&
      (tensor->dtype() != spec.dtype || tensor->shape() != spec.shape)) {
    return makeError(StatusCode::InvalidArgument, "input '", spec.name,
                     "': expected ", formatTensorType(spec.dtype, spec.shape),
                     ", got ",
                     formatTensorType(tensor->dtype(), tensor->shape()),
                     " (from '", file, "')");
  }
  return tensor;
}

/// Loads every input, in signature order, or generates them all.
StatusOr<std::vector<Tensor>> prepareInputs(const Program &program,
                                            const Options &options) {
  std::map<std::string, NpzArchive> archives;
  StatusOr<std::map<std::string, std::string>> sources =
      inputSources(program, options, archives);
  if (!sources.ok()) {
    return sources.status();
  }
  SplitMix64 rng{options.seed};
  std::vector<Tensor> inputs;
  for (const TensorSpec &spec : program.inputs()) {
    StatusOr<Tensor> tensor =
        sources->empty() ? Tensor::create(spec.dtype, spec.shape)
                         : readInput(spec, sources->at(spec.name), archives);
    if (!tensor.ok()) {
      return tensor.status();
    }
    if (sources->empty()) {
      fillRandom(*tensor, rng);
    }
    inputs.push_back(std::move(tensor).value());
  }
  return inputs;
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
  StatusOr<std::vector<Tensor>> inputs = prepareInputs(**program, options);
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
  std::unique_ptr<ChromeTrace> trace;
  if (!options.tracePath.empty()) {
    trace = std::make_unique<ChromeTrace>((*program)->info(),
                                          (*session)->threadCount());
    // Fail before running if the trace cannot be written at all.
    if (Status status = trace->write(options.tracePath); !status.ok()) {
      return fail(status.message());
    }
  }
  int timedRuns = options.repeat ? options.repeat : 1;
  int totalRuns = options.repeat ? timedRuns + 1 : 1;
  std::vector<double> millis;
  for (int run = 0; run < totalRuns; ++run) {
    bool timed = run >= totalRuns - timedRuns;
    if (trace) {
      trace->beginRun(timed ? "run " + std::to_string(run) : "warm-up run");
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
    if (timed) {
      millis.push_back(
          std::chrono::duration<double, std::milli>(stop - start).count());
    }
  }
  if (trace) {
    if (Status status = trace->write(options.tracePath); !status.ok()) {
      return fail(status.message());
    }
  }

  const std::vector<TensorSpec> &specs = (*program)->outputs();
  for (size_t i = 0; i < specs.size(); ++i) {
    const Tensor &tensor = (*outputs)[i];
    uint64_t shown = std::min<uint64_t>(tensor.numElements(), 8);
    std::string values;
    for (uint64_t e = 0; e < shown; ++e) {
      values += (e ? ", " : "") + formatElement(tensor, e);
    }
    std::printf("%s: %s = [%s%s]\n", specs[i].name.c_str(),
                formatTensorType(tensor.dtype(), tensor.shape()).c_str(),
                values.c_str(), shown < tensor.numElements() ? ", ..." : "");
    if (!options.outputDir.empty()) {
      if (::mkdir(options.outputDir.c_str(), 0755) != 0 && errno != EEXIST) {
        return fail("cannot create '" + options.outputDir +
                    "': " + std::strerror(errno));
      }
      // Output names may contain '/'; keep every file inside the directory.
      std::string file = specs[i].name;
      std::replace(file.begin(), file.end(), '/', '_');
      Status status =
          writeNpy(options.outputDir + "/" + file + ".npy", tensor.view());
      if (!status.ok()) {
        return fail(status.message());
      }
    }
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
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  try {
    options = parseOptions(argc, argv);
  } catch (const UsageError &error) {
    std::fprintf(stderr, "kiln-run: error: %s\n%s", error.message.c_str(),
                 kUsage);
    return 2;
  }
  return runModel(options);
}
