//===- ExecOps.td - Ops of the schedule dialect ------------*- tablegen -*-===//

#ifndef KILN_DIALECTS_EXEC_IR_EXECOPS_TD
#define KILN_DIALECTS_EXEC_IR_EXECOPS_TD

include "dialects/Exec/IR/ExecDialect.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// DispatchRegionOp
//===----------------------------------------------------------------------===//

def Exec_DispatchRegionOp : Exec_Op<"dispatch_region",
    [SingleBlockImplicitTerminator<"YieldOp">, RecursiveMemoryEffects]> {
  let summary = "Ops that will run as one dispatch.";
  let description = [{
    A group formed by dispatch formation around one root op (a contraction
    or a reduction) with the elementwise producers and consumers fused into
    it. It may use values defined above; outlining turns those into the
    operands of an `exec.dispatch`. `root` names the model op the group was
    formed around.

    ```mlir
    %0 = exec.dispatch_region root("kiln.linear") -> (tensor<32x3072xf32>) {
      %mm = linalg.generic ...
      %act = linalg.generic ...
      exec.yield %act : tensor<32x3072xf32>
    }
    ```
  }];
  let arguments = (ins StrAttr:$root);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `root` `(` $root `)` (`->` `(` type($results)^ `)`)? attr-dict-with-keyword
    $body
  }];
  let hasVerifier = 1;
}

def Exec_YieldOp : Exec_Op<"yield",
    [Pure, ReturnLike, Terminator, HasParent<"DispatchRegionOp">]> {
  let summary = "Yields the results of a dispatch region.";
  let description = [{
    ```mlir
    exec.yield %act : tensor<32x3072xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$values);
  let builders = [OpBuilder<(ins), [{ /* nothing to yield */ }]>];
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

//===----------------------------------------------------------------------===//
// ExecutableOp
//===----------------------------------------------------------------------===//

def Exec_ExecutableOp : Exec_Op<"executable", [IsolatedFromAbove, Symbol,
    SymbolTable, SingleBlock, NoTerminator,
    DeclareOpInterfaceMethods<RegionKindInterface>]> {
  let summary = "The code of one kind of dispatch.";
  let description = [{
    Holds the dispatch function: a `func.func` with the executable's name
    that computes the dispatch's results from its operands on whole tensors.
    Target backends compile it to a kernel that computes one workgroup's
    tile. Dispatches with identical functions share one executable.

    ```mlir
    exec.executable @mlp_dispatch_0 {
      func.func @mlp_dispatch_0(%x: tensor<32x768xf32>, ...)
          -> tensor<32x3072xf32> { ... }
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The dispatch function: the func.func named like the executable.
    ::mlir::func::FuncOp getFunction();
  }];
}

//===----------------------------------------------------------------------===//
// DispatchOp
//===----------------------------------------------------------------------===//

def Exec_DispatchOp : Exec_Op<"dispatch",
    [DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Runs an executable over a workgroup grid.";
  let description = [{
    Binds `operands` and the results to the executable's dispatch function
    and runs it. Until a target backend chooses workgroup tiles, `grid` is
    absent. Scheduling sets `schedule_region` (dispatches in one region are
    independent; a barrier follows each region) and memory planning sets
    `result_offsets`, the arena offset of each result (-1 for a result that
    is written straight into a model output). The op's location is the
    source location of the model op the dispatch was formed around, which
    `root` names.

    ```mlir
    %0 = exec.dispatch @mlp_dispatch_0(%x, %w, %b) {grid = array<i64: 4, 1, 1>,
        root = "kiln.linear", schedule_region = 0 : i64}
        : (tensor<32x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>)
        -> tensor<32x3072xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee,
                       Variadic<AnyRankedTensor>:$args, StrAttr:$root,
                       OptionalAttr<DenseI64ArrayAttr>:$grid,
                       OptionalAttr<I64Attr>:$schedule_region,
                       OptionalAttr<DenseI64ArrayAttr>:$result_offsets);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    $callee `(` $args `)` attr-dict `:` functional-type($args, $results)
  }];
  let hasVerifier = 1;
}

#endif // KILN_DIALECTS_EXEC_IR_EXECOPS_TD
