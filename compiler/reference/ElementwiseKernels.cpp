//===- ElementwiseKernels.cpp - Binary and unary elementwise ops ----------===//
//
// Each element is computed in double from its f32 operands and rounded
// once. For +, -, *, / that is exactly the correctly rounded f32 result
// (double has more than 2 * 24 + 2 mantissa bits); for the transcendental
// functions it is within half an ulp of the true value.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/OpKernels.h"
#include "compiler/reference/TensorLayout.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::ref;

namespace {
using BinaryFn = double (*)(double, double);
using UnaryFn = double (*)(double);
} // namespace

/// The logistic function.
static double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// `torch.maximum`: NaN in either operand gives NaN.
static double maximum(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) {
    return std::nan("");
  }
  return a > b ? a : b;
}

/// PyTorch's exact GELU (`approximate='none'`).
static double geluExact(double x) {
  return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
}

/// PyTorch's `approximate='tanh'` (Hugging Face `gelu_new`).
static double geluTanh(double x) {
  const double k = std::sqrt(2.0 / M_PI);
  return 0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x)));
}

/// CLIP's `quick_gelu`.
static double geluQuick(double x) { return x * sigmoid(1.702 * x); }

Tensor ref::runBinary(Operation *op, const Tensor &lhs, const Tensor &rhs) {
  BinaryFn fn =
      llvm::TypeSwitch<Operation *, BinaryFn>(op)
          .Case([](AddOp) { return [](double a, double b) { return a + b; }; })
          .Case([](SubOp) { return [](double a, double b) { return a - b; }; })
          .Case([](MulOp) { return [](double a, double b) { return a * b; }; })
          .Case([](DivOp) { return [](double a, double b) { return a / b; }; })
          .Case([](MaximumOp) { return maximum; });
  std::vector<int64_t> shape = broadcastShapes(lhs.shape, rhs.shape);
  std::vector<int64_t> lhsStrides = broadcastStrides(lhs.shape, shape);
  std::vector<int64_t> rhsStrides = broadcastStrides(rhs.shape, shape);
  Tensor result = Tensor::zerosF32(shape);
  forEachIndex(shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    double a = lhs.floats[offsetOf(index, lhsStrides)];
    double b = rhs.floats[offsetOf(index, rhsStrides)];
    result.floats[linear] = static_cast<float>(fn(a, b));
  });
  return result;
}

Tensor ref::runUnary(Operation *op, const Tensor &input) {
  UnaryFn fn =
      llvm::TypeSwitch<Operation *, UnaryFn>(op)
          .Case([](GeluOp gelu) -> UnaryFn {
            switch (gelu.getApproximation()) {
            case GeluApproximation::None:
              return geluExact;
            case GeluApproximation::Tanh:
              return geluTanh;
            case GeluApproximation::Quick:
              return geluQuick;
            }
            llvm_unreachable("unknown GELU approximation");
          })
          .Case([](SiluOp) { return [](double x) { return x * sigmoid(x); }; })
          .Case([](SigmoidOp) { return sigmoid; })
          .Case([](TanhOp) { return [](double x) { return std::tanh(x); }; })
          .Case([](ExpOp) { return [](double x) { return std::exp(x); }; })
          .Case([](RsqrtOp) {
            return [](double x) { return 1.0 / std::sqrt(x); };
          })
          .Case([](SqrtOp) { return [](double x) { return std::sqrt(x); }; })
          .Case([](NegOp) { return [](double x) { return -x; }; });
  Tensor result = Tensor::zerosF32(input.shape);
  for (size_t i = 0; i < input.floats.size(); ++i) {
    result.floats[i] = static_cast<float>(fn(input.floats[i]));
  }
  return result;
}
