//===- DType.h - Element types of tensors -----------------------*- C++ -*-===//
//
// The element types a tensor may have. The numbering matches kiln.fb.DType
// in schema/Artifact.fbs so the loader can convert by value after checking
// the range.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_DTYPE_H
#define KILN_RUNTIME_DTYPE_H

#include <cstdint>
#include <optional>
#include <string_view>

namespace kiln::rt {

/// Element type of a tensor; values equal kiln.fb.DType.
enum class DType : uint8_t {
  F32 = 0,
  F16,
  BF16,
  F64,
  I8,
  I16,
  I32,
  I64,
  U8,
  Bool,
};

/// The largest DType value; a raw value above it is invalid.
inline constexpr uint8_t kMaxDType = static_cast<uint8_t>(DType::Bool);

/// Returns the short name of `dtype`: "f32", "f16", "bf16", "f64", "i8",
/// "i16", "i32", "i64", "u8" or "bool".
const char *dtypeName(DType dtype);

/// Parses a name produced by dtypeName.
std::optional<DType> parseDType(std::string_view name);

/// Returns the size in bytes of one element of `dtype`.
uint64_t dtypeSize(DType dtype);

/// Converts IEEE half-precision bits to float (exact).
float halfToFloat(uint16_t bits);
/// Converts a float to IEEE half-precision bits, rounding to nearest even.
uint16_t floatToHalf(float value);
/// Converts bfloat16 bits to float (exact).
float bf16ToFloat(uint16_t bits);
/// Converts a float to bfloat16 bits, rounding to nearest even.
uint16_t floatToBf16(float value);

} // namespace kiln::rt

#endif // KILN_RUNTIME_DTYPE_H
