//===- SafetensorsWeights.cpp - Parameters from a .safetensors file -------===//
//
// The format: an 8-byte little-endian header length N, N bytes of JSON
// mapping tensor names to {dtype, shape, data_offsets}, then the data, with
// offsets relative to its start. Everything is validated when the file is
// opened; data is converted to f32 when a parameter is loaded. The file is
// memory-mapped, so only what the model uses is read.
//
//===----------------------------------------------------------------------===//

#include "compiler/ModelSourceChecks.h"
#include "compiler/weights/WeightSource.h"
#include "dialects/Kiln/IR/ShapeChecks.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;

namespace kiln {
namespace {

enum class StoredType { F32, F16, BF16, F64 };

struct TensorEntry {
  StoredType type;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
  bool used = false;
};

uint64_t byteWidth(StoredType type) {
  switch (type) {
  case StoredType::F32:
    return 4;
  case StoredType::F16:
  case StoredType::BF16:
    return 2;
  case StoredType::F64:
    return 8;
  }
  return 0;
}

float halfToFloat(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exponent = (h >> 10) & 0x1f,
           mantissa = h & 0x3ff;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    magnitude = mantissa ? NAN : INFINITY;
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400),
                           static_cast<int>(exponent) - 25);
  }
  return sign ? -magnitude : magnitude;
}

} // namespace

struct SafetensorsWeights::Impl {
  std::string path, fileName;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  const char *data = nullptr;
  uint64_t dataSize = 0;
  llvm::StringMap<TensorEntry> tensors;
};

SafetensorsWeights::SafetensorsWeights(std::unique_ptr<Impl> impl)
    : impl(std::move(impl)) {}
SafetensorsWeights::~SafetensorsWeights() = default;

FailureOr<std::unique_ptr<SafetensorsWeights>>
SafetensorsWeights::open(StringRef path, Location loc) {
  std::string error;
  FailureOr<std::unique_ptr<SafetensorsWeights>> opened = open(path, error);
  if (failed(opened)) {
    emitError(loc) << error;
  }
  return opened;
}

FailureOr<std::unique_ptr<SafetensorsWeights>>
SafetensorsWeights::open(StringRef path, std::string &error) {
  auto impl = std::make_unique<Impl>();
  impl->path = path.str();
  impl->fileName = llvm::sys::path::filename(path).str();
  auto fail = [&](const Twine &message) {
    error = (impl->path + ": " + message).str();
    return failure();
  };
  if (std::optional<std::string> refused =
          unreadableFileError(path, "a safetensors file")) {
    error = *refused;
    return failure();
  }
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    return fail("cannot read the weights file: " + buffer.getError().message());
  }
  impl->buffer = std::move(*buffer);
  StringRef bytes = impl->buffer->getBuffer();
  if (bytes.size() < 8) {
    return fail("truncated: a safetensors file starts with an 8-byte header "
                "length");
  }
  // A zip archive (an .npz, whose arrays kiln-run reads as inputs) is the
  // likeliest other file to be given here.
  if (bytes.starts_with(StringRef("PK\x03\x04", 4))) {
    return fail("this is a zip archive (an .npz?), not a safetensors file: "
                "weights are read from safetensors files only");
  }
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i) {
    headerSize = (headerSize << 8) | static_cast<uint8_t>(bytes[i]);
  }
  if (headerSize > bytes.size() - 8) {
    return fail("the header length " + Twine(headerSize) +
                " runs past the end of the file (" + Twine(bytes.size()) +
                " bytes)");
  }
  impl->data = bytes.data() + 8 + headerSize;
  impl->dataSize = bytes.size() - 8 - headerSize;
  llvm::Expected<llvm::json::Value> header =
      llvm::json::parse(bytes.substr(8, headerSize));
  if (!header) {
    return fail("the header is not valid JSON: " +
                llvm::toString(header.takeError()));
  }
  const llvm::json::Object *entries = header->getAsObject();
  if (!entries) {
    return fail("the header is not a JSON object");
  }
  for (const auto &[key, value] : *entries) {
    if (key == "__metadata__") {
      continue;
    }
    std::string name = key.str();
    auto bad = [&](const Twine &what) {
      return fail("tensor '" + name + "': " + what);
    };
    const llvm::json::Object *entry = value.getAsObject();
    if (!entry) {
      return bad("expected an object with dtype, shape and data_offsets");
    }
    TensorEntry tensor;
    std::optional<StringRef> dtype = entry->getString("dtype");
    if (!dtype) {
      return bad(entry->get("dtype") ? "dtype is not a string"
                                     : "missing dtype");
    }
    if (*dtype == "F32") {
      tensor.type = StoredType::F32;
    } else if (*dtype == "F16") {
      tensor.type = StoredType::F16;
    } else if (*dtype == "BF16") {
      tensor.type = StoredType::BF16;
    } else if (*dtype == "F64") {
      tensor.type = StoredType::F64;
    } else {
      return bad("unsupported dtype '" + *dtype +
                 "' (expected F32, F16, BF16 or F64)");
    }
    const llvm::json::Array *shape = entry->getArray("shape");
    const llvm::json::Array *offsets = entry->getArray("data_offsets");
    if (!shape || !offsets || offsets->size() != 2) {
      return bad("expected a shape and two data_offsets");
    }
    uint64_t elements = 1;
    for (const llvm::json::Value &dim : *shape) {
      std::optional<int64_t> size = dim.getAsInteger();
      if (!size || *size < 0 ||
          (*size > 0 && elements > (1ull << 40) / *size)) {
        return bad("invalid shape");
      }
      tensor.shape.push_back(*size);
      elements *= *size;
    }
    std::optional<int64_t> begin = (*offsets)[0].getAsInteger();
    std::optional<int64_t> end = (*offsets)[1].getAsInteger();
    if (!begin || !end) {
      return bad("data_offsets are not two integers");
    }
    if (*begin < 0 || *end < *begin ||
        static_cast<uint64_t>(*end) > impl->dataSize) {
      return bad("data_offsets outside the " + Twine(impl->dataSize) +
                 "-byte data section");
    }
    tensor.begin = *begin;
    tensor.end = *end;
    if (tensor.end - tensor.begin != elements * byteWidth(tensor.type)) {
      return bad("holds " + Twine(tensor.end - tensor.begin) +
                 " bytes, its dtype and shape need " +
                 Twine(elements * byteWidth(tensor.type)));
    }
    impl->tensors[name] = std::move(tensor);
  }
  return std::unique_ptr<SafetensorsWeights>(
      new SafetensorsWeights(std::move(impl)));
}

