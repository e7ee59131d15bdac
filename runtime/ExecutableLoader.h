//===- ExecutableLoader.h - Loading kernel code objects ---------*- C++ -*-===//
//
// An executable is a freestanding ELF shared object stored inside the
// artifact. It is loaded without touching the file system: its bytes go into
// an anonymous memfd, which is dlopen'ed through /proc/self/fd/N. The memfd
// stays open while the library is loaded, so its /proc path (which the
// dynamic loader uses as the library's name) is never reused by another
// executable while this one is alive.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_EXECUTABLELOADER_H
#define KILN_RUNTIME_EXECUTABLELOADER_H

#include "runtime/Span.h"
#include "runtime/Status.h"
#include "runtime/abi/KernelAbi.h"

#include <memory>
#include <string>
#include <vector>

namespace kiln::rt {

/// A dlopen'ed executable and its resolved exports; closed on destruction.
class LoadedExecutable {
public:
  /// Loads the ELF image `image` and resolves every name in `exports`.
  /// `what` names the executable in errors ("executable 0").
  static StatusOr<std::unique_ptr<LoadedExecutable>>
  load(Span<const uint8_t> image, const std::vector<std::string> &exports,
       const std::string &what);

  LoadedExecutable(const LoadedExecutable &) = delete;
  LoadedExecutable &operator=(const LoadedExecutable &) = delete;
  ~LoadedExecutable();

  /// The kernel exported under ordinal `ordinal`.
  kiln_dispatch_fn_t function(size_t ordinal) const {
    return functions[ordinal];
  }

private:
  LoadedExecutable() = default;

  void *handle = nullptr;
  int fd = -1;
  std::vector<kiln_dispatch_fn_t> functions;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_EXECUTABLELOADER_H
