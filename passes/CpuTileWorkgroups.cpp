//===- CpuTileWorkgroups.cpp - Dispatch function to workgroup kernel ------===//
//
// Rewrites a dispatch function (whole tensors in and out) into the kernel
// of one workgroup. The workgroup's tile of every result is fixed by
// `exec.workgroup_tile` and the workgroup id; ops are then tiled once each,
// consumers first, with TilingInterface: the slice a tiled consumer takes of
// a producer's result is the tile that producer must compute. Dispatch
// formation only groups ops that read each other by rows, so all consumers
// of a value ask for the same tile and nothing is computed twice; the pass
// checks this rather than assuming it.
//
// A value of rank r gets the first r dimensions of the workgroup tile:
// per-row values (norm statistics) take the batch and row offsets only.
//
// In a row-limited dispatch (OpClassification.h) the body runs only when the
// tile has rows below the count, and the tiled ops get the count of rows
// from the tile's first one: the row-limited ones, and the elementwise ops
// that read their rows (an MoE expert's GEMM epilogue), which get a row
// limit of their own. Ops with a key limit must get all their keys.
//
//===----------------------------------------------------------------------===//

#include "passes/OpClassification.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/TilingInterface.h"

namespace kiln {
#define GEN_PASS_DEF_CPUTILEWORKGROUPSPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// True when `a` and `b` are the same index: the same constant, the same
/// value, or affine.apply ops of the same map on the same indices (tiling
/// composes offsets afresh for every op it tiles).
bool sameIndex(OpFoldResult a, OpFoldResult b) {
  if (isEqualConstantIntOrValue(a, b)) {
    return true;
  }
  auto va = dyn_cast<Value>(a), vb = dyn_cast<Value>(b);
  auto applyA = va ? va.getDefiningOp<affine::AffineApplyOp>() : nullptr;
  auto applyB = vb ? vb.getDefiningOp<affine::AffineApplyOp>() : nullptr;
  if (!applyA || !applyB || applyA.getMap() != applyB.getMap() ||
      applyA.getNumOperands() != applyB.getNumOperands()) {
    return false;
  }
  return llvm::all_of(llvm::zip(applyA.getOperands(), applyB.getOperands()),
                      [](auto pair) {
                        return sameIndex(std::get<0>(pair), std::get<1>(pair));
                      });
}

/// Offsets and sizes of a tile.
struct Tile {
  SmallVector<OpFoldResult> offsets, sizes;

  /// The first `rank` dimensions of this tile.
  Tile prefix(int64_t rank) const {
    return {SmallVector<OpFoldResult>(ArrayRef(offsets).take_front(rank)),
            SmallVector<OpFoldResult>(ArrayRef(sizes).take_front(rank))};
  }
  /// "[o0, o1] x [s0, s1]" with "?" for offsets that are not constants.
  std::string describe() const {
    std::string text;
    llvm::raw_string_ostream os(text);
    auto print = [&](ArrayRef<OpFoldResult> values) {
      os << "[";
      llvm::interleaveComma(values, os, [&](OpFoldResult v) {
        std::optional<int64_t> c = getConstantIntValue(v);
        os << (c ? std::to_string(*c) : std::string("?"));
      });
      os << "]";
    };
    print(offsets);
    os << " x ";
    print(sizes);
    return text;
  }
  bool operator==(const Tile &other) const {
    auto same = [](ArrayRef<OpFoldResult> a, ArrayRef<OpFoldResult> b) {
      return a.size() == b.size() &&
             llvm::all_of(llvm::zip(a, b), [](auto pair) {
               return sameIndex(std::get<0>(pair), std::get<1>(pair));
             });
    };
    return same(offsets, other.offsets) && same(sizes, other.sizes);
  }
};

/// Builds the tiled body for one static tile shape into the current
/// insertion point: clones `source`'s ops, tiles them consumers first and
/// writes the results into `outputs`.
class TileBuilder {
public:
  TileBuilder(OpBuilder &b, func::FuncOp source, ValueRange inputs,
              ValueRange outputs)
      : b(b), source(source), inputs(inputs), outputs(outputs) {}

