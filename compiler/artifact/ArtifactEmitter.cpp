//===- ArtifactEmitter.cpp - exec dialect + kernels to a .kbin ------------===//
//
// Walks the model function after the graph pipeline: its arguments are the
// inputs, its returned values the outputs, its `kiln.param` ops the
// constants and its `exec.dispatch` ops, in order, the dispatches. Every
// SSA value a dispatch touches lives in exactly one buffer: an input, an
// output, a constant or the arena at the offset memory planning chose.
//
//===----------------------------------------------------------------------===//

#include "compiler/artifact/ArtifactEmitter.h"
#include "compiler/DispatchSummary.h"
#include "compiler/HostMemory.h"
#include "compiler/weights/PanelLayout.h"
#include "dialects/Exec/IR/ExecOps.h"
#include "dialects/Kiln/IR/KilnOps.h"
#include "dialects/Kiln/IR/ModelFunction.h"
#include "passes/StorageBytes.h"
#include "passes/StorageRoots.h"
#include "runtime/ArtifactFormat.h"
#include "runtime/ArtifactWriter.h"
#include "runtime/schema/Artifact_generated.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/Signals.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

using namespace mlir;
namespace fb = kiln::fb;

namespace kiln {
namespace {

/// The artifact's name for an element type (f32, i32, i64 and i1 occur).
fb::DType dtypeOf(Type type) {
  if (type.isF32()) {
    return fb::DType::F32;
  }
  if (type.isF16()) {
    return fb::DType::F16;
  }
  if (type.isBF16()) {
    return fb::DType::BF16;
  }
  if (type.isF64()) {
    return fb::DType::F64;
  }
  switch (type.getIntOrFloatBitWidth()) {
  case 1:
    return fb::DType::Bool;
  case 8:
    return fb::DType::I8;
  case 16:
    return fb::DType::I16;
  case 32:
    return fb::DType::I32;
  default:
    return fb::DType::I64;
  }
}

/// `values` of row-major shape `declared` transposed by `permutation`, into
/// `stored` (resized): stored[i0, i1, ...] = declared[j] with j[perm[d]] =
/// i[d]. The stored rows (its last dim) are copied in blocks of at least
/// 2^16 elements on the pool: each row starts at the declared offset of its
/// outer index and steps by the declared stride of the last stored dim.
void permuteInto(const std::vector<float> &values, ArrayRef<int64_t> declared,
                 ArrayRef<int64_t> permutation, std::vector<float> &stored) {
  int64_t rank = declared.size();
  stored.resize(values.size());
  if (rank == 0 || values.empty()) {
    llvm::copy(values, stored.begin());
    return;
  }
  SmallVector<int64_t> shape(rank), declaredStrides(rank, 1);
  for (int64_t d = 0; d < rank; ++d) {
    shape[d] = declared[permutation[d]];
  }
  for (int64_t d = rank - 2; d >= 0; --d) {
    declaredStrides[d] = declaredStrides[d + 1] * declared[d + 1];
  }
  int64_t width = shape[rank - 1];
  int64_t step = declaredStrides[permutation[rank - 1]];
  int64_t rows = static_cast<int64_t>(values.size()) / width;
  int64_t rowsPerBlock = llvm::divideCeil(int64_t{1} << 16, width);
  int64_t blocks = llvm::divideCeil(rows, rowsPerBlock);
  llvm::parallelFor(0, blocks, [&](size_t block) {
    int64_t first = static_cast<int64_t>(block) * rowsPerBlock;
    int64_t last = std::min(rows, first + rowsPerBlock);
    for (int64_t row = first; row < last; ++row) {
      int64_t source = 0;
      for (int64_t d = rank - 2, rest = row; d >= 0; --d) {
        source += (rest % shape[d]) * declaredStrides[permutation[d]];
        rest /= shape[d];
      }
      float *out = stored.data() + row * width;
      for (int64_t i = 0; i < width; ++i, source += step) {
        out[i] = values[source];
      }
    }
  });
}

/// toPanelsInto (PanelLayout.h) with the panels copied in parallel.
void toPanelsInParallel(const std::vector<float> &declared,
                        ArrayRef<int64_t> shape, int64_t p,
                        std::vector<float> &panels) {
  PanelGrid grid(shape.data(), shape.size(), p);
  panels.resize(grid.size());
  llvm::parallelFor(0, grid.count(), [&](size_t i) {
    grid.copy(declared.data(), static_cast<int64_t>(i), panels.data());
  });
}

/// The parameter's data in the stored layout (permuted, then in panels), in
/// `values`; `scratch` is a second buffer. The writer keeps both from one
/// parameter to the next: fresh vectors for each parameter of a 4-layer
/// Show-o (1.6 GB) cost 2.3 s of page faults in a 10.7-11.2 s compile.
LogicalResult materialize(ParamOp param, WeightSource &weights,
                          std::vector<float> &values,
                          std::vector<float> &scratch) {
  if (failed(weights.loadInto(param.getName(), param.getDeclaredShape(),
                              param.getLoc(), values))) {
    return failure();
  }
  // A checkpoint shape differs from the layout's source shape only by a
  // reshape, which leaves row-major data as it is.
  if (std::optional<ArrayRef<int64_t>> permutation = param.getPermutation()) {
    permuteInto(values, param.getLayoutSourceShape(), *permutation, scratch);
    values.swap(scratch);
  }
  if (std::optional<int64_t> panel = param.getPanel()) {
    SmallVector<int64_t> source = param.getPanelSourceShape();
    toPanelsInParallel(values, source, *panel, scratch);
    values.swap(scratch);
  }
  return success();
}

/// How a stored parameter was re-laid-out, e.g. "transpose(1, 0)".
std::string layoutName(ParamOp param) {
  std::string text;
  if (std::optional<ArrayRef<int64_t>> permutation = param.getPermutation()) {
    llvm::raw_string_ostream os(text);
    os << "transpose(";
    llvm::interleaveComma(*permutation, os);
    os << ")";
  }
  if (std::optional<int64_t> panel = param.getPanel()) {
    text += (text.empty() ? "" : " ") + std::string("panels(") +
            std::to_string(*panel);
    if (std::optional<int64_t> columns = param.getPanelColumns()) {
      // The last panel is padded past the declared columns.
      text += ", columns " + std::to_string(*columns);
    }
    text += ")";
  }
  return text;
}

/// Appends the bytes of `value` (little-endian on the x86-64 hosts Kiln
/// targets).
template <typename T> void appendAs(std::vector<uint8_t> &out, T value) {
  const auto *raw = reinterpret_cast<const uint8_t *>(&value);
  out.insert(out.end(), raw, raw + sizeof(T));
}

/// `values` (a weight source holds floats) as the elements of the integer
/// parameter `param`: i32 or i64, the integer types kiln.param allows. A
/// lookup table must hold integers its type can represent; the seeded
/// initialiser's draws are not.
LogicalResult encodeIntegers(ParamOp param, const std::vector<float> &values,
                             std::vector<uint8_t> &out) {
  Type element = param.getType().getElementType();
  out.clear();
  unsigned width = element.getIntOrFloatBitWidth();
  if (!element.isSignlessInteger() || (width != 32 && width != 64)) {
    return emitError(param.getLoc(), "parameter '")
           << param.getName() << "' of type " << param.getType()
           << " cannot be stored: parameters are f32, i32 or i64";
  }
  // [-2^(w-1), 2^(w-1)): both bounds are exact doubles (2^63 - 1 is not).
  double bound = std::ldexp(1.0, width - 1);
  out.reserve(values.size() * width / 8);
  for (auto [i, value] : llvm::enumerate(values)) {
    if (!std::isfinite(value) || std::nearbyint(value) != value ||
        value < -bound || value >= bound) {
      return emitError(param.getLoc(), "parameter '")
             << param.getName() << "' of type " << param.getType() << " holds "
             << value << " at element " << i
             << ", not an integer of its type (an integer parameter needs "
                "integral values from --weights; the seeded initialiser "
                "draws floats)";
    }
    if (width == 32) {
      appendAs(out, static_cast<int32_t>(value));
    } else {
      appendAs(out, static_cast<int64_t>(value));
    }
  }
  return success();
}

struct BufferPlace {
  fb::BufferKind kind;
  uint32_t index;
  uint64_t offset;
};

} // namespace

/// Whether `type` takes more than the 2^62 bytes the runtime accepts for
/// a tensor (runtime/Tensor.h).
static bool tooLarge(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked || !ranked.hasStaticShape()) {
    return false;
  }
  return tensorBytes(ranked.getShape(), storageElementBytes(ranked)) >
         (uint64_t(1) << 62);
}

