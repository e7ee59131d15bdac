//===- ParseExpressions.cpp - Expressions of .kiln files ------------------===//
//
// Precedence, loosest first: `or`, `and`, `not`, comparisons and `in`
// (not chained), `+ -`, `* / %`, unary `-`, then a call's `@ "scope"`
// suffix. String literals are split into text and `{expr}` pieces here;
// each piece is parsed in place by a nested parser, so its tokens keep
// their true source positions.
//
//===----------------------------------------------------------------------===//

#include "frontends/kdl/Parser.h"

#include "llvm/ADT/ScopeExit.h"

#include <cmath>

using namespace kiln::kdl;
using llvm::SMLoc;
using llvm::StringRef;

StringRef BinaryExpr::spelling(Op op) {
  switch (op) {
  case Op::Add:
    return "+";
  case Op::Sub:
    return "-";
  case Op::Mul:
    return "*";
  case Op::Div:
    return "/";
  case Op::Mod:
    return "%";
  case Op::Eq:
    return "==";
  case Op::Ne:
    return "!=";
  case Op::Lt:
    return "<";
  case Op::Le:
    return "<=";
  case Op::Gt:
    return ">";
  case Op::Ge:
    return ">=";
  case Op::And:
    return "and";
  case Op::Or:
    return "or";
  case Op::In:
    return "in";
  }
  return "?";
}

ExprPtr Parser::checkHeight(ExprPtr expr) {
  if (expr && expr->height > kMaxDepth) {
    // Elaboration recurses into the left operand too, so a flat chain
    // `a + b + c + ..` is as deep as it is long.
    auto *binary = llvm::dyn_cast<BinaryExpr>(expr.get());
    bool chain = binary && llvm::isa<BinaryExpr>(binary->lhs.get());
    error(expr->getLoc(),
          "expression is nested too deeply (more than " +
              llvm::Twine(kMaxDepth) + " levels)" +
              (chain ? "; each operator of a chain such as 'a + b + c' "
                       "counts as one level: split it with variables"
                     : ""));
    return nullptr;
  }
  return expr;
}

/// A binary node over `lhs` and `rhs`, with its height.
static ExprPtr makeBinary(SMLoc loc, BinaryExpr::Op op, ExprPtr lhs,
                          ExprPtr rhs) {
  unsigned height = 1 + std::max(lhs->height, rhs->height);
  auto expr =
      std::make_unique<BinaryExpr>(loc, op, std::move(lhs), std::move(rhs));
  expr->height = height;
  return expr;
}

ExprPtr Parser::parseWholeExpression() {
  ExprPtr expr = parseExpression();
  if (expr && !peek().is(Token::eof)) {
    errorExpected("'}' after the expression");
    return nullptr;
  }
  return expr;
}

ExprPtr Parser::parseExpression() { return parseOr(); }

ExprPtr Parser::parseOr() {
  ExprPtr lhs = parseAnd();
  while (lhs && peek().is(Token::kw_or)) {
    SMLoc loc = consume().getLoc();
    ExprPtr rhs = parseAnd();
    if (!rhs) {
      return nullptr;
    }
    lhs = checkHeight(
        makeBinary(loc, BinaryExpr::Op::Or, std::move(lhs), std::move(rhs)));
  }
  return lhs;
}

ExprPtr Parser::parseAnd() {
  ExprPtr lhs = parseNot();
  while (lhs && peek().is(Token::kw_and)) {
    SMLoc loc = consume().getLoc();
    ExprPtr rhs = parseNot();
    if (!rhs) {
      return nullptr;
    }
    lhs = checkHeight(
        makeBinary(loc, BinaryExpr::Op::And, std::move(lhs), std::move(rhs)));
  }
  return lhs;
}

ExprPtr Parser::parseNot() {
  if (!peek().is(Token::kw_not)) {
    return parseComparison();
  }
  DepthGuard guard(*this, peek().getLoc());
  SMLoc loc = consume().getLoc();
  ExprPtr operand = guard.ok() ? parseNot() : nullptr;
  if (!operand) {
    return nullptr;
  }
  unsigned height = operand->height + 1;
  auto expr =
      std::make_unique<UnaryExpr>(loc, UnaryExpr::Op::Not, std::move(operand));
  expr->height = height;
  return checkHeight(std::move(expr));
}

/// The comparison a token spells, if any.
static std::optional<BinaryExpr::Op> comparisonOf(Token::Kind kind) {
  switch (kind) {
  case Token::equal_equal:
    return BinaryExpr::Op::Eq;
  case Token::not_equal:
    return BinaryExpr::Op::Ne;
  case Token::less:
    return BinaryExpr::Op::Lt;
  case Token::less_equal:
    return BinaryExpr::Op::Le;
  case Token::greater:
    return BinaryExpr::Op::Gt;
  case Token::greater_equal:
    return BinaryExpr::Op::Ge;
  case Token::kw_in:
    return BinaryExpr::Op::In;
  default:
    return std::nullopt;
  }
}