  LogicalResult build(const Tile &tile);

private:
  LogicalResult tileOp(TilingInterface op, unsigned resultNumber,
                       const Tile &resultTile);
  void widenPanelLanes(TilingResult &tiled);

  OpBuilder &b;
  func::FuncOp source;
  ValueRange inputs, outputs;
  /// Requested tile of every in-dispatch value, and the slices asking.
  DenseMap<Value, Tile> requested;
  SmallVector<tensor::ExtractSliceOp> slices;
  /// Operands of tiled ops that use a whole in-dispatch value (rank 0).
  SmallVector<OpOperand *> wholeUses;
  DenseSet<Operation *> clones;
  DenseMap<Value, Value> tiledValue;
};

LogicalResult TileBuilder::build(const Tile &tile) {
  IRMapping mapping;
  mapping.map(source.getArguments(), inputs);
  SmallVector<Operation *> cloned;
  for (Operation &op : source.getBody().front().without_terminator()) {
    cloned.push_back(b.clone(op, mapping));
    clones.insert(cloned.back());
  }
  OpBuilder::InsertPoint end = b.saveInsertionPoint();
  auto ret = cast<func::ReturnOp>(source.getBody().front().getTerminator());
  SmallVector<Value> results;
  for (Value value : ret.getOperands()) {
    Value full = mapping.lookup(value);
    Tile wanted = tile.prefix(cast<RankedTensorType>(full.getType()).getRank());
    auto [it, inserted] = requested.try_emplace(full, wanted);
    if (!inserted && !(it->second == wanted)) {
      return source.emitError("returns one value with two different tiles");
    }
    results.push_back(full);
  }

  for (Operation *op : llvm::reverse(cloned)) {
    auto tileable = dyn_cast<TilingInterface>(op);
    if (!tileable) {
      if (isa<tensor::EmptyOp, arith::ConstantOp>(op)) {
        continue;
      }
      return op->emitError("cannot tile this op in a workgroup kernel");
    }
    // Any result's requested tile fixes the op's tile.
    std::optional<unsigned> resultNumber;
    for (OpResult result : op->getResults()) {
      if (requested.count(result)) {
        resultNumber = result.getResultNumber();
        break;
      }
    }
    if (!resultNumber) {
      continue; // Dead.
    }
    if (failed(tileOp(tileable, *resultNumber,
                      requested.lookup(op->getResult(*resultNumber))))) {
      return failure();
    }
  }

  for (OpOperand *use : wholeUses) {
    use->set(tiledValue.lookup(use->get()));
  }
  for (tensor::ExtractSliceOp slice : slices) {
    Value tiled = tiledValue.lookup(slice.getSource());
    if (tiled.getType() != slice.getType()) {
      return slice.emitError("tile of a producer does not match its slice");
    }
    slice.replaceAllUsesWith(tiled);
    slice.erase();
  }
  b.restoreInsertionPoint(end);
  for (auto [full, output] : llvm::zip(results, outputs)) {
    Tile wanted = requested.lookup(full);
    int64_t rank = wanted.offsets.size();
    Location loc = full.getLoc();
    auto subview = memref::SubViewOp::create(
        b, loc, output, wanted.offsets, wanted.sizes,
        SmallVector<OpFoldResult>(rank, b.getIndexAttr(1)));
    auto store = bufferization::MaterializeInDestinationOp::create(
        b, loc, tiledValue.lookup(full), subview);
    store.setRestrict(true);
    store.setWritable(true);
  }
  for (Operation *op : llvm::reverse(cloned)) {
    if (op->use_empty()) {
      op->erase();
    } else if (isa<TilingInterface>(op)) {
      return op->emitError("still used whole after tiling the workgroup");
    }
  }
  return success();
}

LogicalResult TileBuilder::tileOp(TilingInterface op, unsigned resultNumber,
                                  const Tile &resultTile) {
  Location loc = op.getLoc();
  b.setInsertionPoint(op);
  SmallVector<OpFoldResult> iterOffsets, iterSizes;
  if (failed(op.getIterationDomainTileFromResultTile(b, 0, resultTile.offsets,
                                                     resultTile.sizes,
                                                     iterOffsets, iterSizes))) {
    return emitError(loc, "cannot map the workgroup tile to this op's loops");
  }
  FailureOr<TilingResult> tiled =
      op.getTiledImplementation(b, iterOffsets, iterSizes);
  if (failed(tiled)) {
    return emitError(loc, "cannot tile this op for a workgroup");
  }
  widenPanelLanes(*tiled);
  for (auto [result, value] : llvm::zip(op->getResults(), tiled->tiledValues)) {
    tiledValue[result] = value;
  }
  // Key ends are absolute key indices: the tile must hold every key.
  if (std::optional<KeyLimit> limit =
          keyLimit(cast<linalg::LinalgOp>(op.getOperation()))) {
    SmallVector<int64_t> ranges =
        cast<linalg::LinalgOp>(op.getOperation()).getStaticLoopRanges();
    std::optional<int64_t> offset =
        getConstantIntValue(iterOffsets[limit->keyLoop]);
    std::optional<int64_t> size =
        getConstantIntValue(iterSizes[limit->keyLoop]);
    if (!offset || *offset != 0 || !size || *size != ranges[limit->keyLoop]) {
      return emitError(loc, "a workgroup tile of an op with a key limit must "
                            "hold all its keys");
    }
  }
  // Rank-0 operands are used whole, without a slice: their producer's tile
  // is the whole (empty) tile.
  for (Operation *tiledOp : tiled->tiledOps) {
    for (OpOperand &operand : tiledOp->getOpOperands()) {
      Operation *def = operand.get().getDefiningOp();
      if (!def || !clones.contains(def) || !isa<TilingInterface>(def)) {
        continue;
      }
      Tile whole;
      auto [it, inserted] = requested.try_emplace(operand.get(), whole);
      if (!inserted && !(it->second == whole)) {
        return emitError(loc, "an op uses a whole value that others tile");
      }
      wholeUses.push_back(&operand);
    }
  }
  for (Operation *generated : tiled->generatedSlices) {
    auto slice = dyn_cast<tensor::ExtractSliceOp>(generated);
    Operation *producer = slice ? slice.getSource().getDefiningOp() : nullptr;
    if (producer && isa<tensor::EmptyOp>(producer)) {
      // A slice of nothing is a smaller nothing.
      b.setInsertionPoint(slice);
      Value empty =
          tensor::EmptyOp::create(b, slice.getLoc(), slice.getType().getShape(),
                                  slice.getType().getElementType());
      slice.replaceAllUsesWith(empty);
      slice.erase();
      continue;
    }
    if (!producer || !isa<TilingInterface>(producer)) {
      continue;
    }
    Tile wanted{slice.getMixedOffsets(), slice.getMixedSizes()};
    auto [it, inserted] = requested.try_emplace(slice.getSource(), wanted);
    if (!inserted && !(it->second == wanted)) {
      InFlightDiagnostic diag =
          emitError(loc, "ops of one dispatch need different tiles of a value; "
                         "dispatch formation should have split them");
      diag.attachNote(slice.getSource().getLoc())
          << "the value: tile " << it->second.describe() << " vs "
          << wanted.describe();
      return diag;
    }
    slices.push_back(slice);
  }
  b.setInsertionPointAfter(op);
  return success();
}

/// Linalg sizes an operand's slice along a result `x mod p` from the
/// remainders of the tile's first and last x, which is right only when the
/// tile covers whole periods of p or stays inside one. Operands in panels
/// (`x floordiv p`, `x mod p`) whose tile ends inside a panel (attention's
/// keys padded to whole panels: 257 keys read as 9 panels of 32) got a
/// slice of 1 lane out of 32. A slice along `x mod p` of a dim of size p
/// that starts at lane 0 takes the whole dim instead: panels are read
/// whole. (A tile starting inside a panel reads its lanes relative to the
/// slice's first, which linalg gets right.)
void TileBuilder::widenPanelLanes(TilingResult &tiled) {
  for (Operation *tiledOp : tiled.tiledOps) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(tiledOp);
    if (!linalgOp) {
      continue;
    }
    for (OpOperand *input : linalgOp.getDpsInputOperands()) {
      auto slice = input->get().getDefiningOp<tensor::ExtractSliceOp>();
      if (!slice || !llvm::is_contained(tiled.generatedSlices, slice)) {
        continue;
      }
      ArrayRef<int64_t> source = slice.getSourceType().getShape();
      SmallVector<OpFoldResult> offsets = slice.getMixedOffsets(),
                                sizes = slice.getMixedSizes();
      bool widened = false;
      AffineMap map = linalgOp.getMatchingIndexingMap(input);
      for (auto [pos, expr] : llvm::enumerate(map.getResults())) {
        auto mod = dyn_cast<AffineBinaryOpExpr>(expr);
        auto period = mod ? dyn_cast<AffineConstantExpr>(mod.getRHS())
                          : AffineConstantExpr();
        if (!period || mod.getKind() != AffineExprKind::Mod ||
            period.getValue() != source[pos] ||
            !isConstantIntValue(offsets[pos], 0) ||
            isConstantIntValue(sizes[pos], source[pos])) {
          continue;
        }
        offsets[pos] = b.getIndexAttr(0);
        sizes[pos] = b.getIndexAttr(source[pos]);
        widened = true;
      }
      if (!widened) {
        continue;
      }
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(slice);
      auto whole = tensor::ExtractSliceOp::create(
          b, slice.getLoc(), slice.getSource(), offsets, sizes,
          slice.getMixedStrides());
      input->set(whole);
      llvm::replace(tiled.generatedSlices, slice.getOperation(),
                    whole.getOperation());
      if (slice->use_empty()) {
        slice.erase();
      }
    }
  }
}

