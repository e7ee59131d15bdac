//===- NpzArchive.h - Reading NumPy .npz archives ---------------*- C++ -*-===//
//
// A .npz file is a zip archive of .npy files, one per array, as written by
// numpy.savez (entries stored) and numpy.savez_compressed (entries
// deflated). This reader handles what NumPy writes, ZIP64 records included:
// stored entries always, deflated ones when kiln-run is built with zlib.
// Every offset and size of the archive is checked against the file before
// use, and each entry's CRC-32 is verified.
//
// It lives in kiln-run rather than in the runtime library because inflating
// needs zlib, and the runtime depends on nothing but oneTBB, FlatBuffers and
// libc (DESIGN.md, decision 3).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_RUN_NPZARCHIVE_H
#define KILN_TOOLS_KILN_RUN_NPZARCHIVE_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <memory>
#include <string>
#include <vector>

namespace kiln::rt {

class MappedFile;

/// An opened .npz archive; its arrays are decoded on demand.
class NpzArchive {
public:
  /// Maps `path` and reads its central directory. Errors name the file and
  /// the record at fault.
  static StatusOr<NpzArchive> open(const std::string &path);

  NpzArchive(NpzArchive &&) noexcept;
  NpzArchive &operator=(NpzArchive &&) noexcept;
  ~NpzArchive();

  /// The array names (entry names without ".npy"), in archive order.
  /// Entries that are not .npy files are not arrays and are skipped.
  std::vector<std::string> names() const;

  /// Whether the archive holds an array called `name`.
  bool contains(const std::string &name) const;

  /// Decompresses and parses array `name`; a missing array is an error
  /// that lists the arrays there are.
  StatusOr<Tensor> read(const std::string &name) const;

  /// Whether deflated entries can be read (kiln-run was built with zlib).
  static bool supportsDeflate();

private:
  /// One .npy entry of the central directory, its ranges checked.
  struct Entry {
    std::string name;
    uint16_t method = 0;
    uint32_t crc = 0;
    uint64_t dataOffset = 0;
    uint64_t compressedSize = 0;
    uint64_t size = 0;
  };

  NpzArchive();
  Status readDirectory();
  Status readEntry(uint64_t &cursor, uint64_t end);

  std::string path;
  std::unique_ptr<MappedFile> file;
  std::vector<Entry> entries;
};

} // namespace kiln::rt

#endif // KILN_TOOLS_KILN_RUN_NPZARCHIVE_H
