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

// -----

// The regions of a branch without results do not run together (a kernel's
// bodies for a full and a partial tile): both start after the buffers
// before the branch, and the scratch holds the larger. A branch that
// yields a value lays its regions out one after the other.
// CHECK-LABEL: func.func @branches
// CHECK-SAME: (%{{.+}}: i1, %[[S:.+]]: memref<448xi8>)
// CHECK-SAME: exec.scratch_size = 448 : i64
// CHECK: memref.view %[[S]][%c0{{.*}}][] : memref<448xi8> to memref<4xf32>
// CHECK: scf.if
// CHECK: memref.view %[[S]][%c64{{.*}}][] : memref<448xi8> to memref<32xf32>
// CHECK: memref.view %[[S]][%c192{{.*}}][] : memref<448xi8> to memref<2xf32>
// CHECK: } else {
// CHECK: memref.view %[[S]][%c64{{.*}}][] : memref<448xi8> to memref<16xf32>
// CHECK: scf.if
// CHECK: memref.view %[[S]][%c256{{.*}}][] : memref<448xi8> to memref<8xf32>
// CHECK: } else {
// CHECK: memref.view %[[S]][%c320{{.*}}][] : memref<448xi8> to memref<8xf32>
// CHECK: memref.view %[[S]][%c384{{.*}}][] : memref<448xi8> to memref<16xf32>
func.func @branches(%c: i1) attributes {exec.kernel} {
  %a = memref.alloc() : memref<4xf32>
  scf.if %c {
    %b = memref.alloc() : memref<32xf32>
    %b2 = memref.alloc() : memref<2xf32>
  } else {
    %d = memref.alloc() : memref<16xf32>
  }
  %r = scf.if %c -> index {
    %e = memref.alloc() : memref<8xf32>
    %i = arith.constant 0 : index
    scf.yield %i : index
  } else {
    %f = memref.alloc() : memref<8xf32>
    %j = arith.constant 1 : index
    scf.yield %j : index
  }
  %g = memref.alloc() : memref<16xf32>
  return
}