/// The dispatch input that row-limited ops of `func` count their rows
/// with, if any; all of them must use the same one.
FailureOr<std::optional<unsigned>> rowLimitArgument(func::FuncOp func) {
  std::optional<unsigned> found;
  WalkResult walk = func.walk([&](linalg::LinalgOp op) {
    OpOperand *count = rowLimitOperand(op);
    if (!count) {
      return WalkResult::advance();
    }
    auto arg = dyn_cast<BlockArgument>(count->get());
    if (!arg || arg.getOwner() != &func.getBody().front() ||
        (found && *found != arg.getArgNumber())) {
      op.emitError("a row limit must be one input of the whole dispatch");
      return WalkResult::interrupt();
    }
    found = arg.getArgNumber();
    return WalkResult::advance();
  });
  if (walk.wasInterrupted()) {
    return failure();
  }
  return found;
}

/// True for an elementwise op on tensors, without a key limit, that can
/// stop at its workgroup's row count (kiln-cpu-limit-row-loops): its
/// results all have the same loop as their rows, its operands read that
/// loop, if at all, as a plain index, and one of them takes its rows from
/// a value in `limited` (a row-limited op's result, or such an op's), so
/// that its rows are the workgroup's. Copies and transposes (bodies that
/// only move an input) are left whole: kiln-cpu-lower-copies and
/// kiln-cpu-lower-transposes take only operands of their own.
bool followsRowLimit(linalg::GenericOp op, const DenseSet<Value> &limited) {
  std::optional<unsigned> rows = resultRowLoop(op);
  if (!rows || !isElementwise(op) || keyLimit(op) ||
      !op.hasPureTensorSemantics()) {
    return false;
  }
  auto yield = cast<linalg::YieldOp>(op.getBody()->getTerminator());
  if (llvm::all_of(yield.getOperands(),
                   [](Value v) { return isa<BlockArgument>(v); })) {
    return false;
  }
  AffineExpr row = getAffineDimExpr(*rows, op.getContext());
  bool plain = llvm::all_of(op.getIndexingMapsArray(), [&](AffineMap map) {
    return llvm::all_of(map.getResults(), [&](AffineExpr expr) {
      return expr == row || !expr.isFunctionOfDim(*rows);
    });
  });
  return plain && llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *in) {
           AffineMap map = op.getMatchingIndexingMap(in);
           unsigned rank = map.getNumResults();
           return limited.contains(in->get()) && rank >= 2 &&
                  map.getResult(rank - 2) == row;
         });
}

