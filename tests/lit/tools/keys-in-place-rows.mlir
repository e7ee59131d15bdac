// kiln-compile --keys-in-place-rows: attention heads with fewer query rows
// read their keys and values in place, the others copy them into panels of
// 32 keys ([b, hk, Sk / 32, dh, 32] and [b, hk, dh / 32, Sk, 32] for the
// values). 128 rows of 4 heads of 64 over 512 keys sit between the two
// targets' defaults (128 without AVX-512, 224 with), so the flag decides.
// RUN: rm -rf %t && mkdir -p %t
// DEFINE: %{compile} = kiln-compile %s --emit=linalg --quiet
// RUN: %{compile} --keys-in-place-rows=128 -o %t/panels.mlir
// RUN: FileCheck %s --check-prefix=PANELS < %t/panels.mlir
// PANELS: tensor<1x4x16x64x32xf32>
// PANELS: tensor<1x4x2x512x32xf32>
// RUN: %{compile} --keys-in-place-rows=129 -o %t/in-place.mlir
// RUN: FileCheck %s --check-prefix=IN-PLACE < %t/in-place.mlir
// IN-PLACE-NOT: x32xf32>

// The option of the default pipeline's kiln-lower-to-linalg, by target.
// RUN: kiln-compile --keys-in-place-rows=64 --print-pipeline | FileCheck %s --check-prefix=PIPELINE
// PIPELINE: kiln-lower-to-linalg{keys-in-place-rows=64}
// RUN: kiln-compile --print-pipeline --target-cpu=skylake-avx512 | FileCheck %s --check-prefix=AVX512
// AVX512: kiln-lower-to-linalg{keys-in-place-rows=224}
// RUN: kiln-compile --print-pipeline --target-cpu=znver3 | FileCheck %s --check-prefix=AVX2
// AVX2: kiln-lower-to-linalg{keys-in-place-rows=128}

// RUN: not kiln-compile %s --keys-in-place-rows=0 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: kiln-compile: error: --keys-in-place-rows must be 1 or more, got 0
// RUN: not kiln-compile %s --keys-in-place-rows=8 '--pass-pipeline=builtin.module(cse)' 2>&1 | FileCheck %s --check-prefix=REPLACED
// REPLACED: kiln-compile: error: --keys-in-place-rows sets an option of the default graph pipeline, which --pass-pipeline replaces

func.func @a(%q: tensor<1x128x256xf32>, %kv: tensor<1x512x256xf32>) -> tensor<1x128x256xf32> {
  %a = kiln.attention %q, %kv, %kv {heads = 4 : i64, mask = #kiln.mask_kind<causal>}
      : (tensor<1x128x256xf32>, tensor<1x512x256xf32>, tensor<1x512x256xf32>) -> tensor<1x128x256xf32>
  return %a : tensor<1x128x256xf32>
}