LogicalResult SafetensorsWeights::check(StringRef name, ArrayRef<int64_t> shape,
                                        Location loc) {
  auto it = impl->tensors.find(name);
  if (it == impl->tensors.end()) {
    return emitError(loc) << "parameter '" << name << "' is not in "
                          << impl->fileName;
  }
  TensorEntry &tensor = it->second;
  if (ArrayRef<int64_t>(tensor.shape) != shape) {
    return emitError(loc) << "parameter '" << name << "' has shape "
                          << formatShape(tensor.shape) << " in "
                          << impl->fileName << ", the model declares "
                          << formatShape(shape);
  }
  tensor.used = true;
  return success();
}

LogicalResult SafetensorsWeights::loadInto(StringRef name,
                                           ArrayRef<int64_t> shape,
                                           Location loc,
                                           std::vector<float> &values) {
  if (failed(check(name, shape, loc))) {
    return failure();
  }
  const TensorEntry &tensor = impl->tensors.find(name)->second;
  const char *bytes = impl->data + tensor.begin;
  uint64_t count = (tensor.end - tensor.begin) / byteWidth(tensor.type);
  values.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    switch (tensor.type) {
    case StoredType::F32:
      std::memcpy(&values[i], bytes + 4 * i, 4);
      break;
    case StoredType::F64: {
      double v;
      std::memcpy(&v, bytes + 8 * i, 8);
      values[i] = static_cast<float>(v);
      break;
    }
    case StoredType::F16:
    case StoredType::BF16: {
      uint16_t h;
      std::memcpy(&h, bytes + 2 * i, 2);
      if (tensor.type == StoredType::F16) {
        values[i] = halfToFloat(h);
      } else {
        uint32_t bits = static_cast<uint32_t>(h) << 16;
        std::memcpy(&values[i], &bits, 4);
      }
      break;
    }
    }
  }
  return success();
}

LogicalResult SafetensorsWeights::checkAllUsed(Location loc) {
  std::vector<std::string> unused;
  for (const auto &entry : impl->tensors) {
    if (!entry.getValue().used) {
      unused.push_back(entry.getKey().str());
    }
  }
  if (unused.empty()) {
    return success();
  }
  std::sort(unused.begin(), unused.end());
  InFlightDiagnostic diag = emitError(loc)
                            << impl->fileName << " holds " << unused.size()
                            << " tensor(s) the model does not declare: ";
  for (size_t i = 0; i < unused.size() && i < 8; ++i) {
    diag << (i ? ", " : "") << "'" << unused[i] << "'";
  }
  if (unused.size() > 8) {
    diag << " and " << unused.size() - 8 << " more";
  }
  return diag;
}

} // namespace kiln
