//===- JsonString.h - JSON string literals for the tools' outputs -*- C++
//-*-===//
//
// kiln-run's trace and kiln-inspect --json write JSON by hand; both quote
// strings (names, source locations) with this.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_RUN_JSONSTRING_H
#define KILN_TOOLS_KILN_RUN_JSONSTRING_H

#include <string>

namespace kiln::rt {

/// `text` as a JSON string literal: quotes and backslashes escaped, control
/// characters as \u00XX, other bytes (UTF-8 included) as they are.
std::string quoteJson(const std::string &text);

} // namespace kiln::rt

#endif // KILN_TOOLS_KILN_RUN_JSONSTRING_H
