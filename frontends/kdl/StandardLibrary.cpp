//===- StandardLibrary.cpp - The .kiln files built into the tools ---------===//

#include "frontends/kdl/StandardLibrary.h"

namespace {
struct LibraryFile {
  const char *path;
  const char *text;
};

/// `{"std/<name>", "<contents>"}` for each file of stdlib/, generated.
const LibraryFile libraryFiles[] = {
#include "frontends/kdl/StandardLibrary.inc"
};
} // namespace

std::optional<llvm::StringRef>
kiln::kdl::findStandardLibraryFile(llvm::StringRef path) {
  path.consume_back(".kiln");
  for (const LibraryFile &file : libraryFiles) {
    if (path == file.path) {
      return llvm::StringRef(file.text);
    }
  }
  return std::nullopt;
}

std::vector<std::string> kiln::kdl::standardLibraryPaths() {
  std::vector<std::string> paths;
  for (const LibraryFile &file : libraryFiles) {
    paths.push_back(file.path);
  }
  return paths;
}
