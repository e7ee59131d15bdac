//===- ArtifactReader.cpp - Header checks and FlatBuffer conversion -------===//
//
// Reading an artifact goes in three steps, each trusting only what the one
// before has checked: the fixed FileHeader (magic, versions, section ranges
// against the real file size), the FlatBuffers verifier over the FlatBuffer
// range, and a conversion into ArtifactInfo that checks presence and enum
// ranges of every field. verifyArtifactInfo (ArtifactVerifier.cpp) then
// checks offsets, indices and cross references, and last the metadata's
// CRC-32C catches damage that left every field well-formed. The code and
// weights checksums are checked on demand (verifyCodeChecksum before code
// is loaded, verifyWeightsChecksum by kiln-inspect --verify).
//
//===----------------------------------------------------------------------===//

#include "runtime/ArtifactFormat.h"
#include "runtime/ArtifactInfo.h"
#include "runtime/MappedFile.h"
#include "runtime/Tensor.h"
#include "runtime/abi/KernelAbi.h"
#include "runtime/schema/Artifact_generated.h"

#include <cstdio>
#include <cstring>
#include <iterator>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the artifact header is read in host byte order");

namespace kiln::rt {

/// Names match the BufferKind enumerators of the schema, in lowercase.
const char *bindingKindName(BindingKind kind) {
  switch (kind) {
  case BindingKind::Input:
    return "input";
  case BindingKind::Output:
    return "output";
  case BindingKind::Constant:
    return "constant";
  case BindingKind::Arena:
    return "arena";
  }
  return "unknown";
}

namespace {

using FbStrings = flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>;

/// Checks the fixed header against the real size of the file. Each range is
/// compared in a form that cannot overflow, since every field may be garbage.
Status checkHeader(const FileHeader &h, uint64_t size) {
  if (std::memcmp(h.magic, kArtifactMagic, sizeof(h.magic)) != 0) {
    return Status(StatusCode::InvalidFormat, "not a Kiln artifact (bad magic)");
  }
  if (h.schemaVersion != kSchemaVersion) {
    return makeError(
        StatusCode::Unsupported, "schema version ", h.schemaVersion,
        h.schemaVersion > kSchemaVersion ? " is newer than" : " is not",
        " what this runtime reads (version ", kSchemaVersion, ")");
  }
  if (h.kernelAbiVersion != KILN_KERNEL_ABI_VERSION) {
    return makeError(StatusCode::Unsupported, "kernel ABI version ",
                     h.kernelAbiVersion,
                     " does not match this runtime's kernel ABI version ",
                     KILN_KERNEL_ABI_VERSION);
  }
  if (size < h.fileSize) {
    return makeError(StatusCode::InvalidFormat,
                     "truncated: the header says the file has ", h.fileSize,
                     " bytes but it has only ", size);
  }
  if (size > h.fileSize) {
    return makeError(StatusCode::InvalidFormat,
                     "file size mismatch: the header says ", h.fileSize,
                     " bytes but the file has ", size);
  }
  if (h.flatbufferOffset != sizeof(FileHeader)) {
    return makeError(StatusCode::InvalidFormat, "FlatBuffer offset ",
                     h.flatbufferOffset, " is not ", sizeof(FileHeader),
                     " (right after the header)");
  }
  if (h.flatbufferSize < 8 || h.flatbufferSize > size - h.flatbufferOffset ||
      h.flatbufferSize >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    return makeError(StatusCode::InvalidFormat, "FlatBuffer size ",
                     h.flatbufferSize, " does not fit the file of ", size,
                     " bytes");
  }
  if (h.dataOffset % kWeightSegmentAlignment) {
    return makeError(StatusCode::InvalidFormat, "data offset ", h.dataOffset,
                     " is not a multiple of ", kWeightSegmentAlignment);
  }
  if (h.dataOffset < h.flatbufferOffset + h.flatbufferSize) {
    return makeError(StatusCode::InvalidFormat, "data section at ",
                     h.dataOffset, " overlaps the FlatBuffer, which ends at ",
                     h.flatbufferOffset + h.flatbufferSize);
  }
  if (h.dataOffset > size || h.dataSize > size - h.dataOffset) {
    return makeError(StatusCode::InvalidFormat, "data section (offset ",
                     h.dataOffset, ", size ", h.dataSize,
                     ") exceeds the file of ", size, " bytes");
  }
  if (h.weightsOffset % kWeightSegmentAlignment ||
      h.weightsOffset > h.dataSize) {
    return makeError(StatusCode::InvalidFormat, "weights offset ",
                     h.weightsOffset, " is not a multiple of ",
                     kWeightSegmentAlignment, " inside the data section of ",
                     h.dataSize, " bytes");
  }
  for (size_t i = 0; i < std::size(h.reserved); ++i) {
    if (h.reserved[i] != 0) {
      return makeError(StatusCode::InvalidFormat, "reserved header word ", i,
                       " is ", h.reserved[i], ", not 0");
    }
  }
  return Status();
}

/// The error for a section whose checksum differs from the header's.
Status checksumMismatch(const char *section, uint32_t expected,
                        uint32_t actual) {
  char text[96];
  std::snprintf(text, sizeof(text),
                " checksum mismatch: the header says 0x%08x, the data has "
                "0x%08x",
                expected, actual);
  return Status(StatusCode::InvalidFormat,
                std::string(section) + text +
                    " (the file is corrupted; compile it again)");
}

/// Converts FlatBuffer tables into ArtifactInfo, checking presence and
/// enum ranges. Every error names the field.
class Converter {
public:
  explicit Converter(ArtifactInfo &info) : info(info) {}

