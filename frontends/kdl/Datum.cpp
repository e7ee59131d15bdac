//===- Datum.cpp - Values computed while elaborating a model --------------===//

#include "frontends/kdl/Datum.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>

using namespace kiln::kdl;

Datum Datum::ofInt(int64_t value) {
  Datum d;
  d.kind = Kind::Int;
  d.intValue = value;
  return d;
}

Datum Datum::ofFloat(double value) {
  Datum d;
  d.kind = Kind::Float;
  d.floatValue = value;
  return d;
}

Datum Datum::ofBool(bool value) {
  Datum d;
  d.kind = Kind::Bool;
  d.boolValue = value;
  return d;
}

Datum Datum::ofWord(llvm::StringRef word) {
  Datum d;
  d.kind = Kind::Word;
  d.text = word.str();
  return d;
}

Datum Datum::ofString(std::string text) {
  Datum d;
  d.kind = Kind::String;
  d.text = std::move(text);
  return d;
}

Datum Datum::ofTensor(mlir::Value value) {
  Datum d;
  d.kind = Kind::Tensor;
  d.tensor = value;
  return d;
}

Datum Datum::ofList(std::vector<Datum> elements) {
  Datum d;
  d.kind = Kind::List;
  d.elements = std::move(elements);
  return d;
}

Datum Datum::ofTuple(std::vector<Datum> elements) {
  Datum d;
  d.kind = Kind::Tuple;
  d.elements = std::move(elements);
  return d;
}

std::string kiln::kdl::formatTensorType(mlir::Type type) {
  auto tensor = llvm::dyn_cast<mlir::RankedTensorType>(type);
  if (!tensor) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << type;
    return text;
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << tensor.getElementType() << "[";
  llvm::interleaveComma(tensor.getShape(), os);
  os << "]";
  return text;
}

/// `value` with 15 significant digits, the most that every decimal number
/// of that many digits survives a round trip through a double with:
/// `0.1234561`, `123456789`, `500000` (Llama 3's RoPE theta), `1e-12`, and
/// `0.3` for `0.1 + 0.2`. "%g" kept 6 digits, so distinct numbers formatted
/// into names collided; the shortest round-trip form wrote `5e+05`, which a
/// name cannot hold, and `0.30000000000000004`.
static std::string formatNumber(double value) {
  char text[64];
  int length = std::snprintf(text, sizeof(text), "%.15g", value);
  return std::string(text, length > 0 ? length : 0);
}

bool Datum::format(std::string &out) const {
  switch (kind) {
  case Kind::Int:
    out += std::to_string(intValue);
    return true;
  case Kind::Float:
    out += formatNumber(floatValue);
    return true;
  case Kind::Bool:
    out += boolValue ? "true" : "false";
    return true;
  case Kind::Word:
  case Kind::String:
    out += text;
    return true;
  default:
    return false;
  }
}

std::string Datum::describe() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  switch (kind) {
  case Kind::Int:
    os << "int " << intValue;
    break;
  case Kind::Float:
    os << "float " << formatNumber(floatValue);
    break;
  case Kind::Bool:
    os << "bool " << (boolValue ? "true" : "false");
    break;
  case Kind::Word:
    os << "word '" << this->text << "'";
    break;
  case Kind::String:
    os << "string \"" << this->text << "\"";
    break;
  case Kind::Tensor:
    os << "tensor " << formatTensorType(tensor.getType());
    break;
  case Kind::List:
    os << "a list of " << elements.size();
    break;
  case Kind::Tuple:
    os << elements.size() << " values";
    break;
  }
  return text;
}

bool Datum::equals(const Datum &other) const {
  if (isNumber() && other.isNumber()) {
    if (kind == Kind::Int && other.kind == Kind::Int) {
      return intValue == other.intValue;
    }
    return asDouble() == other.asDouble();
  }
  if (kind != other.kind) {
    return false;
  }
  switch (kind) {
  case Kind::Bool:
    return boolValue == other.boolValue;
  case Kind::Word:
  case Kind::String:
    return text == other.text;
  default:
    return false;
  }
}
