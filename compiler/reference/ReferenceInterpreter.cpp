//===- ReferenceInterpreter.cpp - The kiln dialect, op by op --------------===//
//
// Checks the inputs against the function's signature, then walks its single
// block in order, computing each op's results from its operands' tensors
// with the kernels of OpKernels.h. Every computed result is checked against
// the op's declared type, so a kernel bug is reported at the op instead of
// corrupting what comes after.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/ReferenceInterpreter.h"
#include "compiler/HostMemory.h"
#include "compiler/reference/OpKernels.h"
#include "compiler/reference/TensorLayout.h"
#include "dialects/Kiln/IR/ModelFunction.h"
#include "dialects/Kiln/IR/ShapeChecks.h"

#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::ref;

namespace {
/// The tensors computed so far, by SSA value.
using Environment = llvm::DenseMap<Value, Tensor>;
/// What executing one op yields: its results in order.
using Results = FailureOr<std::vector<Tensor>>;
} // namespace

/// Whether `tensor` can be a value of `type`: the same shape, and float
/// data exactly for a float element type.
static bool matchesType(const Tensor &tensor, RankedTensorType type) {
  bool isFloat = isa<FloatType>(type.getElementType());
  size_t size = isFloat ? tensor.floats.size() : tensor.ints.size();
  return tensor.isFloat == isFloat &&
         ArrayRef<int64_t>(tensor.shape) == type.getShape() &&
         static_cast<int64_t>(size) == type.getNumElements();
}

/// Describes `tensor` for a diagnostic, e.g. "float [2, 3] with 6 values".
static std::string describe(const Tensor &tensor) {
  size_t size = tensor.isFloat ? tensor.floats.size() : tensor.ints.size();
  return (tensor.isFloat ? "float " : "integer ") + formatShape(tensor.shape) +
         " with " + std::to_string(size) + " values";
}

/// "input 1 ('x')": how diagnostics name input or output `i` of `model`.
static std::string ioName(func::FuncOp model, bool output, unsigned i) {
  std::string name = (output ? "output " : "input ") + std::to_string(i);
  auto attr = output ? model.getResultAttrOfType<StringAttr>(i, "kiln.name")
                     : model.getArgAttrOfType<StringAttr>(i, "kiln.name");
  if (attr) {
    name += " ('" + attr.str() + "')";
  }
  return name;
}

/// Binds each argument to its input (the model's rules, checked before,
/// make every argument a static tensor the interpreter holds).
static LogicalResult bindInputs(func::FuncOp model,
                                const std::vector<Tensor> &inputs,
                                Environment &env) {
  if (inputs.size() != model.getNumArguments()) {
    return model.emitError("expects ")
           << model.getNumArguments() << " inputs for @" << model.getName()
           << ", got " << inputs.size();
  }
  for (auto [i, argument] : llvm::enumerate(model.getArguments())) {
    auto type = cast<RankedTensorType>(argument.getType());
    if (!matchesType(inputs[i], type)) {
      return emitError(argument.getLoc())
             << "expects " << ioName(model, false, i) << " of type " << type
             << ", got " << describe(inputs[i]);
    }
    env[argument] = inputs[i];
  }
  return success();
}

/// Bytes the interpreter's tensor of `type` takes (floats as f32, integers
/// as i64), saturating.
static uint64_t heldBytes(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked || !ranked.hasStaticShape()) {
    return 0;
  }
  return tensorBytes(ranked.getShape(),
                     isa<FloatType>(ranked.getElementType()) ? 4 : 8);
}

/// Wraps a single result.
static Results one(FailureOr<Tensor> tensor) {
  if (failed(tensor)) {
    return failure();
  }
  return std::vector<Tensor>{std::move(*tensor)};
}

