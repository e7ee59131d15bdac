//===- ModelElaborator.h - From syntax tree to kiln dialect -----*- C++ -*-===//
//
// Runs a model the way an interpreter would, but every tensor operation
// becomes a ModelBuilder call: dimensions, loops and conditions are
// evaluated here, blocks are inlined at each call with their parameters
// under the call's scope, and every op and diagnostic carries the source
// position of the expression that made it, wrapped in the chain of block
// calls that led there (`CallSiteLoc`, printed as "called from" notes).
// Elaboration stops at the first error.
//
// ModelElaborator.cpp holds the model and statements, BlockCalls.cpp the
// calls, EvaluateExpressions.cpp expressions, MatchTypes.cpp the checks of
// declared types.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_KDL_MODELELABORATOR_H
#define KILN_FRONTENDS_KDL_MODELELABORATOR_H

#include "frontends/builder/ModelBuilder.h"
#include "frontends/kdl/Datum.h"
#include "frontends/kdl/ProgramLoader.h"

#include <memory>

namespace kiln::kdl {

/// Elaborates the model of a loaded program.
class ModelElaborator {
public:
  /// Block calls nested deeper than this are an error.
  static constexpr unsigned kMaxCallDepth = 64;
  /// Statements, calls and loop iterations executed before elaboration
  /// gives up on a model as unreasonably large.
  static constexpr uint64_t kMaxSteps = 1'000'000;
  /// Nested evaluations (statements, expressions, across block calls)
  /// beyond this are an error, which bounds the stack elaboration uses.
  static constexpr unsigned kMaxNesting = 2000;

  ModelElaborator(const SourceLocator &locator, const Program &program,
                  const KdlOptions &options);
  ~ModelElaborator();

  /// Builds, verifies and returns the model's module.
  mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>> run();

  //===--------------------------------------------------------------------===//
  // What built-in functions use.
  //===--------------------------------------------------------------------===//

  /// The location of `loc` inside the current chain of block calls.
  mlir::Location getLocation(llvm::SMLoc loc) const;
  /// Reports an error at `loc` in the current call chain.
  mlir::InFlightDiagnostic emitError(llvm::SMLoc loc) const;
  /// The builder, pointed at `loc` for the op it creates next.
  ModelBuilder &getBuilder(llvm::SMLoc loc);
  /// Declares parameter `name` under the current scope, reporting a name
  /// created twice (with a note at the first) and non-positive sizes.
  mlir::FailureOr<mlir::Value> createParam(llvm::StringRef name,
                                           llvm::ArrayRef<int64_t> shape,
                                           llvm::SMLoc loc);
  /// Evaluates `expr` in the current frame; with `allowWord`, a name that
  /// is not bound is the enum word it spells (`mask = causal`).
  mlir::FailureOr<Datum> evaluate(const Expr &expr, bool allowWord = false);
  /// `value` as a tensor: a number becomes a rank-0 f32 constant.
  mlir::FailureOr<mlir::Value> toTensor(const Datum &value, llvm::SMLoc loc,
                                        const llvm::Twine &what);
  /// Checks that every size of a shape is positive, reporting at `loc`.
  mlir::LogicalResult checkShape(llvm::ArrayRef<int64_t> shape, llvm::SMLoc loc,
                                 const llvm::Twine &what);
  /// Checks that `name` is empty or a dotted name whose parts are made of
  /// letters, digits, '_' and '-'; reports at `loc`.
  mlir::LogicalResult checkName(llvm::StringRef name, llvm::SMLoc loc) const;
  /// Counts `steps` against kMaxSteps.
  mlir::LogicalResult spend(llvm::SMLoc loc, uint64_t steps = 1);

private:
  /// Counts one level of nesting while alive.
  class NestingGuard {
  public:
    explicit NestingGuard(ModelElaborator &elaborator)
        : elaborator(elaborator) {
      ++elaborator.nesting;
    }
    ~NestingGuard() { --elaborator.nesting; }
    /// Reports at `loc` if the nesting exceeds kMaxNesting.
    mlir::LogicalResult check(llvm::SMLoc loc);

  private:
    ModelElaborator &elaborator;
  };

  /// The variables of one model or block invocation.
  struct Frame {
    const Definition *definition = nullptr;
    llvm::StringMap<Datum> vars;
    /// The names that are dimensions (a model's dims, the names a block's
    /// parameter types bind), with where each is declared: declared types
    /// read them, so they cannot be reassigned.
    llvm::StringMap<llvm::SMLoc> dims;
    /// The location of the call that made this frame (itself inside its
    /// caller's chain); none for the model.
    std::optional<mlir::Location> caller;
    /// Set by `return`, which ends the frame's execution.
    bool returned = false;
    llvm::SMLoc returnLoc;
    std::vector<Datum> results;
    std::vector<llvm::SMLoc> resultLocs;
  };

