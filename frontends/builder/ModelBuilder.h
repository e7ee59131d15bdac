//===- ModelBuilder.h - Declaring models in C++ -----------------*- C++ -*-===//
//
// The programmatic way to declare a model in the kiln dialect, and what the
// .kiln language parser uses. A builder makes one module with one model
// function: inputs become its arguments (named by `kiln.name`), `param`
// declares weights under the current name scope, `output` marks results.
//
// Every op method infers the result type from its operands. A shape or
// attribute error is emitted at the builder's current location (the source
// position of the expression a frontend is building) with a message naming
// the op, and the method returns failure; the builder stays usable.
//
//   ModelBuilder b(&context, "mlp", loc);
//   Value x = *b.input("x", {32, 768});
//   b.pushScope("intermediate.dense");
//   Value h = *b.linear(x, *b.param("weight", {3072, 768}),
//                       *b.param("bias", {3072}));
//   b.popScope();
//   b.output("y", *b.gelu(h));
//   OwningOpRef<ModuleOp> module = *b.finish();
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_BUILDER_MODELBUILDER_H
#define KILN_FRONTENDS_BUILDER_MODELBUILDER_H

#include "dialects/Kiln/IR/KilnOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kiln {

struct AttentionOptions {
  int64_t heads = 1;
  /// Defaults to `heads`.
  std::optional<int64_t> kvHeads;
  MaskKind mask = MaskKind::None;
  /// Lengths, row spans or bias, as `mask` requires.
  mlir::Value maskOperand;
  /// Defaults to head_dim^-0.5.
  std::optional<double> scale;
  ScalePlacement scaleOn = ScalePlacement::Scores;
  bool softmaxF32 = false;
  EmptyRows emptyRows = EmptyRows::AllKeys;
};

struct Llama3RopeScaling {
  double factor = 8.0, lowFreqFactor = 1.0, highFreqFactor = 4.0;
  int64_t originalMaxPosition = 8192;
};

struct RopeOptions {
  int64_t headDim = 0;
  /// Defaults to `headDim`.
  std::optional<int64_t> rotaryDim;
  double theta = 10000.0;
  RopeStyle style = RopeStyle::RotateHalf;
  /// Integer positions [S] or [B, S]; defaults to 0 .. S-1.
  mlir::Value positions;
  std::optional<Llama3RopeScaling> llama3;
};

struct MoeOptions {
  int64_t topK = 2;
  MoeScoring scoring = MoeScoring::Softmax;
  MoeOrder order = MoeOrder::ScoreThenTopK;
  bool normalize = false;
  double scalingFactor = 1.0;
  int64_t groups = 1, topkGroups = 1;
  GroupScore groupScore = GroupScore::Max;
  /// Which loss `aux` is (0 with None).
  AuxLoss auxLoss = AuxLoss::None;
  double auxCoefficient = 1.0;
  mlir::Value selectionBias;
};

struct MoeResult {
  mlir::Value output;
  /// Per-expert assignment counts [E] (i64) and the auxiliary loss (rank 0).
  mlir::Value counts, aux;
};

/// Builds one model function in the kiln dialect.
class ModelBuilder {
public:
  /// Starts a module holding the model function `name` at `loc`.
  ModelBuilder(mlir::MLIRContext *context, llvm::StringRef name,
               mlir::Location loc);

  /// The location ops are created at (and errors reported at).
  void setLocation(mlir::Location loc) { location = loc; }
  mlir::Location getLocation() const { return location; }

  /// Parameter name scopes, joined with '.': `param("weight")` inside
  /// scopes "encoder" and "layer.0" is "encoder.layer.0.weight". An empty
  /// prefix adds nothing.
  void pushScope(llvm::StringRef prefix);
  void popScope();
  std::string scopedName(llvm::StringRef name) const;

  /// Declares a model input; the element type defaults to f32 (i32 and i64
  /// inputs carry token ids, lengths and spans).
  mlir::FailureOr<mlir::Value> input(llvm::StringRef name,
                                     llvm::ArrayRef<int64_t> shape,
                                     mlir::Type elementType = {});
  /// The parameter `scopedName(name)`. Declaring a name again gives the same
  /// value; declaring it with another shape is an error.
  mlir::FailureOr<mlir::Value> param(llvm::StringRef name,
                                     llvm::ArrayRef<int64_t> shape);
  /// Appends `value` to the outputs under `name` (names must be unique).
  mlir::LogicalResult output(llvm::StringRef name, mlir::Value value);

  /// A rank-0 f32 constant, or a literal tensor.
  mlir::Value constant(double value);
  mlir::FailureOr<mlir::Value> constant(llvm::ArrayRef<float> values,
                                        llvm::ArrayRef<int64_t> shape);