/// Executes one kiln op on the tensors of `env`.
static Results execute(Operation *op, const Environment &env,
                       WeightSource &weights) {
  auto get = [&](Value value) -> const Tensor & { return env.at(value); };
  auto optional = [&](Value value) -> const Tensor * {
    return value ? &env.at(value) : nullptr;
  };
  auto all = [&](ValueRange values) {
    std::vector<const Tensor *> tensors;
    for (Value value : values) {
      tensors.push_back(&env.at(value));
    }
    return tensors;
  };
  auto axisOf = [](int64_t axis, Value shaped) {
    return *normalizeAxis(axis,
                          cast<RankedTensorType>(shaped.getType()).getRank());
  };
  return llvm::TypeSwitch<Operation *, Results>(op)
      .Case([&](ParamOp op) { return one(runParam(op, weights)); })
      .Case([&](ConstantOp op) { return one(runConstant(op)); })
      .Case([&](LinearOp op) {
        return one(runLinear(get(op.getInput()), get(op.getWeight()),
                             optional(op.getBias())));
      })
      .Case([&](MatmulOp op) {
        return one(runMatmul(get(op.getLhs()), get(op.getRhs()),
                             op.getTransposeLhs(), op.getTransposeRhs()));
      })
      .Case<AddOp, SubOp, MulOp, DivOp, MaximumOp>([&](auto op) {
        return one(runBinary(op, get(op.getLhs()), get(op.getRhs())));
      })
      .Case<GeluOp, SiluOp, SigmoidOp, TanhOp, ExpOp, RsqrtOp, SqrtOp, NegOp>(
          [&](auto op) { return one(runUnary(op, get(op.getInput()))); })
      .Case([&](SoftmaxOp op) {
        return one(runSoftmax(
            get(op.getInput()),
            axisOf(static_cast<int64_t>(op.getAxis()), op.getInput())));
      })
      .Case([&](LayerNormOp op) {
        return one(runLayerNorm(get(op.getInput()), optional(op.getScale()),
                                optional(op.getBias()),
                                op.getEpsilon().convertToDouble()));
      })
      .Case([&](RmsNormOp op) {
        return one(runRmsNorm(get(op.getInput()), optional(op.getScale()),
                              op.getEpsilon().convertToDouble()));
      })
      .Case([&](ReshapeOp op) {
        return one(runReshape(get(op.getInput()), op.getType().getShape()));
      })
      .Case([&](BroadcastOp op) {
        return one(runBroadcast(get(op.getInput()), op.getType().getShape()));
      })
      .Case([&](TransposeOp op) {
        return one(transposed(get(op.getInput()), op.getPermutation()));
      })
      .Case([&](ConcatOp op) {
        return one(runConcat(
            all(op.getInputs()),
            axisOf(static_cast<int64_t>(op.getAxis()), op.getResult())));
      })
      .Case([&](SliceOp op) {
        return one(runSlice(get(op.getInput()), op.getOffsets(), op.getSizes(),
                            op.getStrides()));
      })
      .Case([&](GatherOp op) {
        return one(runGather(
            get(op.getTable()), get(op.getIndices()),
            axisOf(static_cast<int64_t>(op.getAxis()), op.getTable())));
      })
      .Case([&](ReduceOp op) {
        std::vector<int64_t> axes;
        for (int64_t axis : op.getAxes()) {
          axes.push_back(axisOf(axis, op.getInput()));
        }
        return one(runReduce(get(op.getInput()), op.getKind(), axes,
                             op.getKeepDims()));
      })
      .Case([&](TopKOp op) -> Results {
        auto [values, indices] = runTopK(get(op.getInput()), op.getK());
        return std::vector<Tensor>{std::move(values), std::move(indices)};
      })
      .Case([&](RopeOp op) {
        return one(
            runRope(op, get(op.getInput()), optional(op.getPositions())));
      })
      .Case([&](PatchEmbedOp op) {
        return one(runPatchEmbed(get(op.getPixels()), get(op.getWeight()),
                                 optional(op.getBias()), op.getPatchSize()));
      })
      .Case([&](AttentionOp op) {
        return one(runAttention(op, get(op.getQuery()), get(op.getKey()),
                                get(op.getValue()),
                                optional(op.getMaskOperand())));
      })
      .Case([&](MoeOp op) -> Results {
        MoeResults moe = runMoe(op, get(op.getInput()), get(op.getRouter()),
                                all(op.getExperts()), all(op.getShared()),
                                optional(op.getSelectionBias()));
        std::vector<Tensor> results;
        results.push_back(std::move(moe.output));
        results.push_back(std::move(moe.counts));
        results.push_back(std::move(moe.aux));
        return results;
      })
      .Default([](Operation *op) -> Results {
        return op->emitOpError("is not supported by the reference interpreter");
      });
}

FailureOr<std::vector<Tensor>> ref::interpret(func::FuncOp model,
                                              const std::vector<Tensor> &inputs,
                                              WeightSource &weights) {
  if (model.isExternal() || !model.getBody().hasOneBlock()) {
    return model.emitError("expects @")
           << model.getName() << " to have a body of one block";
  }
  // Kernels trust the verified types; never run on IR that breaks them,
  // nor on a model kiln-compile would refuse (ModelFunction.h).
  if (failed(verify(model)) || failed(checkModelFunction(model))) {
    return failure();
  }
  Environment env;
  if (failed(bindInputs(model, inputs, env))) {
    return failure();
  }
  // The interpreter holds every value to the end: values that outgrow the
  // machine's memory are refused before the allocation that would abort
  // (a parameter of 2^31 x 16 floats did).
  uint64_t memory = physicalMemoryBytes(), held = 0;
  for (const Tensor &input : inputs) {
    held += (input.floats.size() + 2 * input.ints.size()) * 4;
  }
  for (Operation &op : model.getBody().front()) {
    for (Type type : op.getResultTypes()) {
      uint64_t bytes = heldBytes(type);
      held = bytes > UINT64_MAX - held ? UINT64_MAX : held + bytes;
    }
    if (memory && held > memory) {
      return op.emitOpError("would bring the values the reference "
                            "interpreter holds to ")
             << held << " bytes, more than this machine's " << memory
             << " bytes of memory";
    }
    for (Value operand : op.getOperands()) {
      if (!env.count(operand)) {
        return op.emitOpError("uses a value defined outside @")
               << model.getName() << "'s body";
      }
    }
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      std::vector<Tensor> outputs;
      for (Value value : ret.getOperands()) {
        outputs.push_back(env.at(value));
      }
      return outputs;
    }
    Results results = execute(&op, env, weights);
    if (failed(results)) {
      return failure();
    }
    if (results->size() != op.getNumResults()) {
      return op.emitOpError("computed ")
             << results->size() << " results instead of " << op.getNumResults()
             << " (a reference interpreter bug)";
    }
    for (auto [result, tensor] : llvm::zip_equal(op.getResults(), *results)) {
      auto type = dyn_cast<RankedTensorType>(result.getType());
      if (!type || !matchesType(tensor, type)) {
        return op.emitOpError("computed ")
               << describe(tensor) << " for a result of type "
               << result.getType() << " (a reference interpreter bug)";
      }
      env[result] = std::move(tensor);
    }
  }
  return model.emitError("expects @")
         << model.getName() << " to end in func.return";
}
