//===- Lexer.cpp - Tokens of the .kiln language ---------------------------===//

#include "frontends/kdl/Lexer.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/raw_ostream.h"

#include <cctype>

using namespace kiln::kdl;
using llvm::StringRef;

StringRef Token::spelling(Kind kind) {
  switch (kind) {
  case eof:
    return "end of file";
  case error:
    return "invalid token";
  case identifier:
    return "a name";
  case integer:
    return "an integer";
  case floating:
    return "a number";
  case string:
    return "a string";
  case kw_and:
    return "'and'";
  case kw_block:
    return "'block'";
  case kw_dims:
    return "'dims'";
  case kw_else:
    return "'else'";
  case kw_false:
    return "'false'";
  case kw_for:
    return "'for'";
  case kw_if:
    return "'if'";
  case kw_import:
    return "'import'";
  case kw_in:
    return "'in'";
  case kw_model:
    return "'model'";
  case kw_not:
    return "'not'";
  case kw_or:
    return "'or'";
  case kw_param:
    return "'param'";
  case kw_return:
    return "'return'";
  case kw_true:
    return "'true'";
  case l_paren:
    return "'('";
  case r_paren:
    return "')'";
  case l_square:
    return "'['";
  case r_square:
    return "']'";
  case l_brace:
    return "'{'";
  case r_brace:
    return "'}'";
  case comma:
    return "','";
  case colon:
    return "':'";
  case semicolon:
    return "';'";
  case equal:
    return "'='";
  case equal_equal:
    return "'=='";
  case not_equal:
    return "'!='";
  case less:
    return "'<'";
  case less_equal:
    return "'<='";
  case greater:
    return "'>'";
  case greater_equal:
    return "'>='";
  case plus:
    return "'+'";
  case minus:
    return "'-'";
  case star:
    return "'*'";
  case slash:
    return "'/'";
  case percent:
    return "'%'";
  case at:
    return "'@'";
  case arrow:
    return "'->'";
  case dot_dot:
    return "'..'";
  case ellipsis:
    return "'...'";
  }
  return "token";
}

Lexer::Lexer(StringRef buffer, LexErrorFn onError)
    : buffer(buffer), cur(buffer.begin()), onError(std::move(onError)) {}

Token Lexer::make(Token::Kind kind, const char *start) const {
  Token token;
  token.kind = kind;
  token.text = StringRef(start, cur - start);
  return token;
}

Token Lexer::lexError(const char *start, const llvm::Twine &message) {
  onError(llvm::SMLoc::getFromPointer(start), message);
  return make(Token::error, start);
}

void Lexer::skipByteOrderMark() {
  if (cur == buffer.begin() && buffer.starts_with("\xEF\xBB\xBF")) {
    cur += 3;
  }
}

void Lexer::skipSpaceAndComments() {
  const char *end = buffer.end();
  while (cur != end) {
    char c = *cur;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
        c == '\v') {
      ++cur;
    } else if (c == '#' || (c == '/' && cur + 1 != end && cur[1] == '/')) {
      while (cur != end && *cur != '\n' && *cur != '\r') {
        ++cur;
      }
    } else {
      return;
    }
  }
}

Token Lexer::lex() {
  skipSpaceAndComments();
  const char *start = cur;
  const char *end = buffer.end();
  if (cur == end) {
    return make(Token::eof, start);
  }
  char c = *cur++;
  auto next = [&](char expected) {
    if (cur != end && *cur == expected) {
      ++cur;
      return true;
    }
    return false;
  };
  switch (c) {
  case '(':
    return make(Token::l_paren, start);
  case ')':
    return make(Token::r_paren, start);
  case '[':
    return make(Token::l_square, start);
  case ']':
    return make(Token::r_square, start);
  case '{':
    return make(Token::l_brace, start);
  case '}':
    return make(Token::r_brace, start);
  case ',':
    return make(Token::comma, start);
  case ':':
    return make(Token::colon, start);
  case ';':
    return make(Token::semicolon, start);
  case '+':
    return make(Token::plus, start);
  case '*':
    return make(Token::star, start);
  case '/':
    return make(Token::slash, start);
  case '%':
    return make(Token::percent, start);
  case '@':
    return make(Token::at, start);
  case '-':
    return make(next('>') ? Token::arrow : Token::minus, start);
  case '=':
    return make(next('=') ? Token::equal_equal : Token::equal, start);
  case '<':
    return make(next('=') ? Token::less_equal : Token::less, start);
  case '>':
    return make(next('=') ? Token::greater_equal : Token::greater, start);
  case '!':
    if (next('=')) {
      return make(Token::not_equal, start);
    }
    return lexError(start, "unexpected character '!'; did you mean '!=' or "
                           "'not'?");
  case '.':
    if (next('.')) {
      return make(next('.') ? Token::ellipsis : Token::dot_dot, start);
    }
    if (cur != end && std::isdigit(static_cast<unsigned char>(*cur))) {
      return lexError(start, "a number must start with a digit (write '0.')");
    }
    return lexError(start, "unexpected character '.'");
  case '"':
    return lexString(start);
  default:
    break;
  }
  if (std::isdigit(static_cast<unsigned char>(c))) {
    return lexNumber(start);
  }
  if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
    return lexIdentifier(start);
  }
  std::string shown;
  llvm::raw_string_ostream os(shown);
  if (std::isprint(static_cast<unsigned char>(c))) {
    os << "'" << c << "'";
  } else {
    os << "byte 0x";
    os.write_hex(static_cast<unsigned char>(c));
  }
  return lexError(start, "unexpected character " + shown);
}

