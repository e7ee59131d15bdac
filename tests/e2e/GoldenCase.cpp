//===- GoldenCase.cpp - One case of tests/golden --------------------------===//

#include "tests/e2e/GoldenCase.h"
#include "runtime/Npy.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstring>
#include <sstream>

namespace kiln::test {

static const std::string kGoldenDir = KILN_SOURCE_DIR "/tests/golden";

std::vector<std::string> GoldenCase::all() {
  std::vector<std::string> cases;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(kGoldenDir, ec), end;
       it != end && !ec; it.increment(ec)) {
    if (llvm::sys::fs::exists(it->path() + "/meta.json")) {
      cases.push_back(llvm::sys::path::filename(it->path()).str());
    }
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

std::optional<GoldenCase> GoldenCase::load(const std::string &name,
                                           std::string &error) {
  GoldenCase c;
  c.dir = kGoldenDir + "/" + name;
  auto text = llvm::MemoryBuffer::getFile(c.dir + "/meta.json");
  if (!text) {
    error = c.dir + "/meta.json: " + text.getError().message();
    return std::nullopt;
  }
  llvm::Expected<llvm::json::Value> meta =
      llvm::json::parse((*text)->getBuffer());
  if (!meta || !meta->getAsObject()) {
    error = c.dir + "/meta.json: " +
            (meta ? std::string("not an object")
                  : llvm::toString(meta.takeError()));
    return std::nullopt;
  }
  const llvm::json::Object &object = *meta->getAsObject();
  c.model = object.getString("model").value_or("").str();
  // "-D B=2 -D S=32 ..."
  llvm::SmallVector<llvm::StringRef> words;
  object.getString("defines").value_or("").split(words, ' ', -1, false);
  for (llvm::StringRef word : words) {
    auto [key, value] = word.split('=');
    if (word != "-D") {
      c.defs[key.str()] = std::stoll(value.str());
    }
  }
  c.rtol = object.getNumber("rtol").value_or(1e-4);
  if (const llvm::json::Object *atols = object.getObject("atol")) {
    for (const auto &[key, value] : *atols) {
      c.atol[key.str()] = value.getAsNumber().value_or(0.0);
    }
  }
  return c;
}

std::string GoldenCase::modelPath() const {
  return KILN_SOURCE_DIR "/models/" + model + ".kiln";
}

rt::StatusOr<rt::Tensor> GoldenCase::tensor(const std::string &name) const {
  return rt::readNpy(dir + "/" + name + ".npy");
}

std::string GoldenCase::compare(const std::string &name,
                                const rt::Tensor &actual) const {
  rt::StatusOr<rt::Tensor> golden = tensor(name);
  if (!golden.ok()) {
    return golden.status().message();
  }
  std::ostringstream os;
  if (golden->shape() != actual.shape() || golden->dtype() != actual.dtype()) {
    os << name << ": expected "
       << rt::formatTensorType(golden->dtype(), golden->shape()) << ", got "
       << rt::formatTensorType(actual.dtype(), actual.shape());
    return os.str();
  }
  if (golden->dtype() != rt::DType::F32) {
    return std::memcmp(golden->data(), actual.data(), golden->byteSize()) == 0
               ? ""
               : name + ": integer values differ";
  }
  double tolerance = atol.count(name) ? atol.at(name) : 0.0;
  int64_t bad = 0, first = -1;
  for (uint64_t i = 0; i < golden->numElements(); ++i) {
    double g = golden->dataAs<float>()[i], a = actual.dataAs<float>()[i];
    if (!(std::fabs(a - g) <= tolerance + rtol * std::fabs(g))) {
      first = first < 0 ? static_cast<int64_t>(i) : first;
      ++bad;
    }
  }
  if (bad == 0) {
    return "";
  }
  os << name << ": " << bad << " of " << golden->numElements()
     << " elements outside atol " << tolerance << " + rtol " << rtol
     << "; first at " << first << ": got " << actual.dataAs<float>()[first]
     << ", golden " << golden->dataAs<float>()[first];
  return os.str();
}

} // namespace kiln::test
