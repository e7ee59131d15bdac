//===- ProgramLoader.cpp - A model file and everything it imports ---------===//
//
// Files are loaded from a worklist, not recursively, so a long import chain
// costs no stack; a file reached twice (by path, or a cycle) is parsed once.
// Blocks live in one namespace across all files.
//
//===----------------------------------------------------------------------===//

#include "frontends/kdl/ProgramLoader.h"
#include "frontends/kdl/Builtins.h"
#include "frontends/kdl/NameSuggestions.h"
#include "frontends/kdl/Parser.h"
#include "frontends/kdl/StandardLibrary.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace kiln::kdl;
using llvm::SMLoc;
using llvm::StringRef;

/// A copy of `buffer` in which each lone CR (a classic Mac line end) is a
/// LF, or null when it has none. The copy keeps every offset, so positions
/// in it are positions in the file; lines then count as an editor counts
/// them, and a `#` comment ends where its line does.
static std::unique_ptr<llvm::MemoryBuffer>
withLineFeeds(const llvm::MemoryBuffer &buffer) {
  StringRef text = buffer.getBuffer();
  auto isLoneCR = [&](size_t i) {
    return text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n');
  };
  size_t first = 0;
  while (first < text.size() && !isLoneCR(first)) {
    ++first;
  }
  if (first == text.size()) {
    return nullptr;
  }
  std::string copy = text.str();
  for (size_t i = first; i < copy.size(); ++i) {
    if (isLoneCR(i)) {
      copy[i] = '\n';
    }
  }
  return llvm::MemoryBuffer::getMemBufferCopy(copy,
                                              buffer.getBufferIdentifier());
}

namespace {

/// A parsed file whose imports are still to be resolved.
struct PendingFile {
  unsigned bufferId;
  bool inStandardLibrary;
};

class Loader {
public:
  Loader(const SourceLocator &locator, const kiln::KdlOptions &options)
      : locator(locator), options(options), sourceMgr(locator.getSourceMgr()) {}

  std::unique_ptr<Program> run();

private:
  /// Parses buffer `bufferId` and queues it.
  bool parse(unsigned bufferId, bool inStandardLibrary);
  /// Finds, adds and parses what `import` names, unless loaded already.
  bool resolve(const ImportDecl &import, const PendingFile &importer);
  /// Adds the file at `path` if it exists; sets `found`. A path that
  /// exists but is no regular file is described in `notRegular` (once).
  bool tryFile(const ImportDecl &import, const llvm::Twine &path, bool &found,
               std::string &notRegular);
  /// Adds `buffer` (with lone CRs made line feeds) to the SourceMgr.
  unsigned addBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer, SMLoc from);
  bool collectDefinitions();

  const SourceLocator &locator;
  const kiln::KdlOptions &options;
  llvm::SourceMgr &sourceMgr;
  std::unique_ptr<Program> program = std::make_unique<Program>();
  std::vector<PendingFile> worklist;
  llvm::StringSet<> loaded;
};

} // namespace

std::unique_ptr<Program> Loader::run() {
  llvm::SmallString<256> mainPath(
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())
          ->getBufferIdentifier());
  llvm::SmallString<256> identity;
  loaded.insert(llvm::sys::fs::real_path(mainPath, identity) ? mainPath
                                                             : identity);
  // The tools own the main buffer; a copy with line feeds replaces it.
  unsigned mainId = sourceMgr.getMainFileID();
  if (std::unique_ptr<llvm::MemoryBuffer> copy =
          withLineFeeds(*sourceMgr.getMemoryBuffer(mainId))) {
    mainId = sourceMgr.AddNewSourceBuffer(std::move(copy), SMLoc());
  }
  if (!parse(mainId, /*inStandardLibrary=*/false)) {
    return nullptr;
  }
  while (!worklist.empty()) {
    PendingFile file = worklist.back();
    worklist.pop_back();
    const SourceFile *parsed = nullptr;
    for (const auto &candidate : program->files) {
      if (candidate->bufferId == file.bufferId) {
        parsed = candidate.get();
      }
    }
    for (const ImportDecl &import : parsed->imports) {
      if (!resolve(import, file)) {
        return nullptr;
      }
    }
  }
  if (!collectDefinitions()) {
    return nullptr;
  }
  return std::move(program);
}

bool Loader::parse(unsigned bufferId, bool inStandardLibrary) {
  std::unique_ptr<SourceFile> file = parseSourceFile(bufferId, locator);
  if (!file) {
    return false;
  }
  program->files.push_back(std::move(file));
  worklist.push_back({bufferId, inStandardLibrary});
  return true;
}

unsigned Loader::addBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer,
                           SMLoc from) {
  if (std::unique_ptr<llvm::MemoryBuffer> copy = withLineFeeds(*buffer)) {
    buffer = std::move(copy);
  }
  return sourceMgr.AddNewSourceBuffer(std::move(buffer), from);
}

