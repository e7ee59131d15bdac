//===- FormDispatchRegions.cpp - Group linalg ops into dispatches ---------===//
//
// Groups are formed in one walk over the function, in program order:
//  - a GEMM contraction starts a group (it is the group's root), or takes
//    over the group of elementwise ops that computes its A operand when
//    nothing else reads that group and no member gathers through floordiv
//    or mod (producer fusion);
//  - an elementwise op or a row reduction joins the latest group that
//    produces one of its operands if it computes on the same rows (see
//    canJoin), else it starts a group of its own.
// A group becomes an exec.dispatch_region at the place of its last op. For
// that to keep SSA dominance, an op may join a group only if no op outside
// the group between the group's first op and the joining op reads a value
// of the group. Cheap initial values (tensor.empty, constants, fills of
// them) are cloned into every region that uses them.
//
//===----------------------------------------------------------------------===//

#include "dialects/Exec/IR/ExecOps.h"
#include "passes/OpClassification.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/StringMap.h"

namespace kiln {
#define GEN_PASS_DEF_FORMDISPATCHREGIONSPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct Group {
  SmallVector<Operation *> ops;
  /// Shape of the root's result: the shape every member computes on.
  SmallVector<int64_t> shape;
};

/// Ops that are cheaper to recompute (or embed) in every dispatch than to
/// pass in: empty tensors, scalar and tensor literals (small tables such as
/// RoPE's), and fills of them.
bool isClonable(Operation *op) {
  if (isa<tensor::EmptyOp, arith::ConstantOp>(op)) {
    return true;
  }
  if (auto fill = dyn_cast<linalg::FillOp>(op)) {
    return llvm::all_of(fill->getOperands(), [](Value v) {
      Operation *def = v.getDefiningOp();
      return def && isClonable(def);
    });
  }
  return false;
}

/// Operations that form dispatches (everything else stays outside).
bool isComputeOp(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && !isa<linalg::FillOp>(op) &&
         linalgOp.hasPureTensorSemantics();
}

ArrayRef<int64_t> resultShape(Operation *op) {
  return cast<RankedTensorType>(op->getResult(0).getType()).getShape();
}

/// The rows x columns an op computes on: its result shape, or for a row
/// reduction the shape it reduces.
SmallVector<int64_t> computeShape(linalg::LinalgOp op) {
  if (!matchGemm(op) && isRowReduction(op)) {
    return op.getStaticLoopRanges();
  }
  return SmallVector<int64_t>(resultShape(op));
}

/// True when every group value `op` reads is read row-consistently: the
/// operand map is (d0, d1, ...) so that a tile of rows of the group is the
/// same tile of rows of `op`. With `wholeRows` (the tiles hold whole rows:
/// `op` or the group reduces rows) the last result of a map with rows may
/// also be the constant 0, the row's first element (a layer norm's shift);
/// a rank-1 value read so is read whole, which its producer's tile is not.
bool readsGroupByRows(linalg::LinalgOp op, const DenseSet<Operation *> &members,
                      bool wholeRows) {
  for (OpOperand *operand : op.getDpsInputOperands()) {
    Operation *def = operand->get().getDefiningOp();
    if (!def || !members.contains(def)) {
      continue;
    }
    AffineMap map = op.getMatchingIndexingMap(operand);
    for (auto [i, expr] : llvm::enumerate(map.getResults())) {
      auto dim = dyn_cast<AffineDimExpr>(expr);
      auto constant = dyn_cast<AffineConstantExpr>(expr);
      bool firstOfRow = wholeRows && i > 0 && i + 1 == map.getNumResults() &&
                        constant && constant.getValue() == 0;
      if (!firstOfRow && (!dim || dim.getPosition() != i)) {
        return false;
      }
    }
  }
  return true;
}

/// The bytes of B (N x K floats, one batch element's) of the group's GEMM,
/// 0 without one.
int64_t gemmWeightBytes(const Group &group) {
  for (Operation *op : group.ops) {
    auto linalgOp = cast<linalg::LinalgOp>(op);
    if (!matchGemm(linalgOp)) {
      continue;
    }
    int64_t depth = 1;
    for (auto [range, iterator] : llvm::zip(linalgOp.getStaticLoopRanges(),
                                            linalgOp.getIteratorTypesArray())) {
      if (iterator == utils::IteratorType::reduction) {
        depth *= range;
      }
    }
    return depth * resultShape(op).back() * int64_t(sizeof(float));
  }
  return 0;
}

