//===- Parser.h - Recursive-descent parser of .kiln files -------*- C++ -*-===//
//
// Builds the syntax tree of one source buffer (grammar in
// docs/language.md). The parser stops at the first error, which it reports
// at the offending token; recursion and expression height are bounded, so
// no input can exhaust the stack.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_KDL_PARSER_H
#define KILN_FRONTENDS_KDL_PARSER_H

#include "frontends/kdl/Ast.h"
#include "frontends/kdl/Lexer.h"
#include "frontends/kdl/SourceLocator.h"

#include "llvm/ADT/Twine.h"

namespace kiln::kdl {

/// Parses buffer `bufferId` of the locator's SourceMgr; returns null after
/// reporting the first error.
std::unique_ptr<SourceFile> parseSourceFile(unsigned bufferId,
                                            const SourceLocator &locator);

/// The parser; Parser.cpp holds declarations and statements,
/// ParseExpressions.cpp expressions and string formats.
class Parser {
public:
  /// Deeper nesting of expressions or statements is an error.
  static constexpr unsigned kMaxDepth = 200;

  /// Parses `text`, which lies inside one of the locator's buffers, at
  /// nesting depth `depth` (format strings parse their `{..}` pieces with a
  /// nested parser, with `formatPiece` set).
  Parser(llvm::StringRef text, const SourceLocator &locator, unsigned depth = 0,
         bool formatPiece = false);

  std::unique_ptr<SourceFile> parseFile(unsigned bufferId);
  /// One expression spanning the whole text.
  ExprPtr parseWholeExpression();

private:
  /// Counts nesting while alive; `ok()` is false past `kMaxDepth`.
  class DepthGuard {
  public:
    DepthGuard(Parser &parser, llvm::SMLoc loc);
    ~DepthGuard() { --parser.depth; }
    bool ok() const { return withinLimit; }

  private:
    Parser &parser;
    bool withinLimit;
  };

  // Tokens.
  const Token &peek(unsigned ahead = 0);
  Token consume();
  bool consumeIf(Token::Kind kind);
  /// Consumes a `kind` token or reports "expected <kind> <context>, got ..".
  bool expect(Token::Kind kind, const llvm::Twine &context);
  /// Reports `message` at `loc` unless an error was already reported.
  void error(llvm::SMLoc loc, const llvm::Twine &message);
  /// The next token as diagnostics quote it.
  std::string describeNext();
  /// Reports "expected <what>, got <the next token>".
  void errorExpected(const llvm::Twine &what);

  // Declarations and statements (Parser.cpp).
  std::unique_ptr<Definition> parseDefinition();
  bool parseImport(SourceFile &file);
  bool parseParams(Definition &def);
  bool parseResults(Definition &def);
  bool parseResult(Definition &def);
  bool parseDims(Definition &def);
  bool parseType(TypeExpr &type);
  bool parseBody(Body &body, const llvm::Twine &what);
  StmtPtr parseStatement();
  /// Reports a name not followed by '=' where a statement starts.
  StmtPtr reportBadStatement();
  StmtPtr parseParamStmt();
  StmtPtr parseReturn();
  StmtPtr parseFor();
  StmtPtr parseIf();
  StmtPtr parseAssign();
  /// `@ "scope"` if present; false after an error.
  bool parseScopeSuffix(std::unique_ptr<StringExpr> &scope);

  // Expressions (ParseExpressions.cpp).
  ExprPtr parseExpression();
  ExprPtr parseOr();
  ExprPtr parseAnd();
  ExprPtr parseNot();
  ExprPtr parseComparison();
  ExprPtr parseAdditive();
  ExprPtr parseMultiplicative();
  ExprPtr parseUnary();
  ExprPtr parsePostfix();
  ExprPtr parsePrimary();
  ExprPtr parseCall(const Token &name);
  ExprPtr parseList();
  std::unique_ptr<StringExpr> parseString(const Token &token);
  /// Returns `expr` or null when its height exceeds the limit.
  ExprPtr checkHeight(ExprPtr expr);

  Lexer lexer;
  std::vector<Token> tokens;
  size_t position = 0;
  const SourceLocator &locator;
  unsigned depth;
  /// Whether the text is the inside of a `{..}` piece of a string.
  bool formatPiece;
  /// Cleared while parsing a `for` range, whose `@` belongs to the loop.
  bool allowScopeSuffix = true;
  bool failed = false;
};

} // namespace kiln::kdl

#endif // KILN_FRONTENDS_KDL_PARSER_H
