//===- CompiledVsReferenceTest.cpp - Every op compiled vs the oracle ------===//
//
// For each model in tests/e2e/ops/*.mlir: draw inputs at run time, run the
// reference interpreter, compile the model to an artifact with the
// compiler's C++ entry point, run it through the runtime at 1 and 2 threads,
// and compare (rtol 1e-4). The two thread counts must agree bit for bit.
//
// Integer inputs are drawn uniformly from [lo, hi) given by the argument
// attribute `kiln.int_range = array<i64: lo, hi>` (default [0, 8)); float
// inputs hold NaN at the flat indices of `kiln.nan_at = array<i64: ...>`,
// and the compiled outputs must be NaN exactly where the reference's are.
// Infinities must match exactly; the tolerance scales with the finite values.
// A model's `kiln.rtol` attribute (f64) sets the tolerance instead, for tests
// of rounding: rtol, plus rtol / 10 of the output's largest finite value.
// `kiln.target_cpu` (a string) compiles the kernels for that CPU, skipped
// where the host lacks its features; `kiln.memory_budget_kib` (i64) sets
// the default pipeline's memory budget.
//
//===----------------------------------------------------------------------===//

#include "compiler/Compiler.h"
#include "compiler/Registration.h"
#include "compiler/reference/ReferenceInterpreter.h"
#include "runtime/Program.h"
#include "runtime/Session.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/SourceMgr.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace mlir;

namespace kiln {
namespace {

struct Inputs {
  std::vector<ref::Tensor> reference;
  std::vector<rt::Tensor> runtime;
};

/// Seeded inputs for every argument of `model`.
Inputs drawInputs(func::FuncOp model, uint64_t seed) {
  Inputs inputs;
  for (BlockArgument arg : model.getArguments()) {
    auto type = cast<RankedTensorType>(arg.getType());
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    bool isFloat = type.getElementType().isF32();
    ref::Tensor r =
        isFloat ? ref::Tensor::zerosF32(shape) : ref::Tensor::zerosInt(shape);
    rt::DType dtype = isFloat                               ? rt::DType::F32
                      : type.getElementType().isInteger(32) ? rt::DType::I32
                                                            : rt::DType::I64;
    rt::Tensor t = rt::Tensor::create(dtype, shape).value();
    int64_t lo = 0, hi = 8;
    if (auto range = model.getArgAttrOfType<DenseI64ArrayAttr>(
            arg.getArgNumber(), "kiln.int_range")) {
      lo = range[0];
      hi = range[1];
    }
    for (int64_t i = 0; i < r.numElements(); ++i) {
      uint64_t bits = splitMix64(seed * 0x9e3779b97f4a7c15ull +
                                 arg.getArgNumber() * 0x100000000ull + i);
      if (isFloat) {
        r.floats[i] = unitUniform(bits);
        t.dataAs<float>()[i] = r.floats[i];
      } else {
        r.ints[i] = lo + static_cast<int64_t>(bits % (hi - lo));
        if (dtype == rt::DType::I32) {
          t.dataAs<int32_t>()[i] = static_cast<int32_t>(r.ints[i]);
        } else {
          t.dataAs<int64_t>()[i] = r.ints[i];
        }
      }
    }
    if (auto nans = model.getArgAttrOfType<DenseI64ArrayAttr>(
            arg.getArgNumber(), "kiln.nan_at")) {
      for (int64_t i : nans.asArrayRef()) {
        r.floats[i] = std::nanf("");
        t.dataAs<float>()[i] = r.floats[i];
      }
    }
    inputs.reference.push_back(std::move(r));
    inputs.runtime.push_back(std::move(t));
  }
  return inputs;
}

class CompiledVsReference : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    DialectRegistry registry;
    registerCompilerDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }
  /// Compiles `module` (for `cpu`, or the host), runs it at 1 and 2 threads
  /// and compares with `expected`. `ran` is false and `unsupported` says why
  /// when the host lacks the named CPU's features.
  void checkCompiled(ModuleOp module, func::FuncOp model, const Inputs &inputs,
                     const std::vector<ref::Tensor> &expected,
                     const std::optional<std::string> &cpu, std::string &errors,
                     bool &ran, std::string &unsupported) {
    std::string label = GetParam() + (cpu ? " (" + *cpu + ")" : "");
    llvm::SmallString<128> artifact;
    ASSERT_FALSE(
        llvm::sys::fs::createTemporaryFile("kiln-e2e", "kbin", artifact));
    CompileOptions options;
    if (cpu) {
      options.cpu = *cpu;
    }
    // A memory budget (kiln-compile --memory-budget, in KiB), small
    // enough to make its layouts and schedules at a test's size.
    if (auto budget =
            model->getAttrOfType<IntegerAttr>("kiln.memory_budget_kib")) {
      options.graph.memoryBudgetKib = budget.getInt();
    }
    OwningOpRef<ModuleOp> copy = module.clone();
    ASSERT_TRUE(succeeded(compileToArtifact(*copy, options, artifact)))
        << errors;
    auto program = rt::Program::load(artifact.str().str());
    llvm::sys::fs::remove(artifact);
    if (!program.ok() && cpu &&
        program.status().getCode() == rt::StatusCode::Unsupported) {
      unsupported = program.status().message();
      return;
    }
    ran = true;
    ASSERT_TRUE(program.ok()) << program.status().message();

    std::vector<std::vector<rt::Tensor>> results;
    for (int threads : {1, 2}) {
      rt::SessionOptions sessionOptions;
      sessionOptions.threads = threads;
      auto session = rt::Session::create(*program, sessionOptions);
      ASSERT_TRUE(session.ok()) << session.status().message();
      std::vector<rt::TensorView> in;
      for (const rt::Tensor &t : inputs.runtime) {
        in.push_back(t.view());
      }
      auto outputs = (*session)->allocateOutputs();
      ASSERT_TRUE(outputs.ok());
      std::vector<rt::MutableTensorView> out;
      for (rt::Tensor &t : *outputs) {
        out.push_back(t.mutableView());
      }
      rt::Status status = (*session)->run(in, out);
      ASSERT_TRUE(status.ok()) << status.message();
      results.push_back(std::move(*outputs));
    }

    double rtol = 1e-4;
    if (auto attr = model->getAttrOfType<FloatAttr>("kiln.rtol")) {
      rtol = attr.getValueAsDouble();
    }
    ASSERT_EQ(results[0].size(), expected.size());
    for (size_t o = 0; o < expected.size(); ++o) {
      const ref::Tensor &want = expected[o];
      const rt::Tensor &got = results[0][o];
      ASSERT_EQ(0,
                std::memcmp(got.data(), results[1][o].data(), got.byteSize()))
          << "output " << o << " differs between 1 and 2 threads";
      ASSERT_EQ(static_cast<int64_t>(got.numElements()), want.numElements());
      if (!want.isFloat) {
        for (int64_t i = 0; i < want.numElements(); ++i) {
          ASSERT_EQ(got.dataAs<int64_t>()[i], want.ints[i])
              << "output " << o << " element " << i;
        }
        continue;
      }
      double scale = 0;
      for (float v : want.floats) {
        if (std::isfinite(v)) {
          scale = std::max(scale, static_cast<double>(std::abs(v)));
        }
      }
      for (int64_t i = 0; i < want.numElements(); ++i) {
        double a = got.dataAs<float>()[i], e = want.floats[i];
        ASSERT_EQ(std::isnan(a), std::isnan(e))
            << label << ": output " << o << " element " << i << ": compiled "
            << a << ", reference " << e;
        if (std::isnan(e)) {
          continue;
        }
        if (std::isinf(e)) { // Infinities match exactly, with their sign.
          ASSERT_EQ(a, e) << label << ": output " << o << " element " << i;
          continue;
        }
        ASSERT_LE(std::abs(a - e), rtol * std::abs(e) + rtol / 10 * scale)
            << label << ": output " << o << " element " << i << ": compiled "
            << a << ", reference " << e;
      }
    }
  }

