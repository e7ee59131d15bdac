//===- Builtins.h - The built-in functions of the language ------*- C++ -*-===//
//
// Every kiln op is reachable as a function (`linear`, `attention`, `moe`,
// ...). A built-in declares its parameters once, as a signature string;
// a call's arguments are bound to them by position or name and evaluated
// before the call's `@` scope is entered (so that calls nested in the
// arguments create their parameters in the caller's scope), then the
// built-in reads them through typed accessors that report mistakes at the
// argument. Layer functions (`linear`, the norms, `embedding`,
// `patch_embed`, `moe`) create their weights under the current scope.
//
// Builtins.cpp holds the table and argument binding; BuiltinTensorOps.cpp,
// BuiltinLayers.cpp and BuiltinComposites.cpp the functions.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_KDL_BUILTINS_H
#define KILN_FRONTENDS_KDL_BUILTINS_H

#include "frontends/kdl/Ast.h"
#include "frontends/kdl/Datum.h"

#include "dialects/Kiln/IR/KilnOps.h"
#include "mlir/Support/LLVM.h"

#include <optional>
#include <string>
#include <vector>

namespace kiln {
class ModelBuilder;
} // namespace kiln

namespace kiln::kdl {

class BuiltinCall;
class ModelElaborator;

/// One parameter of a built-in.
struct BuiltinParam {
  std::string name;
  /// Whether it may be given by position (those before `|` in the
  /// signature).
  bool positional = true;
  /// Whether a bare name given for it is an enum word (marked `*`).
  bool word = false;
};

/// A built-in function.
struct Builtin {
  std::string name;
  std::vector<BuiltinParam> params;
  mlir::FailureOr<Datum> (*build)(BuiltinCall &call);
};

/// Adds a built-in whose signature lists its parameters separated by
/// spaces, keyword-only ones after `|`, enum-valued ones marked with `*`:
/// `"q k v | heads mask* scale"`.
void addBuiltin(std::vector<Builtin> &table, llvm::StringRef name,
                llvm::StringRef signature,
                mlir::FailureOr<Datum> (*build)(BuiltinCall &));

/// Adds the elementwise, shape, reduction and introspection built-ins
/// (BuiltinTensorOps.cpp).
void addTensorOpBuiltins(std::vector<Builtin> &table);
/// Adds the built-ins that create weights (BuiltinLayers.cpp).
void addLayerBuiltins(std::vector<Builtin> &table);
/// Adds attention, rope and moe (BuiltinComposites.cpp).
void addCompositeBuiltins(std::vector<Builtin> &table);

/// The built-in called `name`, if any.
const Builtin *lookupBuiltin(llvm::StringRef name);
/// Whether `name` is a built-in function.
bool isBuiltinFunction(llvm::StringRef name);
/// The names of all built-ins, for "did you mean".
std::vector<std::string> builtinNames();

/// The words of a kiln enum usable as a block parameter type
/// (`mask_kind`, `gelu_approximation`, ...), if `typeName` is one.
std::optional<std::vector<std::string>> kilnEnumWords(llvm::StringRef typeName);
/// The names of those enum types.
std::vector<std::string> kilnEnumTypeNames();

/// Calls `builtin` at `call`: binds and evaluates the arguments, enters the
/// call's scope, builds.
mlir::FailureOr<Datum> callBuiltin(ModelElaborator &elaborator,
                                   const Builtin &builtin, const CallExpr &call,
                                   llvm::StringRef scope);

/// The evaluated arguments of one call of a built-in.
class BuiltinCall {
public:
  BuiltinCall(ModelElaborator &elaborator, const Builtin &builtin,
              const CallExpr &call)
      : elaborator(elaborator), builtin(builtin), call(call) {}

  /// Binds the arguments to parameters and evaluates them.
  mlir::LogicalResult bindArguments();

  llvm::StringRef getName() const { return builtin.name; }
  llvm::SMLoc getLoc() const { return call.getLoc(); }
  /// Whether the argument was given.
  bool has(llvm::StringRef param) const;
  /// Where the argument is (the call when it is absent).
  llvm::SMLoc locOf(llvm::StringRef param) const;
  /// An error at the argument (or the call).
  mlir::InFlightDiagnostic emitError(llvm::StringRef param) const;
  /// An error at the call.
  mlir::InFlightDiagnostic emitError() const;