  // Model and statements (ModelElaborator.cpp), calls (BlockCalls.cpp).
  mlir::LogicalResult bindDims(const Definition &model);
  mlir::LogicalResult declareInputs(const Definition &model);
  mlir::LogicalResult declareOutputs(const Definition &model);
  mlir::LogicalResult execute(const Body &body);
  mlir::LogicalResult execute(const Stmt &stmt);
  /// Reports an assignment (`=`, `param`, a loop variable) to a dim.
  mlir::LogicalResult checkAssignable(const Binding &target);
  mlir::LogicalResult executeAssign(const AssignStmt &stmt);
  mlir::LogicalResult executeParam(const ParamStmt &stmt);
  mlir::LogicalResult executeReturn(const ReturnStmt &stmt);
  mlir::LogicalResult executeFor(const ForStmt &stmt);
  mlir::LogicalResult executeIf(const IfStmt &stmt);
  mlir::FailureOr<Datum> evaluateCall(const CallExpr &call);
  mlir::FailureOr<Datum> callBlock(const Definition &block,
                                   const CallExpr &call);
  /// The results `def` has: all of a block's, the model's whose condition
  /// holds.
  std::vector<const ResultDecl *> resultsOf(const Definition &def) const;
  mlir::LogicalResult checkResults(const Definition &def);
  mlir::LogicalResult selectOutputs(const Definition &model);
  /// The formatted scope of a call or loop, checked to be a dotted name.
  mlir::FailureOr<std::string> evaluateScope(const StringExpr &scope);

  // Expressions (EvaluateExpressions.cpp).
  mlir::FailureOr<Datum> evaluateName(const NameExpr &expr, bool allowWord);
  mlir::FailureOr<Datum> evaluateUnary(const UnaryExpr &expr);
  mlir::FailureOr<Datum> evaluateBinary(const BinaryExpr &expr);
  mlir::FailureOr<Datum> evaluateLogic(const BinaryExpr &expr);
  mlir::FailureOr<Datum> compare(const BinaryExpr &expr, const Datum &lhs,
                                 const Datum &rhs);
  mlir::FailureOr<Datum> arithmetic(const BinaryExpr &expr, const Datum &lhs,
                                    const Datum &rhs);
  mlir::FailureOr<Datum> tensorArithmetic(const BinaryExpr &expr,
                                          const Datum &lhs, const Datum &rhs);
  mlir::FailureOr<std::string> evaluateString(const StringExpr &expr);
  /// Reports an unknown variable with a "did you mean".
  void reportUnknownName(llvm::StringRef name, llvm::SMLoc loc) const;

  // Declared types (MatchTypes.cpp).
  /// Checks `value` against `type` (converting an int given for a float).
  /// With `bind`, a dimension named by a
  /// name not yet bound binds it in the current frame (block parameters);
  /// `what` names the value in diagnostics, reported at `valueLoc`.
  mlir::LogicalResult matchType(const TypeExpr &type, Datum &value,
                                mlir::Location valueLoc,
                                const llvm::Twine &what, bool bind);
  mlir::LogicalResult matchTensorType(const TypeExpr &type, mlir::Value value,
                                      mlir::Location valueLoc,
                                      const llvm::Twine &what, bool bind);
  /// The sizes of a tensor type whose dimensions are all known.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  evaluateShape(const TypeExpr &type);
  /// The element type a tensor type names (`f32`, `i32`, `i64`).
  mlir::Type elementType(const TypeExpr &type) const;
  /// Whether a bare name passed for `type` is an enum word.
  bool takesWords(const TypeExpr &type) const;

  Frame &frame() { return *frames.back(); }
  const Frame &frame() const { return *frames.back(); }

  const SourceLocator &locator;
  const Program &program;
  const KdlOptions &options;
  mlir::MLIRContext *context;
  std::unique_ptr<ModelBuilder> builder;
  std::vector<std::unique_ptr<Frame>> frames;
  /// Where each parameter was created, for duplicate reports.
  llvm::StringMap<mlir::Location> paramOrigins;
  /// The model's outputs whose condition holds.
  std::vector<const ResultDecl *> modelOutputs;
  uint64_t steps = 0;
  unsigned nesting = 0;
};

} // namespace kiln::kdl

#endif // KILN_FRONTENDS_KDL_MODELELABORATOR_H
