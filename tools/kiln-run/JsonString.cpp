//===- JsonString.cpp - JSON string literals for the tools' outputs -------===//

#include "JsonString.h"

#include <cstdio>

namespace kiln::rt {

std::string quoteJson(const std::string &text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof(escape), "\\u%04x", c);
      out += escape;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

} // namespace kiln::rt