  Status convert(const fb::Artifact &root);

private:
  /// The error for an absent required field.
  static Status missing(const std::string &what) {
    return Status(StatusCode::InvalidFormat, what + " is missing");
  }

  /// Copies a string field; a required one must be present and non-empty.
  static Status string(const flatbuffers::String *value,
                       const std::string &what, bool required,
                       std::string &out) {
    if (!value || (required && value->size() == 0)) {
      if (required) {
        return missing(what);
      }
      out.clear();
      return Status();
    }
    out = value->str();
    return Status();
  }

  /// Copies a vector of required strings; an absent vector is empty.
  static Status strings(const FbStrings *values, const std::string &what,
                        std::vector<std::string> &out) {
    if (!values) {
      return Status();
    }
    for (flatbuffers::uoffset_t i = 0; i < values->size(); ++i) {
      out.emplace_back();
      KILN_RETURN_IF_ERROR(string(
          values->Get(i), what + " " + std::to_string(i), true, out.back()));
    }
    return Status();
  }

  /// Converts a TensorType, checking the dtype value and the shape. An
  /// absent shape is a scalar, as FlatBuffers treats absent and empty alike.
  static Status type(const fb::TensorType *type, const std::string &what,
                     DType &dtype, std::vector<int64_t> &shape,
                     uint64_t &byteSize) {
    if (!type) {
      return missing(what + ": type");
    }
    auto raw = static_cast<uint8_t>(type->dtype());
    if (raw > kMaxDType) {
      return makeError(StatusCode::InvalidFormat, what,
                       ": invalid dtype value ", unsigned(raw));
    }
    dtype = static_cast<DType>(raw);
    if (type->shape()) {
      shape.assign(type->shape()->begin(), type->shape()->end());
    }
    StatusOr<uint64_t> count = checkedElementCount(dtype, shape);
    if (!count.ok()) {
      return Status(StatusCode::InvalidFormat,
                    what + ": " + count.status().message());
    }
    byteSize = *count * dtypeSize(dtype);
    return Status();
  }

  Status ioTensors(
      const flatbuffers::Vector<flatbuffers::Offset<fb::IoTensor>> *tensors,
      const char *kind, std::vector<TensorSpec> &out);
  Status executable(const fb::Executable &exe, size_t i);
  Status dispatch(const fb::Dispatch &dispatch, size_t i);
  Status constant(const fb::Constant &constant, size_t i);