bool Loader::tryFile(const ImportDecl &import, const llvm::Twine &path,
                     bool &found, std::string &notRegular) {
  llvm::SmallString<256> candidate;
  path.toVector(candidate);
  llvm::sys::fs::file_status status;
  if (llvm::sys::fs::status(candidate, status)) {
    return true;
  }
  if (!llvm::sys::fs::is_regular_file(status)) {
    // `import "/dev/null"`, `import "sub"` naming a directory: reported
    // only if no other candidate is found.
    if (notRegular.empty()) {
      notRegular =
          ("\"" + candidate + "\" is " +
           (llvm::sys::fs::is_directory(status) ? "a directory"
                                                : "not a regular file"))
              .str();
    }
    return true;
  }
  found = true;
  llvm::SmallString<256> identity;
  if (llvm::sys::fs::real_path(candidate, identity)) {
    identity = candidate;
  }
  if (!loaded.insert(identity).second) {
    return true;
  }
  auto buffer = llvm::MemoryBuffer::getFile(candidate, /*IsText=*/true);
  if (!buffer) {
    mlir::emitError(locator.get(import.loc))
        << "cannot read import \"" << import.path << "\" (" << candidate
        << "): " << buffer.getError().message();
    return false;
  }
  // A NUL byte makes it a binary file, whose "lines" diagnostics would
  // print (as kiln::binarySourceError, which the frontend cannot use).
  if ((*buffer)->getBuffer().contains('\0')) {
    mlir::emitError(locator.get(import.loc))
        << "import \"" << import.path << "\" (" << candidate
        << ") is a binary file, not a .kiln source";
    return false;
  }
  unsigned id = addBuffer(std::move(*buffer), import.loc);
  return parse(id, /*inStandardLibrary=*/false);
}

bool Loader::resolve(const ImportDecl &import, const PendingFile &importer) {
  StringRef path = import.path;
  bool found = false;
  std::string notRegular;
  if (!importer.inStandardLibrary) {
    std::vector<std::string> dirs;
    if (llvm::sys::path::is_absolute(path)) {
      dirs.push_back("");
    } else {
      StringRef self =
          sourceMgr.getMemoryBuffer(importer.bufferId)->getBufferIdentifier();
      StringRef selfDir = llvm::sys::path::parent_path(self);
      dirs.push_back(selfDir.empty() ? "." : selfDir.str());
      dirs.insert(dirs.end(), options.importDirs.begin(),
                  options.importDirs.end());
    }
    for (const std::string &dir : dirs) {
      llvm::SmallString<256> base(dir);
      llvm::sys::path::append(base, path);
      if (!tryFile(import, base, found, notRegular)) {
        return false;
      }
      if (!found && !path.ends_with(".kiln") &&
          !tryFile(import, base + ".kiln", found, notRegular)) {
        return false;
      }
      if (found) {
        return true;
      }
    }
  }
  std::optional<StringRef> library = findStandardLibraryFile(path);
  if (!library && !notRegular.empty()) {
    mlir::emitError(locator.get(import.loc))
        << "cannot import \"" << path << "\": " << notRegular;
    return false;
  }
  if (!library) {
    mlir::emitError(locator.get(import.loc))
        << "cannot find import \"" << path << "\""
        << didYouMean(path, standardLibraryPaths());
    return false;
  }
  std::string name = path.str();
  if (!StringRef(name).ends_with(".kiln")) {
    name += ".kiln";
  }
  if (!loaded.insert("<std>/" + name).second) {
    return true;
  }
  unsigned id = sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBuffer(*library, name), import.loc);
  return parse(id, /*inStandardLibrary=*/true);
}

bool Loader::collectDefinitions() {
  const SourceFile &main = *program->files.front();
  for (const auto &file : program->files) {
    for (const auto &def : file->definitions) {
      const Binding &name = def->name;
      if (def->isModel) {
        if (file.get() != &main) {
          mlir::emitError(locator.get(name.loc))
              << "model '" << name.name
              << "' is declared in an imported file; only the file being "
                 "compiled declares a model";
          return false;
        }
        if (program->model) {
          mlir::InFlightDiagnostic diag = mlir::emitError(locator.get(name.loc))
                                          << "a file declares one model; '"
                                          << name.name << "' is a second one";
          diag.attachNote(locator.get(program->model->name.loc))
              << "the first model is declared here";
          return false;
        }
        program->model = def.get();
        continue;
      }
      if (isBuiltinFunction(name.name)) {
        mlir::emitError(locator.get(name.loc))
            << "block '" << name.name
            << "' has the name of a built-in function";
        return false;
      }
      auto [it, inserted] = program->blocks.try_emplace(name.name, def.get());
      if (!inserted) {
        mlir::InFlightDiagnostic diag = mlir::emitError(locator.get(name.loc))
                                        << "duplicate block '" << name.name
                                        << "'";
        diag.attachNote(locator.get(it->second->name.loc))
            << "the first definition is here";
        return false;
      }
    }
  }
  if (!program->model) {
    StringRef text = sourceMgr.getMemoryBuffer(main.bufferId)->getBuffer();
    mlir::emitError(locator.get(SMLoc::getFromPointer(text.data())))
        << "no model in this file; declare one as 'model name(inputs) -> "
           "outputs { .. }'";
    return false;
  }
  return true;
}

std::unique_ptr<Program> kiln::kdl::loadProgram(const SourceLocator &locator,
                                                const KdlOptions &options) {
  return Loader(locator, options).run();
}