struct FormDispatchRegionsPass
    : kiln::impl::FormDispatchRegionsPassBase<FormDispatchRegionsPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  bool canJoin(Operation *op, const Group &group,
               const DenseSet<Operation *> &members);
  static bool readByOutsiderBefore(Operation *op, const Group &group,
                                   const DenseSet<Operation *> &members);
  void createRegion(Group &group);
};

bool FormDispatchRegionsPass::canJoin(Operation *op, const Group &group,
                                      const DenseSet<Operation *> &members) {
  if (static_cast<int64_t>(group.ops.size()) >= maxGroupOps ||
      op->hasAttr(kStartsDispatchAttr)) {
    return false;
  }
  auto linalgOp = cast<linalg::LinalgOp>(op);
  ArrayRef<int64_t> shape = resultShape(op);
  ArrayRef<int64_t> groupShape(group.shape);
  bool sameShape = shape == groupShape;
  // Elementwise ops on per-row values (a norm's statistics) are fine too.
  bool rowShaped = !groupShape.empty() && shape == groupShape.drop_back();
  if (isElementwise(linalgOp)) {
    if (!sameShape && !rowShaped) {
      return false;
    }
  } else if (isRowReduction(linalgOp)) {
    if (ArrayRef<int64_t>(computeShape(linalgOp)) != groupShape) {
      return false;
    }
    // Whole rows would make every workgroup read all of the GEMM's B (an
    // attention's row reductions are its softmax, which the flash loop
    // runs on blocks of keys).
    if (!op->hasAttr(kAttentionPartAttr) &&
        gemmWeightBytes(group) > rowFusionWeightLimitMib * (int64_t(1) << 20)) {
      return false;
    }
  } else {
    return false;
  }
  bool wholeRows = isRowReduction(linalgOp) ||
                   llvm::any_of(group.ops, [](Operation *member) {
                     auto reduction = cast<linalg::LinalgOp>(member);
                     return !matchGemm(reduction) && isRowReduction(reduction);
                   });
  if (!readsGroupByRows(linalgOp, members, wholeRows)) {
    return false;
  }
  // A body that reads a group value whole (tensor.extract) needs all of it,
  // not the tile the group computes.
  bool capturesGroup = false;
  op->walk([&](Operation *nested) {
    for (Value operand : nested->getOperands()) {
      Operation *def = operand.getDefiningOp();
      capturesGroup |= nested != op && def && members.contains(def);
    }
  });
  if (capturesGroup) {
    return false;
  }
  return !readByOutsiderBefore(op, group, members);
}

bool FormDispatchRegionsPass::readByOutsiderBefore(
    Operation *op, const Group &group, const DenseSet<Operation *> &members) {
  // No outside op between the group's start and `op` may read the group,
  // through an operand or from its body.
  for (Operation *it = group.ops.front()->getNextNode(); it && it != op;
       it = it->getNextNode()) {
    if (members.contains(it)) {
      continue;
    }
    WalkResult reads = it->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands()) {
        Operation *def = operand.getDefiningOp();
        if (def && members.contains(def)) {
          return WalkResult::interrupt();
        }
      }
      return WalkResult::advance();
    });
    if (reads.wasInterrupted()) {
      return true;
    }
  }
  return false;
}

/// The group an attention's product with V joins: its probabilities'.
std::optional<unsigned>
attentionGroup(Operation *op, const DenseMap<Operation *, unsigned> &groupOf) {
  auto part = op->getAttrOfType<StringAttr>(kAttentionPartAttr);
  if (!part || part.getValue() != "pv") {
    return std::nullopt;
  }
  Operation *probs =
      cast<linalg::LinalgOp>(op).getDpsInputOperand(0)->get().getDefiningOp();
  auto probsPart =
      probs ? probs->getAttrOfType<StringAttr>(kAttentionPartAttr) : nullptr;
  auto it = probs ? groupOf.find(probs) : groupOf.end();
  if (!probsPart || probsPart.getValue() != "probs" || it == groupOf.end()) {
    return std::nullopt;
  }
  return it->second;
}

