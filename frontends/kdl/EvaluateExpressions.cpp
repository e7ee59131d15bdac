//===- EvaluateExpressions.cpp - Values of .kiln expressions --------------===//
//
// Integer arithmetic is exact: overflow and division by zero are errors,
// and `/` and `%` round toward negative infinity like Python's `//` and
// `%`, so `i % 2` is never negative. An operator with a tensor operand
// builds the kiln op, a number on the other side becoming a rank-0
// constant that broadcasts.
//
//===----------------------------------------------------------------------===//

#include "frontends/kdl/Builtins.h"
#include "frontends/kdl/ModelElaborator.h"
#include "frontends/kdl/NameSuggestions.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace kiln::kdl;
using namespace mlir;
using llvm::SMLoc;
using llvm::StringRef;

FailureOr<Datum> ModelElaborator::evaluate(const Expr &expr, bool allowWord) {
  NestingGuard nesting(*this);
  if (failed(nesting.check(expr.getLoc()))) {
    return failure();
  }
  switch (expr.getKind()) {
  case Expr::Kind::Int:
    return Datum::ofInt(llvm::cast<IntExpr>(expr).value);
  case Expr::Kind::Float:
    return Datum::ofFloat(llvm::cast<FloatExpr>(expr).value);
  case Expr::Kind::Bool:
    return Datum::ofBool(llvm::cast<BoolExpr>(expr).value);
  case Expr::Kind::String: {
    FailureOr<std::string> text = evaluateString(llvm::cast<StringExpr>(expr));
    if (failed(text)) {
      return failure();
    }
    return Datum::ofString(std::move(*text));
  }
  case Expr::Kind::Name:
    return evaluateName(llvm::cast<NameExpr>(expr), allowWord);
  case Expr::Kind::List: {
    std::vector<Datum> elements;
    for (const ExprPtr &element : llvm::cast<ListExpr>(expr).elements) {
      FailureOr<Datum> value = evaluate(*element, allowWord);
      if (failed(value)) {
        return failure();
      }
      if (value->is(Datum::Kind::Tuple)) {
        return emitError(element->getLoc())
               << "a list element must be one value, got " << value->describe();
      }
      elements.push_back(std::move(*value));
    }
    return Datum::ofList(std::move(elements));
  }
  case Expr::Kind::Unary:
    return evaluateUnary(llvm::cast<UnaryExpr>(expr));
  case Expr::Kind::Binary:
    return evaluateBinary(llvm::cast<BinaryExpr>(expr));
  case Expr::Kind::Call:
    return evaluateCall(llvm::cast<CallExpr>(expr));
  }
  llvm_unreachable("unknown expression");
}

void ModelElaborator::reportUnknownName(StringRef name, SMLoc loc) const {
  if (program.blocks.count(name) || isBuiltinFunction(name)) {
    emitError(loc) << "'" << name << "' is a function; call it, as in '" << name
                   << "(..)'";
    return;
  }
  std::vector<std::string> names;
  for (const auto &var : frame().vars) {
    names.push_back(var.getKey().str());
  }
  InFlightDiagnostic diag = emitError(loc) << "unknown name '" << name << "'"
                                           << didYouMean(name, names);
  if (frames.size() > 1 && frames.front()->vars.count(name)) {
    diag << " (the model's '" << name
         << "' is not visible inside a block; pass it as an argument)";
  }
}

FailureOr<Datum> ModelElaborator::evaluateName(const NameExpr &expr,
                                               bool allowWord) {
  auto it = frame().vars.find(expr.name);
  if (it != frame().vars.end()) {
    if (failed(spend(expr.getLoc(), it->second.elements.size()))) {
      return failure();
    }
    return it->second;
  }
  if (allowWord) {
    return Datum::ofWord(expr.name);
  }
  reportUnknownName(expr.name, expr.getLoc());
  return failure();
}

FailureOr<Value> ModelElaborator::toTensor(const Datum &value, SMLoc loc,
                                           const llvm::Twine &what) {
  if (value.is(Datum::Kind::Tensor)) {
    return value.tensor;
  }
  if (value.isNumber()) {
    return getBuilder(loc).constant(value.asDouble());
  }
  return emitError(loc) << what << " must be a tensor or a number, got "
                        << value.describe();
}

