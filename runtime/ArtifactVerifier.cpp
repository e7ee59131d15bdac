//===- ArtifactVerifier.cpp - Semantic checks of an artifact --------------===//
//
// The FlatBuffers verifier only proves that the buffer can be walked safely.
// These checks prove that the schedule it describes is safe to run: every
// blob lies inside its section, every index names something that exists,
// every binding stays inside the buffer it names, and every dispatch runs in
// exactly one region. After they pass, the executor needs no bounds checks.
//
//===----------------------------------------------------------------------===//

#include "runtime/ArtifactFormat.h"
#include "runtime/ArtifactInfo.h"

#include <set>

namespace kiln::rt {

namespace {

/// Executables of this format are the only ones the runtime loads.
constexpr const char *kElfFormat = "elf-shared-object";
/// No dispatch may have more workgroups than this.
constexpr uint64_t kMaxWorkgroups = uint64_t(1) << 32;

/// Whether [offset, offset + size) lies inside [begin, end).
bool inRange(uint64_t offset, uint64_t size, uint64_t begin, uint64_t end) {
  return offset >= begin && offset <= end && size <= end - offset;
}

/// An InvalidFormat error about `what`.
Status invalid(const std::string &what, const std::string &problem) {
  return Status(StatusCode::InvalidFormat, what + ": " + problem);
}

/// Formats a byte range for messages.
std::string rangeText(uint64_t offset, uint64_t size) {
  return "(offset " + std::to_string(offset) + ", size " +
         std::to_string(size) + ")";
}

/// Names are how callers and tools refer to tensors, so they must be unique.
Status checkUniqueNames(const std::vector<TensorSpec> &specs,
                        const char *kind) {
  std::set<std::string> seen;
  for (const TensorSpec &spec : specs) {
    if (!seen.insert(spec.name).second) {
      return invalid(std::string(kind) + " '" + spec.name + "'",
                     "the name is used twice");
    }
  }
  return Status();
}

/// Executable images must lie before the weight segment and constants inside
/// it: the segment is meant to be mappable on its own, read-only.
Status checkBlobs(const ArtifactInfo &info) {
  const FileLayoutInfo &file = info.file;
  for (size_t i = 0; i < info.executables.size(); ++i) {
    const ExecutableInfo &exe = info.executables[i];
    std::string what = "executable " + std::to_string(i);
    if (exe.format != kElfFormat) {
      return Status(StatusCode::Unsupported,
                    what + ": unsupported format '" + exe.format +
                        "' (this runtime loads '" + kElfFormat + "')");
    }
    if (exe.offset % kBlobAlignment) {
      return invalid(what, "image offset " + std::to_string(exe.offset) +
                               " is not " + std::to_string(kBlobAlignment) +
                               "-byte aligned");
    }
    if (exe.size == 0 ||
        !inRange(exe.offset, exe.size, 0, file.weightsOffset)) {
      return invalid(what, "image " + rangeText(exe.offset, exe.size) +
                               " lies outside the executable part of the "
                               "data section (0 to " +
                               std::to_string(file.weightsOffset) + ")");
    }
  }
  for (size_t i = 0; i < info.constants.size(); ++i) {
    const ConstantInfo &constant = info.constants[i];
    std::string what =
        "constant " + std::to_string(i) + " ('" + constant.name + "')";
    if (constant.offset % kBlobAlignment) {
      return invalid(what, "data offset " + std::to_string(constant.offset) +
                               " is not " + std::to_string(kBlobAlignment) +
                               "-byte aligned");
    }
    if (!inRange(constant.offset, constant.size, file.weightsOffset,
                 file.dataSize)) {
      return invalid(what, "data " + rangeText(constant.offset, constant.size) +
                               " lies outside the weight segment (" +
                               std::to_string(file.weightsOffset) + " to " +
                               std::to_string(file.dataSize) + ")");
    }
  }
  return Status();
}

/// Checks binding `b` of a dispatch described by `what`.
Status checkBinding(const ArtifactInfo &info, const BindingInfo &binding,
                    const std::string &what) {
  const char *kind = bindingKindName(binding.kind);
  uint64_t limit = 0;
  std::string target;
  auto indexed = [&](size_t count) -> Status {
    if (binding.index >= count) {
      return invalid(what, std::string(kind) + " index " +
                               std::to_string(binding.index) +
                               " is out of range (" + std::to_string(count) +
                               " " + kind + "s)");
    }
    return Status();
  };
  switch (binding.kind) {
  case BindingKind::Input:
    KILN_RETURN_IF_ERROR(indexed(info.inputs.size()));
    limit = info.inputs[binding.index].byteSize;
    target = "input '" + info.inputs[binding.index].name + "'";
    break;
  case BindingKind::Output:
    KILN_RETURN_IF_ERROR(indexed(info.outputs.size()));
    limit = info.outputs[binding.index].byteSize;
    target = "output '" + info.outputs[binding.index].name + "'";
    break;
  case BindingKind::Constant:
    KILN_RETURN_IF_ERROR(indexed(info.constants.size()));
    limit = info.constants[binding.index].size;
    target = "constant '" + info.constants[binding.index].name + "'";
    break;
  case BindingKind::Arena:
    limit = info.arenaSize;
    target = "the arena";
    break;
  }
  if (!inRange(binding.offset, binding.size, 0, limit)) {
    return invalid(what, "range " + rangeText(binding.offset, binding.size) +
                             " exceeds " + target + " of " +
                             std::to_string(limit) + " bytes");
  }
  return Status();
}

/// Checks each dispatch's references, grid and bindings.
Status checkDispatches(const ArtifactInfo &info) {
  std::set<std::string> names;
  for (size_t i = 0; i < info.dispatches.size(); ++i) {
    const DispatchInfo &dispatch = info.dispatches[i];
    std::string what =
        "dispatch " + std::to_string(i) + " ('" + dispatch.name + "')";
    if (!names.insert(dispatch.name).second) {
      return invalid(what, "the name is used twice");
    }
    if (dispatch.executable >= info.executables.size()) {
      return invalid(
          what, "executable index " + std::to_string(dispatch.executable) +
                    " is out of range (" +
                    std::to_string(info.executables.size()) + " executables)");
    }
    const ExecutableInfo &exe = info.executables[dispatch.executable];
    if (dispatch.exportOrdinal >= exe.exports.size()) {
      return invalid(
          what, "export ordinal " + std::to_string(dispatch.exportOrdinal) +
                    " is out of range (executable " +
                    std::to_string(dispatch.executable) + " has " +
                    std::to_string(exe.exports.size()) + " exports)");
    }
    for (int d = 0; d < 3; ++d) {
      if (dispatch.grid[d] == 0) {
        return invalid(what, "grid [" + std::to_string(dispatch.grid[0]) + "," +
                                 std::to_string(dispatch.grid[1]) + "," +
                                 std::to_string(dispatch.grid[2]) +
                                 "] has a zero entry (each must be >= 1)");
      }
    }
    if (dispatch.workgroupCount > kMaxWorkgroups) {
      return invalid(what, "grid has more than 2^32 workgroups");
    }
    for (size_t b = 0; b < dispatch.bindings.size(); ++b) {
      KILN_RETURN_IF_ERROR(checkBinding(
          info, dispatch.bindings[b], what + ": binding " + std::to_string(b)));
    }
  }
  return Status();
}

/// Every dispatch must run exactly once: in no region it would silently
/// leave its outputs stale, in two it would race with itself.
Status checkRegions(const ArtifactInfo &info) {
  // The region each dispatch was first seen in, or -1.
  std::vector<int64_t> regionOf(info.dispatches.size(), -1);
  for (size_t r = 0; r < info.regions.size(); ++r) {
    for (uint32_t index : info.regions[r].dispatches) {
      std::string what = "region " + std::to_string(r);
      if (index >= info.dispatches.size()) {
        return invalid(what, "dispatch index " + std::to_string(index) +
                                 " is out of range (" +
                                 std::to_string(info.dispatches.size()) +
                                 " dispatches)");
      }
      if (regionOf[index] >= 0) {
        return invalid(what, "dispatch " + std::to_string(index) + " ('" +
                                 info.dispatches[index].name +
                                 "') is already in region " +
                                 std::to_string(regionOf[index]));
      }
      regionOf[index] = static_cast<int64_t>(r);
    }
  }
  for (size_t i = 0; i < regionOf.size(); ++i) {
    if (regionOf[i] < 0) {
      return invalid("dispatch " + std::to_string(i) + " ('" +
                         info.dispatches[i].name + "')",
                     "it is in no region, so it would never run");
    }
  }
  return Status();
}

} // namespace

/// Runs the checks in dependency order: dispatches refer to blobs, regions
/// to dispatches.
Status verifyArtifactInfo(const ArtifactInfo &info, const std::string &path) {
  Status status = checkUniqueNames(info.inputs, "input");
  if (status.ok()) {
    status = checkUniqueNames(info.outputs, "output");
  }
  if (status.ok()) {
    status = checkBlobs(info);
  }
  if (status.ok()) {
    status = checkDispatches(info);
  }
  if (status.ok()) {
    status = checkRegions(info);
  }
  return status.withContext(path);
}

} // namespace kiln::rt
