//===- NpzArchive.cpp - Reading NumPy .npz archives -----------------------===//
//
// Only the central directory is trusted for sizes (NumPy's writer puts ZIP64
// sizes in the local headers and may use data descriptors); a local header
// is read just far enough to find where the entry's data starts. All
// multi-byte fields are little endian, as on every host the runtime runs on.
//
//===----------------------------------------------------------------------===//

#include "NpzArchive.h"

#include "runtime/MappedFile.h"
#include "runtime/Npy.h"

#include <algorithm>
#include <array>
#include <cstring>

#ifdef KILN_HAVE_ZLIB
#include <zlib.h>
#endif

namespace kiln::rt {

namespace {

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndRecord = 0x06054b50;
constexpr uint32_t kZip64EndRecord = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
/// Fixed sizes of the records above.
constexpr uint64_t kLocalHeaderSize = 30, kCentralHeaderSize = 46,
                   kEndRecordSize = 22, kZip64EndRecordSize = 56,
                   kZip64LocatorSize = 20;
constexpr uint16_t kStored = 0, kDeflated = 8;
/// Deflate cannot expand data more than about 1032 times; a larger claim
/// is a corrupt size, refused before anything is allocated for it.
constexpr uint64_t kMaxDeflateRatio = 1032;

/// Reads a little-endian T at `p`.
template <typename T> T load(const uint8_t *p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

/// The CRC-32 of zip (reflected polynomial 0xEDB88320).
uint32_t crc32(const uint8_t *data, uint64_t size) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) {
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      }
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (uint64_t i = 0; i < size; ++i) {
    crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  }
  return crc ^ 0xFFFFFFFFu;
}

/// Whether [offset, offset + size) lies inside a file of `total` bytes.
bool fits(uint64_t offset, uint64_t size, uint64_t total) {
  return offset <= total && size <= total - offset;
}

#ifdef KILN_HAVE_ZLIB
/// Inflates raw deflate data into exactly `out.size()` bytes.
Status inflateInto(const uint8_t *in, uint64_t inSize, uint8_t *out,
                   uint64_t outSize) {
  z_stream stream = {};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) {
    return Status(StatusCode::Internal, "cannot initialise zlib");
  }
  // zlib counts in uInt; feed both sides in chunks it can represent.
  constexpr uint64_t kChunk = uint64_t(1) << 30;
  uint64_t consumed = 0, produced = 0;
  int result = Z_OK;
  while (result == Z_OK) {
    if (stream.avail_in == 0 && consumed < inSize) {
      stream.next_in = const_cast<uint8_t *>(in + consumed);
      stream.avail_in = static_cast<uInt>(std::min(kChunk, inSize - consumed));
      consumed += stream.avail_in;
    }
    if (stream.avail_out == 0 && produced < outSize) {
      stream.next_out = out + produced;
      stream.avail_out =
          static_cast<uInt>(std::min(kChunk, outSize - produced));
      produced += stream.avail_out;
    }
    result = inflate(&stream, Z_NO_FLUSH);
  }
  uint64_t written = produced - stream.avail_out;
  inflateEnd(&stream);
  if (result != Z_STREAM_END) {
    return makeError(StatusCode::InvalidFormat, "corrupt deflate data (",
                     result == Z_BUF_ERROR ? "it ends early or decodes to more "
                                             "bytes than the directory says"
                                           : "invalid stream",
                     ")");
  }
  if (written != outSize) {
    return makeError(StatusCode::InvalidFormat, "deflate data decodes to ",
                     written, " bytes but the directory says ", outSize);
  }
  return Status();
}
#endif

} // namespace

NpzArchive::NpzArchive() = default;
NpzArchive::NpzArchive(NpzArchive &&) noexcept = default;
NpzArchive &NpzArchive::operator=(NpzArchive &&) noexcept = default;
NpzArchive::~NpzArchive() = default;

bool NpzArchive::supportsDeflate() {
#ifdef KILN_HAVE_ZLIB
  return true;
#else
  return false;
#endif
}

StatusOr<NpzArchive> NpzArchive::open(const std::string &path) {
  NpzArchive archive;
  archive.path = path;
  StatusOr<MappedFile> file = MappedFile::open(path);
  if (!file.ok()) {
    return file.status();
  }
  archive.file = std::make_unique<MappedFile>(std::move(file).value());
  Status status = archive.readDirectory();
  if (!status.ok()) {
    return status.withContext(path);
  }
  return archive;
}

