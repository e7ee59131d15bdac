//===- ExecDialect.td - The schedule dialect ---------------*- tablegen -*-===//
//
// The `exec` dialect describes how a model runs: dispatches of compiled
// kernels over workgroup grids, the executables that hold those kernels, and
// the schedule of regions separated by barriers. The artifact writer walks
// this dialect only; nothing after dispatch formation looks at the graph.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_EXEC_IR_EXECDIALECT_TD
#define KILN_DIALECTS_EXEC_IR_EXECDIALECT_TD

include "mlir/IR/OpBase.td"

def Exec_Dialect : Dialect {
  let name = "exec";
  let cppNamespace = "::kiln::exec";
  let summary = "Dispatches, executables and the schedule of a compiled model.";
  let description = [{
    Dispatch formation groups the graph's linalg ops into
    `exec.dispatch_region`s, outlining turns each into an `exec.executable`
    called by `exec.dispatch`, and the scheduling and memory-planning passes
    annotate the dispatches with their barrier region and arena offsets.
  }];
}

class Exec_Op<string mnemonic, list<Trait> traits = []>
    : Op<Exec_Dialect, mnemonic, traits>;

#endif // KILN_DIALECTS_EXEC_IR_EXECDIALECT_TD
