//===- ToolProcess.cpp - Running the runtime's tools in tests -------------===//

#include "ToolProcess.h"

#include <cstdio>
#include <sys/wait.h>

namespace kiln::rt::test {

ToolResult runTool(const std::string &command) {
  ToolResult result;
  FILE *pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) {
    return result;
  }
  char buffer[4096];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    result.output.append(buffer, got);
  }
  int status = ::pclose(pipe);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

ToolResult runKilnRun(const std::string &args) {
  return runTool(std::string(KILN_RUN) + " " + args);
}

ToolResult runKilnInspect(const std::string &args) {
  return runTool(std::string(KILN_INSPECT) + " " + args);
}

} // namespace kiln::rt::test
