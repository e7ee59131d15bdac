//===- KilnOps.h - Ops of the model-graph dialect ---------------*- C++ -*-===//

#ifndef KILN_DIALECTS_KILN_IR_KILNOPS_H
#define KILN_DIALECTS_KILN_IR_KILNOPS_H

#include "dialects/Kiln/IR/KilnDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace kiln {
/// How `inferResultType` functions report a shape error: the op's verifier
/// passes `emitOpError`, a frontend its own located diagnostic.
using EmitErrorFn = llvm::function_ref<mlir::InFlightDiagnostic()>;
} // namespace kiln

#include "dialects/Kiln/IR/KilnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Kiln/IR/KilnAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/Kiln/IR/KilnOps.h.inc"

namespace kiln {
/// Checks that the `kiln.param` ops under `scope` that share a name agree
/// on their declared shape and element type: they name one tensor of
/// weights. The error is at the later declaration, with a note at the
/// first. Op verifiers see one op; compilers and interpreters call this.
mlir::LogicalResult checkParameterDeclarations(mlir::Operation *scope);
} // namespace kiln

#endif // KILN_DIALECTS_KILN_IR_KILNOPS_H