FailureOr<Datum> ModelElaborator::evaluateUnary(const UnaryExpr &expr) {
  FailureOr<Datum> operand = evaluate(*expr.operand);
  if (failed(operand)) {
    return failure();
  }
  if (expr.op == UnaryExpr::Op::Not) {
    if (!operand->is(Datum::Kind::Bool)) {
      return emitError(expr.getLoc())
             << "'not' needs a bool, got " << operand->describe();
    }
    return Datum::ofBool(!operand->boolValue);
  }
  switch (operand->kind) {
  case Datum::Kind::Int:
    if (operand->intValue == std::numeric_limits<int64_t>::min()) {
      return emitError(expr.getLoc()) << "integer overflow";
    }
    return Datum::ofInt(-operand->intValue);
  case Datum::Kind::Float:
    return Datum::ofFloat(-operand->floatValue);
  case Datum::Kind::Tensor: {
    auto type = llvm::cast<RankedTensorType>(operand->tensor.getType());
    if (!type.getElementType().isF32()) {
      return emitError(expr.getLoc())
             << "'-' needs an f32 tensor, got " << operand->describe();
    }
    return Datum::ofTensor(getBuilder(expr.getLoc()).neg(operand->tensor));
  }
  default:
    return emitError(expr.getLoc()) << "cannot negate " << operand->describe();
  }
}

FailureOr<Datum> ModelElaborator::evaluateLogic(const BinaryExpr &expr) {
  bool isAnd = expr.op == BinaryExpr::Op::And;
  for (const Expr *operand : {expr.lhs.get(), expr.rhs.get()}) {
    FailureOr<Datum> value = evaluate(*operand);
    if (failed(value)) {
      return failure();
    }
    if (!value->is(Datum::Kind::Bool)) {
      return emitError(operand->getLoc())
             << "'" << BinaryExpr::spelling(expr.op) << "' needs bools, got "
             << value->describe();
    }
    // Short-circuit: the right side is not evaluated once decided.
    if (value->boolValue != isAnd) {
      return Datum::ofBool(!isAnd);
    }
  }
  return Datum::ofBool(isAnd);
}

FailureOr<Datum> ModelElaborator::evaluateBinary(const BinaryExpr &expr) {
  using Op = BinaryExpr::Op;
  if (expr.op == Op::And || expr.op == Op::Or) {
    return evaluateLogic(expr);
  }
  FailureOr<Datum> lhs = evaluate(*expr.lhs);
  if (failed(lhs)) {
    return failure();
  }
  // `act == gelu`, `act in [gelu, silu]`: words compare with words.
  bool wordsOnRight =
      lhs->is(Datum::Kind::Word) &&
      (expr.op == Op::Eq || expr.op == Op::Ne || expr.op == Op::In);
  FailureOr<Datum> rhs = evaluate(*expr.rhs, wordsOnRight);
  if (failed(rhs)) {
    return failure();
  }
  switch (expr.op) {
  case Op::Add:
  case Op::Sub:
  case Op::Mul:
  case Op::Div:
  case Op::Mod:
    return arithmetic(expr, *lhs, *rhs);
  default:
    return compare(expr, *lhs, *rhs);
  }
}

/// Whether `==` between the two is meaningful.
static bool comparable(const Datum &lhs, const Datum &rhs) {
  using Kind = Datum::Kind;
  auto isText = [](const Datum &d) {
    return d.is(Kind::Word) || d.is(Kind::String);
  };
  return (lhs.isNumber() && rhs.isNumber()) ||
         (lhs.is(Kind::Bool) && rhs.is(Kind::Bool)) ||
         (isText(lhs) && isText(rhs));
}

/// Equality of comparable values; words and strings compare by text.
static bool equal(const Datum &lhs, const Datum &rhs) {
  if (!lhs.isNumber() && !lhs.is(Datum::Kind::Bool)) {
    return lhs.text == rhs.text;
  }
  return lhs.equals(rhs);
}

