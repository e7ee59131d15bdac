// A kernel whose pipeline fails after the kernels before it went to the
// code generation pool (-j 2): kiln-compile reports the kernel at its op,
// waits for the queued kernels, exits 1 and writes no artifact. The same
// on one thread, and for the first and the last kernel.

// RUN: rm -rf %t && mkdir -p %t
// RUN: not kiln-compile --load-pass-plugin=%test_plugins/FailFunctionPlugin.so %s -o %t/three.kbin -j 2 \
// RUN:   --before-codegen='func.func(test-fail-function{name=three_dispatch_2})' 2>&1 | FileCheck %s --check-prefix=MIDDLE
// RUN: not kiln-compile --load-pass-plugin=%test_plugins/FailFunctionPlugin.so %s -o %t/three.kbin -j 1 \
// RUN:   --before-codegen='func.func(test-fail-function{name=three_dispatch_2})' 2>&1 | FileCheck %s --check-prefix=MIDDLE
// MIDDLE: kernel-pipeline-failure.mlir:[[@LINE+20]]:8: error: test-fail-function: failing @three_dispatch_2
// MIDDLE: kernel-pipeline-failure.mlir:[[@LINE+19]]:8: error: failed to compile the kernel of @three_dispatch_2

// RUN: not kiln-compile --load-pass-plugin=%test_plugins/FailFunctionPlugin.so %s -o %t/three.kbin -j 2 \
// RUN:   --before-codegen='func.func(test-fail-function{name=three_dispatch_3})' 2>&1 | FileCheck %s --check-prefix=LAST
// LAST: error: failed to compile the kernel of @three_dispatch_3
// RUN: not kiln-compile --load-pass-plugin=%test_plugins/FailFunctionPlugin.so %s -o %t/three.kbin -j 2 \
// RUN:   --before-codegen='func.func(test-fail-function{name=three_dispatch_0})' 2>&1 | FileCheck %s --check-prefix=FIRST
// FIRST: error: failed to compile the kernel of @three_dispatch_0
// RUN: not ls %t/three.kbin

// Failing on a function that is not there changes nothing.
// RUN: kiln-compile --load-pass-plugin=%test_plugins/FailFunctionPlugin.so %s -o %t/three.kbin -j 2 \
// RUN:   --before-codegen='func.func(test-fail-function{name=absent})'
// RUN: kiln-run %t/three.kbin | FileCheck %s --check-prefix=RUNS
// RUNS: y: f32[64,32] = [

func.func @three(%x: tensor<64x32xf32> {kiln.name = "x"}) -> (tensor<64x32xf32> {kiln.name = "y"}) {
  %w1 = kiln.param "fc1.weight" : tensor<48x32xf32>
  %h = kiln.linear %x, %w1 : (tensor<64x32xf32>, tensor<48x32xf32>) -> tensor<64x48xf32>
  %s = kiln.softmax %h {axis = 0 : i64} : tensor<64x48xf32>
  %w2 = kiln.param "fc2.weight" : tensor<32x48xf32>
  %y = kiln.linear %s, %w2 : (tensor<64x48xf32>, tensor<32x48xf32>) -> tensor<64x32xf32>
  return %y : tensor<64x32xf32>
}