/// The group of elementwise ops producing GEMM `op`'s A operand, when the
/// GEMM can take it over as its root: nothing else reads the group, the
/// group computes exactly A, and it holds no limited or attention op. Each
/// workgroup then computes the rows of A its tile needs (all of K), once
/// per column tile: cheap next to the GEMM's 2 N flops per element of A.
std::optional<unsigned>
lhsProducerGroup(linalg::LinalgOp op, const std::vector<Group> &groups,
                 const SmallVector<DenseSet<Operation *>> &members,
                 const DenseMap<Operation *, unsigned> &groupOf) {
  std::optional<GemmOperands> gemm = matchGemm(op);
  if (!gemm || op->hasAttr(kAttentionPartAttr) || rowLimitOperand(op) ||
      keyLimit(op)) {
    return std::nullopt;
  }
  Value lhs = op.getDpsInputOperand(gemm->lhs)->get();
  Operation *def = lhs.getDefiningOp();
  auto it = def ? groupOf.find(def) : groupOf.end();
  if (it == groupOf.end()) {
    return std::nullopt;
  }
  unsigned id = it->second;
  if (ArrayRef<int64_t>(groups[id].shape) !=
      cast<RankedTensorType>(lhs.getType()).getShape()) {
    return std::nullopt;
  }
  for (Operation *member : groups[id].ops) {
    auto linalgOp = cast<linalg::LinalgOp>(member);
    if (!isElementwise(linalgOp) || member->hasAttr(kAttentionPartAttr) ||
        rowLimitOperand(linalgOp) || keyLimit(linalgOp)) {
      return std::nullopt;
    }
    // A gather through floordiv and mod (patch_embed's im2col) recomputed
    // per column tile costs index arithmetic on every element.
    for (AffineMap map : linalgOp.getIndexingMapsArray()) {
      if (!map.isProjectedPermutation(/*allowZeroInResults=*/true)) {
        return std::nullopt;
      }
    }
    for (Operation *user : member->getUsers()) {
      if (!members[id].contains(user) && user != op) {
        return std::nullopt;
      }
    }
  }
  // The GEMM reads the group through A only.
  for (OpOperand &operand : op->getOpOperands()) {
    Operation *producer = operand.get().getDefiningOp();
    if (producer && members[id].contains(producer) &&
        operand.getOperandNumber() != gemm->lhs) {
      return std::nullopt;
    }
  }
  return id;
}

/// True when `group` holds one attention's scores and softmax, nothing else,
/// and nothing but `pv` reads them from outside (CSE may have merged the
/// parts of two attentions on the same inputs; those stay in the
/// two-dispatch form).
bool isOneAttention(const Group &group, const DenseSet<Operation *> &members,
                    Operation *pv) {
  llvm::StringMap<unsigned> parts;
  for (Operation *op : group.ops) {
    auto part = op->getAttrOfType<StringAttr>(kAttentionPartAttr);
    if (!part || ++parts[part.getValue()] > 1) {
      return false;
    }
    for (Operation *user : op->getUsers()) {
      if (user != pv && !members.contains(user)) {
        return false;
      }
    }
  }
  // The mask op is absent when it would only copy the scores.
  return llvm::all_of(ArrayRef<StringRef>{"scores", "max", "sum", "probs"},
                      [&](StringRef name) { return parts.contains(name); }) &&
         parts.size() == (parts.contains("mask") ? 5u : 4u);
}