/// Checks what the verifiers cannot see op by op: that no value is larger
/// than the runtime's 2^62 bytes (a reshape or broadcast to 2^64 elements
/// wrapped to a small count, and the loader refuses such an input).
static LogicalResult checkValueSizes(func::FuncOp model) {
  for (BlockArgument argument : model.getArguments()) {
    if (tooLarge(argument.getType())) {
      return emitError(argument.getLoc(), "input ")
             << argument.getArgNumber() << ": " << argument.getType()
             << " is too large (more than 2^62 bytes)";
    }
  }
  WalkResult walk = model.walk([&](Operation *op) {
    for (Type type : op->getResultTypes()) {
      if (tooLarge(type)) {
        emitError(op->getLoc(), "'")
            << op->getName() << "' result of type " << type
            << " is too large (more than 2^62 bytes)";
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

LogicalResult checkModelInterface(ModuleOp module) {
  FailureOr<func::FuncOp> model = findCheckedModel(module);
  return failure(failed(model) || failed(checkValueSizes(*model)));
}

LogicalResult checkArtifactSignature(ModuleOp module) {
  FailureOr<func::FuncOp> model = findModelFunction(module);
  if (failed(model)) {
    return failure();
  }
  // After dispatch formation the model holds parameters, views of values
  // (reshapes), dispatches and the return, nothing else.
  for (Operation &op : model->getBody().front()) {
    if (!isa<ParamOp, ReshapeOp, func::ReturnOp>(op) &&
        !isa<exec::ExecDialect>(op.getDialect())) {
      return op.emitError("'")
             << op.getName()
             << "' is not lowered to a dispatch: an artifact needs the graph "
                "pipeline to run to the exec dialect (does --pass-pipeline "
                "include kiln-graph-pipeline?)";
    }
  }
  auto ret = cast<func::ReturnOp>(model->getBody().front().getTerminator());
  if (ret.getNumOperands() == 0) {
    return model->emitError("@")
           << model->getSymName()
           << " returns nothing: an artifact needs at least one output";
  }
  DenseSet<Value> seen;
  for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
    if (!value.getDefiningOp<exec::DispatchOp>() ||
        !seen.insert(value).second) {
      return ret.emitError("output ")
             << i << " must be computed by a dispatch of its own; returning "
             << "an input, a parameter or one value twice is not supported";
    }
  }
  return success();
}

LogicalResult emitArtifact(ModuleOp module, const CompiledKernels &kernels,
                           const CpuTarget &target,
                           const ArtifactOptions &options, StringRef path) {
  if (failed(checkArtifactSignature(module))) {
    return failure();
  }
  func::FuncOp model = *findModelFunction(module);

  flatbuffers::FlatBufferBuilder fbb(1 << 16);
  auto tensorType = [&](Type type) {
    auto ranked = cast<RankedTensorType>(type);
    return fb::CreateTensorType(fbb, dtypeOf(ranked.getElementType()),
                                fbb.CreateVector(ranked.getShape().vec()));
  };
  auto nameOf = [](DictionaryAttr attrs, StringRef fallback, unsigned i) {
    auto name = attrs ? attrs.getAs<StringAttr>("kiln.name") : nullptr;
    return name ? name.getValue().str() : (fallback + Twine(i)).str();
  };
  DenseMap<Value, BufferPlace> places;
  std::vector<flatbuffers::Offset<fb::IoTensor>> inputs, outputs;
  for (BlockArgument arg : model.getArguments()) {
    unsigned i = arg.getArgNumber();
    std::string name = nameOf(model.getArgAttrDict(i), "input", i);
    inputs.push_back(fb::CreateIoTensor(fbb, fbb.CreateString(name),
                                        tensorType(arg.getType())));
    places[arg] = {fb::BufferKind::Input, i, 0};
  }
  auto ret = cast<func::ReturnOp>(model.getBody().front().getTerminator());
  for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
    std::string name = nameOf(model.getResultAttrDict(i), "output", i);
    outputs.push_back(fb::CreateIoTensor(fbb, fbb.CreateString(name),
                                         tensorType(value.getType())));
    places[value] = {fb::BufferKind::Output, static_cast<uint32_t>(i), 0};
  }

  // Constants, in order of first use; one parameter in one layout is
  // stored once however many dispatches read it.
  std::vector<ParamOp> constantParams;
  std::map<std::pair<std::string, std::string>, uint32_t> constantIndex;
  std::vector<exec::DispatchOp> dispatches;
  model.walk([&](exec::DispatchOp op) { dispatches.push_back(op); });
  for (exec::DispatchOp dispatch : dispatches) {
    for (Value arg : dispatch.getArgs()) {
      Value root = storageRoot(arg);
      auto param = root.getDefiningOp<ParamOp>();
      if (!param || places.count(root)) {
        continue;
      }
      auto key = std::make_pair(param.getName().str(), layoutName(param));
      auto [it, inserted] = constantIndex.try_emplace(
          key, static_cast<uint32_t>(constantParams.size()));
      if (inserted) {
        constantParams.push_back(param);
      }
      places[root] = {fb::BufferKind::Constant, it->second, 0};
    }
  }
  SeededWeights seeded;
  WeightSource &weights = options.weights ? *options.weights : seeded;
  // Parameters are stored in their type (encodeIntegers for i32 and i64)
  // and their stored layout, which keeps the element count; their data is made
  // one at a time while the file is written.
  std::vector<uint64_t> constantSizes;
  uint64_t memory = physicalMemoryBytes();
  for (ParamOp param : constantParams) {
    uint64_t bytes = storageBytes(param.getType());
    // Its data is made as floats, and an integer one encoded beside them.
    uint64_t floats = tensorBytes(param.getType().getShape(), sizeof(float));
    uint64_t encoded = param.getType().getElementType().isF32() ? 0 : bytes;
    uint64_t held =
        floats > UINT64_MAX - encoded ? UINT64_MAX : floats + encoded;
    if (memory && held > memory) {
      // It would abort on the allocation.
      return emitError(param.getLoc())
             << "parameter '" << param.getName() << "' takes " << held
             << " bytes, more than this machine's " << memory
             << " bytes of memory (its data is made in memory to be written)";
    }
    constantSizes.push_back(bytes);
  }
  std::vector<uint64_t> executableSizes = {kernels.image.size()};
  rt::StatusOr<rt::ArtifactLayout> layout =
      rt::planArtifactLayout(executableSizes, constantSizes);
  if (!layout.ok()) {
    return emitError(model.getLoc(), layout.status().message());
  }
  std::vector<flatbuffers::Offset<fb::Constant>> constants;
  for (auto [index, param] : llvm::enumerate(constantParams)) {
    fb::BlobRef blob(layout->constants[index].offset,
                     layout->constants[index].size);
    constants.push_back(
        fb::CreateConstant(fbb, fbb.CreateString(param.getName().str()),
                           tensorType(param.getType()), &blob,
                           fbb.CreateString(layoutName(param))));
  }

  std::vector<flatbuffers::Offset<fb::Dispatch>> dispatchTables;
  std::map<int64_t, std::vector<uint32_t>> regions;
  for (auto [d, dispatch] : llvm::enumerate(dispatches)) {
    std::optional<ArrayRef<int64_t>> grid = dispatch.getGrid();
    std::optional<ArrayRef<int64_t>> offsets = dispatch.getResultOffsets();
    if (!grid || !offsets || !dispatch.getScheduleRegion()) {
      return dispatch.emitOpError("expects grid, result_offsets and "
                                  "schedule_region; the graph pipeline did "
                                  "not run to the end");
    }
    for (auto [result, offset] : llvm::zip(dispatch.getResults(), *offsets)) {
      if (offset >= 0) {
        places[result] = {fb::BufferKind::Arena, 0,
                          static_cast<uint64_t>(offset)};
      }
    }
    std::vector<flatbuffers::Offset<fb::BufferRef>> bindings;
    SmallVector<Value> bound(dispatch.getArgs());
    bound.append(dispatch.getResults().begin(), dispatch.getResults().end());
    for (Value value : bound) {
      // A reshape is a view: it binds its root's bytes.
      auto it = places.find(storageRoot(value));
      if (it == places.end()) {
        return dispatch.emitOpError("reads a value that is not an input, a "
                                    "parameter or a dispatch result");
      }
      bindings.push_back(fb::CreateBufferRef(
          fbb, it->second.kind, it->second.index, it->second.offset,
          storageBytes(cast<RankedTensorType>(value.getType()))));
    }
    StringRef callee = dispatch.getCallee();
    auto exportIt = llvm::find(kernels.exports, callee.str());
    if (exportIt == kernels.exports.end()) {
      return dispatch.emitOpError("has no compiled kernel");
    }
    auto executable = SymbolTable::lookupNearestSymbolFrom<exec::ExecutableOp>(
        dispatch, dispatch.getCalleeAttr());
    auto scratch = kernels.scratchSize.find(callee.str());
    // The artifact and the kernel ABI count workgroups in 32 bits.
    for (auto [axis, count] : llvm::enumerate(*grid)) {
      if (count > std::numeric_limits<uint32_t>::max()) {
        return emitError(dispatch.getLoc())
               << "dispatch " << d << " (" << dispatch.getRoot() << ") needs "
               << count << " workgroups along grid axis " << axis
               << ", more than an artifact holds (2^32 - 1)";
      }
    }
    std::vector<uint32_t> gridValues(grid->begin(), grid->end());
    dispatchTables.push_back(fb::CreateDispatch(
        fbb,
        fbb.CreateString((model.getSymName() + "_" + Twine(d) + "_" +
                          dispatch.getRoot()
                              .drop_until([](char c) { return c == '.'; })
                              .drop_front())
                             .str()),
        /*executable=*/0,
        static_cast<uint32_t>(exportIt - kernels.exports.begin()),
        fbb.CreateVector(gridValues), fbb.CreateVector(bindings),
        scratch == kernels.scratchSize.end() ? 0 : scratch->second,
        fbb.CreateString(dispatch.getRoot().str()),
        fbb.CreateString(formatSourceLocation(dispatch.getLoc())),
        estimateFlops(executable.getFunction())));
    int64_t region = static_cast<int64_t>(*dispatch.getScheduleRegion());
    regions[region].push_back(static_cast<uint32_t>(d));
  }
  std::vector<flatbuffers::Offset<fb::Region>> regionTables;
  for (auto &[index, members] : regions) {
    (void)index;
    regionTables.push_back(fb::CreateRegion(fbb, fbb.CreateVector(members)));
  }

  std::vector<flatbuffers::Offset<flatbuffers::String>> exportNames;
  for (const std::string &name : kernels.exports) {
    exportNames.push_back(fbb.CreateString(name));
  }
  fb::BlobRef image(layout->executables[0].offset, layout->executables[0].size);
  auto executable =
      fb::CreateExecutable(fbb, fbb.CreateString("elf-shared-object"), &image,
                           fbb.CreateVector(exportNames));
  std::vector<flatbuffers::Offset<flatbuffers::String>> features;
  for (const std::string &feature : target.requiredFeatures) {
    features.push_back(fbb.CreateString(feature));
  }
  auto targetTable = fb::CreateTarget(fbb, fbb.CreateString(target.triple),
                                      fbb.CreateString(target.cpu),
                                      fbb.CreateVector(features));
  auto arenaSize = model->getAttrOfType<IntegerAttr>("exec.arena_size");
  auto artifact = fb::CreateArtifact(
      fbb, fbb.CreateString(options.producer),
      fbb.CreateString(model.getSymName().str()), targetTable,
      fbb.CreateVector(inputs), fbb.CreateVector(outputs),
      fbb.CreateVector(std::vector<decltype(executable)>{executable}),
      fbb.CreateVector(constants), fbb.CreateVector(dispatchTables),
      fbb.CreateVector(regionTables), arenaSize ? arenaSize.getInt() : 0);
  fb::FinishArtifactBuffer(fbb, artifact);

  std::vector<rt::Span<const uint8_t>> executableBlobs = {
      {reinterpret_cast<const uint8_t *>(kernels.image.data()),
       kernels.image.size()}};
  std::vector<float> currentFloats, scratch;
  std::vector<uint8_t> currentIntegers;
  auto produce = [&](size_t index) -> rt::StatusOr<rt::Span<const uint8_t>> {
    ParamOp param = constantParams[index];
    bool floats = param.getType().getElementType().isF32();
    if (failed(materialize(param, weights, currentFloats, scratch)) ||
        (!floats &&
         failed(encodeIntegers(param, currentFloats, currentIntegers)))) {
      return rt::makeError(rt::StatusCode::InvalidArgument, "parameter '",
                           param.getName().str(), "' could not be loaded");
    }
    if (!floats) {
      return rt::Span<const uint8_t>(currentIntegers.data(),
                                     currentIntegers.size());
    }
    return rt::Span<const uint8_t>(
        reinterpret_cast<const uint8_t *>(currentFloats.data()),
        currentFloats.size() * sizeof(float));
  };
  // Should the process die while writing (killed, or out of memory), the
  // temporary file goes with it: LLVM's signal handlers remove it.
  auto temporary = [](const std::string &file, bool live) {
    if (live) {
      (void)llvm::sys::RemoveFileOnSignal(file);
    } else {
      llvm::sys::DontRemoveFileOnSignal(file);
    }
  };
  rt::Status written = rt::writeArtifact(
      path.str(), *layout, {fbb.GetBufferPointer(), fbb.GetSize()},
      executableBlobs, produce, options.onWeightsWritten, temporary);
  if (!written.ok()) {
    return emitError(model.getLoc(), written.message());
  }
  return success();
}

} // namespace kiln
