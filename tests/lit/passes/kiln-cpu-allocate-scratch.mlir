// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-allocate-scratch))" -split-input-file -verify-diagnostics | FileCheck %s

// Two temporaries become views at 64-byte aligned offsets of a new last
// argument, the workgroup scratch buffer.
// CHECK-LABEL: func.func @temporaries
// CHECK-SAME: (%{{.+}}: memref<4xf32>, %[[S:.+]]: memref<192xi8>)
// CHECK-SAME: exec.scratch_size = 192 : i64
// CHECK: %[[O0:.+]] = arith.constant 0 : index
// CHECK: memref.view %[[S]][%[[O0]]][] : memref<192xi8> to memref<3x5xf32>
// CHECK: %[[O1:.+]] = arith.constant 64 : index
// CHECK: memref.view %[[S]][%[[O1]]][] : memref<192xi8> to memref<8x4xf32>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
func.func @temporaries(%out: memref<4xf32>) attributes {exec.kernel} {
  %a = memref.alloc() : memref<3x5xf32>
  %b = memref.alloc() : memref<8x4xf32>
  memref.dealloc %a : memref<3x5xf32>
  return
}

// -----

// Functions that are not kernels are left alone.
// CHECK-LABEL: func.func @host
// CHECK: memref.alloc
func.func @host() {
  %a = memref.alloc() : memref<4xf32>
  return
}

// -----

func.func @dynamic(%n: index) attributes {exec.kernel} {
  // expected-error @+1 {{expects statically shaped temporaries in a kernel}}
  %a = memref.alloc(%n) : memref<?xf32>
  return
}
