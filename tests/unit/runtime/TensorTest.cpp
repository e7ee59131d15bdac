//===- TensorTest.cpp - DTypes and host tensors ---------------------------===//

#include "runtime/Tensor.h"
#include "runtime/DType.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace kiln::rt;

namespace {

TEST(TensorTest, DTypeNamesAndSizes) {
  EXPECT_STREQ(dtypeName(DType::F32), "f32");
  EXPECT_STREQ(dtypeName(DType::BF16), "bf16");
  EXPECT_STREQ(dtypeName(DType::Bool), "bool");
  EXPECT_EQ(dtypeSize(DType::F64), 8u);
  EXPECT_EQ(dtypeSize(DType::F16), 2u);
  EXPECT_EQ(dtypeSize(DType::U8), 1u);
  for (uint8_t i = 0; i <= kMaxDType; ++i) {
    auto dtype = static_cast<DType>(i);
    EXPECT_EQ(parseDType(dtypeName(dtype)), dtype);
  }
  EXPECT_FALSE(parseDType("f128").has_value());
}

TEST(TensorTest, HalfConversionsAreExactAndRoundToNearestEven) {
  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -26)), 0x0000);
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00); // Tie: even.
  EXPECT_EQ(floatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(NAN))));
  // Every non-NaN half survives half -> float -> half.
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    float value = halfToFloat(static_cast<uint16_t>(bits));
    if (!std::isnan(value)) {
      ASSERT_EQ(floatToHalf(value), bits) << std::hex << bits;
    }
  }
}

TEST(TensorTest, Bf16Conversions) {
  EXPECT_EQ(floatToBf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(floatToBf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80); // Tie: even.
  EXPECT_EQ(floatToBf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(NAN))));
}

TEST(TensorTest, CreateAllocatesZeroedAlignedData) {
  StatusOr<Tensor> t = Tensor::create(DType::F32, {3, 5});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->numElements(), 15u);
  EXPECT_EQ(t->byteSize(), 60u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t->data()) % 64, 0u);
  for (int i = 0; i < 15; ++i) {
    EXPECT_EQ(t->dataAs<float>()[i], 0.0f);
  }
  TensorView view = t->view();
  EXPECT_EQ(view.shape.size(), 2u);
  EXPECT_EQ(view.data, t->data());
}

TEST(TensorTest, CreateRejectsBadShapes) {
  StatusOr<Tensor> negative = Tensor::create(DType::F32, {2, -1});
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().message(), "dimension 1 is negative (-1)");
  StatusOr<Tensor> huge =
      Tensor::create(DType::F64, {int64_t(1) << 31, int64_t(1) << 31});
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("too large"), std::string::npos);
}

TEST(TensorTest, FormatsTypes) {
  EXPECT_EQ(formatTensorType(DType::F32, {32, 768}), "f32[32,768]");
  EXPECT_EQ(formatTensorType(DType::I64, {}), "i64[]");
}

} // namespace
