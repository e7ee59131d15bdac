//===- JsonReader.cpp - A strict JSON parser for checking tool output -----===//

#include "JsonReader.h"

#include <cstdlib>

namespace kiln::rt::test {

const JsonValue *JsonValue::get(const std::string &key) const {
  for (const auto &[name, value] : object) {
    if (name == key) {
      return &value;
    }
  }
  return nullptr;
}

namespace {

/// Recursive descent over the grammar of RFC 8259.
class Parser {
public:
  explicit Parser(const std::string &text) : text(text) {}

  std::optional<JsonValue> document(std::string &error) {
    JsonValue value;
    skipSpace();
    bool ok = parseValue(value, 0);
    skipSpace();
    if (ok && pos != text.size()) {
      ok = fail("text after the document");
    }
    if (!ok) {
      error = problem + " at offset " + std::to_string(pos);
      return std::nullopt;
    }
    return value;
  }

private:
  bool fail(const std::string &what) {
    if (problem.empty()) {
      problem = what;
    }
    return false;
  }
  char peek() const { return pos < text.size() ? text[pos] : '\0'; }
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r')) {
      ++pos;
    }
  }
  bool literal(const char *word) {
    std::string w(word);
    if (text.compare(pos, w.size(), w) != 0) {
      return fail("invalid literal");
    }
    pos += w.size();
    return true;
  }
  bool digits() {
    if (peek() < '0' || peek() > '9') {
      return fail("expected a digit");
    }
    while (peek() >= '0' && peek() <= '9') {
      ++pos;
    }
    return true;
  }

  bool parseNumber(JsonValue &out) {
    size_t start = pos;
    if (peek() == '-') {
      ++pos;
    }
    if (peek() == '0') {
      ++pos;
    } else if (!digits()) {
      return false;
    }
    if (peek() == '.') {
      ++pos;
      if (!digits()) {
        return false;
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos;
      if (peek() == '+' || peek() == '-') {
        ++pos;
      }
      if (!digits()) {
        return false;
      }
    }
    out.kind = JsonValue::Kind::Number;
    out.number = std::strtod(text.substr(start, pos - start).c_str(), nullptr);
    return true;
  }

  bool parseString(std::string &out) {
    ++pos; // The opening quote.
    while (true) {
      if (pos >= text.size()) {
        return fail("unterminated string");
      }
      unsigned char c = static_cast<unsigned char>(text[pos++]);
      if (c == '"') {
        return true;
      }
      if (c < 0x20) {
        return fail("control character in a string");
      }
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      char e = peek();
      ++pos;
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        if (pos + 4 > text.size()) {
          return fail("short \\u escape");
        }
        char *end = nullptr;
        std::string hex = text.substr(pos, 4);
        long code = std::strtol(hex.c_str(), &end, 16);
        if (*end != '\0') {
          return fail("bad \\u escape");
        }
        pos += 4;
        // Enough for the tests: ASCII verbatim, anything else as '?'.
        out += code < 0x80 ? static_cast<char>(code) : '?';
        break;
      }
      default:
        return fail("bad escape");
      }
    }
  }

  bool parseValue(JsonValue &out, int depth) {
    if (depth > 64) {
      return fail("nested too deeply");
    }
    switch (peek()) {
    case '{':
      return parseObject(out, depth);
    case '[':
      return parseArray(out, depth);
    case '"':
      out.kind = JsonValue::Kind::String;
      return parseString(out.string);
    case 't':
      out.kind = JsonValue::Kind::Bool;
      out.boolean = true;
      return literal("true");
    case 'f':
      out.kind = JsonValue::Kind::Bool;
      return literal("false");
    case 'n':
      return literal("null");
    default:
      return parseNumber(out);
    }
  }

  bool parseArray(JsonValue &out, int depth) {
    out.kind = JsonValue::Kind::Array;
    ++pos;
    skipSpace();
    if (peek() == ']') {
      ++pos;
      return true;
    }
    while (true) {
      out.array.emplace_back();
      skipSpace();
      if (!parseValue(out.array.back(), depth + 1)) {
        return false;
      }
      skipSpace();
      if (peek() == ']') {
        ++pos;
        return true;
      }
      if (peek() != ',') {
        return fail("expected ',' or ']'");
      }
      ++pos;
    }
  }

  bool parseObject(JsonValue &out, int depth) {
    out.kind = JsonValue::Kind::Object;
    ++pos;
    skipSpace();
    if (peek() == '}') {
      ++pos;
      return true;
    }
    while (true) {
      skipSpace();
      if (peek() != '"') {
        return fail("expected a member name");
      }
      out.object.emplace_back();
      if (!parseString(out.object.back().first)) {
        return false;
      }
      skipSpace();
      if (peek() != ':') {
        return fail("expected ':'");
      }
      ++pos;
      skipSpace();
      if (!parseValue(out.object.back().second, depth + 1)) {
        return false;
      }
      skipSpace();
      if (peek() == '}') {
        ++pos;
        return true;
      }
      if (peek() != ',') {
        return fail("expected ',' or '}'");
      }
      ++pos;
    }
  }

  const std::string &text;
  size_t pos = 0;
  std::string problem;
};

} // namespace

std::optional<JsonValue> parseJson(const std::string &text,
                                   std::string &error) {
  return Parser(text).document(error);
}

} // namespace kiln::rt::test
