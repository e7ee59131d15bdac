//===- ModelFunction.h - What makes a module a kiln model -------*- C++ -*-===//
//
// The rules every tool that reads a model applies before it does anything
// with it, so that kiln-compile and kiln-reference accept the same models
// and refuse the others with the same message: a model is one public
// function whose body holds kiln ops and its return, with tensors of f32,
// i32 or i64 as inputs and outputs, named at most once each.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_KILN_IR_MODELFUNCTION_H
#define KILN_DIALECTS_KILN_IR_MODELFUNCTION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace kiln {

/// The model function of `module`: its one public function with a body.
/// Private functions may sit beside it. The error is at a second public
/// function (with a note at the first), or, without one, at the module.
mlir::FailureOr<mlir::func::FuncOp> findModelFunction(mlir::ModuleOp module);

/// Checks `model` as a model source, before any pass: its inputs and
/// outputs are static tensors of f32, i32 or i64 (what kiln ops take), their
/// `kiln.name`s are non-empty, free of NUL and unique among the inputs and
/// among the outputs; its body holds kiln ops and the return only (no
/// calls, no other dialect's ops, whose meaning the reference interpreter
/// does not know); and its parameters of one name agree.
mlir::LogicalResult checkModelFunction(mlir::func::FuncOp model);

/// `findModelFunction`, then `checkModelFunction`.
mlir::FailureOr<mlir::func::FuncOp> findCheckedModel(mlir::ModuleOp module);

} // namespace kiln

#endif // KILN_DIALECTS_KILN_IR_MODELFUNCTION_H
