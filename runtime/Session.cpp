//===- Session.cpp - Running a loaded program -----------------------------===//
//
// Kernel arguments are prepared once per session: every dispatch gets a
// kiln_dispatch_state_t pointing into one flat array of binding addresses.
// Arena and constant addresses never change; input and output addresses are
// patched in at the start of each run from a precomputed list. A run is then
// a loop over regions, each a parallel_for over the region's flattened tiles
// followed by the implicit barrier of parallel_for returning. With a Tracer,
// the same loops run as a second template instantiation that reads the
// clock around every stretch of one dispatch's tiles; the untraced
// instantiation has no clock reads and no tracer calls at all.
//
//===----------------------------------------------------------------------===//

#include "runtime/Session.h"

#include "runtime/ExecutionPlan.h"

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <tuple>

namespace kiln::rt {

namespace {

/// The most threads one session may ask for.
constexpr int kMaxThreads = 1024;

/// Makes sure oneTBB lets at least `threads` threads run. oneTBB applies the
/// smallest active max_allowed_parallelism, so one process-wide control is
/// kept and replaced by a larger one when a session asks for more. If the
/// application set a lower limit itself, that limit wins.
void ensureParallelism(int threads) {
  static std::mutex mutex;
  // Never destroyed: it must outlive every session, including static ones.
  static auto *control = new std::unique_ptr<tbb::global_control>();
  std::lock_guard<std::mutex> lock(mutex);
  size_t current = tbb::global_control::active_value(
      tbb::global_control::max_allowed_parallelism);
  if (static_cast<size_t>(threads) <= current) {
    return;
  }
  auto raised = std::make_unique<tbb::global_control>(
      tbb::global_control::max_allowed_parallelism, threads);
  control->swap(raised);
}

/// An input or output binding whose address changes from run to run.
struct IoPatch {
  uint32_t slot;
  bool output;
  uint32_t index;
  uint64_t offset;
};

/// The first kernel failure of a run.
struct Failure {
  std::atomic<bool> happened{false};
  std::atomic<bool> claimed{false};
  uint32_t dispatch = 0;
  int32_t code = 0;
  uint32_t id[3] = {0, 0, 0};
};

} // namespace

struct Session::Impl {
  std::shared_ptr<const Program> program;
  const ExecutionPlan *plan = nullptr;
  int threads = 1;
  bool inlineExecution = false;
  AlignedBuffer arena;
  std::vector<AlignedBuffer> scratch;
  std::vector<void *> bindingAddresses;
  std::vector<uint64_t> bindingLengths;
  std::vector<kiln_dispatch_state_t> states;
  std::vector<IoPatch> patches;
  std::unique_ptr<tbb::task_arena> taskArena;
  std::atomic<bool> busy{false};
  Failure failure;