/// Rebuilds `op` with the rank-0 integer tensor `count` as its last input
/// and a row limit.
void giveRowLimit(linalg::GenericOp op, Value count) {
  OpBuilder b(op);
  SmallVector<Value> inputs(op.getDpsInputs());
  inputs.push_back(count);
  SmallVector<AffineMap> maps;
  for (OpOperand *input : op.getDpsInputOperands()) {
    maps.push_back(op.getMatchingIndexingMap(input));
  }
  maps.push_back(AffineMap::get(op.getNumLoops(), 0, op.getContext()));
  for (OpOperand &init : op.getDpsInitsMutable()) {
    maps.push_back(op.getMatchingIndexingMap(&init));
  }
  auto limited = linalg::GenericOp::create(b, op.getLoc(), op->getResultTypes(),
                                           inputs, op.getDpsInits(), maps,
                                           op.getIteratorTypesArray());
  limited.getRegion().takeBody(op.getRegion());
  limited.getRegion().front().insertArgument(
      op.getNumDpsInputs(), getElementTypeOrSelf(count.getType()), op.getLoc());
  for (NamedAttribute attr : op->getDiscardableAttrs()) {
    limited->setAttr(attr.getName(), attr.getValue());
  }
  limited->setAttr(kRowLimitAttr, b.getUnitAttr());
  op->replaceAllUsesWith(limited->getResults());
  op.erase();
}

