//===- Lexer.h - Tokens of the .kiln language -------------------*- C++ -*-===//
//
// Splits one source buffer into tokens. Newlines are insignificant (the
// grammar needs no statement separator), `#` and `//` start comments that
// run to the end of the line. A malformed token is returned as an `error`
// token after the lexer has reported it, so the parser only stops.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_KDL_LEXER_H
#define KILN_FRONTENDS_KDL_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"

#include <functional>

namespace kiln::kdl {

/// One token: its kind and the source text it spans.
struct Token {
  enum Kind {
    eof,
    error,
    identifier,
    integer,
    floating,
    string,
    // Keywords.
    kw_and,
    kw_block,
    kw_dims,
    kw_else,
    kw_false,
    kw_for,
    kw_if,
    kw_import,
    kw_in,
    kw_model,
    kw_not,
    kw_or,
    kw_param,
    kw_return,
    kw_true,
    // Punctuation and operators.
    l_paren,
    r_paren,
    l_square,
    r_square,
    l_brace,
    r_brace,
    comma,
    colon,
    semicolon,
    equal,
    equal_equal,
    not_equal,
    less,
    less_equal,
    greater,
    greater_equal,
    plus,
    minus,
    star,
    slash,
    percent,
    at,
    arrow,
    dot_dot,
    ellipsis,
  };

  Kind kind = eof;
  llvm::StringRef text;

  bool is(Kind k) const { return kind == k; }
  llvm::SMLoc getLoc() const {
    return llvm::SMLoc::getFromPointer(text.data());
  }
  /// The location just past the token.
  llvm::SMLoc getEndLoc() const {
    return llvm::SMLoc::getFromPointer(text.data() + text.size());
  }
  /// How the token is named in "expected ..." diagnostics.
  static llvm::StringRef spelling(Kind kind);
};

/// Reports a lexical error at a location.
using LexErrorFn = std::function<void(llvm::SMLoc, const llvm::Twine &)>;

/// Produces the tokens of `buffer` one by one.
class Lexer {
public:
  /// `buffer` must stay alive while tokens are used; it need not be a whole
  /// file (format strings are lexed in place).
  Lexer(llvm::StringRef buffer, LexErrorFn onError);

  /// The next token; `eof` forever once the buffer is exhausted.
  Token lex();
  /// Skips a UTF-8 byte order mark at the start of a file, which some
  /// editors write.
  void skipByteOrderMark();

private:
  Token make(Token::Kind kind, const char *start) const;
  Token lexError(const char *start, const llvm::Twine &message);
  Token lexNumber(const char *start);
  Token lexString(const char *start);
  Token lexIdentifier(const char *start);
  void skipSpaceAndComments();

  llvm::StringRef buffer;
  const char *cur;
  LexErrorFn onError;
};

} // namespace kiln::kdl

#endif // KILN_FRONTENDS_KDL_LEXER_H