Token Lexer::lexNumber(const char *start) {
  const char *end = buffer.end();
  auto isDigit = [&](const char *p) {
    return p != end && std::isdigit(static_cast<unsigned char>(*p));
  };
  while (isDigit(cur)) {
    ++cur;
  }
  bool isFloat = false;
  // `0..L` is a range: a '.' makes a fraction only when a digit follows.
  if (cur != end && *cur == '.' && isDigit(cur + 1)) {
    isFloat = true;
    ++cur;
    while (isDigit(cur)) {
      ++cur;
    }
  }
  if (cur != end && (*cur == 'e' || *cur == 'E')) {
    const char *exponent = cur + 1;
    if (exponent != end && (*exponent == '+' || *exponent == '-')) {
      ++exponent;
    }
    if (!isDigit(exponent)) {
      cur = exponent;
      return lexError(start, "expected digits in the exponent of a number");
    }
    isFloat = true;
    cur = exponent;
    while (isDigit(cur)) {
      ++cur;
    }
  }
  if (cur != end &&
      (std::isalpha(static_cast<unsigned char>(*cur)) || *cur == '_')) {
    const char *suffix = cur;
    while (cur != end &&
           (std::isalnum(static_cast<unsigned char>(*cur)) || *cur == '_')) {
      ++cur;
    }
    onError(llvm::SMLoc::getFromPointer(suffix),
            "unexpected '" + StringRef(suffix, cur - suffix) +
                "' after a number");
    return make(Token::error, start);
  }
  return make(isFloat ? Token::floating : Token::integer, start);
}

Token Lexer::lexString(const char *start) {
  const char *end = buffer.end();
  while (cur != end) {
    char c = *cur;
    if (c == '"') {
      ++cur;
      return make(Token::string, start);
    }
    if (c == '\n' || c == '\r') {
      break;
    }
    if (c == '\\') {
      ++cur;
      if (cur == end || *cur == '\n') {
        break;
      }
      if (*cur != '"' && *cur != '\\' && *cur != 'n' && *cur != 't') {
        onError(llvm::SMLoc::getFromPointer(cur - 1),
                "unknown escape '\\" + StringRef(cur, 1) +
                    "' in a string (use \\\", \\\\, \\n or \\t)");
        ++cur;
        return make(Token::error, start);
      }
    }
    ++cur;
  }
  return lexError(start, "unterminated string");
}

Token Lexer::lexIdentifier(const char *start) {
  const char *end = buffer.end();
  while (cur != end &&
         (std::isalnum(static_cast<unsigned char>(*cur)) || *cur == '_')) {
    ++cur;
  }
  StringRef text(start, cur - start);
  Token::Kind kind = llvm::StringSwitch<Token::Kind>(text)
                         .Case("and", Token::kw_and)
                         .Case("block", Token::kw_block)
                         .Case("dims", Token::kw_dims)
                         .Case("else", Token::kw_else)
                         .Case("false", Token::kw_false)
                         .Case("for", Token::kw_for)
                         .Case("if", Token::kw_if)
                         .Case("import", Token::kw_import)
                         .Case("in", Token::kw_in)
                         .Case("model", Token::kw_model)
                         .Case("not", Token::kw_not)
                         .Case("or", Token::kw_or)
                         .Case("param", Token::kw_param)
                         .Case("return", Token::kw_return)
                         .Case("true", Token::kw_true)
                         .Default(Token::identifier);
  return make(kind, start);
}