ExprPtr Parser::parseComparison() {
  ExprPtr lhs = parseAdditive();
  if (!lhs) {
    return nullptr;
  }
  std::optional<BinaryExpr::Op> op = comparisonOf(peek().kind);
  if (!op) {
    return lhs;
  }
  SMLoc loc = consume().getLoc();
  ExprPtr rhs = parseAdditive();
  if (!rhs) {
    return nullptr;
  }
  if (comparisonOf(peek().kind)) {
    error(peek().getLoc(),
          "comparisons cannot be chained; combine them with 'and'");
    return nullptr;
  }
  return checkHeight(makeBinary(loc, *op, std::move(lhs), std::move(rhs)));
}

ExprPtr Parser::parseAdditive() {
  ExprPtr lhs = parseMultiplicative();
  while (lhs && (peek().is(Token::plus) || peek().is(Token::minus))) {
    Token op = consume();
    ExprPtr rhs = parseMultiplicative();
    if (!rhs) {
      return nullptr;
    }
    lhs = checkHeight(makeBinary(op.getLoc(),
                                 op.is(Token::plus) ? BinaryExpr::Op::Add
                                                    : BinaryExpr::Op::Sub,
                                 std::move(lhs), std::move(rhs)));
  }
  return lhs;
}

ExprPtr Parser::parseMultiplicative() {
  ExprPtr lhs = parseUnary();
  while (lhs && (peek().is(Token::star) || peek().is(Token::slash) ||
                 peek().is(Token::percent))) {
    Token op = consume();
    ExprPtr rhs = parseUnary();
    if (!rhs) {
      return nullptr;
    }
    BinaryExpr::Op kind = op.is(Token::star)    ? BinaryExpr::Op::Mul
                          : op.is(Token::slash) ? BinaryExpr::Op::Div
                                                : BinaryExpr::Op::Mod;
    lhs = checkHeight(
        makeBinary(op.getLoc(), kind, std::move(lhs), std::move(rhs)));
  }
  return lhs;
}

ExprPtr Parser::parseUnary() {
  if (!peek().is(Token::minus)) {
    return parsePostfix();
  }
  DepthGuard guard(*this, peek().getLoc());
  SMLoc loc = consume().getLoc();
  ExprPtr operand = guard.ok() ? parseUnary() : nullptr;
  if (!operand) {
    return nullptr;
  }
  unsigned height = operand->height + 1;
  auto expr =
      std::make_unique<UnaryExpr>(loc, UnaryExpr::Op::Neg, std::move(operand));
  expr->height = height;
  return checkHeight(std::move(expr));
}

ExprPtr Parser::parsePostfix() {
  ExprPtr expr = parsePrimary();
  if (!expr || !allowScopeSuffix || !peek().is(Token::at)) {
    return expr;
  }
  auto *call = llvm::dyn_cast<CallExpr>(expr.get());
  if (!call) {
    error(peek().getLoc(),
          "a scope '@ \"..\"' can only follow a call, which creates its "
          "parameters under it");
    return nullptr;
  }
  if (!parseScopeSuffix(call->scope)) {
    return nullptr;
  }
  if (peek().is(Token::at)) {
    error(peek().getLoc(), "a call takes one scope; join the names with '.'");
    return nullptr;
  }
  return expr;
}

ExprPtr Parser::parsePrimary() {
  const Token &token = peek();
  switch (token.kind) {
  case Token::integer: {
    Token literal = consume();
    int64_t value;
    if (literal.text.getAsInteger(10, value)) {
      error(literal.getLoc(),
            "integer '" + literal.text + "' does not fit in 64 bits");
      return nullptr;
    }
    return std::make_unique<IntExpr>(literal.getLoc(), value);
  }
  case Token::floating: {
    Token literal = consume();
    double value;
    if (literal.text.getAsDouble(value) || !std::isfinite(value)) {
      error(literal.getLoc(), "number '" + literal.text + "' is out of range");
      return nullptr;
    }
    return std::make_unique<FloatExpr>(literal.getLoc(), value);
  }
  case Token::string: {
    Token literal = consume();
    return parseString(literal);
  }
  case Token::kw_true:
  case Token::kw_false: {
    Token literal = consume();
    return std::make_unique<BoolExpr>(literal.getLoc(),
                                      literal.is(Token::kw_true));
  }
  case Token::identifier: {
    Token name = consume();
    if (peek().is(Token::l_paren)) {
      return parseCall(name);
    }
    return std::make_unique<NameExpr>(name.getLoc(), name.text);
  }
  case Token::l_paren: {
    DepthGuard guard(*this, token.getLoc());
    consume();
    if (!guard.ok()) {
      return nullptr;
    }
    bool outerAllowScope = allowScopeSuffix;
    allowScopeSuffix = true;
    ExprPtr inner = parseExpression();
    allowScopeSuffix = outerAllowScope;
    if (!inner || !expect(Token::r_paren, "to close '('")) {
      return nullptr;
    }
    return inner;
  }
  case Token::l_square:
    return parseList();
  default:
    errorExpected("an expression");
    return nullptr;
  }
}

