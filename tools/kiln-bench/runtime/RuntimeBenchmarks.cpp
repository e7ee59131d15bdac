//===- RuntimeBenchmarks.cpp - kiln-bench-runtime: what the runtime costs -===//
//
// Google Benchmark program that measures the runtime itself, on artifacts
// of trivial kernels (BenchArtifacts.h) written to a temporary directory:
//
//   DispatchOverhead  1,000 trivial dispatches per run, in one region or in
//                     1,000 regions of one; inline executor and oneTBB on 1
//                     and 2 threads. Reported per dispatch (target <= 2 us).
//   LoadProgram       Program::load of an artifact with 1 GiB of weights
//                     (--weights-mb), target <= 20 ms; then checks that the
//                     weights are bound in place from the read-only file
//                     mapping, not copied.
//   ConcurrentSessions  1 or 64 sessions of one loaded program running at
//                     once on std::threads, every output compared with a
//                     single inline invocation.
//   ThreadCounts      one session on 1, 2 and 4 threads, outputs compared
//                     with the same reference.
//
// A failed correctness check prints FAILED, marks the benchmark as errored
// and makes the program exit with 1. A summary with the targets and ratios
// follows the benchmark table.
//
//===----------------------------------------------------------------------===//

#include "BenchArtifacts.h"

#include "runtime/ExecutionPlan.h"
#include "runtime/Session.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

using namespace kiln::rt;

namespace {

using Clock = std::chrono::steady_clock;

/// Dispatches per run of the overhead artifacts.
constexpr uint32_t kDispatches = 1000;
/// Elements and workgroups of the concurrency model; distinct input sets.
constexpr int64_t kMixElements = 16384;
constexpr uint32_t kMixWorkgroups = 16;
constexpr int kInputSets = 8;
/// Runs each concurrent session does per benchmark iteration.
constexpr int kRunsPerThread = 4;

/// State shared by the benchmarks and the summary.
struct Context {
  std::string dir;
  uint64_t weightBytes = uint64_t(1) << 30;
  std::atomic<int> failures{0};
  std::mutex mutex;
  /// Summary values by key; the last (final) invocation of a benchmark wins.
  std::map<std::string, double> results;
  std::map<std::string, std::string> artifacts;
} context;

void record(const std::string &key, double value) {
  std::lock_guard<std::mutex> lock(context.mutex);
  context.results[key] = value;
}

/// A failed check: loud on stderr, an error in the table, exit code 1.
void fail(benchmark::State &state, const std::string &message) {
  ++context.failures;
  std::fprintf(stderr, "kiln-bench-runtime: FAILED: %s\n", message.c_str());
  state.SkipWithError(message.c_str());
}

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Writes artifact `name` once per process and returns its path.
std::string artifact(const std::string &name,
                     const std::function<Status(const std::string &)> &write) {
  std::lock_guard<std::mutex> lock(context.mutex);
  auto it = context.artifacts.find(name);
  if (it != context.artifacts.end()) {
    return it->second;
  }
  std::string path = context.dir + "/" + name + ".kbin";
  Status status = write(path);
  if (!status.ok()) {
    std::fprintf(stderr, "kiln-bench-runtime: %s\n", status.message().c_str());
    std::exit(1);
  }
  return context.artifacts[name] = path;
}

/// Loads `path`; a failure ends the program (nothing can be measured).
std::shared_ptr<const Program> loadProgram(const std::string &path) {
  StatusOr<std::shared_ptr<const Program>> program = Program::load(path);
  if (!program.ok()) {
    std::fprintf(stderr, "kiln-bench-runtime: %s\n",
                 program.status().message().c_str());
    std::exit(1);
  }
  return *program;
}

//===----------------------------------------------------------------------===//
// (a) Overhead per dispatch
//===----------------------------------------------------------------------===//

const char *const kExecutors[] = {"inline", "tbb x1", "tbb x2"};
const char *const kLayouts[] = {"1 region x 1000", "1000 regions x 1"};

void BM_DispatchOverhead(benchmark::State &state) {
  int layout = static_cast<int>(state.range(0));
  int executor = static_cast<int>(state.range(1));
  std::string path = artifact(
      layout ? "chain_regions" : "chain_one_region", [&](const std::string &p) {
        return bench::writeDispatchChain(p, kDispatches, layout == 0);
      });
  std::shared_ptr<const Program> program = loadProgram(path);
  SessionOptions options{executor ? executor : 1, executor == 0};
  std::unique_ptr<Session> session =
      std::move(Session::create(program, options)).value();
  if (!session->run({}, {}).ok()) {
    return fail(state, "the dispatch chain does not run");
  }
  Clock::time_point start = Clock::now();
  for (auto _ : state) {
    Status status = session->run({}, {});
    if (!status.ok()) {
      return fail(state, status.message());
    }
  }
  double perDispatchUs = secondsSince(start) * 1e6 /
                         static_cast<double>(state.iterations()) / kDispatches;
  state.counters["us_per_dispatch"] = perDispatchUs;
  state.SetLabel(std::string(kLayouts[layout]) + ", " + kExecutors[executor]);
  record("dispatch/" + std::to_string(layout) + "/" + std::to_string(executor),
         perDispatchUs);
}

//===----------------------------------------------------------------------===//
// (b) Load time and weights in place
//===----------------------------------------------------------------------===//

/// VmRSS of this process in bytes.
uint64_t residentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
    }
  }
  return 0;
}

