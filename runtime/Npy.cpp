//===- Npy.cpp - Reading and writing NumPy .npy files ---------------------===//
//
// The header dict is parsed by a strict little recursive-descent reader that
// accepts exactly what NumPy writes (plus harmless whitespace variations) and
// rejects everything else with the offset of the problem.
//
//===----------------------------------------------------------------------===//

#include "runtime/Npy.h"

#include "runtime/OutputFile.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace kiln::rt {

namespace {

constexpr char kNpyMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/// What the header of a .npy file says.
struct NpyHeader {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// Where the data starts in the file.
  uint64_t dataOffset = 0;
  /// Bytes of data the shape requires.
  uint64_t dataSize = 0;
};

struct DescrEntry {
  const char *descr;
  DType dtype;
};
constexpr DescrEntry kDescrs[] = {
    {"<f4", DType::F32}, {"<f8", DType::F64}, {"<f2", DType::F16},
    {"<i2", DType::I16}, {"<i4", DType::I32}, {"<i8", DType::I64},
    {"|i1", DType::I8},  {"|u1", DType::U8},  {"|b1", DType::Bool},
    {"<i1", DType::I8},  {"<u1", DType::U8},  {"<b1", DType::Bool},
};

/// An InvalidFormat error prefixed with the file name.
Status formatError(const std::string &name, const std::string &problem) {
  return Status(StatusCode::InvalidFormat, name + ": " + problem);
}

/// Parses the Python dict literal of a .npy header.
class HeaderDictParser {
public:
  HeaderDictParser(std::string_view text, const std::string &name)
      : text(text), name(name) {}

  /// Parses the whole dict into `header`. Each key must appear exactly once,
  /// as NumPy itself requires.
  Status parse(NpyHeader &header) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    skipSpace();
    KILN_RETURN_IF_ERROR(expect('{'));
    while (true) {
      skipSpace();
      if (peek() == '}') {
        ++pos;
        break;
      }
      std::string key;
      KILN_RETURN_IF_ERROR(parseString(key));
      skipSpace();
      KILN_RETURN_IF_ERROR(expect(':'));
      skipSpace();
      if (key == "descr" && !haveDescr) {
        haveDescr = true;
        std::string descr;
        KILN_RETURN_IF_ERROR(parseString(descr));
        KILN_RETURN_IF_ERROR(parseDescr(descr, header.dtype));
      } else if (key == "fortran_order" && !haveOrder) {
        haveOrder = true;
        bool fortran = false;
        KILN_RETURN_IF_ERROR(parseBool(fortran));
        if (fortran) {
          return formatError(name, "fortran_order arrays are not supported, "
                                   "only C order");
        }
      } else if (key == "shape" && !haveShape) {
        haveShape = true;
        KILN_RETURN_IF_ERROR(parseShape(header.shape));
      } else {
        return error("unexpected or repeated key '" + key + "'");
      }
      skipSpace();
      if (peek() == ',') {
        ++pos;
        continue;
      }
      KILN_RETURN_IF_ERROR(expect('}'));
      break;
    }
    skipSpace();
    if (pos != text.size()) {
      return error("unexpected text after the dict");
    }
    if (!haveDescr || !haveOrder || !haveShape) {
      return formatError(name, std::string("bad header: missing key '") +
                                   (!haveDescr   ? "descr"
                                    : !haveOrder ? "fortran_order"
                                                 : "shape") +
                                   "'");
    }
    return Status();
  }

private:
  char peek() const { return pos < text.size() ? text[pos] : '\0'; }

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n' ||
                                 text[pos] == '\t' || text[pos] == '\r')) {
      ++pos;
    }
  }

  Status error(const std::string &problem) const {
    return formatError(name, "bad header dict at offset " +
                                 std::to_string(pos) + ": " + problem);
  }

  Status expect(char c) {
    if (peek() != c) {
      return error(std::string("expected '") + c + "'");
    }
    ++pos;
    return Status();
  }

  /// Parses a quoted string. NumPy never writes escapes in these headers, so
  /// one is rejected rather than misread.
  Status parseString(std::string &out) {
    char quote = peek();
    if (quote != '\'' && quote != '"') {
      return error("expected a string");
    }
    size_t close = text.find(quote, pos + 1);
    if (close == std::string_view::npos) {
      return error("unterminated string");
    }
    out.assign(text.substr(pos + 1, close - pos - 1));
    if (out.find('\\') != std::string::npos) {
      return error("escapes in strings are not supported");
    }
    pos = close + 1;
    return Status();
  }

  /// Parses the Python literals True and False.
  Status parseBool(bool &out) {
    if (text.substr(pos, 4) == "True") {
      out = true;
      pos += 4;
    } else if (text.substr(pos, 5) == "False") {
      out = false;
      pos += 5;
    } else {
      return error("expected True or False");
    }
    return Status();
  }

  /// Parses a tuple of non-negative integers, checking 64-bit overflow per
  /// digit; the product is checked later by checkedElementCount.
  Status parseShape(std::vector<int64_t> &shape) {
    KILN_RETURN_IF_ERROR(expect('('));
    skipSpace();
    while (peek() != ')') {
      if (peek() < '0' || peek() > '9') {
        return error("expected a non-negative integer dimension");
      }
      int64_t value = 0;
      while (peek() >= '0' && peek() <= '9') {
        int digit = peek() - '0';
        if (value > (INT64_MAX - digit) / 10) {
          return error("dimension does not fit in 64 bits");
        }
        value = value * 10 + digit;
        ++pos;
      }
      if (peek() == 'L') {
        ++pos; // Python 2 long literal.
      }
      shape.push_back(value);
      skipSpace();
      if (peek() == ',') {
        ++pos;
        skipSpace();
      } else if (peek() != ')') {
        return error("expected ',' or ')' in shape");
      } else if (shape.size() == 1 && text[pos - 1] != ',') {
        // "(3)" is an int in Python, not a tuple; NumPy writes "(3,)".
        return error("a one-element shape needs a trailing comma");
      }
    }
    ++pos;
    return Status();
  }

  /// Maps a descr to a DType, explaining why a known NumPy type is refused.
  Status parseDescr(const std::string &descr, DType &dtype) {
    for (const DescrEntry &entry : kDescrs) {
      if (descr == entry.descr) {
        dtype = entry.dtype;
        return Status();
      }
    }
    if (!descr.empty() && descr[0] == '>') {
      return formatError(name,
                         "big-endian descr '" + descr + "' is not supported");
    }
    return formatError(name, "unsupported descr '" + descr +
                                 "' (supported: <f4 <f8 <f2 <i2 <i4 <i8 "
                                 "|i1 |u1 |b1)");
  }

  std::string_view text;
  const std::string &name;
  size_t pos = 0;
};

