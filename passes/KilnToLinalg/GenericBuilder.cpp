//===- GenericBuilder.cpp - Building linalg.generic ops for kiln ops ------===//

#include "passes/KilnToLinalg/GenericBuilder.h"
#include "passes/OpClassification.h"

#include <algorithm>

using namespace mlir;

namespace kiln {

SmallVector<Value>
GenericBuilder::generic(ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                        ValueRange inits, ArrayRef<AffineMap> outputMaps,
                        ArrayRef<utils::IteratorType> iterators,
                        MultiBodyFn body) {
  SmallVector<AffineMap> maps(inputMaps);
  maps.append(outputMaps.begin(), outputMaps.end());
  auto op = linalg::GenericOp::create(
      b, loc, ValueRange(inits).getTypes(), inputs, inits, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, body(nb, nloc, args));
      });
  op->setAttr("kiln.op", b.getStringAttr(origin));
  return SmallVector<Value>(op.getResults());
}

Value GenericBuilder::generic(ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                              Value init, AffineMap outputMap,
                              ArrayRef<utils::IteratorType> iterators,
                              BodyFn body) {
  return generic(inputs, inputMaps, ValueRange{init}, {outputMap}, iterators,
                 [&](OpBuilder &nb, Location nloc, ValueRange args) {
                   return SmallVector<Value>{body(nb, nloc, args)};
                 })[0];
}

Value GenericBuilder::elementwise(ValueRange inputs, ArrayRef<int64_t> shape,
                                  Type elementType, BodyFn body) {
  SmallVector<AffineMap> maps;
  for (Value input : inputs) {
    maps.push_back(broadcastMap(
        cast<RankedTensorType>(input.getType()).getShape(), shape));
  }
  return generic(inputs, maps, empty(shape, elementType),
                 identity(shape.size()), parallel(shape.size()), body);
}

Value GenericBuilder::empty(ArrayRef<int64_t> shape, Type elementType) {
  return tensor::EmptyOp::create(b, loc, shape, elementType);
}

Value GenericBuilder::filled(ArrayRef<int64_t> shape, double value) {
  return linalg::FillOp::create(b, loc, f32(value),
                                empty(shape, b.getF32Type()))
      .getResult(0);
}

Value GenericBuilder::f32(double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

Value GenericBuilder::index(int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

AffineMap GenericBuilder::identity(unsigned rank) {
  return b.getMultiDimIdentityMap(rank);
}

AffineMap GenericBuilder::dims(unsigned rank, ArrayRef<unsigned> positions) {
  SmallVector<AffineExpr> exprs;
  for (unsigned p : positions) {
    exprs.push_back(b.getAffineDimExpr(p));
  }
  return AffineMap::get(rank, 0, exprs, context());
}

AffineMap GenericBuilder::broadcastMap(ArrayRef<int64_t> operandShape,
                                       ArrayRef<int64_t> resultShape) {
  unsigned rank = resultShape.size();
  unsigned lead = rank - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, size] : llvm::enumerate(operandShape)) {
    unsigned dim = lead + i;
    exprs.push_back(size == 1 && resultShape[dim] != 1
                        ? b.getAffineConstantExpr(0)
                        : b.getAffineDimExpr(dim));
  }
  return AffineMap::get(rank, 0, exprs, context());
}

SmallVector<utils::IteratorType> GenericBuilder::parallel(unsigned rank) {
  return SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel);
}

void GenericBuilder::setElementCost(Value value, double steps) {
  Operation *op = value.getDefiningOp();
  auto capped = static_cast<int64_t>(std::clamp(steps, 1.0, 0x1p62));
  op->setAttr(kElementCostAttr,
              IntegerAttr::get(IntegerType::get(op->getContext(), 64), capped));
}

} // namespace kiln