  Status checkArguments(Span<const TensorView> inputs,
                        Span<const MutableTensorView> outputs) const;
  /// Runs workgroup `local` of dispatch `index`; false if the kernel failed.
  bool runTile(uint32_t index, uint64_t local, size_t worker);
  template <bool Traced>
  bool runTiles(const RegionPlan &region, uint32_t regionIndex, uint64_t begin,
                uint64_t end, size_t worker, Tracer *tracer);
  template <bool Traced>
  void runRegion(const RegionPlan &region, uint32_t regionIndex,
                 Tracer *tracer);
  template <bool Traced> void runRegions(Tracer *tracer);
};

/// Does all allocation a run needs, so that run() itself allocates nothing.
StatusOr<std::unique_ptr<Session>>
Session::create(std::shared_ptr<const Program> program,
                const SessionOptions &options) {
  if (!program) {
    return Status(StatusCode::InvalidArgument, "session needs a program");
  }
  if (options.threads < 0 || options.threads > kMaxThreads) {
    return makeError(StatusCode::InvalidArgument, "thread count ",
                     options.threads, " is outside 0 to ", kMaxThreads);
  }
  auto impl = std::make_unique<Impl>();
  impl->plan = &program->plan();
  impl->program = std::move(program);
  impl->inlineExecution = options.inlineExecution;
  impl->threads = options.inlineExecution ? 1
                  : options.threads       ? options.threads
                                          : tbb::info::default_concurrency();
  const ExecutionPlan &plan = *impl->plan;

  StatusOr<AlignedBuffer> arena =
      AlignedBuffer::allocate(plan.arenaSize, "the activation arena");
  if (!arena.ok()) {
    return arena.status();
  }
  impl->arena = std::move(arena).value();
  for (int i = 0; i < impl->threads && plan.maxScratchSize; ++i) {
    StatusOr<AlignedBuffer> buffer =
        AlignedBuffer::allocate(plan.maxScratchSize, "a scratch buffer");
    if (!buffer.ok()) {
      return buffer.status();
    }
    impl->scratch.push_back(std::move(buffer).value());
  }

  // Bind everything that stays fixed; remember where inputs and outputs go.
  impl->bindingAddresses.resize(plan.bindings.size());
  impl->bindingLengths.resize(plan.bindings.size());
  for (size_t slot = 0; slot < plan.bindings.size(); ++slot) {
    const BindingPlan &binding = plan.bindings[slot];
    impl->bindingLengths[slot] = binding.size;
    switch (binding.kind) {
    case BindingKind::Input:
    case BindingKind::Output:
      impl->patches.push_back({static_cast<uint32_t>(slot),
                               binding.kind == BindingKind::Output,
                               binding.index, binding.offset});
      break;
    case BindingKind::Constant:
      // Kernels never write constants; the ABI has one pointer type.
      impl->bindingAddresses[slot] = const_cast<uint8_t *>(binding.constant);
      break;
    case BindingKind::Arena:
      impl->bindingAddresses[slot] = impl->arena.data() + binding.offset;
      break;
    }
  }
  for (const DispatchPlan &dispatch : plan.dispatches) {
    kiln_dispatch_state_t state = {};
    state.bindings = impl->bindingAddresses.data() + dispatch.firstBinding;
    state.binding_lengths = impl->bindingLengths.data() + dispatch.firstBinding;
    state.push_constants = nullptr;
    state.binding_count = dispatch.bindingCount;
    state.push_constant_count = 0;
    std::copy(dispatch.grid, dispatch.grid + 3, state.grid);
    impl->states.push_back(state);
  }

  if (!impl->inlineExecution) {
    ensureParallelism(impl->threads);
    impl->taskArena = std::make_unique<tbb::task_arena>(impl->threads);
    impl->taskArena->initialize();
  }
  return std::unique_ptr<Session>(new Session(std::move(impl)));
}

Session::Session(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
Session::~Session() = default;

int Session::threadCount() const { return impl->threads; }

const Program &Session::program() const { return *impl->program; }

/// Allocates fresh tensors; callers that run repeatedly allocate once.
StatusOr<std::vector<Tensor>> Session::allocateOutputs() const {
  std::vector<Tensor> tensors;
  for (const TensorSpec &spec : impl->program->outputs()) {
    StatusOr<Tensor> tensor = Tensor::create(spec.dtype, spec.shape);
    if (!tensor.ok()) {
      return tensor.status().withContext("output '" + spec.name + "'");
    }
    tensors.push_back(std::move(tensor).value());
  }
  return tensors;
}

/// Checks counts, dtypes, shapes and pointers; every message names the
/// tensor. Shapes must match exactly: the artifact was compiled for them.
Status
Session::Impl::checkArguments(Span<const TensorView> inputs,
                              Span<const MutableTensorView> outputs) const {
  auto check = [](const char *kind, const std::vector<TensorSpec> &specs,
                  size_t count, auto viewAt) -> Status {
    if (count != specs.size()) {
      return makeError(StatusCode::InvalidArgument, "expected ", specs.size(),
                       " ", kind, "s, got ", count);
    }
    for (size_t i = 0; i < count; ++i) {
      const TensorSpec &spec = specs[i];
      auto [dtype, shape, data] = viewAt(i);
      if (dtype != spec.dtype ||
          !std::equal(shape.begin(), shape.end(), spec.shape.begin(),
                      spec.shape.end())) {
        return makeError(StatusCode::InvalidArgument, kind, " '", spec.name,
                         "': expected ",
                         formatTensorType(spec.dtype, spec.shape), ", got ",
                         formatTensorType(dtype, shape));
      }
      if (!data && spec.byteSize) {
        return makeError(StatusCode::InvalidArgument, kind, " '", spec.name,
                         "': data pointer is null");
      }
    }
    return Status();
  };
  const Program &prog = *program;
  KILN_RETURN_IF_ERROR(
      check("input", prog.inputs(), inputs.size(), [&](size_t i) {
        return std::make_tuple(inputs[i].dtype, inputs[i].shape,
                               static_cast<const void *>(inputs[i].data));
      }));
  KILN_RETURN_IF_ERROR(
      check("output", prog.outputs(), outputs.size(), [&](size_t i) {
        return std::make_tuple(outputs[i].dtype, outputs[i].shape,
                               static_cast<const void *>(outputs[i].data));
      }));
  // Kernels read their inputs while they write their results, and the
  // compiler assumes a dispatch's bindings never overlap
  // (kiln-cpu-hoist-invariant-loads): an output may share memory with
  // nothing else.
  auto overlaps = [](const void *a, uint64_t aSize, const void *b,
                     uint64_t bSize) {
    auto aBegin = reinterpret_cast<uintptr_t>(a);
    auto bBegin = reinterpret_cast<uintptr_t>(b);
    return aSize && bSize && aBegin < bBegin + bSize && bBegin < aBegin + aSize;
  };
  for (size_t o = 0; o < outputs.size(); ++o) {
    const TensorSpec &out = prog.outputs()[o];
    auto apart = [&](const char *kind, const TensorSpec &other,
                     const void *data) {
      if (!overlaps(outputs[o].data, out.byteSize, data, other.byteSize)) {
        return Status();
      }
      return makeError(StatusCode::InvalidArgument, "output '", out.name,
                       "' overlaps ", kind, " '", other.name,
                       "': outputs must not share memory");
    };
    for (size_t i = 0; i < inputs.size(); ++i) {
      KILN_RETURN_IF_ERROR(apart("input", prog.inputs()[i], inputs[i].data));
    }
    for (size_t p = 0; p < o; ++p) {
      KILN_RETURN_IF_ERROR(apart("output", prog.outputs()[p], outputs[p].data));
    }
  }
  return Status();
}

/// Decomposes `local` x fastest and calls the kernel with this worker's
/// scratch. Only the first failure of a run is recorded.
bool Session::Impl::runTile(uint32_t index, uint64_t local, size_t worker) {
  const DispatchPlan &dispatch = plan->dispatches[index];
  kiln_workgroup_state_t workgroup = {};
  uint64_t gx = dispatch.grid[0], gy = dispatch.grid[1];
  workgroup.id[0] = static_cast<uint32_t>(local % gx);
  workgroup.id[1] = static_cast<uint32_t>((local / gx) % gy);
  workgroup.id[2] = static_cast<uint32_t>(local / (gx * gy));
  if (!scratch.empty()) {
    workgroup.scratch = scratch[worker].data();
    workgroup.scratch_size = scratch[worker].size();
  }
  int32_t code = dispatch.function(&states[index], &workgroup);
  if (code == 0) {
    return true;
  }
  failure.happened.store(true, std::memory_order_relaxed);
  if (!failure.claimed.exchange(true)) {
    failure.dispatch = index;
    failure.code = code;
    std::copy(workgroup.id, workgroup.id + 3, failure.id);
  }
  return false;
}

/// Runs tiles [begin, end) of a region, in order, one dispatch's stretch at
/// a time; false once a kernel failed. The untraced instantiation reads no
/// clock and makes no calls beyond the kernels.
template <bool Traced>
bool Session::Impl::runTiles(const RegionPlan &region, uint32_t regionIndex,
                             uint64_t begin, uint64_t end, size_t worker,
                             Tracer *tracer) {
  size_t i =
      std::upper_bound(region.tileEnds.begin(), region.tileEnds.end(), begin) -
      region.tileEnds.begin();
  for (uint64_t tile = begin; tile < end; ++i) {
    uint32_t index = region.dispatches[i];
    uint64_t first = i ? region.tileEnds[i - 1] : 0;
    uint64_t stop = std::min(end, region.tileEnds[i]);
    int64_t startNs = Traced ? traceClockNs() : 0;
    uint64_t next = tile;
    bool ok = true;
    for (; next < stop; ++next) {
      if (!runTile(index, next - first, worker)) {
        ok = false;
        break;
      }
    }
    if constexpr (Traced) {
      tracer->dispatchRan({regionIndex, index, tile - first, next - tile,
                           static_cast<uint32_t>(worker), startNs,
                           traceClockNs()});
    }
    if (!ok) {
      return false;
    }
    tile = stop;
  }
  return true;
}

/// Runs one region: inline on the calling thread, or on the task arena.
/// Grain 1 lets TBB split down to single tiles, which matters when a region
/// has few, large workgroups; each chunk finds its first dispatch once and
/// then walks forward.
template <bool Traced>
void Session::Impl::runRegion(const RegionPlan &region, uint32_t regionIndex,
                              Tracer *tracer) {
  if (inlineExecution) {
    runTiles<Traced>(region, regionIndex, 0, region.tileCount, 0, tracer);
    return;
  }
  auto body = [&](const tbb::blocked_range<uint64_t> &range) {
    if (failure.happened.load(std::memory_order_relaxed)) {
      return;
    }
    int worker = tbb::this_task_arena::current_thread_index();
    if (worker < 0 || worker >= threads) {
      worker = 0; // Not reachable inside our arena; stay in bounds anyway.
    }
    runTiles<Traced>(region, regionIndex, range.begin(), range.end(),
                     static_cast<size_t>(worker), tracer);
  };
  taskArena->execute([&] {
    tbb::parallel_for(tbb::blocked_range<uint64_t>(0, region.tileCount, 1),
                      body);
  });
}

/// Regions run in order; a region starts only after every tile of the one
/// before has finished (parallel_for returning is the barrier).
template <bool Traced> void Session::Impl::runRegions(Tracer *tracer) {
  for (size_t r = 0; r < plan->regions.size(); ++r) {
    int64_t startNs = Traced ? traceClockNs() : 0;
    runRegion<Traced>(plan->regions[r], static_cast<uint32_t>(r), tracer);
    if constexpr (Traced) {
      tracer->regionRan({static_cast<uint32_t>(r), startNs, traceClockNs()});
    }
    if (failure.happened.load()) {
      break;
    }
  }
}

/// Binds the caller's tensors, then runs every region; a failed kernel
/// stops the run after its region.
Status Session::run(Span<const TensorView> inputs,
                    Span<const MutableTensorView> outputs, Tracer *tracer) {
  if (impl->busy.exchange(true)) {
    return Status(StatusCode::InvalidArgument,
                  "the session is already running; use one session per "
                  "concurrent caller");
  }
  struct BusyReset {
    std::atomic<bool> &busy;
    ~BusyReset() { busy.store(false); }
  } reset{impl->busy};

  KILN_RETURN_IF_ERROR(impl->checkArguments(inputs, outputs));
  for (const IoPatch &patch : impl->patches) {
    auto *base = patch.output
                     ? static_cast<uint8_t *>(outputs[patch.index].data)
                     : static_cast<uint8_t *>(
                           const_cast<void *>(inputs[patch.index].data));
    impl->bindingAddresses[patch.slot] = base + patch.offset;
  }

  Failure &failure = impl->failure;
  failure.happened.store(false);
  failure.claimed.store(false);
  try {
    if (tracer) {
      impl->runRegions<true>(tracer);
    } else {
      impl->runRegions<false>(nullptr);
    }
  } catch (const std::exception &e) {
    return makeError(StatusCode::Internal, "execution failed: ", e.what());
  }
  if (failure.happened.load()) {
    return makeError(StatusCode::KernelFailure, "dispatch '",
                     *impl->plan->dispatches[failure.dispatch].name,
                     "' failed with code ", failure.code, " at workgroup (",
                     failure.id[0], ",", failure.id[1], ",", failure.id[2],
                     ")");
  }
  return Status();
}

} // namespace kiln::rt