/// Finds the end record (it is followed only by the archive comment), then
/// the ZIP64 end record if the classic one has no room for the values.
Status NpzArchive::readDirectory() {
  const uint8_t *bytes = file->data();
  uint64_t size = file->size();
  uint64_t end = UINT64_MAX;
  for (uint64_t pos = size >= kEndRecordSize ? size - kEndRecordSize : 0;
       size >= kEndRecordSize && pos + kEndRecordSize + 0xffff >= size; --pos) {
    if (load<uint32_t>(bytes + pos) == kEndRecord &&
        pos + kEndRecordSize + load<uint16_t>(bytes + pos + 20) == size) {
      end = pos;
      break;
    }
    if (pos == 0) {
      break;
    }
  }
  if (end == UINT64_MAX) {
    return Status(StatusCode::InvalidFormat,
                  "not a .npz archive (no zip end record; truncated or not a "
                  "zip file)");
  }
  if (load<uint16_t>(bytes + end + 4) || load<uint16_t>(bytes + end + 6)) {
    return Status(StatusCode::Unsupported,
                  "multi-volume zip archives are not supported");
  }
  uint64_t count = load<uint16_t>(bytes + end + 10);
  uint64_t directorySize = load<uint32_t>(bytes + end + 12);
  uint64_t directoryOffset = load<uint32_t>(bytes + end + 16);
  if (count == 0xffff || directorySize == 0xffffffff ||
      directoryOffset == 0xffffffff) {
    uint64_t locator = end - kZip64LocatorSize;
    if (end < kZip64LocatorSize ||
        load<uint32_t>(bytes + locator) != kZip64Locator) {
      return Status(StatusCode::InvalidFormat,
                    "the zip end record needs a ZIP64 record, but its "
                    "locator is missing");
    }
    uint64_t record = load<uint64_t>(bytes + locator + 8);
    if (!fits(record, kZip64EndRecordSize, locator) ||
        load<uint32_t>(bytes + record) != kZip64EndRecord) {
      return makeError(StatusCode::InvalidFormat, "the ZIP64 end record at ",
                       record, " is missing or malformed");
    }
    count = load<uint64_t>(bytes + record + 32);
    directorySize = load<uint64_t>(bytes + record + 40);
    directoryOffset = load<uint64_t>(bytes + record + 48);
  }
  if (!fits(directoryOffset, directorySize, size) ||
      count > directorySize / kCentralHeaderSize) {
    return makeError(StatusCode::InvalidFormat, "the zip central directory (",
                     count, " entries at offset ", directoryOffset, ", size ",
                     directorySize, ") does not fit the file of ", size,
                     " bytes");
  }
  uint64_t cursor = directoryOffset;
  for (uint64_t i = 0; i < count; ++i) {
    Status status = readEntry(cursor, directoryOffset + directorySize);
    if (!status.ok()) {
      return status.withContext("zip entry " + std::to_string(i));
    }
  }
  return Status();
}

