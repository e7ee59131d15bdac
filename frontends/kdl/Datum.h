//===- Datum.h - Values computed while elaborating a model ------*- C++ -*-===//
//
// The elaborator evaluates a model like a small interpreter: integers
// (dimensions, loop indices), numbers, booleans, enum words (`causal`),
// strings, lists and tensors, where a tensor is an SSA value of the model
// being built. Calls with several results return a tuple.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_KDL_DATUM_H
#define KILN_FRONTENDS_KDL_DATUM_H

#include "mlir/IR/Value.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::kdl {

/// One value of the language.
struct Datum {
  enum class Kind { Int, Float, Bool, Word, String, Tensor, List, Tuple };

  Kind kind = Kind::Int;
  int64_t intValue = 0;
  double floatValue = 0.0;
  bool boolValue = false;
  /// The text of a word or a string.
  std::string text;
  mlir::Value tensor;
  /// The elements of a list or a tuple.
  std::vector<Datum> elements;

  static Datum ofInt(int64_t value);
  static Datum ofFloat(double value);
  static Datum ofBool(bool value);
  static Datum ofWord(llvm::StringRef word);
  static Datum ofString(std::string text);
  static Datum ofTensor(mlir::Value value);
  static Datum ofList(std::vector<Datum> elements);
  static Datum ofTuple(std::vector<Datum> elements);

  bool is(Kind k) const { return kind == k; }
  /// An int or a float.
  bool isNumber() const { return kind == Kind::Int || kind == Kind::Float; }
  double asDouble() const {
    return kind == Kind::Int ? static_cast<double>(intValue) : floatValue;
  }

  /// How the value reads in diagnostics: "int 3", "tensor f32[2, 768]".
  std::string describe() const;
  /// The value formatted into a string piece; false for tensors and lists.
  bool format(std::string &out) const;
  /// Equality of ints, numbers, bools, words and strings.
  bool equals(const Datum &other) const;
};

/// The language's spelling of a tensor type: `f32[2, 32, 768]`.
std::string formatTensorType(mlir::Type type);

} // namespace kiln::kdl

#endif // KILN_FRONTENDS_KDL_DATUM_H
