//===- StandardOutput.h - A tool's exit status covers its stdout -*- C++
//-*-===//
//
// A tool whose result is what it prints must not exit 0 when standard
// output could not take it (a full disk, /dev/full): stdio keeps the error
// in the stream until the exit's flush, which drops it silently.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_STANDARDOUTPUT_H
#define KILN_TOOLS_STANDARDOUTPUT_H

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace kiln::tools {

/// `status`, or (when it is 0) 1 with an error on stderr naming `tool` if
/// flushing standard output fails or an earlier write to it failed.
inline int finishStandardOutput(const char *tool, int status) {
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    int error = errno;
    std::fprintf(stderr, "%s: error: cannot write to standard output%s%s\n",
                 tool, error ? ": " : "", error ? std::strerror(error) : "");
    return status == 0 ? 1 : status;
  }
  return status;
}

} // namespace kiln::tools

#endif // KILN_TOOLS_STANDARDOUTPUT_H
