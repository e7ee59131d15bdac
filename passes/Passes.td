//===- Passes.td - Kiln's passes ---------------------------*- tablegen -*-===//
//
// One def per pass, one pass per file (the def's name without the `Pass`
// suffix). Registration is generated: `registerKilnPasses()`.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_PASSES_TD
#define KILN_PASSES_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Graph level to linalg
//===----------------------------------------------------------------------===//

def AbsorbAttentionProjectionsPass
    : Pass<"kiln-absorb-attention-projections", "mlir::func::FuncOp"> {
  let summary = "Runs attention on the context its keys and values project.";
  let description = [{
    An attention whose keys and values are `kiln.linear` projections of a
    context `c` (used by nothing else) is rewritten to attend to `c`
    itself: the key weight moves onto the queries (`q'_h = q_h Wk_h`, a
    matmul batched over batch and heads) and the value weight onto the
    result (`a_h = a'_h Wv_h^T + bv_h`). All heads then share one key and
    value, so their queries stack as `heads * Sq` rows of a single head.
    The key bias drops out (it shifts every score of a row alike) and the
    value bias is added after (every row of the probabilities sums to one).
    It pays when the queries are few against the keys, as in the
    Q-Former's cross-attention: 32 queries, 257 image features of width
    1408.

    Rewrites when the multiply-adds after, `2 Sq D E + 2 Sq Sk heads E`
    per batch, are at most `max-cost-ratio` of those before, `2 Sk E D +
    2 Sq Sk D` (D = heads * head_dim). Needs heads == kv_heads, keys and
    values of one context shape, no causal mask (stacking moves the row
    index it reads), and, with a value bias, no mask or
    `empty_rows = all_keys`. Row spans and bias masks are repeated for
    each head's rows.

    Before:
    ```mlir
    %k = kiln.linear %c, %wk, %bk : (tensor<1x257x1408xf32>, ...) -> tensor<1x257x768xf32>
    %v = kiln.linear %c, %wv, %bv : (...) -> tensor<1x257x768xf32>
    %a = kiln.attention %q, %k, %v {heads = 12 : i64} : ... -> tensor<1x32x768xf32>
    ```
    After (the reshapes and transposes of q and of the result between
    [B, Sq, heads * dh] and [B, heads, Sq, dh] elided):
    ```mlir
    %qk = kiln.matmul %q_heads, %wk_heads
        : (tensor<1x12x32x64xf32>, tensor<12x64x1408xf32>) -> tensor<1x12x32x1408xf32>
    %q1 = kiln.reshape %qk : tensor<1x12x32x1408xf32> -> tensor<1x384x1408xf32>
    %a1 = kiln.attention %q1, %c, %c {heads = 1 : i64, scale = 1.250000e-01 : f64}
        : (tensor<1x384x1408xf32>, ...) -> tensor<1x384x1408xf32>
    %o = kiln.matmul %a_heads, %wv_heads {transpose_rhs}
        : (tensor<1x12x32x1408xf32>, tensor<12x64x1408xf32>) -> tensor<1x12x32x64xf32>
    %a = kiln.add %o_rows, %bv : ...
    ```
  }];
  let options = [
    Option<"maxCostRatio", "max-cost-ratio", "double", "0.75",
           "Rewrite when the multiply-adds after are at most this fraction "
           "of those before">
  ];
}

def SinkBroadcastsPass
    : Pass<"kiln-sink-broadcasts", "mlir::func::FuncOp"> {
  let summary = "Moves broadcasts after the ops that consume them.";
  let description = [{
    `op(broadcast(x), ..)` becomes `broadcast(op(x, ..))` when `op` works
    independently along the broadcast dims, so that it computes each
    distinct value once instead of once per copy: the Q-Former's learned
    queries, expanded to the batch, go through the first layer's
    self-attention and the query side of its cross-attention once per model
    run rather than once per image. The broadcast moves on until an op
    mixes the copies with data that differs between them.

    Commuting ops: elementwise unary and binary ops; transposes; reshapes
    that keep the broadcast dims leading and whole; softmax, layer and RMS
    norms and linear layers along every dim but the one they reduce or
    contract; batched matmuls along batch dims; attention without a mask
    operand whose query, key and value are all broadcast along the batch
    dim only. Only broadcasts from an input of the result's rank move, and
    only where the op's result gets smaller. Broadcasts of broadcasts fold.

    Before:
    ```mlir
    %x = kiln.broadcast %q : tensor<1x32x768xf32> -> tensor<8x32x768xf32>
    %n = kiln.layer_norm %x scale(%g) bias(%b) {epsilon = 1.0e-12 : f64}
        : (tensor<8x32x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<8x32x768xf32>
    ```
    After:
    ```mlir
    %n1 = kiln.layer_norm %q scale(%g) bias(%b) {epsilon = 1.0e-12 : f64}
        : (tensor<1x32x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<1x32x768xf32>
    %n = kiln.broadcast %n1 : tensor<1x32x768xf32> -> tensor<8x32x768xf32>
    ```
  }];
}

