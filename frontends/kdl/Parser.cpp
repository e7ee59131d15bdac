//===- Parser.cpp - Declarations and statements of .kiln files ------------===//
//
// Tokens are lexed on demand, so a lexical error is reported in source
// order with the syntax errors; after the first error every parse function
// unwinds and the file yields no tree.
//
//===----------------------------------------------------------------------===//

#include "frontends/kdl/Parser.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"

using namespace kiln::kdl;
using llvm::SMLoc;
using llvm::StringRef;

std::unique_ptr<SourceFile>
kiln::kdl::parseSourceFile(unsigned bufferId, const SourceLocator &locator) {
  StringRef text =
      locator.getSourceMgr().getMemoryBuffer(bufferId)->getBuffer();
  Parser parser(text, locator);
  return parser.parseFile(bufferId);
}

Parser::Parser(StringRef text, const SourceLocator &locator, unsigned depth,
               bool formatPiece)
    : lexer(text, [this](SMLoc loc,
                         const llvm::Twine &message) { error(loc, message); }),
      locator(locator), depth(depth), formatPiece(formatPiece) {}

Parser::DepthGuard::DepthGuard(Parser &parser, SMLoc loc) : parser(parser) {
  withinLimit = ++parser.depth <= kMaxDepth;
  if (!withinLimit) {
    parser.error(loc, "nesting is too deep (more than " +
                          llvm::Twine(kMaxDepth) + " levels)");
  }
}

//===----------------------------------------------------------------------===//
// Tokens and diagnostics
//===----------------------------------------------------------------------===//

const Token &Parser::peek(unsigned ahead) {
  while (tokens.size() <= position + ahead) {
    if (!tokens.empty() &&
        (tokens.back().is(Token::eof) || tokens.back().is(Token::error))) {
      return tokens.back();
    }
    tokens.push_back(lexer.lex());
  }
  return tokens[position + ahead];
}

Token Parser::consume() {
  Token token = peek();
  if (!token.is(Token::eof) && !token.is(Token::error)) {
    ++position;
  }
  return token;
}

bool Parser::consumeIf(Token::Kind kind) {
  if (!peek().is(kind)) {
    return false;
  }
  consume();
  return true;
}

void Parser::error(SMLoc loc, const llvm::Twine &message) {
  if (!failed) {
    mlir::emitError(locator.get(loc)) << message.str();
  }
  failed = true;
}

std::string Parser::describeNext() {
  const Token &token = peek();
  if (token.is(Token::eof)) {
    return formatPiece ? "'}'" : "end of file";
  }
  StringRef text = token.text;
  return "'" +
         (text.size() > 24 ? text.take_front(21).str() + "..." : text.str()) +
         "'";
}

void Parser::errorExpected(const llvm::Twine &what) {
  error(peek().getLoc(), "expected " + what + ", got " + describeNext());
}

bool Parser::expect(Token::Kind kind, const llvm::Twine &context) {
  if (consumeIf(kind)) {
    return true;
  }
  errorExpected(Token::spelling(kind) + " " + context);
  return false;
}

//===----------------------------------------------------------------------===//
// Files and declarations
//===----------------------------------------------------------------------===//

std::unique_ptr<SourceFile> Parser::parseFile(unsigned bufferId) {
  auto file = std::make_unique<SourceFile>();
  file->bufferId = bufferId;
  lexer.skipByteOrderMark();
  while (!failed && !peek().is(Token::eof)) {
    if (consumeIf(Token::semicolon)) {
      continue;
    }
    if (peek().is(Token::kw_import)) {
      parseImport(*file);
    } else if (peek().is(Token::kw_block) || peek().is(Token::kw_model)) {
      if (std::unique_ptr<Definition> def = parseDefinition()) {
        file->definitions.push_back(std::move(def));
      }
    } else {
      errorExpected("'import', 'block' or 'model'");
    }
  }
  return failed ? nullptr : std::move(file);
}

bool Parser::parseImport(SourceFile &file) {
  consume();
  if (!peek().is(Token::string)) {
    errorExpected("a quoted path after 'import'");
    return false;
  }
  Token path = consume();
  std::unique_ptr<StringExpr> text = parseString(path);
  if (!text) {
    return false;
  }
  if (text->pieces.size() > 1 ||
      (!text->pieces.empty() && text->pieces.front().expr != nullptr)) {
    error(path.getLoc(), "an import path cannot contain '{..}'");
    return false;
  }
  std::string decoded = text->pieces.empty() ? "" : text->pieces[0].text;
  if (decoded.empty()) {
    error(path.getLoc(), "an import path cannot be empty");
    return false;
  }
  file.imports.push_back({decoded, path.getLoc()});
  return true;
}