  mlir::FailureOr<mlir::Value> linear(mlir::Value input, mlir::Value weight,
                                      mlir::Value bias = {});
  mlir::FailureOr<mlir::Value> matmul(mlir::Value lhs, mlir::Value rhs,
                                      bool transposeLhs = false,
                                      bool transposeRhs = false);
  mlir::FailureOr<mlir::Value> add(mlir::Value lhs, mlir::Value rhs);
  mlir::FailureOr<mlir::Value> sub(mlir::Value lhs, mlir::Value rhs);
  mlir::FailureOr<mlir::Value> mul(mlir::Value lhs, mlir::Value rhs);
  mlir::FailureOr<mlir::Value> div(mlir::Value lhs, mlir::Value rhs);
  mlir::FailureOr<mlir::Value> maximum(mlir::Value lhs, mlir::Value rhs);

  mlir::Value gelu(mlir::Value input,
                   GeluApproximation approximation = GeluApproximation::None);
  mlir::Value silu(mlir::Value input);
  mlir::Value sigmoid(mlir::Value input);
  mlir::Value tanh(mlir::Value input);
  mlir::Value exp(mlir::Value input);
  mlir::Value rsqrt(mlir::Value input);
  mlir::Value sqrt(mlir::Value input);
  mlir::Value neg(mlir::Value input);

  mlir::FailureOr<mlir::Value> softmax(mlir::Value input, int64_t axis = -1,
                                       bool accumulateF32 = false);
  mlir::FailureOr<mlir::Value> layerNorm(mlir::Value input, mlir::Value scale,
                                         mlir::Value bias, double epsilon);
  mlir::FailureOr<mlir::Value> rmsNorm(mlir::Value input, mlir::Value scale,
                                       double epsilon);

  mlir::FailureOr<mlir::Value> reshape(mlir::Value input,
                                       llvm::ArrayRef<int64_t> shape);
  mlir::FailureOr<mlir::Value> broadcast(mlir::Value input,
                                         llvm::ArrayRef<int64_t> shape);
  mlir::FailureOr<mlir::Value> transpose(mlir::Value input,
                                         llvm::ArrayRef<int64_t> permutation);
  mlir::FailureOr<mlir::Value> concat(mlir::ValueRange inputs, int64_t axis);
  /// Strides default to 1.
  mlir::FailureOr<mlir::Value> slice(mlir::Value input,
                                     llvm::ArrayRef<int64_t> offsets,
                                     llvm::ArrayRef<int64_t> sizes,
                                     llvm::ArrayRef<int64_t> strides = {});
  mlir::FailureOr<mlir::Value> gather(mlir::Value table, mlir::Value indices,
                                      int64_t axis = 0);
  mlir::FailureOr<mlir::Value> reduce(ReduceKind kind, mlir::Value input,
                                      llvm::ArrayRef<int64_t> axes,
                                      bool keepDims = false);
  /// Values and i64 indices of the `k` largest entries along the last axis.
  mlir::FailureOr<std::pair<mlir::Value, mlir::Value>> topK(mlir::Value input,
                                                            int64_t k);

  mlir::FailureOr<mlir::Value> rope(mlir::Value input,
                                    const RopeOptions &options);
  mlir::FailureOr<mlir::Value> patchEmbed(mlir::Value pixels,
                                          mlir::Value weight, mlir::Value bias,
                                          int64_t patchSize);
  mlir::FailureOr<mlir::Value> attention(mlir::Value query, mlir::Value key,
                                         mlir::Value value,
                                         const AttentionOptions &options);
  /// `experts` holds gate, up, down for each expert; `shared` is empty or
  /// one expert's gate, up, down.
  mlir::FailureOr<MoeResult> moe(mlir::Value input, mlir::Value router,
                                 llvm::ArrayRef<mlir::Value> experts,
                                 llvm::ArrayRef<mlir::Value> shared,
                                 const MoeOptions &options);

  /// Returns the outputs, verifies the module and hands it over. Fails (with
  /// diagnostics emitted) on a model without outputs or that does not
  /// verify. The builder cannot be used afterwards.
  mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>> finish();

private:
  /// Creates `OpTy` with explicit result types, then verifies it; on failure
  /// the op is erased (its verifier has emitted the error).
  template <typename OpTy, typename... Args>
  mlir::FailureOr<OpTy> createVerified(Args &&...args);
  /// An error at the current location, prefixed "<opName>: ".
  mlir::InFlightDiagnostic error(llvm::StringRef opName);
  mlir::UnitAttr unit(bool set);

  mlir::MLIRContext *context;
  mlir::Location location;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp function;
  mlir::OpBuilder builder;
  std::vector<std::string> scopes;
  llvm::StringMap<mlir::Value> params;
  std::vector<std::pair<std::string, mlir::Value>> outputs;
};

} // namespace kiln

#endif // KILN_FRONTENDS_BUILDER_MODELBUILDER_H
