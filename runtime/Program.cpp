//===- Program.cpp - A loaded, verified artifact --------------------------===//
//
// Loading is ordered so that nothing is trusted before it is checked: the
// file is mapped, its metadata verified into an ArtifactInfo, the host
// checked against the target, and only then is any code loaded. The plan
// built at the end holds raw pointers into the mapping and the loaded
// executables, which the Program owns for as long as it lives.
//
//===----------------------------------------------------------------------===//

#include "runtime/Program.h"

#include "runtime/CpuFeatures.h"
#include "runtime/ExecutableLoader.h"
#include "runtime/ExecutionPlan.h"
#include "runtime/MappedFile.h"

#include <algorithm>

namespace kiln::rt {

Program::Program() = default;
Program::~Program() = default;

StatusOr<std::shared_ptr<const Program>>
Program::load(const std::string &path) {
  std::shared_ptr<Program> program(new Program());
  program->filePath = path;
  StatusOr<MappedFile> file = MappedFile::open(path);
  if (!file.ok()) {
    return file.status();
  }
  program->file = std::make_unique<MappedFile>(std::move(file).value());
  StatusOr<ArtifactInfo> info =
      readArtifactInfo(program->file->data(), program->file->size(), path);
  if (!info.ok()) {
    return info.status();
  }
  program->artifact = std::move(info).value();

  const TargetInfo &target = program->artifact.target;
  Status status = checkHostTriple(target.triple);
  if (status.ok()) {
    status = CpuFeatures::host().checkRequired(target.features);
  }
  if (status.ok()) {
    status = program->loadExecutables();
  }
  if (!status.ok()) {
    return status.withContext(path);
  }
  // Every index used below was range-checked by verifyArtifactInfo.
  program->buildPlan();
  return std::shared_ptr<const Program>(std::move(program));
}

/// Loads every executable image from the data section, in artifact order,
/// so that dispatches can refer to them by index.
Status Program::loadExecutables() {
  // Corrupt machine code would crash instead of failing: check it first.
  KILN_RETURN_IF_ERROR(verifyCodeChecksum(file->data(), artifact));
  const uint8_t *data = file->data() + artifact.file.dataOffset;
  for (size_t i = 0; i < artifact.executables.size(); ++i) {
    const ExecutableInfo &info = artifact.executables[i];
    StatusOr<std::unique_ptr<LoadedExecutable>> exe =
        LoadedExecutable::load({data + info.offset, info.size}, info.exports,
                               "executable " + std::to_string(i));
    if (!exe.ok()) {
      return exe.status();
    }
    executables.push_back(std::move(exe).value());
  }
  return Status();
}

/// Resolves kernels and constant addresses and flattens the regions' tiles,
/// so that a run does no lookups beyond indexing.
void Program::buildPlan() {
  executionPlan = std::make_unique<ExecutionPlan>();
  ExecutionPlan &plan = *executionPlan;
  const uint8_t *data = file->data() + artifact.file.dataOffset;
  plan.arenaSize = artifact.arenaSize;
  for (const DispatchInfo &info : artifact.dispatches) {
    DispatchPlan dispatch;
    dispatch.name = &info.name;
    dispatch.function =
        executables[info.executable]->function(info.exportOrdinal);
    std::copy(info.grid.begin(), info.grid.end(), dispatch.grid);
    dispatch.workgroupCount = info.workgroupCount;
    dispatch.scratchSize = info.scratchSize;
    dispatch.firstBinding = static_cast<uint32_t>(plan.bindings.size());
    dispatch.bindingCount = static_cast<uint32_t>(info.bindings.size());
    for (const BindingInfo &binding : info.bindings) {
      BindingPlan out;
      out.kind = binding.kind;
      out.index = binding.index;
      out.offset = binding.offset;
      out.size = binding.size;
      if (binding.kind == BindingKind::Constant) {
        out.constant =
            data + artifact.constants[binding.index].offset + binding.offset;
      }
      plan.bindings.push_back(out);
    }
    plan.maxScratchSize = std::max(plan.maxScratchSize, info.scratchSize);
    plan.dispatches.push_back(dispatch);
  }
  // tileEnds are prefix sums: the executor finds a tile's dispatch with one
  // binary search per parallel_for chunk instead of per tile.
  for (const RegionInfo &info : artifact.regions) {
    RegionPlan region;
    for (uint32_t index : info.dispatches) {
      region.tileCount += artifact.dispatches[index].workgroupCount;
      region.dispatches.push_back(index);
      region.tileEnds.push_back(region.tileCount);
    }
    plan.regions.push_back(std::move(region));
  }
}

} // namespace kiln::rt