FailureOr<Datum> ModelElaborator::compare(const BinaryExpr &expr,
                                          const Datum &lhs, const Datum &rhs) {
  using Op = BinaryExpr::Op;
  StringRef op = BinaryExpr::spelling(expr.op);
  if (expr.op == Op::In) {
    if (!rhs.is(Datum::Kind::List)) {
      return emitError(expr.getLoc())
             << "'in' needs a list on its right, as in 'i in [3, 8]', got "
             << rhs.describe();
    }
    // `x in l` is `x == e` for some element e, so what `==` refuses (a
    // tensor, a list, an int against a word) is refused here too, rather
    // than being silently unequal.
    for (const Datum &element : rhs.elements) {
      if (!comparable(lhs, element)) {
        return emitError(expr.getLoc())
               << "cannot compare " << lhs.describe() << " with "
               << element.describe() << " (an element of the list)";
      }
    }
    return Datum::ofBool(llvm::any_of(rhs.elements, [&](const Datum &element) {
      return equal(lhs, element);
    }));
  }
  if (expr.op == Op::Eq || expr.op == Op::Ne) {
    if (!comparable(lhs, rhs)) {
      return emitError(expr.getLoc()) << "cannot compare " << lhs.describe()
                                      << " with " << rhs.describe();
    }
    return Datum::ofBool(equal(lhs, rhs) == (expr.op == Op::Eq));
  }
  if (!lhs.isNumber() || !rhs.isNumber()) {
    return emitError(expr.getLoc())
           << "'" << op << "' needs numbers, got " << lhs.describe() << " and "
           << rhs.describe();
  }
  double a = lhs.asDouble(), b = rhs.asDouble();
  if (lhs.is(Datum::Kind::Int) && rhs.is(Datum::Kind::Int)) {
    int64_t x = lhs.intValue, y = rhs.intValue;
    switch (expr.op) {
    case Op::Lt:
      return Datum::ofBool(x < y);
    case Op::Le:
      return Datum::ofBool(x <= y);
    case Op::Gt:
      return Datum::ofBool(x > y);
    default:
      return Datum::ofBool(x >= y);
    }
  }
  switch (expr.op) {
  case Op::Lt:
    return Datum::ofBool(a < b);
  case Op::Le:
    return Datum::ofBool(a <= b);
  case Op::Gt:
    return Datum::ofBool(a > b);
  default:
    return Datum::ofBool(a >= b);
  }
}

/// `x op y` on ints, or nullopt on overflow; `y` is non-zero for / and %.
static std::optional<int64_t> integerArithmetic(BinaryExpr::Op op, int64_t x,
                                                int64_t y) {
  int64_t result = 0;
  switch (op) {
  case BinaryExpr::Op::Add:
    return llvm::AddOverflow(x, y, result) ? std::nullopt
                                           : std::optional(result);
  case BinaryExpr::Op::Sub:
    return llvm::SubOverflow(x, y, result) ? std::nullopt
                                           : std::optional(result);
  case BinaryExpr::Op::Mul:
    return llvm::MulOverflow(x, y, result) ? std::nullopt
                                           : std::optional(result);
  default:
    break;
  }
  if (x == std::numeric_limits<int64_t>::min() && y == -1) {
    return std::nullopt;
  }
  int64_t quotient = x / y, remainder = x % y;
  // Round toward negative infinity, as Python does.
  if (remainder != 0 && ((remainder < 0) != (y < 0))) {
    --quotient;
    remainder += y;
  }
  return op == BinaryExpr::Op::Div ? quotient : remainder;
}