void FormDispatchRegionsPass::createRegion(Group &group) {
  Operation *last = group.ops.back();
  DenseSet<Operation *> members(group.ops.begin(), group.ops.end());
  // Results: values of the group used outside it.
  SmallVector<Value> escaping;
  for (Operation *op : group.ops) {
    for (Value result : op->getResults()) {
      if (llvm::any_of(result.getUsers(), [&](Operation *user) {
            return !members.contains(user);
          })) {
        escaping.push_back(result);
      }
    }
  }
  if (escaping.empty()) {
    // Nothing reads the group: it is dead.
    for (Operation *op : llvm::reverse(group.ops)) {
      op->erase();
    }
    return;
  }
  // The root names the group: its first contraction, else its first op.
  Operation *root = group.ops.front();
  for (Operation *op : group.ops) {
    if (matchGemm(cast<linalg::LinalgOp>(op))) {
      root = op;
      break;
    }
  }
  auto rootName = root->getAttrOfType<StringAttr>("kiln.op");
  OpBuilder b(last);
  auto region = exec::DispatchRegionOp::create(
      b, root->getLoc(), ValueRange(escaping).getTypes(),
      rootName ? rootName.getValue() : root->getName().getStringRef());
  Block *body = b.createBlock(&region.getBody());
  for (Operation *op : group.ops) {
    op->moveBefore(body, body->end());
  }
  b.setInsertionPointToEnd(body);
  exec::YieldOp::create(b, root->getLoc(), escaping);
  for (auto [value, result] : llvm::zip(escaping, region.getResults())) {
    value.replaceUsesWithIf(result, [&](OpOperand &use) {
      return !region->isProperAncestor(use.getOwner());
    });
  }
  // Clone cheap initial values in, operands first.
  b.setInsertionPointToStart(body);
  IRMapping cloned;
  std::function<Value(Value)> cloneIn = [&](Value v) -> Value {
    if (Value done = cloned.lookupOrNull(v)) {
      return done;
    }
    Operation *def = v.getDefiningOp();
    for (Value operand : def->getOperands()) {
      cloneIn(operand);
    }
    Operation *copy = b.clone(*def, cloned);
    return copy->getResult(cast<OpResult>(v).getResultNumber());
  };
  region.walk([&](Operation *op) {
    for (OpOperand &operand : op->getOpOperands()) {
      Operation *def = operand.get().getDefiningOp();
      if (def && !region->isAncestor(def) && isClonable(def)) {
        operand.set(cloneIn(operand.get()));
      }
    }
  });
}

void FormDispatchRegionsPass::runOnOperation() {
  func::FuncOp func = getOperation();
  if (func.isExternal()) {
    return;
  }
  Block &block = func.getBody().front();
  std::vector<Group> groups;
  DenseMap<Operation *, unsigned> groupOf;
  SmallVector<DenseSet<Operation *>> members;
  for (Operation &op : block) {
    if (!isComputeOp(&op)) {
      continue;
    }
    std::optional<unsigned> target;
    if (std::optional<unsigned> scores = attentionGroup(&op, groupOf);
        scores && isOneAttention(groups[*scores], members[*scores], &op) &&
        !readByOutsiderBefore(&op, groups[*scores], members[*scores])) {
      // The product with V joins its scores and softmax: the whole
      // attention is one dispatch (kiln-cpu-flash-attention).
      target = scores;
    } else if (std::optional<unsigned> producer = lhsProducerGroup(
                   cast<linalg::LinalgOp>(op), groups, members, groupOf);
               producer && !readByOutsiderBefore(&op, groups[*producer],
                                                 members[*producer])) {
      // The GEMM roots the group that computes its A operand.
      target = producer;
      groups[*target].shape = computeShape(cast<linalg::LinalgOp>(op));
    } else if (!matchGemm(cast<linalg::LinalgOp>(op))) {
      // The latest group producing an operand.
      for (Value operand : op.getOperands()) {
        Operation *def = operand.getDefiningOp();
        auto it = def ? groupOf.find(def) : groupOf.end();
        if (it != groupOf.end() && (!target || it->second > *target)) {
          target = it->second;
        }
      }
      if (target && !canJoin(&op, groups[*target], members[*target])) {
        target.reset();
      }
    }
    if (!target) {
      target = groups.size();
      groups.push_back(Group{{}, computeShape(cast<linalg::LinalgOp>(op))});
      members.emplace_back();
    }
    groups[*target].ops.push_back(&op);
    members[*target].insert(&op);
    groupOf[&op] = *target;
  }
  for (Group &group : groups) {
    createRegion(group);
  }
  // Initial values that only dispatches used are dead now.
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block))) {
    if (isClonable(&op) && op.use_empty()) {
      op.erase();
    }
  }
}

} // namespace