  /// A tensor argument; a number is a rank-0 constant. With `optional`, an
  /// absent argument is a null value.
  mlir::FailureOr<mlir::Value> tensor(llvm::StringRef param,
                                      bool optional = false);
  /// An f32 tensor argument (what elementwise ops take).
  mlir::FailureOr<mlir::Value> floatTensor(llvm::StringRef param);
  mlir::FailureOr<int64_t>
  integer(llvm::StringRef param,
          std::optional<int64_t> defaultValue = std::nullopt);
  mlir::FailureOr<double>
  number(llvm::StringRef param,
         std::optional<double> defaultValue = std::nullopt);
  mlir::FailureOr<bool> flag(llvm::StringRef param,
                             std::optional<bool> defaultValue = std::nullopt);
  mlir::FailureOr<std::string>
  string(llvm::StringRef param,
         std::optional<llvm::StringRef> defaultValue = std::nullopt);
  /// A list of ints (a shape, a permutation, axes); an int alone is a list
  /// of one.
  mlir::FailureOr<llvm::SmallVector<int64_t>> integers(llvm::StringRef param);
  mlir::FailureOr<llvm::SmallVector<mlir::Value>>
  tensors(llvm::StringRef param);
  /// A word among `words`, or `defaultValue` when absent.
  mlir::FailureOr<std::string> word(llvm::StringRef param,
                                    llvm::ArrayRef<std::string> words,
                                    llvm::StringRef defaultValue);
  /// A kiln enum (`MaskKind`, ...) given as a word.
  template <typename EnumT>
  mlir::FailureOr<EnumT> enumeration(llvm::StringRef param, EnumT defaultValue);
  /// The raw argument value (null if absent).
  const Datum *get(llvm::StringRef param) const;

  /// The builder, pointed at the call.
  ModelBuilder &builder();
  /// Creates parameter `name` under the current scope.
  mlir::FailureOr<mlir::Value> param(llvm::StringRef name,
                                     llvm::ArrayRef<int64_t> shape);
  ModelElaborator &getElaborator() { return elaborator; }

private:
  /// Reports that `param` should be `expected`, given what it is.
  mlir::InFlightDiagnostic wrongType(llvm::StringRef param,
                                     llvm::StringRef expected) const;

  ModelElaborator &elaborator;
  const Builtin &builtin;
  const CallExpr &call;
  /// Per parameter of the built-in: the argument and its value, if given.
  std::vector<const Argument *> arguments;
  std::vector<Datum> values;
};

/// Word lists of the kiln enums, generated from their ODS definitions.
template <typename EnumT> struct EnumWords;

#define KILN_KDL_ENUM_WORDS(EnumT)                                             \
  template <> struct EnumWords<EnumT> {                                        \
    static std::vector<std::string> get() {                                    \
      std::vector<std::string> words;                                          \
      for (unsigned i = 0; i <= getMaxEnumValFor##EnumT(); ++i) {              \
        words.push_back(stringify##EnumT(static_cast<EnumT>(i)).str());        \
      }                                                                        \
      return words;                                                            \
    }                                                                          \
    static EnumT parse(llvm::StringRef word) {                                 \
      return *symbolize##EnumT(word);                                          \
    }                                                                          \
    static llvm::StringRef print(EnumT value) {                                \
      return stringify##EnumT(value);                                          \
    }                                                                          \
  };
KILN_KDL_ENUM_WORDS(GeluApproximation)
KILN_KDL_ENUM_WORDS(ReduceKind)
KILN_KDL_ENUM_WORDS(RopeStyle)
KILN_KDL_ENUM_WORDS(MaskKind)
KILN_KDL_ENUM_WORDS(ScalePlacement)
KILN_KDL_ENUM_WORDS(EmptyRows)
KILN_KDL_ENUM_WORDS(MoeScoring)
KILN_KDL_ENUM_WORDS(MoeOrder)
KILN_KDL_ENUM_WORDS(GroupScore)
KILN_KDL_ENUM_WORDS(AuxLoss)
#undef KILN_KDL_ENUM_WORDS

template <typename EnumT>
mlir::FailureOr<EnumT> BuiltinCall::enumeration(llvm::StringRef param,
                                                EnumT defaultValue) {
  mlir::FailureOr<std::string> text = word(
      param, EnumWords<EnumT>::get(), EnumWords<EnumT>::print(defaultValue));
  if (mlir::failed(text)) {
    return mlir::failure();
  }
  return EnumWords<EnumT>::parse(*text);
}

} // namespace kiln::kdl

#endif // KILN_FRONTENDS_KDL_BUILTINS_H