/// Whether `address` lies in a read-only, file-backed mapping of `path`.
bool inReadOnlyMappingOf(const void *address, const std::string &path) {
  std::string wanted = std::filesystem::canonical(path).string();
  std::ifstream maps("/proc/self/maps");
  std::string line;
  auto at = reinterpret_cast<uintptr_t>(address);
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::string range, perms, offset, device, inode, file;
    fields >> range >> perms >> offset >> device >> inode >> file;
    uintptr_t begin = std::stoull(range, nullptr, 16);
    uintptr_t end = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
    if (file == wanted && at >= begin && at < end) {
      return perms[0] == 'r' && perms[1] == '-';
    }
  }
  return false;
}

/// Loads the weights artifact and proves the weights are not copied: every
/// constant binding points into a read-only mapping of the file, the kernel
/// receives exactly that address, and memory barely grows.
void checkWeightsInPlace(benchmark::State &state, const std::string &path) {
  uint64_t before = residentBytes();
  std::shared_ptr<const Program> program = loadProgram(path);
  const void *bound = nullptr;
  for (const BindingPlan &binding : program->plan().bindings) {
    if (binding.kind != BindingKind::Constant) {
      continue;
    }
    bound = binding.constant;
    if (!inReadOnlyMappingOf(binding.constant, path)) {
      return fail(state, "a constant is bound outside the read-only mapping "
                         "of the artifact: the weights were copied");
    }
  }
  std::unique_ptr<Session> session =
      std::move(Session::create(program, {1, true})).value();
  int64_t address = 0;
  int64_t shape[] = {1};
  MutableTensorView output{DType::I64, shape, &address};
  if (!session->run({}, {&output, 1}).ok() ||
      address != static_cast<int64_t>(reinterpret_cast<uintptr_t>(bound))) {
    return fail(state, "the kernel did not receive the mapped weights");
  }
  double grownMiB =
      (static_cast<double>(residentBytes()) - static_cast<double>(before)) /
      (1 << 20);
  if (grownMiB > 64) {
    return fail(state, "resident memory grew by " + std::to_string(grownMiB) +
                           " MiB on load: the weights were copied");
  }
  record("weights/in_place", 1);
  record("weights/rss_growth_mib", grownMiB);
}

void BM_LoadProgram(benchmark::State &state) {
  std::string path = artifact("weights", [](const std::string &p) {
    return bench::writeWeightsModel(p, context.weightBytes);
  });
  double total = 0;
  for (auto _ : state) {
    Clock::time_point start = Clock::now();
    StatusOr<std::shared_ptr<const Program>> program = Program::load(path);
    double seconds = secondsSince(start);
    if (!program.ok()) {
      return fail(state, program.status().message());
    }
    // Unloading (dlclose, munmap) happens after the timed part.
    state.SetIterationTime(seconds);
    total += seconds;
  }
  double ms = total * 1e3 / static_cast<double>(state.iterations());
  state.counters["ms_per_load"] = ms;
  state.SetLabel(std::to_string(context.weightBytes >> 20) + " MiB of weights");
  record("load/ms", ms);
  checkWeightsInPlace(state, path);
}

//===----------------------------------------------------------------------===//
// (c) Concurrency and determinism
//===----------------------------------------------------------------------===//

/// The concurrency model, its input sets and their reference outputs, each
/// computed by a single inline invocation.
struct MixFixture {
  std::shared_ptr<const Program> program;
  std::vector<Tensor> inputs, references;