def LowerToLinalgPass : Pass<"kiln-lower-to-linalg", "mlir::func::FuncOp"> {
  let summary = "Lowers kiln ops to linalg.generic ops on tensors.";
  let description = [{
    Every kiln op except `kiln.param` becomes `linalg.generic` ops (plus
    `tensor.empty` and `linalg.fill` for their initial values). Contractions
    and reductions keep the operand's leading dimensions as parallel loops,
    so all ops of one row-wise chain share their outer iteration space, which
    is what dispatch formation and workgroup tiling rely on.

    Before:
    ```mlir
    %g = kiln.gelu %h : tensor<32x3072xf32>
    ```
    After:
    ```mlir
    %e = tensor.empty() : tensor<32x3072xf32>
    %g = linalg.generic {indexing_maps = [#id, #id],
                         iterator_types = ["parallel", "parallel"]}
        ins(%h : tensor<32x3072xf32>) outs(%e : tensor<32x3072xf32>) {
    ^bb0(%in: f32, %out: f32):
      ... 0.5 * x * (1 + erf(x / sqrt(2))) ...
      linalg.yield %r : f32
    } -> tensor<32x3072xf32>
    ```

    `kiln.attention` reads its keys and values in place (`k[b, j, hk, d]`)
    when a head has fewer than `keys-in-place-rows` query rows, and copies
    them into panels of 32 keys otherwise. kiln-compile (and the C++
    compile API) set the option from the target: 224 where the scores' key
    blocks exist (16-lane vectors; the default, as the other passes'
    defaults are AVX-512's), 128 otherwise.

    `kiln.moe`'s weighted sum of its routed experts reads every expert's
    output. When those outputs together would take more than half of
    `memory-budget-kib` (the budget of kiln-schedule-regions, which
    kiln-compile's `--memory-budget` sets for both), the experts are summed
    in groups, each group's sum added as soon as its experts finish, so
    that one group's outputs are live at a time.
  }];
  let options = [
    Option<"keysInPlaceRows", "keys-in-place-rows", "int64_t", "224",
           "Attention heads with fewer query rows read keys and values in "
           "place (not in panels)">,
    Option<"memoryBudgetKib", "memory-budget-kib", "int64_t", "1048576",
           "KiB of intermediates; MoE experts whose outputs would pass half "
           "of it are summed in groups (0: never)">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect", "mlir::tensor::TensorDialect"
  ];
}

def MaterializeWeightLayoutsPass
    : Pass<"kiln-materialize-weight-layouts", "mlir::func::FuncOp"> {
  let summary = "Stores contraction weights in the layout GEMM tiles read.";
  let description = [{
    A contraction that reads a parameter as `B[n, k]` (the `[out, in]`
    layout of checkpoints) is rewritten to read it in the layout GEMM
    kernels stream, re-declared on the `kiln.param` so that the artifact
    writer re-lays the data out once, at compile time:

    - in panels of `panel` columns, `[ceil(N / p), K, p]` read as
      `B[n floordiv p, k, n mod p]`, when every use of the parameter is such
      a GEMM and N >= p; when p does not divide N the last panel is padded
      with zeros and `panel_columns = N` records the declared columns;
    - otherwise transposed, `[K, N]` read as `B[k, n]`.

    A batched weight `[G.., N, K]` read as `B[g.., n, k]` by a batched GEMM
    (the per-head projections of kiln-absorb-attention-projections) is
    stored transposed in its last two dims, `[G.., K, N]`.

    Before: `%w = kiln.param "fc.weight" : tensor<3072x768xf32>` read with
    the map `(m, n, k) -> (n, k)`.
    After: `%w = kiln.param "fc.weight" {panel = 32 : i64} :
    tensor<96x768x32xf32>` read with
    `(m, n, k) -> (n floordiv 32, k, n mod 32)`.
  }];
  let options = [
    Option<"panel", "panel", "int64_t", "32",
           "Columns per weight panel (the GEMM kernel's nr); 0 transposes "
           "instead">
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}


def FoldGemmTransposesPass
    : Pass<"kiln-fold-gemm-transposes", "mlir::func::FuncOp"> {
  let summary = "Makes GEMMs read their A through the transposes that produce it.";
  let description = [{
    A GEMM contraction (OpClassification.h) whose A is the result of a copy
    that only permutes dims (a lowered `kiln.transpose`) reads the copy's
    input instead, with the copy's input map composed into its map for A,
    when the result is still a GEMM the kernels take (batch dims in any
    order, the row dim once, k last). The copy goes when nothing else reads
    it. Otherwise dispatch formation fuses the copy into the GEMM's
    dispatch and every workgroup recomputes its rows of A for each of its
    column tiles.

    ```mlir
    // Before:
    %t = linalg.generic {maps = [(b, h, i, d) -> (b, i, h, d),
                                 (b, h, i, d) -> (b, h, i, d)]}
        ins(%q : tensor<8x32x12x64xf32>) outs(%e : tensor<8x12x32x64xf32>)
    %c = linalg.generic {maps = [(b, h, i, j, d) -> (b, h, i, d), ..]}
        ins(%t, %w : ...)
    // After:
    %c = linalg.generic {maps = [(b, h, i, j, d) -> (b, i, h, d), ..]}
        ins(%q, %w : ...)
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def PackGemmOperandsPass
    : Pass<"kiln-pack-gemm-operands", "mlir::func::FuncOp"> {
  let summary = "Packs run-time GEMM operands into the panel layout.";
  let description = [{
    A contraction whose B is computed at run time (not a `kiln.param`) is
    made to read a copy of B in panels of `panel` columns, `[N / p, K, p]`
    read as `B[n floordiv p, k, n mod p]` (after B's leading batch dims,
    kept as they are: `[..., N / p, K, p]`), written by an elementwise
    `linalg.generic` (tagged `kiln.op = "kiln.pack_panels"`) that dispatch
    formation keeps in a dispatch of its own. The copy is made when N is
    at least p and at least `min-rows` rows of C read each slice of B, or
    at any row count when B is read as `B[..., n, k]`. When p does not divide N the panels
    are `[ceil(N / p), K, p]`, the last padded with zeros, and the copy
    reads B with `tensor.extract` below column N (a scalar copy).

    ```mlir
    // Before: B is an argument, read as B[k, n].
    %c = linalg.generic {maps = [(m, n, k) -> (m, k), (m, n, k) -> (k, n),
                                 (m, n, k) -> (m, n)]}
        ins(%a, %b : tensor<128x64xf32>, tensor<64x64xf32>) ...
    // After:
    %p = linalg.generic {maps = [(i, k, j) -> (k, i * 32 + j),
                                 (i, k, j) -> (i, k, j)]}
        ins(%b : tensor<64x64xf32>) outs(%e : tensor<2x64x32xf32>)
    %c = linalg.generic {maps = [(m, n, k) -> (m, k),
                                 (m, n, k) -> (n floordiv 32, k, n mod 32),
                                 (m, n, k) -> (m, n)]}
        ins(%a, %p : tensor<128x64xf32>, tensor<2x64x32xf32>) ...
    ```
  }];
  let options = [
    Option<"panel", "panel", "int64_t", "32",
           "Columns per panel (the GEMM kernel's nr); 0 disables packing">,
    Option<"minRows", "min-rows", "int64_t", "64",
           "Rows of C from which packing B pays for itself">
  ];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect"
  ];
}
def MaterializeOutputsPass
    : Pass<"kiln-materialize-outputs", "mlir::func::FuncOp"> {
  let summary = "Gives every model output a computation of its own.";
  let description = [{
    The runtime writes each model output from a dispatch into the caller's
    tensor. An output that is an input, a parameter, a constant or a view of
    another value, or a value returned twice, is copied with `linalg.copy`,
    which becomes its dispatch.

    ```mlir
    return %x, %x : tensor<4xf32>, tensor<4xf32>
    // becomes
    %0 = linalg.copy ins(%x : tensor<4xf32>) outs(%e0 : tensor<4xf32>)
    %1 = linalg.copy ins(%x : tensor<4xf32>) outs(%e1 : tensor<4xf32>)
    return %0, %1 : tensor<4xf32>, tensor<4xf32>
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// Dispatch formation and scheduling
//===----------------------------------------------------------------------===//

def FormDispatchRegionsPass
    : Pass<"kiln-form-dispatch-regions", "mlir::func::FuncOp"> {
  let summary = "Groups linalg ops into dispatch regions around root ops.";
  let description = [{
    Walks the function in order. A contraction, or any op that no earlier
    group can take, starts a group. An elementwise op or a reduction along
    the last dimension joins the group that produces one of its operands
    when it computes on the same rows: its result has the group's output
    shape, or that shape without the last dimension (a row reduction, as in
    layer norm). So a linear's bias and activation join its GEMM, and a
    residual add and layer norm join the GEMM before them. Each group
    becomes an `exec.dispatch_region` at the place of its last op; values
    used after the group become its results. So an op may join only if no
    outside op between the group's first op and it reads the group, through
    an operand or from inside its body.

    A row reduction makes the group's workgroups own whole rows, each of
    which reads all of a GEMM's B; so it joins a GEMM's group only while B
    (N x K floats) stays within `row-fusion-weight-limit-mib`, where the
    row tiles find it in the last-level cache. A larger B (Show-o's fc2,
    64 MiB) would stream from memory once per row tile: its norm starts a
    dispatch of its own instead, and the GEMM keeps its usual tiles.

    An op marked `kiln.starts_dispatch` joins no group: it starts one.
    Joining an elementwise op to a group far before it keeps the group's
    operands live until it runs; the MoE lowering marks its later sums of
    groups of experts, each of which would otherwise join the first.

    A group takes at most `max-group-ops` ops: bufferizing a kernel costs
    about the cube of its op count (a chain of 500 adds took 10 s to
    compile, 1000 over 100 s), and no model's dispatch comes near.

    ```mlir
    %0 = exec.dispatch_region root("kiln.linear") -> (tensor<32x3072xf32>) {
      %mm = linalg.generic ...   // contraction
      %act = linalg.generic ...  // bias + gelu
      exec.yield %act : tensor<32x3072xf32>
    }
    ```
  }];
  let options = [
    Option<"rowFusionWeightLimitMib", "row-fusion-weight-limit-mib",
           "int64_t", "16",
           "MiB of a GEMM's B (N x K floats) above which row reductions "
           "(norms) do not join its dispatch">,
    Option<"maxGroupOps", "max-group-ops", "int64_t", "64",
           "Most ops in one dispatch">
  ];
  let dependentDialects = ["kiln::exec::ExecDialect"];
}

def OutlineDispatchesPass
    : Pass<"kiln-outline-dispatches", "mlir::ModuleOp"> {
  let summary = "Turns dispatch regions into executables and dispatches.";
  let description = [{
    Each `exec.dispatch_region` becomes an `exec.dispatch` of an
    `exec.executable` whose function takes the values the region used from
    above as arguments. Regions whose functions are identical (the same ops
    on the same types, as identical layers produce) share one executable, so
    that it is compiled once.

    ```mlir
    exec.executable @block_dispatch_0 {
      func.func @block_dispatch_0(%arg0: tensor<32x768xf32>, ...)
          -> tensor<32x3072xf32> { ... }
    }
    func.func @block(...) {
      %0 = exec.dispatch @block_dispatch_0(%x, %w, %b) {root = "kiln.linear"}
          : (...) -> tensor<32x3072xf32>
    }
    ```
  }];
  let dependentDialects = ["kiln::exec::ExecDialect",
                           "mlir::func::FuncDialect"];
}

def ScheduleRegionsPass
    : Pass<"kiln-schedule-regions", "mlir::func::FuncOp"> {
  let summary = "Assigns each dispatch to a barrier region.";
  let description = [{
    A dispatch's region is one more than the latest region of the dispatches
    it reads from (0 when it reads only inputs and parameters), so that
    dispatches of one region are independent and can share the workers;
    the runtime puts a barrier between regions. Sets `schedule_region`.

    That schedule runs every dispatch as soon as possible, so independent
    chains (the experts of a MoE layer) all hold their intermediates at
    once. When the intermediates live at once would pass
    `memory-budget-kib` (1 GiB by default), and scheduling in program order
    keeps fewer live, a dispatch also never runs before the dispatch before
    it in program order: consecutive independent dispatches still share a
    region, and a chain's buffers die before the next chain's are written,
    so the memory plan reuses them.
  }];
  let options = [
    Option<"memoryBudgetKib", "memory-budget-kib", "int64_t", "1048576",
           "KiB of intermediates live at once above which dispatches keep "
           "their program order when that keeps fewer live (0: never)">
  ];
}

def PlanMemoryPass : Pass<"kiln-plan-memory", "mlir::func::FuncOp"> {
  let summary = "Places intermediate results in the activation arena.";
  let description = [{
    Every dispatch result that is not a model output gets an offset in the
    invocation's activation arena (`result_offsets`, 64-byte aligned). A
    buffer is live from the region that writes it to the last region that
    reads it; buffers whose live ranges overlap never overlap in memory,
    others may share bytes (first fit, largest buffers placed first). The
    arena size is set as `exec.arena_size` on the function. Model outputs
    get offset -1: dispatches write them straight into the caller's tensors.
  }];
}

//===----------------------------------------------------------------------===//
// CPU code generation
//===----------------------------------------------------------------------===//

def CpuSelectWorkgroupTilesPass
    : Pass<"kiln-cpu-select-workgroup-tiles", "mlir::ModuleOp"> {
  let summary = "Chooses each executable's workgroup tile and grid.";
  let description = [{
    A workgroup computes a tile of the dispatch's results: one index of each
    leading (batch) dimension, `rows` of the second-to-last and `cols` of
    the last dimension. A dispatch that reduces along the last dimension
    (layer norm) takes whole rows, `norm-row-tile` of them or, when rows
    are short, enough for `min-whole-row-elements` elements. Column tiles are multiples of 32 that
    divide the columns, or where none does, multiples of 32 with a
    partial last tile. A GEMM dispatch with few workgroups narrows its
    column tiles so that the workers can balance them. Other
    dispatches with rows narrower than `col-tile` take more rows, as many
    elements as `row-tile` rows of `col-tile` columns (512 rows of a B
    operand packed into 16-column panels, not 32). Sets
    `exec.workgroup_tile` on the executable's function and `grid` (x:
    column tiles, y: row tiles, z: batch) on every dispatch of it. A
    dispatch whose ops say what an element costs (`kiln.element_cost`,
    scalar steps) takes at most `workgroup-cost` steps per workgroup:
    fewer rows, then a divisor of the columns, down to one element.
  }];
  let options = [
    Option<"rowTile", "row-tile", "int64_t", "32",
           "Rows per workgroup of a dispatch (the least for a GEMM)">,
    Option<"gemmRowTile", "gemm-row-tile", "int64_t", "128",
           "Most rows per workgroup of a GEMM dispatch (taken while at "
           "least four row tiles remain)">,
    Option<"colTile", "col-tile", "int64_t", "256",
           "Largest column count per workgroup of a GEMM dispatch (with "
           "row-tile, the elements of a narrow-row workgroup)">,
    Option<"minGemmWorkgroups", "min-gemm-workgroups", "int64_t", "8",
           "Workgroups a GEMM dispatch narrows its column tiles (to no less "
           "than 64) to reach; batch dims giving this many spare a "
           "whole-row GEMM dispatch from halving its rows">,
    Option<"normRowTile", "norm-row-tile", "int64_t", "8",
           "Rows per workgroup of a dispatch that reduces whole rows">,
    Option<"minWholeRowElements", "min-whole-row-elements", "int64_t",
           "2048",
           "Elements per workgroup of a whole-row dispatch with short rows "
           "(it takes more than norm-row-tile rows to reach them)">,
    Option<"limitedRowTile", "limited-row-tile", "int64_t", "256",
           "Most rows per workgroup of a row-limited GEMM dispatch, which "
           "takes twice the rows its ops expect (kiln.row_limit)">,
    Option<"workgroupCost", "workgroup-cost", "int64_t", "65536",
           "Most scalar steps per workgroup of a dispatch whose ops give "
           "their cost per element (kiln.element_cost)">
  ];
}

def CpuTileWorkgroupsPass
    : Pass<"kiln-cpu-tile-workgroups", "mlir::func::FuncOp"> {
  let summary = "Rewrites a dispatch function into a workgroup kernel.";
  let description = [{
    The dispatch function (whole tensors in, whole tensors out) becomes a
    kernel that computes one workgroup's tile: its arguments are the
    bindings as memrefs (operands, then results) and the workgroup id
    (x, y, z). Every op is tiled exactly once, consumers first: the tile a
    consumer needs of a producer's result becomes the producer's tile, and
    all consumers must agree on it. The last row tile and the last column
    tile, where the tiles do not divide the rows or columns, are further
    statically shaped copies of the body (up to four in all). In a
    row-limited dispatch (`kiln.row_limit`, passes/OpClassification.h) the
    body runs only when the tile's first row is below the count, and the
    tiled ops get the count of rows from the tile's first one; the
    elementwise ops that read their rows from a row-limited op's result
    (an MoE expert's GEMM epilogue) get it as a row limit of their own,
    for kiln-cpu-limit-row-loops. An op with a key limit must get all its
    keys in every tile.

    ```mlir
    func.func @d(%a: memref<32x768xf32>, %w: memref<768x3072xf32>,
                 %out: memref<32x3072xf32>, %x: index, %y: index, %z: index)
      %ta = bufferization.to_tensor %a restrict : ...
      %sa = tensor.extract_slice %ta[%m0, 0] [32, 768] [1, 1]
      ... tiled ops ...
      bufferization.materialize_in_destination %r in restrict writable %sub
    ```
  }];
  let dependentDialects = [
    "mlir::affine::AffineDialect", "mlir::bufferization::BufferizationDialect",
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect"
  ];
}

def CpuBufferizePass : Pass<"kiln-cpu-bufferize", "mlir::ModuleOp"> {
  let summary = "Bufferizes workgroup kernels in place.";
  let description = [{
    Eliminates `tensor.empty` ops that feed a kernel's result (the last op
    of a tile then writes straight into the result binding), then runs
    one-shot bufferization. Copies become `linalg.copy`, which lowers to
    loops: kernels are freestanding and cannot call `memcpy` helpers.
  }];
  let dependentDialects = [
    "mlir::bufferization::BufferizationDialect", "mlir::linalg::LinalgDialect",
    "mlir::memref::MemRefDialect"
  ];
}

def CpuAllocateScratchPass
    : Pass<"kiln-cpu-allocate-scratch", "mlir::func::FuncOp"> {
  let summary = "Moves a kernel's temporary buffers into workgroup scratch.";
  let description = [{
    Kernels cannot allocate. Every `memref.alloc` of a workgroup kernel
    becomes a `memref.view` into a new last argument, the workgroup's
    scratch buffer, at a 64-byte aligned offset: disjoint, except that the
    two regions of an `scf.if` without results (a kernel's bodies for full
    and partial tiles) start at the same offset, as only one runs. The
    scratch size is set as `exec.scratch_size` on the function.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect"];
}

def CpuFlashAttentionPass
    : Pass<"kiln-cpu-flash-attention", "mlir::func::FuncOp"> {
  let summary = "Rewrites an attention tile into an online softmax over key blocks.";
  let description = [{
    An attention's parts (`kiln.attention_part`: scores, mask, max, sum,
    probs, pv) share one dispatch whose workgroups own whole query rows.
    After bufferization this pass replaces each workgroup's chain with a
    loop over blocks of keys (`attentionKeyBlock`: Sk up to 320 keys, else
    256 or a divisor of Sk that is whole 32-key panels; the Sk mod block
    keys past the last whole block are a tail block after the loop) that
    keeps a running row max `m`, sum `l` and output `O`: per block
    the scores GEMM, the chain's mask op (its key indices offset by the
    block), `m' = max(m, rowmax S)`, `P = exp(S - m')`, `l = l exp(m - m') +
    rowsum P`, `O = O exp(m - m') + P V`; then `O / l`. Only a
    `[rows x block]` block of scores exists at a time, and the loop stops
    at the largest key end of the tile's rows under a key limit; a block
    below the smallest key end under a causal or padding mask skips the mask
    (only the scores' scaling, when the mask op did it). The GEMMs
    and the mask are linalg ops on memref views for the later kernel passes
    to lower; the softmax steps are vector code, row by row.

    ```mlir
    // scores, mask, max, sum, probs and pv generics on a [1,1,32,2048]
    // scratch become
    scf.for %kb = %c0 to %end step %c256 {
      linalg.fill ... %s : memref<1x1x32x256xf32>
      linalg.generic ... ins(%q, %kT_block) outs(%s)     // S = Q K^T
      linalg.generic ... ins(%s, ...) outs(%s)           // mask
      ...                                               // online softmax
      linalg.generic ... ins(%s, %v_block) outs(%o)      // O += P V
    }
    ```
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::math::MathDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect"
  ];
}

def CpuLimitKeyLoopsPass
    : Pass<"kiln-cpu-limit-key-loops", "mlir::func::FuncOp"> {
  let summary = "Stops elementwise ops with a key limit at their rows' key ends.";
  let description = [{
    An elementwise op with a key limit (`kiln.key_end = array<i64: key>` and
    the rows' key ends as its last input, see passes/OpClassification.h)
    computes its key loop over `[0, e)` only, e the largest key end of the
    tile's rows: its operands become views with that many keys. GEMMs and
    row reductions with a key limit are lowered by
    kiln-cpu-lower-contractions and kiln-cpu-lower-row-reductions before
    this pass; any other op left with a key limit is an error.

    ```mlir
    linalg.generic {... iterator_types = ["parallel", "parallel"]}
        ins(%s, %ends : memref<8x64xf32>, memref<8xi64>)
        outs(%p : memref<8x64xf32>) attrs = {kiln.key_end = array<i64: 1>}
    // becomes
    %e = ... the largest of %ends, at most 64
    %sv = memref.subview %s[0, 0] [8, %e] [1, 1]
    %pv = memref.subview %p[0, 0] [8, %e] [1, 1]
    linalg.generic {...} ins(%sv, %ends : ...) outs(%pv : ...)
    ```
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect"
  ];
}

def CpuLimitRowLoopsPass
    : Pass<"kiln-cpu-limit-row-loops", "mlir::func::FuncOp"> {
  let summary = "Stops elementwise ops with a row limit at their count.";
  let description = [{
    An elementwise op with a row limit (`kiln.row_limit` and a rank-0
    integer count as its last input, see passes/OpClassification.h)
    computes the result rows below the count only: its row loop (the
    second-to-last dim of its results) runs over `[0, min(count, rows))`
    and its operands become views with that many rows. The other rows may
    hold anything. kiln-cpu-tile-workgroups gives the elementwise ops of a
    row-limited workgroup (an MoE expert's GEMM epilogue) this limit.
    GEMMs with a row limit are lowered by kiln-cpu-lower-contractions
    before this pass; other ops left with one are computed whole.

    ```mlir
    linalg.generic {... iterator_types = ["parallel", "parallel"]}
        ins(%g, %n : memref<256x64xf32>, memref<i64>)
        outs(%y : memref<256x64xf32>) attrs = {kiln.row_limit}
    // becomes
    %c = max(min(load %n, 256), 0)
    %gv = memref.subview %g[0, 0] [%c, 64] [1, 1]
    %yv = memref.subview %y[0, 0] [%c, 64] [1, 1]
    linalg.generic {...} ins(%gv, %n : ...) outs(%yv : ...)
    ```
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect"
  ];
}

def CpuHoistInvariantLoadsPass
    : Pass<"kiln-cpu-hoist-invariant-loads", "mlir::func::FuncOp"> {
  let summary = "Hoists loads of bindings a loop does not write, and picks "
                "of one buffer among several, out of loops.";
  let description = [{
    Runs after loop lowering, on kernels whose bindings never overlap.
    First, an `scf.index_switch` whose every region (the default too) is
    one `memref.load` of the same indices from buffers of one type defined
    outside it becomes a switch over the buffers and one load after it.
    Then, out of every static loop (at least one iteration), inner loops
    first, move the ops whose operands are defined outside it and that are
    pure, a buffer switch, or a `memref.load` from a binding that nothing
    in the loop writes. LLVM could do neither: a store in the loop might
    alias the load. The MoE gather's per-row token index and the MoE
    combine's per-element switch over the experts' outputs leave the
    column loop, which LLVM then vectorizes.

    ```mlir
    scf.for %c = %c0 to %c256 step %c1 {
      %e = memref.load %experts[%t, %c0] : memref<512x2xi64>
      %i = arith.index_cast %e : i64 to index
      %v = scf.index_switch %i -> f32
      case 0 { %x = memref.load %y0[%row, %c] : memref<512x64xf32>  scf.yield %x : f32 }
      default { %x = memref.load %y1[%row, %c] : memref<512x64xf32>  scf.yield %x : f32 }
      memref.store %v, %out[%t, %c] : memref<512x256xf32>
    }
    // becomes
    %e = memref.load %experts[%t, %c0] : memref<512x2xi64>
    %i = arith.index_cast %e : i64 to index
    %y = scf.index_switch %i -> memref<512x64xf32>
    case 0 { scf.yield %y0 : memref<512x64xf32> }
    default { scf.yield %y1 : memref<512x64xf32> }
    scf.for %c = %c0 to %c256 step %c1 {
      %v = memref.load %y[%row, %c] : memref<512x64xf32>
      memref.store %v, %out[%t, %c] : memref<512x256xf32>
    }
    ```
  }];
  let dependentDialects = [
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect"
  ];
}

def CpuLowerTransposesPass
    : Pass<"kiln-cpu-lower-transposes", "mlir::func::FuncOp"> {
  let summary = "Lowers copies that move the innermost dim to 16x16 block "
                "transposes.";
  let description = [{
    A copy on f32 memrefs whose indexing maps are permutations and whose
    output's innermost loop `y` is not the input's innermost loop `x` (attention's keys, `[b, j, h, d] -> [b, h, d, j]`),
    becomes loops over the other dims around 16 x 16 blocks of (x, y): 16
    vector loads of input rows along x, a `vector.transpose` lowered to the
    16 x 16 shuffle network, and 16 vector stores of output rows along y.
    Edge blocks load fewer rows and mask their lanes. The generic loop
    lowering left such copies to LLVM, which vectorized them with gathers.

    ```mlir
    linalg.generic {indexing_maps = [(d0, d1) -> (d1, d0), (d0, d1) -> (d0, d1)],
                    iterator_types = ["parallel", "parallel"]}
        ins(%in : memref<40x24xf32>) outs(%out : memref<24x40xf32>)
    // becomes, for whole blocks and the edges (x = d0 < 24, y = d1 < 40)
    scf.for %x0 = %c0 to %c16 step %c16 {
      scf.for %y0 = %c0 to %c32 step %c16 {
        // 16 x vector.load %in[%y0 + r, %x0], vector.transpose,
        // 16 x vector.store %out[%x0 + l, %y0]
      }
    }
    ```
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::vector::VectorDialect"
  ];
}

def CpuLowerCopiesPass
    : Pass<"kiln-cpu-lower-copies", "mlir::func::FuncOp"> {
  let summary = "Lowers copies along the innermost dim to vector loads and "
                "stores.";
  let description = [{
    A copy on static f32 memrefs whose output is indexed by the loops in
    order and whose innermost loop steps only the input's innermost index,
    by one (`out[.., j] = in[.., f(..) + j]`; the run-time packing of a GEMM
    operand into panels, `out[i, k, j] = in[k, i * p + j]`), becomes loops
    over the outer dims around a loop of vector loads and stores of
    `vector-width` lanes, then one masked vector for the rest. Left to convert-linalg-to-loops, the element
    moves stayed scalar: LLVM may not hoist a load above a store that could
    alias it.

    ```mlir
    linalg.generic {indexing_maps = [(d0, d1, d2) -> (d1, d0 * 16 + d2),
                                     (d0, d1, d2) -> (d0, d1, d2)], ...}
        ins(%in : memref<32x16xf32, ...>) outs(%out : memref<1x32x16xf32, ...>)
    // becomes
    scf.for %i = %c0 to %c1 step %c1 {
      scf.for %k = %c0 to %c32 step %c1 {
        scf.for %j = %c0 to %c16 step %c16 {
          %v = vector.load %in[%k, %i * 16 + %j] : ..., vector<16xf32>
          vector.store %v, %out[%i, %k, %j] : ..., vector<16xf32>
        }
      }
    }
    ```
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "f32 lanes per vector load and store">
  ];
  let dependentDialects = [
    "mlir::affine::AffineDialect", "mlir::arith::ArithDialect",
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect"
  ];
}

def CpuLowerDotProductsPass
    : Pass<"kiln-cpu-lower-dot-products", "mlir::func::FuncOp"> {
  let summary = "Lowers contractions that read B as B[n, k] to dot products "
                "in vector registers.";
  let description = [{
    A contraction on static f32 memrefs that reads B as `B[n, k]` with k
    contiguous (attention's scores over keys read in place) becomes, for
    each column n and each block of up to 8 rows, one vector accumulator
    per row carried along k in chunks of `vector-width` lanes (the last one
    masked), each chunk of `B[n, ..]` loaded once for the block's rows; the
    block's horizontal sums share one tree of shuffles and are added to C.
    Under a key limit on the columns, n stops at the largest key end of the
    tile's rows. With 16-lane vectors, at least two whole blocks of 16 rows
    and 16 columns, those blocks' columns go in blocks of 16 with B as the
    broadcast operand (`C^T = B A^T`): A^T is written to a stack buffer by
    16 x 16 transposes, each block of B's rows is copied to a contiguous
    stack buffer, and for each block of 16 rows 16 accumulators (one per
    column) carry the rows' sums along k, a vector of A^T times a broadcast
    element of B per FMA; the accumulators' 16 x 16 transpose (the shuffle
    network) is added to C's rows. The rows past the whole row blocks and
    the columns past the last whole column block take the dot products. A
    function's contractions share one pair of stack buffers. With
    `kiln.prefetch_ahead = d` on the contraction (a decoding step's flash
    loop), each column step first prefetches row `n + d` of B into L2, a
    line at a time (a block of 16 columns, its 16 rows). The order of the
    additions depends on the shapes and the key ends, never on the thread
    count.

    ```mlir
    linalg.generic {indexing_maps = [(b, h, i, j, d) -> (b, i, h, d),
                                     (b, h, i, j, d) -> (b, j, h, d),
                                     (b, h, i, j, d) -> (b, h, i, j)], ...}
        ins(%q, %k : memref<1x4x1x128xf32>, memref<1x256x1x128xf32>)
        outs(%s : memref<1x1x4x256xf32>)
    // becomes, per key j: four vector<16xf32> accumulators over 8 chunks,
    // shuffles and adds down to vector<4xf32>, and s[.., r, j] += sum r
    ```
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "f32 lanes per vector (a power of two)">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::vector::VectorDialect"
  ];
}

def CpuLowerRowReductionsPass
    : Pass<"kiln-cpu-lower-row-reductions", "mlir::func::FuncOp"> {
  let summary = "Lowers row reductions to loops that keep accumulators in registers.";
  let description = [{
    A row reduction on memrefs (all loops parallel but the last) becomes
    loops over its parallel dims around an `scf.for` over the reduced dim
    that carries the accumulators as loop values: the outputs are loaded
    once per row and stored once, and the combiner (`arith.addf`, `mulf`,
    `maximumf` or `minimumf` of the accumulator) is marked
    `fastmath<reassoc>` so that LLVM's loop vectorizer may keep vector
    partial results. The order is fixed at compile time: results do not
    depend on the thread count. GEMMs are left to
    kiln-cpu-lower-contractions, except those reading B as `B[n, k]`
    (attention's scores over keys read in place), which become dot products
    here. Under a key limit the key loop of each row stops at the row's key
    end: the reduction loop, or a parallel loop outside it.
    `memref.load`/`memref.store` at the op's indexing maps (`affine.apply`
    for non-trivial results); `linalg.index` becomes the loop index.

    ```mlir
    linalg.generic {iterator_types = ["parallel", "reduction"]}
        ins(%x : memref<4x64xf32>) outs(%m : memref<4xf32>) {
    ^bb0(%in: f32, %acc: f32):
      %0 = arith.maximumf %in, %acc : f32
      linalg.yield %0 : f32
    }
    // becomes
    scf.for %i = %c0 to %c4 step %c1 {
      %init = memref.load %m[%i] : memref<4xf32>
      %r = scf.for %j = %c0 to %c64 step %c1 iter_args(%acc = %init) -> f32 {
        %in = memref.load %x[%i, %j] : memref<4x64xf32>
        %0 = arith.maximumf %in, %acc fastmath<reassoc> : f32
        scf.yield %0 : f32
      }
      memref.store %r, %m[%i] : memref<4xf32>
    }
    ```
  }];
  let dependentDialects = [
    "mlir::affine::AffineDialect", "mlir::arith::ArithDialect",
    "mlir::scf::SCFDialect"
  ];
}

def CpuLowerContractionsPass
    : Pass<"kiln-cpu-lower-contractions", "mlir::func::FuncOp"> {
  let summary = "Lowers GEMM tiles to register-blocked vector code.";
  let description = [{
    A contraction on memrefs, `C[.., m, n] += A[.., m, k] * B[k, n]` (or B
    in panels of p columns, `B[n floordiv p, k, n mod p]`, with `nr`
    dividing p), becomes BLIS's macro-kernel loop nest: for each `nr`
    columns of C, for each `kc` of the depth, for each `mr` rows, a
    micro-kernel whose `mr` x `nr` accumulators live in vector registers
    across its depth loop, each step broadcasting `mr` elements of A and
    loading `nr / vector-width` vectors of B for
    `mr * nr / vector-width` FMAs. The defaults fill AVX-512's 32
    registers; kiln-compile sets the options from the target (AVX2: 6 x 16
    blocks of 8 lanes, kc 256; compiler/cpu/CpuTarget.h). Row and column
    remainders get smaller blocks and masked vectors, so every shape stays
    vectorized; a row remainder of up to `mr / 2` shares the last whole
    block's rows (two blocks of about (mr + rest) / 2 rows), since a block
    of 1 or 2 rows cannot hide the FMA latency. Each micro-kernel starts
    its sums from zero and adds them to C after its depth loop, so a block
    of C that misses the caches does not hold up the first FMAs. When C was
    zero-filled just before (nothing in between touches it), the fill is
    removed and the first depth block stores its sums without reading C:
    one pass over C less, and no huge unrolled memset for LLVM to compile
    (attention's score tiles made that 4,096 stores per kernel). A
    row-limited GEMM starts no `mr`-row block past its count. Under a key
    limit on the columns the column blocks stop at the largest key end of
    the tile's rows; on the depth each row block's depth loop stops at the
    largest key end of its rows. For B in panels (or deeper than
    `prefetch-rows`), each depth step also prefetches into L2 the B vectors
    `prefetch-rows` rows ahead (`memref.prefetch`, locality 2): the next
    slab, fetched while the row blocks after the first reuse this one from
    cache; a contraction with `kiln.prefetch_ahead = d` (the product with V
    of a decoding step's flash loop) prefetches `d` rows ahead whatever its
    depth: the next key block. When C is a zero-filled binding (not a scratch view, which
    attention reuses from L1), each micro-kernel of the first depth block
    also prefetches for writing the lines of the C block it will store, one
    per 16 columns plus the last column when rows are not whole lines apart,
    before its depth loop (`prefetch-c`): a C written once and larger than
    the caches (`q k^T` with 64-deep heads) otherwise stalls on a read for
    ownership at each store.

    ```mlir
    linalg.generic {indexing_maps = [(m, n, k) -> (m, k),
                                     (m, n, k) -> (n floordiv 32, k, n mod 32),
                                     (m, n, k) -> (m, n)], ...}
        ins(%a, %b : memref<32x768xf32, ...>, memref<8x768x32xf32, ...>)
        outs(%c : memref<32x256xf32, ...>)
    // becomes
    scf.for %n0 = %c0 to %c256 step %c32 {          // panels
      scf.for %m0 = %c0 to %c32 step %c8 {          // kc = K = 768 here
        %acc = vector.load %c[..] ...               // 16 accumulators
        %r:16 = scf.for %k = ... iter_args(...) {   // 2 loads of B,
          ...                                       // 8 broadcasts of A,
        }                                           // 16 vector.fma
        vector.store ...
      }
    }
    ```
  }];
  let options = [
    Option<"mr", "mr", "int64_t", "8", "Rows of C per register block">,
    Option<"nr", "nr", "int64_t", "32", "Columns of C per register block">,
    Option<"kc", "kc", "int64_t", "512",
           "Depth per block (the slab of B kept in L1 across rows)">,
    Option<"unroll", "unroll", "int64_t", "1",
           "Depth steps per iteration of a micro-kernel's depth loop (the "
           "rest of the block in a loop of single steps after it)">,
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "f32 lanes per vector register">,
    Option<"prefetchRows", "prefetch-rows", "int64_t", "512",
           "Rows of B ahead that each depth step prefetches into L2 (the "
           "next slab when equal to kc; 0: no prefetch, not even a "
           "contraction's kiln.prefetch_ahead)">,
    Option<"spreadPrefetches", "spread-prefetches", "bool", "false",
           "With unroll > 1, row blocks of a tile share the prefetches of "
           "the next slab of B in panels, one row each per unrolled "
           "iteration, instead of each issuing them all (for B streamed "
           "from memory: kiln-compile sets it for models with 64 MiB of "
           "weights or more; a B carved from a buffer of 64 MiB or more "
           "shares them without it)">,
    Option<"prefetchC", "prefetch-c", "bool", "true",
           "Prefetch for writing the lines of each C block that a zero-filled "
           "binding's first depth block stores, before its depth loop">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::vector::VectorDialect"
  ];
}

def CpuExpandMathPass : Pass<"kiln-cpu-expand-math", "mlir::func::FuncOp"> {
  let summary = "Expands math ops that have no instruction into arithmetic.";
  let description = [{
    Kernels are freestanding: there is no libm to call. `math.erf`,
    `math.tanh`, `math.exp` and friends become polynomial approximations
    (MLIR's, accurate to a few ulp in f32); `math.rsqrt` becomes
    `1 / sqrt`, which has an instruction. With
    `rounding-instructions=false` (x86-64 CPUs without SSE4.1), `math.ceil`,
    `round` and `roundeven` become integer conversions and selects (MLIR's
    math expansions) and `math.floor` becomes `-ceil(-x)`, exact for every
    x: LLVM would otherwise turn them into calls to libm.

    Every float to integer conversion left in the function then converts
    NaN as 0 (a compare and a select before it): LLVM's `fptosi` of NaN is
    poison, and the approximations convert their range reduction, which
    stays NaN for a NaN argument. The polynomial carries the NaN to the
    result at run time, but a NaN known to LLVM (a constant) folded the
    whole result to poison, and exp of a constant NaN read 0.
  }];
  let options = [
    Option<"roundingInstructions", "rounding-instructions", "bool", "true",
           "Whether the target rounds floats to integral values in one "
           "instruction (SSE4.1 roundps)">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def CpuEmitKernelAbiPass
    : Pass<"kiln-cpu-emit-kernel-abi", "mlir::ModuleOp"> {
  let summary = "Wraps each lowered kernel in the runtime's calling convention.";
  let description = [{
    For every function marked `exec.kernel`, adds the exported entry point
    of `runtime/abi/KernelAbi.h`,
    `i32 @name(ptr %dispatch_state, ptr %workgroup_state)`, which loads the
    binding pointers, the workgroup id and the scratch pointer from the
    two states and calls the kernel body (renamed `@name_body`, internal).
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def CpuRelaxFmaPass : Pass<"kiln-cpu-relax-fma", "mlir::ModuleOp"> {
  let summary = "Turns exact fused multiply-adds into llvm.intr.fmuladd.";
  let description = [{
    For CPUs without FMA instructions: an exact `llvm.intr.fma` there
    becomes a call to libm's `fmaf`, which the kernels' self-contained
    shared object cannot link. Each becomes `llvm.intr.fmuladd` (a
    multiply and an add, rounded twice) with the same operands and
    fast-math flags. The kernel pipeline runs it, after the conversion to
    the LLVM dialect, only for such targets.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // KILN_PASSES_PASSES_TD
