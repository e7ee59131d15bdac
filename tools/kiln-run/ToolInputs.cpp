//===- ToolInputs.cpp - Inputs and outputs of kiln-run and kiln-reference -===//

#include "ToolInputs.h"
#include "NpzArchive.h"

#include "runtime/Npy.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <sys/stat.h>

namespace kiln::rt {
namespace {

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
std::string tensorNames(const std::vector<TensorSpec> &specs) {
  std::string names;
  for (const TensorSpec &spec : specs) {
    names += (names.empty() ? "" : ", ") + spec.name;
  }
  return names.empty() ? "none" : names;
}

/// How the tools' flags name tensors of one role, for messages.
struct SourceFlags {
  const char *role;    // "input" or "output"
  const char *single;  // "--input"
  const char *archive; // "--inputs"
  bool requireAll;
};

constexpr SourceFlags kInputFlags{"input", "--input", "--inputs", true};
constexpr SourceFlags kExpectFlags{"output", "--expect", "--expected", false};

/// Decides which file holds each tensor of `specs`: NAME=FILE pairs and
/// every array of every archive. Each must name a tensor of the signature,
/// none twice; with `flags.requireAll`, together they must cover every
/// tensor (or none). Archives are opened once, here.
StatusOr<std::map<std::string, std::string>>
tensorSources(const std::vector<TensorSpec> &specs,
              const std::vector<std::pair<std::string, std::string>> &files,
              const std::vector<std::string> &archiveFiles,
              const SourceFlags &flags,
              std::map<std::string, NpzArchive> &archives) {
  std::map<std::string, std::string> sources;
  auto isNamed = [&](const std::string &name) {
    return std::any_of(specs.begin(), specs.end(), [&](const TensorSpec &spec) {
      return spec.name == name;
    });
  };
  auto add = [&](const std::string &name, const std::string &file) -> Status {
    auto [it, added] = sources.emplace(name, file);
    if (!added) {
      return makeError(StatusCode::InvalidArgument, flags.role, " '", name,
                       "' is given twice ('", it->second, "' and '", file,
                       "')");
    }
    return Status();
  };
  for (const auto &[name, file] : files) {
    if (!isNamed(name)) {
      return makeError(StatusCode::InvalidArgument, flags.single, " '", name,
                       "': the model has no ", flags.role, " of that name (",
                       flags.role, "s: ", tensorNames(specs), ")");
    }
    KILN_RETURN_IF_ERROR(add(name, file));
  }
  for (const std::string &file : archiveFiles) {
    if (!isNpz(file)) {
      return makeError(StatusCode::InvalidArgument, flags.archive, " '", file,
                       "': expected a .npz archive");
    }
    StatusOr<NpzArchive> archive = NpzArchive::open(file);
    if (!archive.ok()) {
      return archive.status();
    }
    // An empty archive would feed (or check) nothing: with --inputs the
    // model silently ran on random inputs.
    if (archive->names().empty()) {
      return makeError(StatusCode::InvalidArgument, flags.archive, " '", file,
                       "': the archive holds no arrays (", flags.role,
                       "s: ", tensorNames(specs), ")");
    }
    for (const std::string &name : archive->names()) {
      if (!isNamed(name)) {
        return makeError(StatusCode::InvalidArgument, "'", file,
                         "' has an array '", name, "' but the model has no ",
                         flags.role, " of that name (", flags.role,
                         "s: ", tensorNames(specs), ")");
      }
      KILN_RETURN_IF_ERROR(add(name, file));
    }
    archives.emplace(file, std::move(archive).value());
  }
  if (flags.requireAll && !sources.empty()) {
    for (const TensorSpec &spec : specs) {
      if (!sources.count(spec.name)) {
        return makeError(StatusCode::InvalidArgument, flags.role, " '",
                         spec.name, "' is not given; with ", flags.single,
                         " or ", flags.archive, " every ", flags.role,
                         " must be given (", flags.role,
                         "s: ", tensorNames(specs), ")");
      }
    }
  }
  return sources;
}

/// Reads tensor `spec` from `file` (a .npy file, or the array of its name in
/// a .npz archive) and checks it against the signature.
StatusOr<Tensor> readTensor(const TensorSpec &spec, const std::string &file,
                            const SourceFlags &flags,
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
    std::string want = formatTensorType(spec.dtype, spec.shape);
    std::string have = formatTensorType(tensor->dtype(), tensor->shape());
    if (!flags.requireAll) {
      return makeError(StatusCode::InvalidArgument, flags.role, " '", spec.name,
                       "' is ", want, " but its expected value in '", file,
                       "' is ", have);
    }
    return makeError(StatusCode::InvalidArgument, flags.role, " '", spec.name,
                     "': expected ", want, ", got ", have, " (from '", file,
                     "')");
  }
  return tensor;
}

} // namespace

