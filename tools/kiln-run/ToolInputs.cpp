//===- ToolInputs.cpp - Inputs and outputs of kiln-run and kiln-reference -===//

#include "ToolInputs.h"
#include "NpzArchive.h"

#include "runtime/Npy.h"

#include <algorithm>
#include <cerrno>
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
std::string inputNames(const std::vector<TensorSpec> &specs) {
  std::string names;
  for (const TensorSpec &spec : specs) {
    names += (names.empty() ? "" : ", ") + spec.name;
  }
  return names.empty() ? "none" : names;
}

/// Decides which file feeds each input: --input pairs and every array of
/// every --inputs archive. Each must name a model input, none twice, and
/// together they must cover every input. Archives are opened once, here.
StatusOr<std::map<std::string, std::string>>
inputSources(const std::vector<TensorSpec> &specs, const InputOptions &options,
             std::map<std::string, NpzArchive> &archives) {
  std::map<std::string, std::string> sources;
  auto isInput = [&](const std::string &name) {
    return std::any_of(specs.begin(), specs.end(), [&](const TensorSpec &spec) {
      return spec.name == name;
    });
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
                       inputNames(specs), ")");
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
                         inputNames(specs), ")");
      }
      KILN_RETURN_IF_ERROR(add(name, file));
    }
    archives.emplace(file, std::move(archive).value());
  }
  if (!sources.empty()) {
    for (const TensorSpec &spec : specs) {
      if (!sources.count(spec.name)) {
        return makeError(StatusCode::InvalidArgument, "input '", spec.name,
                         "' is not given; with --input or --inputs every "
                         "input must be given (inputs: ",
                         inputNames(specs), ")");
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

} // namespace

/// Loads every input, in signature order, or generates them all.
StatusOr<std::vector<Tensor>>
prepareInputs(const std::vector<TensorSpec> &specs,
              const InputOptions &options) {
  std::map<std::string, NpzArchive> archives;
  StatusOr<std::map<std::string, std::string>> sources =
      inputSources(specs, options, archives);
  if (!sources.ok()) {
    return sources.status();
  }
  SplitMix64 rng{options.seed};
  std::vector<Tensor> inputs;
  for (const TensorSpec &spec : specs) {
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

} // namespace kiln::rt