ExprPtr Parser::parseCall(const Token &name) {
  DepthGuard guard(*this, name.getLoc());
  consume();
  if (!guard.ok()) {
    return nullptr;
  }
  auto call = std::make_unique<CallExpr>(name.getLoc(), name.text);
  bool outerAllowScope = allowScopeSuffix;
  allowScopeSuffix = true;
  llvm::scope_exit restore([&] { allowScopeSuffix = outerAllowScope; });
  while (!consumeIf(Token::r_paren)) {
    Argument arg;
    if (peek().is(Token::identifier) && peek(1).is(Token::equal)) {
      Token key = consume();
      consume();
      for (const Argument &other : call->args) {
        if (other.name == key.text) {
          error(key.getLoc(), "argument '" + key.text +
                                  "' is given twice to '" + name.text + "'");
          return nullptr;
        }
      }
      arg.name = key.text;
      arg.nameLoc = key.getLoc();
    } else if (!call->args.empty() && !call->args.back().name.empty()) {
      error(peek().getLoc(), "a positional argument cannot follow keyword "
                             "arguments");
      return nullptr;
    }
    if (!(arg.value = parseExpression())) {
      return nullptr;
    }
    call->height = std::max(call->height, arg.value->height + 1);
    call->args.push_back(std::move(arg));
    if (!consumeIf(Token::comma) && !peek().is(Token::r_paren)) {
      errorExpected("',' or ')' in the arguments of '" + name.text + "'");
      return nullptr;
    }
  }
  return checkHeight(std::move(call));
}

ExprPtr Parser::parseList() {
  DepthGuard guard(*this, peek().getLoc());
  auto list = std::make_unique<ListExpr>(consume().getLoc());
  if (!guard.ok()) {
    return nullptr;
  }
  bool outerAllowScope = allowScopeSuffix;
  allowScopeSuffix = true;
  llvm::scope_exit restore([&] { allowScopeSuffix = outerAllowScope; });
  while (!consumeIf(Token::r_square)) {
    ExprPtr element = parseExpression();
    if (!element) {
      return nullptr;
    }
    list->height = std::max(list->height, element->height + 1);
    list->elements.push_back(std::move(element));
    if (!consumeIf(Token::comma) && !peek().is(Token::r_square)) {
      errorExpected("',' or ']' in the list");
      return nullptr;
    }
  }
  return checkHeight(std::move(list));
}

std::unique_ptr<StringExpr> Parser::parseString(const Token &token) {
  auto result = std::make_unique<StringExpr>(token.getLoc());
  // The lexer guarantees the quotes and valid escapes.
  StringRef text = token.text.drop_front().drop_back();
  std::string literal;
  auto flushLiteral = [&] {
    if (!literal.empty()) {
      result->pieces.push_back({std::move(literal), nullptr});
      literal.clear();
    }
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    SMLoc loc = SMLoc::getFromPointer(text.data() + i);
    if (c == '\\' && i + 1 < text.size()) {
      char escaped = text[++i];
      literal += escaped == 'n' ? '\n' : escaped == 't' ? '\t' : escaped;
    } else if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';
      ++i;
    } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      literal += '}';
      ++i;
    } else if (c == '}') {
      error(loc, "unmatched '}' in a string (write '}}' for a brace)");
      return nullptr;
    } else if (c == '{') {
      size_t close = text.find('}', i + 1);
      if (close == StringRef::npos) {
        error(loc, "unterminated '{' in a string (write '{{' for a brace)");
        return nullptr;
      }
      StringRef inner = text.slice(i + 1, close);
      size_t escape = inner.find('\\');
      if (escape != StringRef::npos) {
        error(SMLoc::getFromPointer(inner.data() + escape),
              "a '{..}' piece of a string cannot contain '\\'");
        return nullptr;
      }
      Parser nested(inner, locator, depth + 1, /*formatPiece=*/true);
      ExprPtr expr = nested.parseWholeExpression();
      if (!expr) {
        failed = true;
        return nullptr;
      }
      flushLiteral();
      result->pieces.push_back({"", std::move(expr)});
      i = close;
    } else {
      literal += c;
    }
  }
  flushLiteral();
  return result;
}
