//===- ModelSourceChecks.h - What a tool checks before parsing -*- C++ -*-===//
//
// A model source must be a file that ends: a device such as /dev/zero was
// read until memory ran out (LLVM's out-of-memory abort). It must be text:
// a binary file is named as one rather than quoted. And, for .mlir, it must
// not nest too deep: MLIR's parser is recursive descent, each level of
// nested brackets, regions or types takes stack frames, and about 10,000
// levels overflow an 8 MiB stack (a crash, not an error). Real IR nests a
// few dozen levels deep (a dense literal nests as deep as its rank), so
// kiln-compile and kiln-reference scan a .mlir source first and refuse one
// nested deeper than kMaxMlirNesting, at the bracket that passes it; so
// does kiln-opt before handing its input to MLIR's driver (mlir-opt does
// not).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_MODELSOURCECHECKS_H
#define KILN_COMPILER_MODELSOURCECHECKS_H

#include "runtime/ArtifactFormat.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <optional>
#include <string>

namespace kiln {

/// Why `path` cannot be read as `expected` ("a model source"), or nothing:
/// only regular files and pipes end (a device such as /dev/zero was read
/// until memory ran out), and a directory is not a file. "-" is standard
/// input, always readable.
inline std::optional<std::string>
unreadableFileError(llvm::StringRef path, llvm::StringRef expected) {
  namespace fs = llvm::sys::fs;
  fs::file_status status;
  if (path == "-" || fs::status(path, status)) {
    return std::nullopt; // opening it reports what is wrong
  }
  const char *what = nullptr;
  switch (status.type()) {
  case fs::file_type::regular_file:
  case fs::file_type::fifo_file:
    return std::nullopt;
  case fs::file_type::directory_file:
    what = "a directory";
    break;
  case fs::file_type::character_file:
  case fs::file_type::block_file:
    what = "a device";
    break;
  case fs::file_type::socket_file:
    what = "a socket";
    break;
  default:
    what = "not a regular file";
    break;
  }
  return "'" + path.str() + "' is " + what + ", not " + expected.str();
}

/// Opens the model source `path` ("-" is standard input), refusing what
/// `unreadableFileError` refuses, without a leading UTF-8 byte order mark.
/// On failure, `error` says why and the result is null. `expected` says
/// what the tool reads.
inline std::unique_ptr<llvm::MemoryBuffer>
openModelSource(llvm::StringRef path, std::string *error,
                llvm::StringRef expected = "a model source") {
  if (std::optional<std::string> refused =
          unreadableFileError(path, expected)) {
    *error = *refused;
    return nullptr;
  }
  std::unique_ptr<llvm::MemoryBuffer> buffer = mlir::openInputFile(path, error);
  // A UTF-8 byte order mark is not part of the source: dropped here, the
  // columns of line 1 are those an editor shows.
  if (buffer && buffer->getBuffer().starts_with("\xEF\xBB\xBF")) {
    buffer = llvm::MemoryBuffer::getMemBufferCopy(
        buffer->getBuffer().drop_front(3), buffer->getBufferIdentifier());
  }
  return buffer;
}

/// Why `buffer` cannot be a model source, or nothing: a NUL byte makes it
/// a binary file (quoting its "line" would print binary bytes). `expected`
/// says what the tool reads.
inline std::optional<std::string> binarySourceError(
    const llvm::MemoryBuffer &buffer,
    llvm::StringRef expected = "a model source (.kiln or .mlir)") {
  llvm::StringRef text = buffer.getBuffer();
  if (text.find('\0') == llvm::StringRef::npos) {
    return std::nullopt;
  }
  std::string error = "'" + buffer.getBufferIdentifier().str() +
                      "' is a binary file, not " + expected.str();
  if (text.starts_with(llvm::StringRef(rt::kArtifactMagic, 8))) {
    error += ": it is a compiled artifact, which kiln-run runs";
  }
  return error;
}

/// Levels of (), [], {} and <> a .mlir source may nest.
constexpr unsigned kMaxMlirNesting = 256;

/// Fails, with an error at the first bracket nested deeper than `limit`,
/// when the main buffer of `sourceMgr` nests that deep. Brackets in string
/// literals and `//` comments do not count, nor the `>` of `->` and `>=`.
inline mlir::LogicalResult checkMlirNesting(const llvm::SourceMgr &sourceMgr,
                                            mlir::MLIRContext *context,
                                            unsigned limit = kMaxMlirNesting) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  llvm::StringRef text = buffer->getBuffer();
  unsigned depth = 0, line = 1, column = 1;
  for (size_t i = 0; i < text.size(); ++i, ++column) {
    char c = text[i];
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '\n') {
      ++line;
      column = 0;
    } else if (c == '"') {
      // A string literal, escapes included; it may not span lines.
      for (++i, ++column; i < text.size() && text[i] != '"' && text[i] != '\n';
           ++i, ++column) {
        if (text[i] == '\\') {
          ++i, ++column;
        }
      }
    } else if (c == '/' && next == '/') {
      while (i + 1 < text.size() && text[i + 1] != '\n') {
        ++i;
      }
    } else if (c == '(' || c == '[' || c == '{' || (c == '<' && next != '=')) {
      if (++depth > limit) {
        mlir::emitError(mlir::FileLineColLoc::get(
            context, buffer->getBufferIdentifier(), line, column))
            << "nested more than " << limit
            << " levels deep: Kiln reads no .mlir source nested deeper";
        return mlir::failure();
      }
    } else if ((c == ')' || c == ']' || c == '}' ||
                (c == '>' && next != '=' && (i == 0 || text[i - 1] != '-'))) &&
               depth > 0) {
      --depth;
    }
  }
  return mlir::success();
}

} // namespace kiln

#endif // KILN_COMPILER_MODELSOURCECHECKS_H