std::unique_ptr<Definition> Parser::parseDefinition() {
  auto def = std::make_unique<Definition>();
  Token keyword = consume();
  def->isModel = keyword.is(Token::kw_model);
  StringRef what = def->isModel ? "model" : "block";
  if (!peek().is(Token::identifier)) {
    errorExpected("the name of the " + what);
    return nullptr;
  }
  Token name = consume();
  def->name = {name.text, name.getLoc()};
  if (!expect(Token::l_paren,
              "after the name of " + what + " '" + name.text + "'") ||
      !parseParams(*def)) {
    return nullptr;
  }
  if (consumeIf(Token::arrow)) {
    def->hasResults = true;
    if (!parseResults(*def)) {
      return nullptr;
    }
  } else if (def->isModel) {
    errorExpected("'->' and the outputs of model '" + name.text + "'");
    return nullptr;
  }
  if (peek().is(Token::kw_dims)) {
    if (!def->isModel) {
      error(peek().getLoc(),
            "only a model declares 'dims'; a block takes its sizes from the "
            "shapes of its arguments");
      return nullptr;
    }
    if (!parseDims(*def)) {
      return nullptr;
    }
  }
  if (!parseBody(def->body, what + " '" + name.text + "'")) {
    return nullptr;
  }
  def->endLoc = tokens[position - 1].getLoc();
  return def;
}

bool Parser::parseParams(Definition &def) {
  StringRef what = def.isModel ? "input" : "parameter";
  llvm::StringSet<> seen;
  while (!consumeIf(Token::r_paren)) {
    if (!peek().is(Token::identifier)) {
      errorExpected("the name of a " + what + " or ')'");
      return false;
    }
    Token name = consume();
    if (!seen.insert(name.text).second) {
      error(name.getLoc(), "duplicate " + what + " '" + name.text + "' of '" +
                               def.name.name + "'");
      return false;
    }
    ParamDecl param;
    param.name = {name.text, name.getLoc()};
    if (!expect(Token::colon, "and a type after '" + name.text + "'") ||
        !parseType(param.type)) {
      return false;
    }
    if (consumeIf(Token::equal)) {
      if (def.isModel) {
        error(tokens[position - 1].getLoc(),
              "a model input cannot have a default value");
        return false;
      }
      if (!(param.defaultValue = parseExpression())) {
        return false;
      }
    }
    def.params.push_back(std::move(param));
    if (!consumeIf(Token::comma) && !peek().is(Token::r_paren)) {
      errorExpected("',' or ')' after " + what + " '" + name.text + "'");
      return false;
    }
  }
  return true;
}

bool Parser::parseResults(Definition &def) {
  if (!consumeIf(Token::l_paren)) {
    return parseResult(def);
  }
  do {
    if (peek().is(Token::r_paren) && !def.results.empty()) {
      break;
    }
    if (!parseResult(def)) {
      return false;
    }
  } while (consumeIf(Token::comma));
  return expect(Token::r_paren, "after the results");
}

bool Parser::parseResult(Definition &def) {
  ResultDecl result;
  if (peek().is(Token::identifier) && peek(1).is(Token::colon)) {
    Token name = consume();
    consume();
    for (const ResultDecl &other : def.results) {
      if (other.name.name == name.text) {
        error(name.getLoc(), "duplicate output '" + name.text + "'");
        return false;
      }
    }
    result.name = {name.text, name.getLoc()};
  }
  if (!parseType(result.type)) {
    return false;
  }
  if (peek().is(Token::kw_if)) {
    if (!def.isModel) {
      error(peek().getLoc(), "only the outputs of a model can be conditional");
      return false;
    }
    consume();
    if (!(result.condition = parseExpression())) {
      return false;
    }
  }
  def.results.push_back(std::move(result));
  return true;
}