  ArtifactInfo &info;
};

/// Converts the inputs or outputs of the signature.
Status Converter::ioTensors(
    const flatbuffers::Vector<flatbuffers::Offset<fb::IoTensor>> *tensors,
    const char *kind, std::vector<TensorSpec> &out) {
  if (!tensors) {
    return Status();
  }
  for (flatbuffers::uoffset_t i = 0; i < tensors->size(); ++i) {
    const fb::IoTensor *tensor = tensors->Get(i);
    std::string what = std::string(kind) + " " + std::to_string(i);
    TensorSpec spec;
    KILN_RETURN_IF_ERROR(
        string(tensor->name(), what + ": name", true, spec.name));
    what += " ('" + spec.name + "')";
    KILN_RETURN_IF_ERROR(
        type(tensor->type(), what, spec.dtype, spec.shape, spec.byteSize));
    out.push_back(std::move(spec));
  }
  return Status();
}

/// Converts one executable; its image range is checked by the verifier.
Status Converter::executable(const fb::Executable &exe, size_t i) {
  std::string what = "executable " + std::to_string(i);
  ExecutableInfo out;
  KILN_RETURN_IF_ERROR(
      string(exe.format(), what + ": format", true, out.format));
  if (!exe.image()) {
    return missing(what + ": image");
  }
  out.offset = exe.image()->offset();
  out.size = exe.image()->size();
  if (!exe.exports() || exe.exports()->size() == 0) {
    return missing(what + ": exports");
  }
  KILN_RETURN_IF_ERROR(strings(exe.exports(), what + ": export", out.exports));
  info.executables.push_back(std::move(out));
  return Status();
}

/// Converts one dispatch; indices and ranges are checked by the verifier.
Status Converter::dispatch(const fb::Dispatch &dispatch, size_t i) {
  std::string what = "dispatch " + std::to_string(i);
  DispatchInfo out;
  KILN_RETURN_IF_ERROR(
      string(dispatch.name(), what + ": name", true, out.name));
  what += " ('" + out.name + "')";
  out.executable = dispatch.executable();
  out.exportOrdinal = dispatch.export_ordinal();
  if (!dispatch.grid() || dispatch.grid()->size() != 3) {
    return makeError(StatusCode::InvalidFormat, what, ": grid has ",
                     dispatch.grid() ? dispatch.grid()->size() : 0,
                     " entries, expected 3");
  }
  out.workgroupCount = 1;
  for (int d = 0; d < 3; ++d) {
    out.grid[d] = dispatch.grid()->Get(d);
    // Saturates; the verifier rejects grids this large.
    if (__builtin_mul_overflow(out.workgroupCount, out.grid[d],
                               &out.workgroupCount)) {
      out.workgroupCount = UINT64_MAX;
    }
  }
  if (dispatch.bindings()) {
    for (flatbuffers::uoffset_t b = 0; b < dispatch.bindings()->size(); ++b) {
      const fb::BufferRef *ref = dispatch.bindings()->Get(b);
      auto kind = static_cast<uint8_t>(ref->kind());
      if (kind > static_cast<uint8_t>(BindingKind::Arena)) {
        return makeError(StatusCode::InvalidFormat, what, ": binding ", b,
                         ": invalid buffer kind ", unsigned(kind));
      }
      out.bindings.push_back({static_cast<BindingKind>(kind), ref->index(),
                              ref->offset(), ref->size()});
    }
  }
  out.scratchSize = dispatch.scratch_size();
  KILN_RETURN_IF_ERROR(string(dispatch.root_op(), "", false, out.rootOp));
  KILN_RETURN_IF_ERROR(string(dispatch.source_loc(), "", false, out.sourceLoc));
  out.flops = dispatch.flops();
  info.dispatches.push_back(std::move(out));
  return Status();
}

/// Converts one constant. Its stored bytes must match its type exactly, so
/// that a binding inside the data is a binding inside the tensor.
Status Converter::constant(const fb::Constant &constant, size_t i) {
  std::string what = "constant " + std::to_string(i);
  ConstantInfo out;
  KILN_RETURN_IF_ERROR(
      string(constant.name(), what + ": name", true, out.name));
  what += " ('" + out.name + "')";
  uint64_t byteSize = 0;
  KILN_RETURN_IF_ERROR(
      type(constant.type(), what, out.dtype, out.shape, byteSize));
  if (!constant.data()) {
    return missing(what + ": data");
  }
  out.offset = constant.data()->offset();
  out.size = constant.data()->size();
  if (out.size != byteSize) {
    return makeError(StatusCode::InvalidFormat, what, ": data is ", out.size,
                     " bytes but its type ",
                     formatTensorType(out.dtype, out.shape), " needs ",
                     byteSize);
  }
  KILN_RETURN_IF_ERROR(string(constant.layout(), "", false, out.layout));
  info.constants.push_back(std::move(out));
  return Status();
}

/// Converts the root table. Absent vectors read as empty: FlatBuffers
/// writers commonly omit empty vectors.
Status Converter::convert(const fb::Artifact &root) {
  KILN_RETURN_IF_ERROR(string(root.producer(), "", false, info.producer));
  KILN_RETURN_IF_ERROR(string(root.model_name(), "", false, info.modelName));
  const fb::Target *target = root.target();
  if (!target) {
    return missing("target");
  }
  KILN_RETURN_IF_ERROR(
      string(target->triple(), "target triple", true, info.target.triple));
  KILN_RETURN_IF_ERROR(string(target->cpu(), "", false, info.target.cpu));
  KILN_RETURN_IF_ERROR(
      strings(target->features(), "target feature", info.target.features));
  KILN_RETURN_IF_ERROR(ioTensors(root.inputs(), "input", info.inputs));
  KILN_RETURN_IF_ERROR(ioTensors(root.outputs(), "output", info.outputs));
  if (root.executables()) {
    for (flatbuffers::uoffset_t i = 0; i < root.executables()->size(); ++i) {
      KILN_RETURN_IF_ERROR(executable(*root.executables()->Get(i), i));
    }
  }
  if (root.constants()) {
    for (flatbuffers::uoffset_t i = 0; i < root.constants()->size(); ++i) {
      KILN_RETURN_IF_ERROR(constant(*root.constants()->Get(i), i));
    }
  }
  if (root.dispatches()) {
    for (flatbuffers::uoffset_t i = 0; i < root.dispatches()->size(); ++i) {
      KILN_RETURN_IF_ERROR(dispatch(*root.dispatches()->Get(i), i));
    }
  }
  if (root.regions()) {
    for (flatbuffers::uoffset_t i = 0; i < root.regions()->size(); ++i) {
      const fb::Region *region = root.regions()->Get(i);
      RegionInfo out;
      if (region->dispatches()) {
        out.dispatches.assign(region->dispatches()->begin(),
                              region->dispatches()->end());
      }
      info.regions.push_back(std::move(out));
    }
  }
  info.arenaSize = root.arena_size();
  return Status();
}

} // namespace

/// Runs the three steps of the file comment; the first failure wins and is
/// prefixed with the path.
StatusOr<ArtifactInfo> readArtifactInfo(const uint8_t *bytes, uint64_t size,
                                        const std::string &path) {
  auto fail = [&](const Status &status) { return status.withContext(path); };
  if (size < sizeof(FileHeader)) {
    return fail(makeError(StatusCode::InvalidFormat, "truncated: the file has ",
                          size, " bytes, less than the ", sizeof(FileHeader),
                          "-byte header"));
  }
  FileHeader header;
  std::memcpy(&header, bytes, sizeof(header));
  Status status = checkHeader(header, size);
  if (!status.ok()) {
    return fail(status);
  }

  // The identifier check first, so a FlatBuffer of another schema gets a
  // clearer message than "fails verification".
  const uint8_t *buffer = bytes + header.flatbufferOffset;
  if (!fb::ArtifactBufferHasIdentifier(buffer)) {
    return fail(Status(StatusCode::InvalidFormat,
                       "the FlatBuffer lacks the file identifier \"KILN\""));
  }
  flatbuffers::Verifier verifier(buffer, header.flatbufferSize);
  if (!fb::VerifyArtifactBuffer(verifier)) {
    return fail(Status(StatusCode::InvalidFormat,
                       "the FlatBuffer fails verification (corrupt or not "
                       "built from Artifact.fbs)"));
  }

  ArtifactInfo info;
  info.file = {
      header.schemaVersion,    header.kernelAbiVersion, header.fileSize,
      header.flatbufferOffset, header.flatbufferSize,   header.dataOffset,
      header.dataSize,         header.weightsOffset,    header.metadataChecksum,
      header.codeChecksum,     header.weightsChecksum};
  status = Converter(info).convert(*fb::GetArtifact(buffer));
  if (!status.ok()) {
    return fail(status);
  }
  KILN_RETURN_IF_ERROR(verifyArtifactInfo(info, path));
  // Last, so that a malformed file gets the message naming its field: the
  // checksum catches damage that leaves the metadata well-formed, such as
  // a changed grid or binding size.
  uint32_t metadata = metadataChecksumOf(header, buffer, header.flatbufferSize);
  if (metadata != header.metadataChecksum) {
    return fail(
        checksumMismatch("metadata", header.metadataChecksum, metadata));
  }
  return info;
}

Status verifyCodeChecksum(const uint8_t *bytes, const ArtifactInfo &info) {
  const FileLayoutInfo &file = info.file;
  uint32_t code = crc32c(bytes + file.dataOffset, file.weightsOffset);
  if (code != file.codeChecksum) {
    return checksumMismatch("code", file.codeChecksum, code);
  }
  return Status();
}

Status verifyWeightsChecksum(const uint8_t *bytes, const ArtifactInfo &info) {
  const FileLayoutInfo &file = info.file;
  uint32_t weights = crc32c(bytes + file.dataOffset + file.weightsOffset,
                            file.dataSize - file.weightsOffset);
  if (weights != file.weightsChecksum) {
    return checksumMismatch("weights", file.weightsChecksum, weights);
  }
  return Status();
}

/// The mapping is dropped on return: inspection keeps only the copy.
StatusOr<ArtifactInfo> readArtifactInfoFile(const std::string &path) {
  StatusOr<MappedFile> file = MappedFile::open(path);
  if (!file.ok()) {
    return file.status();
  }
  return readArtifactInfo(file->data(), file->size(), path);
}

Status verifyArtifactFile(const std::string &path) {
  StatusOr<MappedFile> file = MappedFile::open(path);
  if (!file.ok()) {
    return file.status();
  }
  StatusOr<ArtifactInfo> info =
      readArtifactInfo(file->data(), file->size(), path);
  if (!info.ok()) {
    return info.status();
  }
  Status status = verifyCodeChecksum(file->data(), *info);
  if (status.ok()) {
    status = verifyWeightsChecksum(file->data(), *info);
  }
  return status.ok() ? status : status.withContext(path);
}

} // namespace kiln::rt
