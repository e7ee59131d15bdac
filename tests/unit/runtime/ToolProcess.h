//===- ToolProcess.h - Running the runtime's tools in tests -----*- C++ -*-===//
//
// The tool tests drive kiln-run and kiln-inspect as a user would: through a
// shell, capturing what they print and how they exit.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TESTS_UNIT_RUNTIME_TOOLPROCESS_H
#define KILN_TESTS_UNIT_RUNTIME_TOOLPROCESS_H

#include <string>

namespace kiln::rt::test {

/// How a tool ended and what it printed.
struct ToolResult {
  /// The exit status, or -1 if the tool did not exit normally (a crash).
  int exitCode = -1;
  /// stdout and stderr, interleaved.
  std::string output;
};

/// Runs `command` through /bin/sh, capturing stdout and stderr together.
ToolResult runTool(const std::string &command);

/// Runs kiln-run with `args`.
ToolResult runKilnRun(const std::string &args);

/// Runs kiln-inspect with `args`.
ToolResult runKilnInspect(const std::string &args);

} // namespace kiln::rt::test

#endif // KILN_TESTS_UNIT_RUNTIME_TOOLPROCESS_H