/// Loads every input, in signature order, or generates them all.
StatusOr<std::vector<Tensor>>
prepareInputs(const std::vector<TensorSpec> &specs,
              const InputOptions &options) {
  std::map<std::string, NpzArchive> archives;
  StatusOr<std::map<std::string, std::string>> sources = tensorSources(
      specs, options.inputFiles, options.inputArchives, kInputFlags, archives);
  if (!sources.ok()) {
    return sources.status();
  }
  SplitMix64 rng{options.seed};
  std::vector<Tensor> inputs;
  for (const TensorSpec &spec : specs) {
    StatusOr<Tensor> tensor =
        sources->empty()
            ? Tensor::create(spec.dtype, spec.shape)
            : readTensor(spec, sources->at(spec.name), kInputFlags, archives);
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

Status reportOutputs(const std::vector<TensorSpec> &specs,
                     const std::vector<Tensor> &outputs,
                     const std::string &outputDir) {
  for (size_t i = 0; i < specs.size(); ++i) {
    const Tensor &tensor = outputs[i];
    uint64_t shown = std::min<uint64_t>(tensor.numElements(), 8);
    std::string values;
    for (uint64_t e = 0; e < shown; ++e) {
      values += (e ? ", " : "") + formatElement(tensor, e);
    }
    std::printf("%s: %s = [%s%s]\n", specs[i].name.c_str(),
                formatTensorType(tensor.dtype(), tensor.shape()).c_str(),
                values.c_str(), shown < tensor.numElements() ? ", ..." : "");
    if (!outputDir.empty()) {
      if (::mkdir(outputDir.c_str(), 0755) != 0 && errno != EEXIST) {
        return makeError(StatusCode::IoError, "cannot create '", outputDir,
                         "': ", std::strerror(errno));
      }
      // Output names may contain '/'; keep every file inside the directory.
      std::string file = specs[i].name;
      std::replace(file.begin(), file.end(), '/', '_');
      Status status = writeNpy(outputDir + "/" + file + ".npy", tensor.view());
      if (!status.ok()) {
        return status;
      }
    }
  }
  return Status();
}

namespace {

/// Element `i` of a floating-point tensor, widened.
double floatElement(const Tensor &tensor, uint64_t i) {
  switch (tensor.dtype()) {
  case DType::F32:
    return tensor.dataAs<float>()[i];
  case DType::F16:
    return halfToFloat(tensor.dataAs<uint16_t>()[i]);
  case DType::BF16:
    return bf16ToFloat(tensor.dataAs<uint16_t>()[i]);
  default:
    return tensor.dataAs<double>()[i];
  }
}

bool isFloat(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16 ||
         dtype == DType::F64;
}

/// "[1, 0, 3]": the index of flat element `i` of `shape`.
std::string formatIndex(const std::vector<int64_t> &shape, uint64_t i) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = static_cast<int64_t>(i % shape[d]);
    i /= shape[d];
  }
  std::string text = "[";
  for (size_t d = 0; d < index.size(); ++d) {
    text += (d ? ", " : "") + std::to_string(index[d]);
  }
  return text + "]";
}

/// Compares one output; prints its line and returns whether it matched.
bool compareOutput(const TensorSpec &spec, const Tensor &got,
                   const Tensor &expected, const ExpectOptions &expect) {
  uint64_t mismatches = 0, first = 0;
  // The largest error, and the largest fraction of its tolerance an
  // element used.
  double maxAbs = 0, maxShare = 0;
  bool floats = isFloat(got.dtype());
  size_t width = dtypeSize(got.dtype());
  for (uint64_t i = 0; i < got.numElements(); ++i) {
    bool ok;
    if (floats) {
      double a = floatElement(got, i), b = floatElement(expected, i);
      double diff = std::fabs(a - b);
      double tolerance = expect.atol + expect.rtol * std::fabs(b);
      ok = (std::isnan(a) && std::isnan(b)) || a == b || diff <= tolerance;
      if (ok && !std::isnan(diff)) {
        maxAbs = std::max(maxAbs, diff);
        maxShare = std::max(maxShare, diff / tolerance);
      }
    } else {
      ok = std::memcmp(static_cast<const char *>(got.data()) + i * width,
                       static_cast<const char *>(expected.data()) + i * width,
                       width) == 0;
    }
    if (!ok && mismatches++ == 0) {
      first = i;
    }
  }
  if (mismatches == 0) {
    if (floats) {
      std::printf("%s: matches (max abs error %.3g, at most %.0f%% of the "
                  "tolerance)\n",
                  spec.name.c_str(), maxAbs, 100 * maxShare);
    } else {
      std::printf("%s: matches exactly\n", spec.name.c_str());
    }
    return true;
  }
  // Floats with every digit: a mismatch may be in the last bit.
  auto element = [&](const Tensor &tensor) {
    if (!floats) {
      return formatElement(tensor, first);
    }
    char text[32];
    std::snprintf(text, sizeof(text), "%.9g", floatElement(tensor, first));
    return std::string(text);
  };
  std::printf("%s: MISMATCH in %llu of %llu elements; first at %s: got %s, "
              "expected %s (rtol %g, atol %g)\n",
              spec.name.c_str(), static_cast<unsigned long long>(mismatches),
              static_cast<unsigned long long>(got.numElements()),
              formatIndex(spec.shape, first).c_str(), element(got).c_str(),
              element(expected).c_str(), expect.rtol, expect.atol);
  return false;
}

} // namespace

StatusOr<bool> checkOutputs(const std::vector<TensorSpec> &specs,
                            const std::vector<Tensor> &outputs,
                            const ExpectOptions &expect) {
  std::map<std::string, NpzArchive> archives;
  StatusOr<std::map<std::string, std::string>> sources = tensorSources(
      specs, expect.files, expect.archives, kExpectFlags, archives);
  if (!sources.ok()) {
    return sources.status();
  }
  bool allMatch = true;
  for (size_t i = 0; i < specs.size(); ++i) {
    auto it = sources->find(specs[i].name);
    if (it == sources->end()) {
      continue;
    }
    StatusOr<Tensor> expected =
        readTensor(specs[i], it->second, kExpectFlags, archives);
    if (!expected.ok()) {
      return expected.status();
    }
    allMatch &= compareOutput(specs[i], outputs[i], *expected, expect);
  }
  return allMatch;
}

} // namespace kiln::rt
