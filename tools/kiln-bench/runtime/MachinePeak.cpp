//===- MachinePeak.cpp - The machine's FP32 FMA ceiling -------------------===//
//
// The yardstick of docs/benchmarks.md: how many FP32 FLOP/s one thread can
// issue at most, measured with independent chains of fused multiply-adds:
// 24 of 512 bits, or, without AVX-512, 12 of 256 bits (AVX2 has 16 vector
// registers; more chains than registers would measure spills). Either
// covers the FMA latency on any core with two FMA pipes. `Threads(2)` runs one
// copy per thread at once, which is what the 2-thread rows of the table can
// reach. Nothing is read from memory, so this is the arithmetic ceiling only; a
// GEMM that streams its operands stays a few percent below it.
//
//===----------------------------------------------------------------------===//

#include <benchmark/benchmark.h>

#include <cstring>
#include <immintrin.h>

namespace {

constexpr long kSteps = 1 << 20;

// CHAINS x kSteps FMAs on vectors of WIDTH floats; returns a sum of the
// lanes so that nothing folds. A macro rather than a template: the
// intrinsics must be inlined into a function compiled for their ISA.
#define KILN_FMA_CHAINS(VEC, WIDTH, CHAINS, SET, FMA)                          \
  VEC acc[CHAINS];                                                             \
  for (int i = 0; i < CHAINS; ++i) {                                           \
    acc[i] = SET(seed + i);                                                    \
  }                                                                            \
  VEC mul = SET(1.0000001f), add = SET(1e-9f);                                 \
  for (long step = 0; step < kSteps; ++step) {                                 \
    _Pragma("GCC unroll 24") for (int i = 0; i < CHAINS; ++i) {                \
      acc[i] = FMA(acc[i], mul, add);                                          \
    }                                                                          \
  }                                                                            \
  alignas(64) float lanes[WIDTH];                                              \
  float sum = 0;                                                               \
  for (int i = 0; i < CHAINS; ++i) {                                           \
    std::memcpy(lanes, &acc[i], sizeof(lanes));                                \
    for (float lane : lanes) {                                                 \
      sum += lane;                                                             \
    }                                                                          \
  }                                                                            \
  return sum;

__attribute__((target("avx512f"))) float chains512(float seed) {
  KILN_FMA_CHAINS(__m512, 16, 24, _mm512_set1_ps, _mm512_fmadd_ps)
}

__attribute__((target("avx2,fma"))) float chains256(float seed) {
  KILN_FMA_CHAINS(__m256, 8, 12, _mm256_set1_ps, _mm256_fmadd_ps)
}

#undef KILN_FMA_CHAINS

void BM_FmaPeak(benchmark::State &state) {
  bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !__builtin_cpu_supports("fma")) {
    state.SkipWithError("this CPU has no FMA instructions");
    return;
  }
  int width = avx512 ? 16 : 8, chains = avx512 ? 24 : 12;
  for (auto _ : state) {
    float sum = avx512 ? chains512(state.thread_index())
                       : chains256(state.thread_index());
    benchmark::DoNotOptimize(sum);
  }
  // Two FLOP per lane per FMA; a rate counter divides by the wall time.
  state.counters["FLOP/s"] =
      benchmark::Counter(2.0 * width * chains * kSteps * state.iterations(),
                         benchmark::Counter::kIsRate);
  state.SetLabel(avx512 ? "AVX-512" : "AVX2");
}

} // namespace

BENCHMARK(BM_FmaPeak)->Threads(1)->Threads(2)->UseRealTime();
