//===- CpuFeaturesTest.cpp - Host CPU feature detection -------------------===//

#include "runtime/CpuFeatures.h"

#include <gtest/gtest.h>

using namespace kiln::rt;

namespace {

TEST(CpuFeaturesTest, KnowsLlvmFeatureNames) {
  for (const char *name :
       {"avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl",
        "avx512cd", "avx512bf16", "avx512vnni", "avx512vbmi", "avx512vbmi2",
        "avx512bitalg", "avx512vpopcntdq", "avx512ifma", "f16c", "bmi", "bmi2",
        "sse4.2", "+avx2"}) {
    EXPECT_TRUE(CpuFeatures::isKnown(name)) << name;
  }
  EXPECT_FALSE(CpuFeatures::isKnown("frobnicate"));
  EXPECT_FALSE(CpuFeatures::isKnown(""));
}

#if defined(__x86_64__)
TEST(CpuFeaturesTest, HostHasTheX86_64Baseline) {
  const CpuFeatures &host = CpuFeatures::host();
  for (const char *name : {"sse", "sse2", "x87", "cx8", "cmov", "64bit"}) {
    EXPECT_TRUE(host.has(name)) << name;
  }
}

TEST(CpuFeaturesTest, AgreesWithTheCompilersDetection) {
  __builtin_cpu_init();
  const CpuFeatures &host = CpuFeatures::host();
  EXPECT_EQ(host.has("sse4.2"), bool(__builtin_cpu_supports("sse4.2")));
  EXPECT_EQ(host.has("avx"), bool(__builtin_cpu_supports("avx")));
  EXPECT_EQ(host.has("avx2"), bool(__builtin_cpu_supports("avx2")));
  EXPECT_EQ(host.has("fma"), bool(__builtin_cpu_supports("fma")));
  EXPECT_EQ(host.has("bmi2"), bool(__builtin_cpu_supports("bmi2")));
  EXPECT_EQ(host.has("avx512f"), bool(__builtin_cpu_supports("avx512f")));
  EXPECT_EQ(host.has("avx512bw"), bool(__builtin_cpu_supports("avx512bw")));
  EXPECT_EQ(host.has("avx512vl"), bool(__builtin_cpu_supports("avx512vl")));
}
#endif

TEST(CpuFeaturesTest, CheckRequiredNamesTheFeature) {
  const CpuFeatures &host = CpuFeatures::host();
  EXPECT_TRUE(host.checkRequired(host.present()).ok());
  Status unknown = host.checkRequired(std::vector<std::string>{"frobnicate"});
  EXPECT_EQ(unknown.message(),
            "unknown CPU feature 'frobnicate' (this runtime cannot check it)");
  for (const std::string &name : CpuFeatures::knownNames()) {
    if (!host.has(name)) {
      Status missing = host.checkRequired(std::vector<std::string>{name});
      EXPECT_EQ(missing.message(), "artifact requires CPU feature '" + name +
                                       "' which this CPU lacks");
      break;
    }
  }
}

TEST(CpuFeaturesTest, ChecksTheTriple) {
  EXPECT_TRUE(checkHostTriple("x86_64-unknown-linux-gnu").ok());
  EXPECT_TRUE(checkHostTriple("x86_64-pc-linux-gnu").ok());
  EXPECT_NE(checkHostTriple("aarch64-unknown-linux-gnu")
                .message()
                .find("is for aarch64"),
            std::string::npos);
  EXPECT_NE(checkHostTriple("x86_64-apple-darwin").message().find("Linux"),
            std::string::npos);
}

} // namespace