  MLIRContext context;
};

TEST_P(CompiledVsReference, MatchesTheReferenceInterpreter) {
  std::string path = std::string(KILN_E2E_OPS_DIR) + "/" + GetParam();
  llvm::SourceMgr sourceMgr;
  std::string errors;
  llvm::raw_string_ostream errorStream(errors);
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, errorStream);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(path, sourceMgr, &context);
  ASSERT_TRUE(module) << errors;
  auto model = *module->getOps<func::FuncOp>().begin();
  Inputs inputs = drawInputs(model, 7);

  SeededWeights weights;
  FailureOr<std::vector<ref::Tensor>> expected =
      ref::interpret(model, inputs.reference, weights);
  ASSERT_TRUE(succeeded(expected)) << errors;

  // A model may name the CPUs its kernels are compiled for (AVX2 kernels,
  // or another vendor's blocking, on this host), a string or an array of
  // them; each is checked where the host has its features.
  std::vector<std::optional<std::string>> cpus;
  if (auto cpu = model->getAttrOfType<StringAttr>("kiln.target_cpu")) {
    cpus.push_back(cpu.str());
  } else if (auto list = model->getAttrOfType<ArrayAttr>("kiln.target_cpu")) {
    for (auto name : list.getAsValueRange<StringAttr>()) {
      cpus.push_back(name.str());
    }
  } else {
    cpus.push_back(std::nullopt);
  }
  std::vector<std::string> skipped;
  bool anyRan = false;
  for (const std::optional<std::string> &cpu : cpus) {
    bool ran = false;
    std::string unsupported;
    checkCompiled(*module, model, inputs, *expected, cpu, errors, ran,
                  unsupported);
    if (HasFatalFailure()) {
      return;
    }
    anyRan |= ran;
    if (!ran) {
      skipped.push_back(*cpu + ": " + unsupported);
    }
  }
  if (!anyRan) {
    GTEST_SKIP() << llvm::join(skipped, "; ");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Ops, CompiledVsReference,
    ::testing::Values(
        "elementwise.mlir", "shapes.mlir", "norms.mlir",
        "norms_shared_stats.mlir", "norms_rank1.mlir",
        "reshaped_constants.mlir", "weight_both_operands.mlir",
        "norms_constant_rows.mlir", "matmul.mlir", "rope.mlir",
        "patch_embed.mlir", "patch_embed_rows.mlir", "attention.mlir",
        "attention_blocks.mlir", "attention_projections.mlir",
        "attention_wide_heads.mlir", "attention_key_panels.mlir",
        "attention_nan.mlir", "attention_empty_bias_rows.mlir",
        "attention_decoding.mlir", "attention_decoding_avx2.mlir",
        "softmax_broadcast_axis.mlir", "nan_propagation.mlir",
        "broadcasts.mlir", "moe.mlir", "moe_grouped.mlir",
        "moe_summed_in_groups.mlir", "nan_constants.mlir",
        "per_head_panels.mlir", "transpose.mlir", "partial_column_tiles.mlir",
        "returned_values.mlir", "concat_many.mlir", "batched_panels.mlir",
        "transposed_operands.mlir", "top_k.mlir", "reductions_across_rows.mlir",
        "dot_rows.mlir", "top_k_sorted.mlir", "reductions_long_axis.mlir",
        "gemm_blockings.mlir"),
    [](const ::testing::TestParamInfo<std::string> &info) {
      return info.param.substr(0, info.param.find('.'));
    });

} // namespace
} // namespace kiln