bool Parser::parseDims(Definition &def) {
  consume();
  do {
    if (!peek().is(Token::identifier)) {
      errorExpected("the name of a dimension");
      return false;
    }
    Token name = consume();
    for (const DimDecl &other : def.dims) {
      if (other.name.name == name.text) {
        error(name.getLoc(), "duplicate dimension '" + name.text + "'");
        return false;
      }
    }
    DimDecl dim;
    dim.name = {name.text, name.getLoc()};
    if (!expect(Token::equal,
                "and a default value after dimension '" + name.text + "'") ||
        !(dim.value = parseExpression())) {
      return false;
    }
    def.dims.push_back(std::move(dim));
  } while (consumeIf(Token::comma));
  return true;
}

bool Parser::parseType(TypeExpr &type) {
  if (!peek().is(Token::identifier)) {
    errorExpected("a type");
    return false;
  }
  const char *start = peek().text.data();
  llvm::scope_exit setText([&] {
    const char *end = tokens[position - 1].text.end();
    type.text = end > start ? StringRef(start, end - start) : StringRef();
  });
  Token name = consume();
  type.loc = name.getLoc();
  type.name = name.text;
  if (name.text == "f32" || name.text == "i32" || name.text == "i64") {
    type.kind = TypeExpr::Kind::Tensor;
    if (!expect(Token::l_square, "and a shape after '" + name.text + "'")) {
      return false;
    }
    bool seenEllipsis = false;
    while (!consumeIf(Token::r_square)) {
      DimPattern dim;
      dim.loc = peek().getLoc();
      if (consumeIf(Token::ellipsis)) {
        if (seenEllipsis) {
          error(dim.loc, "a shape can contain '...' only once");
          return false;
        }
        seenEllipsis = dim.ellipsis = true;
      } else if (!(dim.expr = parseExpression())) {
        return false;
      }
      const char *end = tokens[position - 1].text.end();
      dim.text = StringRef(dim.loc.getPointer(), end - dim.loc.getPointer());
      type.dims.push_back(std::move(dim));
      if (!consumeIf(Token::comma) && !peek().is(Token::r_square)) {
        errorExpected("',' or ']' in the shape");
        return false;
      }
    }
    return true;
  }
  if (name.text != "enum") {
    return true;
  }
  type.kind = TypeExpr::Kind::Enum;
  if (!expect(Token::l_paren, "and the values of the enum")) {
    return false;
  }
  do {
    if (!peek().is(Token::identifier)) {
      errorExpected("a value of the enum");
      return false;
    }
    type.cases.push_back(consume().text);
  } while (consumeIf(Token::comma));
  return expect(Token::r_paren, "after the values of the enum");
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

bool Parser::parseBody(Body &body, const llvm::Twine &what) {
  DepthGuard guard(*this, peek().getLoc());
  SMLoc open = peek().getLoc();
  if (!guard.ok() || !expect(Token::l_brace, "to start the body of " + what)) {
    return false;
  }
  while (!consumeIf(Token::r_brace)) {
    if (peek().is(Token::eof)) {
      if (!failed) {
        mlir::InFlightDiagnostic diag =
            mlir::emitError(locator.get(peek().getLoc()))
            << "expected '}' to end the body of " << what.str() << ", got "
            << describeNext();
        diag.attachNote(locator.get(open)) << "the body starts here";
      }
      failed = true;
      return false;
    }
    if (consumeIf(Token::semicolon)) {
      continue;
    }
    StmtPtr stmt = parseStatement();
    if (!stmt) {
      return false;
    }
    body.push_back(std::move(stmt));
  }
  return true;
}

StmtPtr Parser::parseStatement() {
  switch (peek().kind) {
  case Token::kw_param:
    return parseParamStmt();
  case Token::kw_return:
    return parseReturn();
  case Token::kw_for:
    return parseFor();
  case Token::kw_if:
    return parseIf();
  case Token::identifier:
    if (peek(1).is(Token::equal) || peek(1).is(Token::comma)) {
      return parseAssign();
    }
    if (peek(1).is(Token::l_paren)) {
      error(peek().getLoc(),
            "the result of '" + peek().text +
                "(..)' must be assigned, as in 'y = " + peek().text + "(..)'");
      return nullptr;
    }
    return reportBadStatement();
  default:
    errorExpected("a statement");
    return nullptr;
  }
}

StmtPtr Parser::reportBadStatement() {
  // Reported at the token after the name: `y == x` names '==', not 'y'.
  Token name = consume();
  const Token &next = peek();
  bool arithmetic = next.is(Token::plus) || next.is(Token::minus) ||
                    next.is(Token::star) || next.is(Token::slash) ||
                    next.is(Token::percent);
  if (arithmetic && peek(1).is(Token::equal) &&
      next.text.end() == peek(1).text.begin()) {
    std::string op = next.text.str();
    error(next.getLoc(), "'" + op + "=' is not an operator; write '" +
                             name.text + " = " + name.text + " " + op + " ..'");
    return nullptr;
  }
  errorExpected("'=' after '" + name.text + "'");
  return nullptr;
}

StmtPtr Parser::parseParamStmt() {
  auto stmt = std::make_unique<ParamStmt>(consume().getLoc());
  if (!peek().is(Token::identifier)) {
    errorExpected("the name of the parameter");
    return nullptr;
  }
  Token name = consume();
  stmt->name = {name.text, name.getLoc()};
  if (!expect(Token::colon, "and a type after '" + name.text + "'") ||
      !parseType(stmt->type) || !parseScopeSuffix(stmt->checkpointName)) {
    return nullptr;
  }
  if (stmt->type.kind != TypeExpr::Kind::Tensor) {
    error(stmt->type.loc, "a parameter must have a tensor type such as "
                          "'f32[D]', got '" +
                              stmt->type.name + "'");
    return nullptr;
  }
  return stmt;
}

StmtPtr Parser::parseReturn() {
  auto stmt = std::make_unique<ReturnStmt>(consume().getLoc());
  do {
    ExprPtr value = parseExpression();
    if (!value) {
      return nullptr;
    }
    stmt->values.push_back(std::move(value));
  } while (consumeIf(Token::comma));
  return stmt;
}

StmtPtr Parser::parseFor() {
  auto stmt = std::make_unique<ForStmt>(consume().getLoc());
  if (!peek().is(Token::identifier)) {
    errorExpected("the name of the loop variable");
    return nullptr;
  }
  Token var = consume();
  stmt->var = {var.text, var.getLoc()};
  if (!expect(Token::kw_in, "after the loop variable")) {
    return nullptr;
  }
  allowScopeSuffix = false;
  stmt->lower = parseExpression();
  if (stmt->lower && consumeIf(Token::dot_dot)) {
    stmt->upper = parseExpression();
    if (!stmt->upper) {
      stmt->lower = nullptr;
    }
  }
  allowScopeSuffix = true;
  if (!stmt->lower || !parseScopeSuffix(stmt->scope) ||
      !parseBody(stmt->body, "the loop")) {
    return nullptr;
  }
  return stmt;
}

StmtPtr Parser::parseIf() {
  auto stmt = std::make_unique<IfStmt>(consume().getLoc());
  if (!(stmt->condition = parseExpression()) ||
      !parseBody(stmt->thenBody, "the 'if'")) {
    return nullptr;
  }
  if (!consumeIf(Token::kw_else)) {
    return stmt;
  }
  if (peek().is(Token::kw_if)) {
    DepthGuard guard(*this, peek().getLoc());
    StmtPtr nested = guard.ok() ? parseIf() : nullptr;
    if (!nested) {
      return nullptr;
    }
    stmt->elseBody.push_back(std::move(nested));
    return stmt;
  }
  if (!parseBody(stmt->elseBody, "the 'else'")) {
    return nullptr;
  }
  return stmt;
}

StmtPtr Parser::parseAssign() {
  auto stmt = std::make_unique<AssignStmt>(peek().getLoc());
  do {
    if (!peek().is(Token::identifier)) {
      errorExpected("a name to assign");
      return nullptr;
    }
    Token name = consume();
    for (const Binding &other : stmt->targets) {
      if (other.name == name.text) {
        error(name.getLoc(), "'" + name.text + "' is assigned twice");
        return nullptr;
      }
    }
    stmt->targets.push_back({name.text, name.getLoc()});
  } while (consumeIf(Token::comma));
  if (!expect(Token::equal, "after the assigned names") ||
      !(stmt->value = parseExpression())) {
    return nullptr;
  }
  return stmt;
}

bool Parser::parseScopeSuffix(std::unique_ptr<StringExpr> &scope) {
  if (!consumeIf(Token::at)) {
    return true;
  }
  if (!peek().is(Token::string)) {
    errorExpected("a quoted name after '@'");
    return false;
  }
  scope = parseString(consume());
  return scope != nullptr;
}