FailureOr<Datum> ModelElaborator::arithmetic(const BinaryExpr &expr,
                                             const Datum &lhs,
                                             const Datum &rhs) {
  using Op = BinaryExpr::Op;
  StringRef op = BinaryExpr::spelling(expr.op);
  if (lhs.is(Datum::Kind::Tensor) || rhs.is(Datum::Kind::Tensor)) {
    return tensorArithmetic(expr, lhs, rhs);
  }
  // `counts = counts + [c]` collects values across loop iterations.
  if (expr.op == Op::Add && lhs.is(Datum::Kind::List) &&
      rhs.is(Datum::Kind::List)) {
    // Copies cost steps, so growing a list in a loop stays bounded.
    if (failed(
            spend(expr.getLoc(), lhs.elements.size() + rhs.elements.size()))) {
      return failure();
    }
    std::vector<Datum> elements = lhs.elements;
    elements.insert(elements.end(), rhs.elements.begin(), rhs.elements.end());
    return Datum::ofList(std::move(elements));
  }
  if (!lhs.isNumber() || !rhs.isNumber()) {
    return emitError(expr.getLoc())
           << "cannot apply '" << op << "' to " << lhs.describe() << " and "
           << rhs.describe();
  }
  bool divides = expr.op == Op::Div || expr.op == Op::Mod;
  if (divides && rhs.asDouble() == 0.0) {
    return emitError(expr.getLoc()) << "division by zero in '" << op << "'";
  }
  if (lhs.is(Datum::Kind::Int) && rhs.is(Datum::Kind::Int)) {
    std::optional<int64_t> result =
        integerArithmetic(expr.op, lhs.intValue, rhs.intValue);
    if (!result) {
      return emitError(expr.getLoc())
             << "integer overflow in '" << op << "' of " << lhs.intValue
             << " and " << rhs.intValue;
    }
    return Datum::ofInt(*result);
  }
  if (expr.op == Op::Mod) {
    return emitError(expr.getLoc()) << "'%' needs ints, got " << lhs.describe()
                                    << " and " << rhs.describe();
  }
  double a = lhs.asDouble(), b = rhs.asDouble();
  double result = expr.op == Op::Add   ? a + b
                  : expr.op == Op::Sub ? a - b
                  : expr.op == Op::Mul ? a * b
                                       : a / b;
  if (!std::isfinite(result)) {
    return emitError(expr.getLoc())
           << "the result of '" << op << "' is not a finite number";
  }
  return Datum::ofFloat(result);
}

FailureOr<Datum> ModelElaborator::tensorArithmetic(const BinaryExpr &expr,
                                                   const Datum &lhs,
                                                   const Datum &rhs) {
  using Op = BinaryExpr::Op;
  StringRef op = BinaryExpr::spelling(expr.op);
  if (expr.op == Op::Mod) {
    return emitError(expr.getLoc()) << "'%' is not defined on tensors";
  }
  FailureOr<Value> a =
      toTensor(lhs, expr.lhs->getLoc(), "the left operand of '" + op + "'");
  if (failed(a)) {
    return failure();
  }
  FailureOr<Value> b =
      toTensor(rhs, expr.rhs->getLoc(), "the right operand of '" + op + "'");
  if (failed(b)) {
    return failure();
  }
  // The ops take f32 only; their verifier's message would name the op's
  // operand, not the one written here.
  for (auto [value, side] : {std::pair(*a, "left"), std::pair(*b, "right")}) {
    if (!llvm::cast<RankedTensorType>(value.getType())
             .getElementType()
             .isF32()) {
      return emitError(expr.getLoc()) << "the " << side << " operand of '" << op
                                      << "' must be an f32 tensor, got tensor "
                                      << formatTensorType(value.getType());
    }
  }
  ModelBuilder &b0 = getBuilder(expr.getLoc());
  FailureOr<Value> result = expr.op == Op::Add   ? b0.add(*a, *b)
                            : expr.op == Op::Sub ? b0.sub(*a, *b)
                            : expr.op == Op::Mul ? b0.mul(*a, *b)
                                                 : b0.div(*a, *b);
  if (failed(result)) {
    return failure();
  }
  return Datum::ofTensor(*result);
}

FailureOr<std::string> ModelElaborator::evaluateString(const StringExpr &expr) {
  std::string text;
  for (const StringExpr::Piece &piece : expr.pieces) {
    if (!piece.expr) {
      text += piece.text;
      continue;
    }
    FailureOr<Datum> value = evaluate(*piece.expr);
    if (failed(value)) {
      return failure();
    }
    if (!value->format(text)) {
      return emitError(piece.expr->getLoc())
             << "cannot format " << value->describe() << " into a string";
    }
  }
  // Characters cost steps as a list's copies do: `s = "{s}{s}"` in a loop
  // grew without bound, and exhausted the memory.
  if (failed(spend(expr.getLoc(), text.size()))) {
    return failure();
  }
  return text;
}
