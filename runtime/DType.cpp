//===- DType.cpp - Element types of tensors -------------------------------===//
//
// The half and bfloat16 conversions serve the tools (printing values,
// generating inputs); kernels convert on their own. They are bit-exact
// IEEE conversions with round-to-nearest-even, tested over every half.
//
//===----------------------------------------------------------------------===//

#include "runtime/DType.h"

#include <cstring>

namespace kiln::rt {

namespace {
struct DTypeEntry {
  const char *name;
  uint64_t size;
};
// Indexed by the DType value.
constexpr DTypeEntry kDTypes[] = {
    {"f32", 4}, {"f16", 2}, {"bf16", 2}, {"f64", 8}, {"i8", 1},
    {"i16", 2}, {"i32", 4}, {"i64", 8},  {"u8", 1},  {"bool", 1},
};
static_assert(sizeof(kDTypes) / sizeof(kDTypes[0]) == kMaxDType + 1,
              "one entry per DType");

/// The IEEE bits of `value`.
uint32_t floatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

/// The float with IEEE bits `bits`.
float bitsToFloat(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}
} // namespace

const char *dtypeName(DType dtype) {
  return kDTypes[static_cast<uint8_t>(dtype)].name;
}

std::optional<DType> parseDType(std::string_view name) {
  for (uint8_t i = 0; i <= kMaxDType; ++i) {
    if (name == kDTypes[i].name) {
      return static_cast<DType>(i);
    }
  }
  return std::nullopt;
}

uint64_t dtypeSize(DType dtype) {
  return kDTypes[static_cast<uint8_t>(dtype)].size;
}

float halfToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1f;
  uint32_t mantissa = bits & 0x3ff;
  if (exponent == 0x1f) {
    return bitsToFloat(sign | 0x7f800000 | (mantissa << 13));
  }
  if (exponent == 0) {
    // Zero or subnormal: the value is mantissa * 2^-24.
    float magnitude = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
    return sign ? -magnitude : magnitude;
  }
  return bitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t floatToHalf(float value) {
  uint32_t bits = floatBits(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  uint32_t magnitude = bits & 0x7fffffff;
  if (magnitude >= 0x7f800000) {
    // Infinity stays infinity; NaN stays a quiet NaN.
    return sign | (magnitude > 0x7f800000 ? 0x7e00 : 0x7c00);
  }
  if (magnitude >= 0x477ff000) {
    // Rounds to a value beyond the largest half (65504).
    return sign | 0x7c00;
  }
  if (magnitude < 0x38800000) {
    // Subnormal half: scale so the result lands in the mantissa and let the
    // float addition round to nearest even.
    float scaled = bitsToFloat(magnitude) + 0.5f;
    return sign | static_cast<uint16_t>(floatBits(scaled) - 0x3f000000);
  }
  // Normal half: add half an ulp (minus one on an even mantissa) and
  // rebias the exponent from 127 to 15.
  uint32_t rounded = magnitude + 0xfff + ((magnitude >> 13) & 1);
  return sign | static_cast<uint16_t>((rounded - 0x38000000) >> 13);
}

float bf16ToFloat(uint16_t bits) {
  return bitsToFloat(static_cast<uint32_t>(bits) << 16);
}

uint16_t floatToBf16(float value) {
  uint32_t bits = floatBits(value);
  if ((bits & 0x7fffffff) > 0x7f800000) {
    return static_cast<uint16_t>((bits >> 16) | 0x40);
  }
  // Round to nearest even on the 16 dropped bits; overflow to infinity
  // falls out of the carry.
  uint32_t rounded = bits + 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>(rounded >> 16);
}

} // namespace kiln::rt