  MixFixture() {
    program = loadProgram(artifact("mix", [](const std::string &p) {
      return bench::writeMixModel(p, kMixElements, kMixWorkgroups);
    }));
    std::unique_ptr<Session> single =
        std::move(Session::create(program, {1, true})).value();
    for (int set = 0; set < kInputSets; ++set) {
      Tensor x = std::move(Tensor::create(DType::F32, {kMixElements})).value();
      for (int64_t i = 0; i < kMixElements; ++i) {
        x.dataAs<float>()[i] =
            static_cast<float>((i * 37 + set * 101) % 200) / 100.0f - 1.0f;
      }
      Tensor y = std::move(Tensor::create(DType::F32, {kMixElements})).value();
      TensorView in = x.view();
      MutableTensorView out = y.mutableView();
      if (!single->run({&in, 1}, {&out, 1}).ok()) {
        std::fprintf(stderr, "kiln-bench-runtime: the mix model fails\n");
        std::exit(1);
      }
      inputs.push_back(std::move(x));
      references.push_back(std::move(y));
    }
  }

  /// Runs `session` on input set `set` into `y`; whether it succeeded and
  /// matched the reference bit for bit.
  bool runAndCompare(Session &session, int set, Tensor &y) const {
    TensorView in = inputs[set].view();
    MutableTensorView out = y.mutableView();
    return session.run({&in, 1}, {&out, 1}).ok() &&
           std::memcmp(y.data(), references[set].data(), y.byteSize()) == 0;
  }
};

const MixFixture &mixFixture() {
  static const MixFixture fixture;
  return fixture;
}

void BM_ConcurrentSessions(benchmark::State &state) {
  const MixFixture &mix = mixFixture();
  size_t count = static_cast<size_t>(state.range(0));
  std::vector<std::unique_ptr<Session>> sessions;
  std::vector<Tensor> outputs;
  for (size_t s = 0; s < count; ++s) {
    sessions.push_back(
        std::move(Session::create(mix.program, {1, false})).value());
    outputs.push_back(
        std::move(Tensor::create(DType::F32, {kMixElements})).value());
  }
  std::atomic<uint64_t> mismatches{0};
  Clock::time_point start = Clock::now();
  for (auto _ : state) {
    std::vector<std::thread> threads;
    for (size_t s = 0; s < count; ++s) {
      // Neighbouring sessions use different inputs, so a shared buffer
      // between sessions would show up as a mismatch.
      threads.emplace_back([&, s] {
        int set = static_cast<int>(s % kInputSets);
        for (int r = 0; r < kRunsPerThread; ++r) {
          if (!mix.runAndCompare(*sessions[s], set, outputs[s])) {
            ++mismatches;
          }
        }
      });
    }
    for (std::thread &thread : threads) {
      thread.join();
    }
  }
  double seconds = secondsSince(start);
  uint64_t runs = state.iterations() * count * kRunsPerThread;
  if (mismatches) {
    return fail(state, std::to_string(mismatches.load()) + " of " +
                           std::to_string(runs) +
                           " concurrent runs differ "
                           "from a single invocation");
  }
  state.SetItemsProcessed(static_cast<int64_t>(runs));
  state.SetLabel(std::to_string(count) + " sessions x 1 thread, one program");
  record("concurrent/" + std::to_string(count), runs / seconds);
  record("concurrent/" + std::to_string(count) + "/runs",
         static_cast<double>(runs));
}

void BM_ThreadCounts(benchmark::State &state) {
  const MixFixture &mix = mixFixture();
  int threads = static_cast<int>(state.range(0));
  std::unique_ptr<Session> session =
      std::move(Session::create(mix.program, {threads, false})).value();
  Tensor y = std::move(Tensor::create(DType::F32, {kMixElements})).value();
  Clock::time_point start = Clock::now();
  for (auto _ : state) {
    if (!mix.runAndCompare(*session, 0, y)) {
      return fail(state, "the output on " + std::to_string(threads) +
                             " threads differs from a single inline run");
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::to_string(threads) + " threads, checked bit-identical");
  record("threads/" + std::to_string(threads),
         static_cast<double>(state.iterations()) / secondsSince(start));
}

BENCHMARK(BM_DispatchOverhead)
    ->ArgsProduct({{0, 1}, {0, 1, 2}})
    ->ArgNames({"layout", "executor"})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LoadProgram)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConcurrentSessions)
    ->Arg(1)
    ->Arg(64)
    ->ArgName("sessions")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ThreadCounts)
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->ArgName("threads")
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