/// Parses the magic, version and header of a file whose first `size` bytes
/// are at `bytes` (at least the whole header). `fileSize` is the full size.
StatusOr<NpyHeader> parseHeader(const uint8_t *bytes, uint64_t size,
                                uint64_t fileSize, const std::string &name) {
  if (size < 8 || std::memcmp(bytes, kNpyMagic, sizeof(kNpyMagic)) != 0) {
    return formatError(name, "not a .npy file (bad magic)");
  }
  uint8_t major = bytes[6], minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0) {
    return formatError(name, "unsupported .npy format version " +
                                 std::to_string(major) + "." +
                                 std::to_string(minor));
  }
  uint64_t lengthBytes = major == 1 ? 2 : 4;
  if (size < 8 + lengthBytes) {
    return formatError(name, "truncated header: the file ends inside the "
                             "header length");
  }
  uint64_t headerLength = 0;
  for (uint64_t i = 0; i < lengthBytes; ++i) {
    headerLength |= uint64_t(bytes[8 + i]) << (8 * i);
  }
  uint64_t headerStart = 8 + lengthBytes;
  if (size - headerStart < headerLength) {
    return formatError(name, "truncated header: it declares " +
                                 std::to_string(headerLength) +
                                 " bytes but the file has " +
                                 std::to_string(size - headerStart));
  }
  NpyHeader header;
  std::string_view text(reinterpret_cast<const char *>(bytes + headerStart),
                        headerLength);
  HeaderDictParser parser(text, name);
  KILN_RETURN_IF_ERROR(parser.parse(header));
  StatusOr<uint64_t> count = checkedElementCount(header.dtype, header.shape);
  if (!count.ok()) {
    return formatError(name, count.status().message());
  }
  header.dataOffset = headerStart + headerLength;
  header.dataSize = *count * dtypeSize(header.dtype);
  uint64_t available = fileSize - header.dataOffset;
  if (available != header.dataSize) {
    return formatError(
        name, std::string("data is ") + std::to_string(available) +
                  " bytes but " + formatTensorType(header.dtype, header.shape) +
                  " needs " + std::to_string(header.dataSize) +
                  (available < header.dataSize ? " (truncated)" : ""));
  }
  return header;
}

/// Reads exactly `size` bytes; false on error or early end of file.
bool readFully(int fd, void *buffer, uint64_t size) {
  auto *out = static_cast<uint8_t *>(buffer);
  while (size > 0) {
    ssize_t got = ::read(fd, out, size);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      return false;
    }
    out += got;
    size -= static_cast<uint64_t>(got);
  }
  return true;
}

/// Closes a file descriptor when it goes out of scope.
struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

/// The descr NumPy writes for `dtype`, or null for bf16, which it lacks.
const char *descrOf(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "<f4";
  case DType::F64:
    return "<f8";
  case DType::F16:
    return "<f2";
  case DType::I16:
    return "<i2";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  case DType::I8:
    return "|i1";
  case DType::U8:
    return "|u1";
  case DType::Bool:
    return "|b1";
  case DType::BF16:
    break;
  }
  return nullptr;
}

} // namespace