/// Reads the central directory record at `cursor` and moves past it.
Status NpzArchive::readEntry(uint64_t &cursor, uint64_t end) {
  const uint8_t *bytes = file->data();
  uint64_t size = file->size();
  const uint8_t *at = bytes + cursor;
  if (end - cursor < kCentralHeaderSize ||
      load<uint32_t>(at) != kCentralHeader) {
    return Status(StatusCode::InvalidFormat,
                  "bad central directory record signature");
  }
  uint16_t flags = load<uint16_t>(at + 8);
  Entry entry;
  entry.method = load<uint16_t>(at + 10);
  entry.crc = load<uint32_t>(at + 16);
  entry.compressedSize = load<uint32_t>(at + 20);
  entry.size = load<uint32_t>(at + 24);
  uint64_t nameLength = load<uint16_t>(at + 28);
  uint64_t extraLength = load<uint16_t>(at + 30);
  uint64_t commentLength = load<uint16_t>(at + 32);
  uint64_t local = load<uint32_t>(at + 42);
  uint64_t recordSize =
      kCentralHeaderSize + nameLength + extraLength + commentLength;
  if (recordSize > end - cursor) {
    return Status(StatusCode::InvalidFormat,
                  "the record runs past the central directory");
  }
  entry.name.assign(reinterpret_cast<const char *>(at + kCentralHeaderSize),
                    nameLength);
  // ZIP64 extra field: the 64-bit values of exactly those fields that are
  // all ones above, in this order.
  const uint8_t *extra = at + kCentralHeaderSize + nameLength;
  for (uint64_t e = 0; e + 4 <= extraLength;) {
    uint16_t id = load<uint16_t>(extra + e);
    uint64_t length = load<uint16_t>(extra + e + 2);
    if (length > extraLength - e - 4) {
      return Status(StatusCode::InvalidFormat, "malformed extra field");
    }
    uint64_t field = e + 4, fieldEnd = e + 4 + length;
    for (uint64_t *value : {&entry.size, &entry.compressedSize, &local}) {
      if (id == 0x0001 && *value == 0xffffffff && field + 8 <= fieldEnd) {
        *value = load<uint64_t>(extra + field);
        field += 8;
      }
    }
    e = fieldEnd;
  }
  cursor += recordSize;

  std::string what = "'" + entry.name + "'";
  if (entry.name.size() < 4 ||
      entry.name.compare(entry.name.size() - 4, 4, ".npy") != 0) {
    return Status(); // Not an array; numpy.load would return raw bytes.
  }
  entry.name.resize(entry.name.size() - 4);
  if (flags & 1) {
    return Status(StatusCode::Unsupported, what + " is encrypted");
  }
  if (entry.method != kStored && entry.method != kDeflated) {
    return makeError(StatusCode::Unsupported, what,
                     " uses zip compression method ", entry.method,
                     "; only stored (0) and deflate (8) are supported");
  }
  if ((entry.method == kStored && entry.compressedSize != entry.size) ||
      (entry.method == kDeflated &&
       entry.size > entry.compressedSize * kMaxDeflateRatio + 1024)) {
    return makeError(StatusCode::InvalidFormat, what, ": sizes ",
                     entry.compressedSize, " (stored) and ", entry.size,
                     " (uncompressed) are inconsistent");
  }
  if (!fits(local, kLocalHeaderSize, size) ||
      load<uint32_t>(bytes + local) != kLocalHeader) {
    return makeError(StatusCode::InvalidFormat, what,
                     ": no local header at offset ", local);
  }
  entry.dataOffset = local + kLocalHeaderSize +
                     load<uint16_t>(bytes + local + 26) +
                     load<uint16_t>(bytes + local + 28);
  if (!fits(entry.dataOffset, entry.compressedSize, size)) {
    return makeError(StatusCode::InvalidFormat, what, ": data (offset ",
                     entry.dataOffset, ", size ", entry.compressedSize,
                     ") runs past the end of the file (truncated?)");
  }
  if (contains(entry.name)) {
    return Status(StatusCode::InvalidFormat, what + " appears twice");
  }
  entries.push_back(std::move(entry));
  return Status();
}

std::vector<std::string> NpzArchive::names() const {
  std::vector<std::string> out;
  for (const Entry &entry : entries) {
    out.push_back(entry.name);
  }
  return out;
}

bool NpzArchive::contains(const std::string &name) const {
  for (const Entry &entry : entries) {
    if (entry.name == name) {
      return true;
    }
  }
  return false;
}

/// Stored entries are parsed in place from the mapping; deflated ones are
/// inflated into a buffer first. Either way the CRC is checked before the
/// .npy header is trusted.
StatusOr<Tensor> NpzArchive::read(const std::string &name) const {
  const Entry *entry = nullptr;
  std::string known;
  for (const Entry &e : entries) {
    entry = e.name == name ? &e : entry;
    known += (known.empty() ? "" : ", ") + e.name;
  }
  if (!entry) {
    return makeError(StatusCode::InvalidArgument, path, ": has no array '",
                     name, "' (arrays: ", known.empty() ? "none" : known, ")");
  }
  std::string label = path + ":" + name + ".npy";
  const uint8_t *data = file->data() + entry->dataOffset;
  AlignedBuffer inflated;
  if (entry->method == kDeflated) {
#ifdef KILN_HAVE_ZLIB
    StatusOr<AlignedBuffer> buffer =
        AlignedBuffer::allocate(entry->size, "an inflated .npz entry");
    if (!buffer.ok()) {
      return buffer.status().withContext(label);
    }
    inflated = std::move(buffer).value();
    Status status =
        inflateInto(data, entry->compressedSize, inflated.data(), entry->size);
    if (!status.ok()) {
      return status.withContext(label);
    }
    data = inflated.data();
#else
    return Status(StatusCode::Unsupported,
                  label + ": the entry is deflate-compressed "
                          "(numpy.savez_compressed), but this kiln-run was "
                          "built without zlib; save it with numpy.savez");
#endif
  }
  uint32_t crc = crc32(data, entry->size);
  if (crc != entry->crc) {
    return makeError(StatusCode::InvalidFormat, label,
                     ": CRC-32 mismatch (the data is corrupt)");
  }
  return parseNpy(data, entry->size, label);
}

} // namespace kiln::rt