//===----------------------------------------------------------------------===//
// Summary
//===----------------------------------------------------------------------===//

/// The recorded value of `key`, or a negative number if it did not run.
double result(const std::string &key) {
  auto it = context.results.find(key);
  return it == context.results.end() ? -1 : it->second;
}

void printSummary() {
  std::printf("\nkiln-bench-runtime summary\n");
  if (result("dispatch/0/0") >= 0 || result("dispatch/1/0") >= 0) {
    std::printf("  overhead per dispatch, %u trivial dispatches per run "
                "(target <= 2 us):\n%-22s",
                kDispatches, "");
    for (const char *executor : kExecutors) {
      std::printf("%12s", executor);
    }
    double worst = 0;
    for (int layout = 0; layout < 2; ++layout) {
      std::printf("\n    %-18s", kLayouts[layout]);
      for (int executor = 0; executor < 3; ++executor) {
        double us = result("dispatch/" + std::to_string(layout) + "/" +
                           std::to_string(executor));
        worst = std::max(worst, us);
        if (us < 0) {
          std::printf("%12s", "-");
        } else {
          std::printf("%9.3f us", us);
        }
      }
    }
    std::printf("\n    %-18s", "regions / 1 region");
    for (int executor = 0; executor < 3; ++executor) {
      double one = result("dispatch/0/" + std::to_string(executor));
      double each = result("dispatch/1/" + std::to_string(executor));
      if (one > 0 && each > 0) {
        std::printf("%11.2fx", each / one);
      } else {
        std::printf("%12s", "-");
      }
    }
    std::printf("\n    worst case %.3f us per dispatch: target %s\n", worst,
                worst <= 2.0 ? "met" : "MISSED");
  }
  if (double ms = result("load/ms"); ms >= 0) {
    std::printf("  load with %llu MiB of weights: %.3f ms (target <= 20 ms: "
                "%s); weights bound in place from the read-only mapping: %s "
                "(resident memory +%.1f MiB)\n",
                static_cast<unsigned long long>(context.weightBytes >> 20), ms,
                ms <= 20 ? "met" : "MISSED",
                result("weights/in_place") > 0 ? "yes" : "NO",
                result("weights/rss_growth_mib"));
  }
  double one = result("concurrent/1"), many = result("concurrent/64");
  if (one > 0 && many > 0) {
    std::printf("  64 concurrent sessions of one program: %.0f runs/s vs %.0f "
                "runs/s for 1 session (%.2fx on %u CPUs); %.0f runs, each "
                "bit-identical to a single invocation\n",
                many, one, many / one, std::thread::hardware_concurrency(),
                result("concurrent/64/runs"));
  }
  double t1 = result("threads/1");
  if (t1 > 0) {
    std::printf("  one session on 1/2/4 threads: %.0f / %.0f / %.0f runs/s "
                "(%.2fx / %.2fx), every output bit-identical\n",
                t1, result("threads/2"), result("threads/4"),
                result("threads/2") / t1, result("threads/4") / t1);
  }
  int failures = context.failures.load();
  std::printf("  correctness: %s\n",
              failures ? (std::to_string(failures) + " check(s) FAILED").c_str()
                       : "every check passed");
}

/// Consumes --weights-mb=N from argv.
bool parseOwnFlags(int &argc, char **argv) {
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--weights-mb=", 0) == 0) {
      char *end = nullptr;
      unsigned long long mb = std::strtoull(arg.c_str() + 13, &end, 10);
      if (*end != '\0' || mb == 0 || mb > (1u << 20)) {
        std::fprintf(stderr, "kiln-bench-runtime: bad %s\n", arg.c_str());
        return false;
      }
      context.weightBytes = mb << 20;
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  return true;
}

} // namespace

int main(int argc, char **argv) {
  if (!parseOwnFlags(argc, argv)) {
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 2;
  }
  std::string dir =
      (std::filesystem::temp_directory_path() / "kiln-bench-XXXXXX").string();
  if (!::mkdtemp(dir.data())) {
    std::perror("kiln-bench-runtime: mkdtemp");
    return 1;
  }
  context.dir = dir;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  printSummary();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return context.failures.load() ? 1 : 0;
}
