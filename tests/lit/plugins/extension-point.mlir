// A plugin's pass is usable from kiln-opt (as an option and in a textual
// pipeline), and the pipeline it adds at an extension point runs in
// kiln-compile, which prints it with --print-pipeline.

// RUN: kiln-opt --load-pass-plugin=%test_plugins/TagGelusPlugin.so %s --test-tag-gelus | FileCheck %s
// RUN: kiln-opt --load-pass-plugin %test_plugins/TagGelusPlugin.so %s \
// RUN:   --pass-pipeline='builtin.module(func.func(test-tag-gelus))' | FileCheck %s
// RUN: kiln-compile --load-pass-plugin=%test_plugins/TagGelusPlugin.so %s --emit=kiln | FileCheck %s
// CHECK-LABEL: func.func @block
// CHECK: kiln.gelu %{{.*}} {test.tagged}

// Without the plugin nothing is tagged.
// RUN: kiln-compile %s --emit=kiln | FileCheck %s --check-prefix=PLAIN
// PLAIN-NOT: test.tagged

// RUN: kiln-compile --load-pass-plugin=%test_plugins/TagGelusPlugin.so --print-pipeline | FileCheck %s --check-prefix=PIPELINE
// PIPELINE: builtin.module(canonicalize, cse, func.func(kiln-absorb-attention-projections, kiln-sink-broadcasts), func.func(test-tag-gelus), func.func(kiln-lower-to-linalg{{[^,]*}},

// The tagged model still compiles and runs.
// RUN: rm -rf %t && mkdir -p %t
// RUN: kiln-compile --load-pass-plugin=%test_plugins/TagGelusPlugin.so %s -o %t/block.kbin
// RUN: kiln-run %t/block.kbin | FileCheck %s --check-prefix=RUNS
// RUNS: y: f32[4,16] = [

func.func @block(%x: tensor<4x8xf32> {kiln.name = "x"}) -> (tensor<4x16xf32> {kiln.name = "y"}) {
  %w = kiln.param "fc1.weight" : tensor<16x8xf32>
  %h = kiln.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %y = kiln.gelu %h : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// Plugins load before the options that name passes exist, so MLIR's
// debugging options can name a plugin's pass.
// RUN: kiln-compile --load-pass-plugin=%test_plugins/TagGelusPlugin.so %s --emit=kiln \
// RUN:   --mlir-print-ir-after=test-tag-gelus 2>&1 >/dev/null | FileCheck %s --check-prefix=PRINT
// PRINT: IR Dump After {{.*}}TagGelusPass (test-tag-gelus)

// A replacement pipeline can wrap the default one by name; a plugin's
// additions at graph points do not run then, and kiln-compile says so.
// RUN: kiln-compile --load-pass-plugin=%test_plugins/TagGelusPlugin.so %s -o %t/wrapped.kbin \
// RUN:   --pass-pipeline='builtin.module(func.func(test-tag-gelus), kiln-graph-pipeline)' \
// RUN:   --mlir-print-ir-after=test-tag-gelus 2>&1 | FileCheck %s --check-prefix=WRAPPED
// WRAPPED: kiln-compile: warning: --pass-pipeline replaces the default graph pipeline: what plugins add at 'after-graph-optimization' does not run
// WRAPPED: IR Dump After {{.*}}TagGelusPass (test-tag-gelus)
// WRAPPED: kiln.gelu %{{.*}} {test.tagged}
// RUN: kiln-run %t/wrapped.kbin | FileCheck %s --check-prefix=RUNS
