//===- JsonReader.h - A strict JSON parser for tool output ------*- C++ -*-===//
//
// kiln-run --trace and kiln-inspect --json write JSON; the tests parse it
// with this small RFC 8259 parser, which rejects anything a conforming
// reader (chrome://tracing, Perfetto, Python's json) would reject.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TESTS_UNIT_RUNTIME_JSONREADER_H
#define KILN_TESTS_UNIT_RUNTIME_JSONREADER_H

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kiln::rt::test {

/// A parsed JSON value.
struct JsonValue {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  /// Members in document order.
  std::vector<std::pair<std::string, JsonValue>> object;

  /// The member `key` of an object; null if this is not an object or the
  /// key is absent.
  const JsonValue *get(const std::string &key) const;
};

/// Parses `text` as one JSON document. On failure returns nothing and
/// describes the problem and its byte offset in `error`.
std::optional<JsonValue> parseJson(const std::string &text, std::string &error);

} // namespace kiln::rt::test

#endif // KILN_TESTS_UNIT_RUNTIME_JSONREADER_H