struct CpuTileWorkgroupsPass
    : kiln::impl::CpuTileWorkgroupsPassBase<CpuTileWorkgroupsPass> {
  void runOnOperation() override;
};

void CpuTileWorkgroupsPass::runOnOperation() {
  func::FuncOp func = getOperation();
  auto tileAttr = func->getAttrOfType<DenseI64ArrayAttr>("exec.workgroup_tile");
  if (!tileAttr || func.isExternal()) {
    return;
  }
  ArrayRef<int64_t> tile = tileAttr.asArrayRef();
  int64_t rank = tile.size();
  // The results of the tile's rank, which kiln-cpu-select-workgroup-tiles
  // tiled, share one shape.
  std::optional<ArrayRef<int64_t>> tiled;
  for (Type type : func.getResultTypes()) {
    auto result = cast<RankedTensorType>(type);
    if (result.getRank() != rank) {
      continue;
    }
    if (tiled && *tiled != result.getShape()) {
      func.emitError("expects the results with the rank of "
                     "exec.workgroup_tile to have one shape");
      return signalPassFailure();
    }
    tiled = result.getShape();
  }
  if (!tiled) {
    func.emitError("expects a result with the rank of exec.workgroup_tile");
    return signalPassFailure();
  }
  ArrayRef<int64_t> shape = *tiled;
  // Batch dimensions are tiled one index per workgroup (the z id); rows and
  // columns may end in a partial tile.
  for (int64_t d = 0; d < rank; ++d) {
    bool valid = tile[d] >= 1 && tile[d] <= shape[d];
    if (d < rank - 2) {
      valid = tile[d] == 1;
    }
    if (!valid) {
      func.emitError() << "exec.workgroup_tile size " << tile[d]
                       << " of dimension " << d << " does not fit size "
                       << shape[d]
                       << " (batch tiles are 1, row and column tiles 1 to "
                          "the rows and columns)";
      return signalPassFailure();
    }
    // Reading through floordiv or mod, tiles must start at multiples of
    // the divisors (OpClassification.h); tiling would read wrong elements.
    int64_t multiple =
        d + 2 >= rank ? tileMultiple(func, rank, d, shape[d]) : 1;
    if (tile[d] != shape[d] && tile[d] % multiple != 0) {
      func.emitError() << "exec.workgroup_tile size " << tile[d]
                       << " of dimension " << d << " is not a multiple of "
                       << multiple
                       << ", which ops of the dispatch divide its index by";
      return signalPassFailure();
    }
  }

  // The kernel: operand and result bindings as memrefs, then x, y, z.
  MLIRContext *ctx = &getContext();
  SmallVector<Type> argTypes;
  auto toMemRef = [](Type t) {
    auto tensor = cast<RankedTensorType>(t);
    return MemRefType::get(tensor.getShape(), tensor.getElementType());
  };
  for (Type t : func.getArgumentTypes()) {
    argTypes.push_back(toMemRef(t));
  }
  for (Type t : func.getResultTypes()) {
    argTypes.push_back(toMemRef(t));
  }
  IndexType index = IndexType::get(ctx);
  argTypes.append({index, index, index});
  Location loc = func.getLoc();
  Block *entry = new Block();
  for (Type t : argTypes) {
    entry->addArgument(t, loc);
  }
  unsigned numInputs = func.getNumArguments();
  unsigned numOutputs = func.getNumResults();
  OpBuilder b(ctx);
  b.setInsertionPointToStart(entry);
  SmallVector<Value> inputs;
  for (auto [arg, type] : llvm::zip(entry->getArguments().take_front(numInputs),
                                    func.getArgumentTypes())) {
    inputs.push_back(bufferization::ToTensorOp::create(
        b, loc, type, arg, /*restrict=*/true, /*writable=*/false));
  }
  ValueRange outputs = entry->getArguments().slice(numInputs, numOutputs);
  Value idX = entry->getArgument(numInputs + numOutputs);
  Value idY = entry->getArgument(numInputs + numOutputs + 1);
  Value idZ = entry->getArgument(numInputs + numOutputs + 2);

  // Offsets of this workgroup's tile.
  auto scaled = [&](Value id, int64_t factor) -> OpFoldResult {
    AffineExpr d0 = getAffineDimExpr(0, ctx);
    return affine::makeComposedFoldedAffineApply(b, loc, d0 * factor, {id});
  };
  // A dimension with a single tile has offset 0, not id * size, so that ops
  // reading it whole (reductions) see the same tile as the result.
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  if (rank >= 1 && tile[rank - 1] != shape[rank - 1]) {
    offsets[rank - 1] = scaled(idX, tile[rank - 1]);
  }
  if (rank >= 2 && tile[rank - 2] != shape[rank - 2]) {
    offsets[rank - 2] = scaled(idY, tile[rank - 2]);
  }
  if (rank > 2) {
    SmallVector<int64_t> batch(shape.take_front(rank - 2));
    auto delinearized =
        affine::AffineDelinearizeIndexOp::create(b, loc, idZ, batch);
    for (int64_t d = 0; d < rank - 2; ++d) {
      offsets[d] = delinearized.getResult(d);
    }
  }
  auto tileOf = [&](int64_t rows, int64_t cols) {
    Tile t;
    t.offsets = offsets;
    for (int64_t d = 0; d < rank; ++d) {
      t.sizes.push_back(b.getIndexAttr(d == rank - 1   ? cols
                                       : d == rank - 2 ? rows
                                                       : tile[d]));
    }
    return t;
  };

  // A row-limited dispatch (OpClassification.h) skips tiles past its count
  // and passes its ops the count of the tile's own rows.
  FailureOr<std::optional<unsigned>> limitArg = rowLimitArgument(func);
  if (failed(limitArg)) {
    entry->dropAllDefinedValueUses();
    delete entry;
    return signalPassFailure();
  }
  Value tileCount;
  scf::IfOp skip;
  if (*limitArg) {
    if (rank < 2) {
      func.emitError("a row limit needs results with rows");
      entry->dropAllDefinedValueUses();
      delete entry;
      return signalPassFailure();
    }
    Value count = tensor::ExtractOp::create(b, loc, inputs[**limitArg]);
    Value first = getValueOrCreateConstantIndexOp(b, loc, offsets[rank - 2]);
    tileCount = arith::SubIOp::create(
        b, loc, count,
        arith::IndexCastOp::create(b, loc, count.getType(), first));
    Value zero =
        arith::ConstantOp::create(b, loc, b.getIntegerAttr(count.getType(), 0));
    Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                      tileCount, zero);
    skip = scf::IfOp::create(b, loc, any, /*withElseRegion=*/false);
    b.setInsertionPoint(skip.thenBlock()->getTerminator());
  }

  // A partial last row or column tile is another body, statically shaped:
  // up to four (full and partial rows, each with full and partial columns).
  // `split(size, extent, id, then)` calls `then(size)` under a branch taken
  // where `id` is not the last tile's and `then(extent mod size)` where it
  // is (without a branch when tiles divide the extent).
  LogicalResult status = success();
  auto split = [&](int64_t size, int64_t extent, Value id,
                   function_ref<void(int64_t)> then) {
    int64_t remainder = extent % size;
    if (remainder == 0) {
      then(size);
      return;
    }
    Value last = arith::ConstantIndexOp::create(b, loc, extent / size);
    Value isLast =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, id, last);
    auto branch = scf::IfOp::create(b, loc, isLast, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(branch.thenBlock()->getTerminator());
    then(remainder);
    b.setInsertionPoint(branch.elseBlock()->getTerminator());
    then(size);
  };
  auto sizeAt = [&](ArrayRef<int64_t> sizes, int64_t fromEnd) -> int64_t {
    return rank >= fromEnd ? sizes[rank - fromEnd] : 1;
  };
  split(sizeAt(tile, 2), sizeAt(shape, 2), idY, [&](int64_t tileRows) {
    split(sizeAt(tile, 1), sizeAt(shape, 1), idX, [&](int64_t tileCols) {
      if (succeeded(status)) {
        status = TileBuilder(b, func, inputs, outputs)
                     .build(tileOf(tileRows, tileCols));
      }
    });
  });
  if (succeeded(status) && skip) {
    // The tiled ops count from the tile's first row (the count is made
    // before the tile's ops, so that nothing comes between a GEMM and the
    // zero fill of its accumulator). The elementwise ops reading their rows get
    // that count too (kiln-cpu-limit-row-loops stops them at it).
    Value local;
    SmallVector<linalg::GenericOp> unlimited;
    DenseSet<Value> limited;
    skip.getThenRegion().walk([&](linalg::LinalgOp op) {
      if (OpOperand *count = rowLimitOperand(op)) {
        if (!local) {
          b.setInsertionPoint(skip);
          local = tensor::FromElementsOp::create(
              b, loc, cast<RankedTensorType>(count->get().getType()),
              ValueRange{tileCount});
        }
        count->set(local);
        limited.insert(op->result_begin(), op->result_end());
      } else if (auto generic = dyn_cast<linalg::GenericOp>(*op);
                 generic && followsRowLimit(generic, limited)) {
        unlimited.push_back(generic);
        limited.insert(op->result_begin(), op->result_end());
      }
    });
    if (local) {
      for (linalg::GenericOp op : unlimited) {
        giveRowLimit(op, local);
      }
    }
  }
  b.setInsertionPointToEnd(entry);
  func::ReturnOp::create(b, loc);
  if (failed(status)) {
    entry->dropAllDefinedValueUses();
    delete entry;
    return signalPassFailure();
  }

  func.getBody().getBlocks().clear();
  func.getBody().push_back(entry);
  func.setFunctionType(FunctionType::get(ctx, argTypes, {}));
  func->removeAttr(func.getArgAttrsAttrName());
  func->removeAttr(func.getResAttrsAttrName());
  func->setAttr("exec.kernel", UnitAttr::get(ctx));
  func->setAttr("exec.binding_count",
                b.getI64IntegerAttr(numInputs + numOutputs));
}

} // namespace
