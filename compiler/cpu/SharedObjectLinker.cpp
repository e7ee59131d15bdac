//===- SharedObjectLinker.cpp - Link objects with lld ---------------------===//
//
// lld reads and writes files, so the objects go through a private temporary
// directory that is removed on every path out.
//
//===----------------------------------------------------------------------===//

#include "compiler/cpu/SharedObjectLinker.h"

#include "lld/Common/Driver.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

LLD_HAS_DRIVER(elf)

using namespace mlir;

namespace kiln {

FailureOr<std::vector<char>>
linkSharedObject(const std::vector<std::vector<char>> &objects,
                 StringRef soname, llvm::raw_ostream &diag) {
  llvm::SmallString<128> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("kiln-link", dir)) {
    diag << "cannot create a temporary directory: " << ec.message();
    return failure();
  }
  llvm::scope_exit cleanup([&] { llvm::sys::fs::remove_directories(dir); });

  std::vector<std::string> args = {"ld.lld",
                                   "-shared",
                                   "--no-undefined",
                                   "-z",
                                   "now",
                                   "-z",
                                   "noexecstack",
                                   "-z",
                                   "relro",
                                   "--hash-style=both",
                                   "--build-id=none",
                                   "-soname",
                                   soname.str()};
  for (size_t i = 0; i < objects.size(); ++i) {
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, "kernel" + std::to_string(i) + ".o");
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec) {
      diag << "cannot write " << path << ": " << ec.message();
      return failure();
    }
    os.write(objects[i].data(), objects[i].size());
    args.push_back(path.str().str());
  }
  llvm::SmallString<128> output(dir);
  llvm::sys::path::append(output, soname + ".so");
  args.push_back("-o");
  args.push_back(output.str().str());

  std::vector<const char *> argv;
  for (const std::string &arg : args) {
    argv.push_back(arg.c_str());
  }
  // lld keeps global state: one link at a time.
  static std::mutex lldMutex;
  std::string messages;
  llvm::raw_string_ostream messageStream(messages);
  lld::Result result;
  {
    std::lock_guard<std::mutex> lock(lldMutex);
    result = lld::lldMain(argv, messageStream, messageStream,
                          {{lld::Gnu, &lld::elf::link}});
  }
  if (result.retCode != 0) {
    diag << messages;
    return failure();
  }
  auto buffer = llvm::MemoryBuffer::getFile(output);
  if (!buffer) {
    diag << "cannot read the linked shared object";
    return failure();
  }
  StringRef bytes = (*buffer)->getBuffer();
  return std::vector<char>(bytes.begin(), bytes.end());
}

} // namespace kiln