/// In memory the whole file is at hand, so header and data are checked in
/// one pass before the tensor is allocated.
StatusOr<Tensor> parseNpy(const void *bytes, uint64_t size,
                          const std::string &name) {
  const auto *data = static_cast<const uint8_t *>(bytes);
  StatusOr<NpyHeader> header = parseHeader(data, size, size, name);
  if (!header.ok()) {
    return header.status();
  }
  StatusOr<Tensor> tensor = Tensor::create(header->dtype, header->shape);
  if (!tensor.ok()) {
    return tensor.status().withContext(name);
  }
  if (header->dataSize) {
    std::memcpy(tensor->data(), data + header->dataOffset, header->dataSize);
  }
  return tensor;
}

/// Reads the header first and the data straight into the tensor, so a large
/// input is never held twice in memory.
StatusOr<Tensor> readNpy(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return makeError(StatusCode::IoError, "cannot open '", path,
                     "': ", std::strerror(errno));
  }
  FdCloser closer{fd};
  struct stat info;
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    return makeError(StatusCode::IoError, "'", path, "' is not a regular file");
  }
  uint64_t fileSize = static_cast<uint64_t>(info.st_size);
  // The version and header length come first; then the header itself.
  uint8_t prefix[12] = {};
  uint64_t prefixSize = fileSize < sizeof(prefix) ? fileSize : sizeof(prefix);
  if (!readFully(fd, prefix, prefixSize)) {
    return makeError(StatusCode::IoError, "cannot read '", path, "'");
  }
  std::vector<uint8_t> head(prefix, prefix + prefixSize);
  if (prefixSize >= 10 && std::memcmp(prefix, kNpyMagic, 6) == 0) {
    uint64_t lengthBytes = prefix[6] == 1 ? 2 : 4;
    uint64_t headerLength = prefix[8] | (uint64_t(prefix[9]) << 8);
    if (lengthBytes == 4 && prefixSize >= 12) {
      headerLength |=
          (uint64_t(prefix[10]) << 16) | (uint64_t(prefix[11]) << 24);
    }
    uint64_t wanted = 8 + lengthBytes + headerLength;
    if (wanted > fileSize) {
      wanted = fileSize;
    }
    if (wanted > prefixSize) {
      head.resize(wanted);
      if (!readFully(fd, head.data() + prefixSize, wanted - prefixSize)) {
        return makeError(StatusCode::IoError, "cannot read '", path, "'");
      }
    }
  }
  StatusOr<NpyHeader> header =
      parseHeader(head.data(), head.size(), fileSize, path);
  if (!header.ok()) {
    return header.status();
  }
  StatusOr<Tensor> tensor = Tensor::create(header->dtype, header->shape);
  if (!tensor.ok()) {
    return tensor.status().withContext(path);
  }
  // The data follows the header directly; everything before it was read.
  uint64_t alreadyRead = head.size() - header->dataOffset;
  if (alreadyRead > 0) {
    std::memcpy(tensor->data(), head.data() + header->dataOffset, alreadyRead);
  }
  if (!readFully(fd, static_cast<uint8_t *>(tensor->data()) + alreadyRead,
                 header->dataSize - alreadyRead)) {
    return makeError(StatusCode::IoError, "cannot read the data of '", path,
                     "'");
  }
  return tensor;
}

/// Writes the header NumPy itself writes: the dict padded with spaces so
/// the data starts at a multiple of 64 bytes.
Status writeNpy(const std::string &path, const TensorView &tensor) {
  const char *descr = descrOf(tensor.dtype);
  if (!descr) {
    return makeError(StatusCode::Unsupported, "cannot write '", path,
                     "': .npy has no ", dtypeName(tensor.dtype), " dtype");
  }
  StatusOr<uint64_t> count = checkedElementCount(tensor.dtype, tensor.shape);
  if (!count.ok()) {
    return count.status().withContext(path);
  }
  uint64_t dataSize = *count * dtypeSize(tensor.dtype);
  if (dataSize && !tensor.data) {
    return makeError(StatusCode::InvalidArgument, "cannot write '", path,
                     "': the tensor has no data");
  }
  std::string dict = std::string("{'descr': '") + descr +
                     "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < tensor.shape.size(); ++i) {
    dict += std::to_string(tensor.shape[i]);
    if (i + 1 < tensor.shape.size() || tensor.shape.size() == 1) {
      dict += tensor.shape.size() == 1 ? "," : ", ";
    }
  }
  dict += "), }";
  // Pad with spaces so the data starts at a multiple of 64, end with '\n'.
  bool version2 = 10 + dict.size() + 1 > 65535;
  uint64_t prefixSize = version2 ? 12 : 10;
  uint64_t total = (prefixSize + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - prefixSize - dict.size() - 1, ' ');
  dict += '\n';
  std::string head(kNpyMagic, sizeof(kNpyMagic));
  head += static_cast<char>(version2 ? 2 : 1);
  head += '\0';
  for (uint64_t i = 0; i < prefixSize - 8; ++i) {
    head += static_cast<char>((dict.size() >> (8 * i)) & 0xff);
  }
  head += dict;

  return writeWholeFile(path,
                        {{head.data(), head.size()}, {tensor.data, dataSize}});
}

} // namespace kiln::rt
