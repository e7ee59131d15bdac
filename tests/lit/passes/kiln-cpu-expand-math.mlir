// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-expand-math))" -split-input-file | FileCheck %s

// exp's range reduction is clamped by unordered compares, so a NaN
// argument reaches its integer conversion as NaN; the conversion takes 0
// for it instead (LLVM's fptosi of NaN is poison). The polynomial part
// still carries the NaN to the result.
// CHECK-LABEL: func.func @exp_vector
// CHECK: %[[NAN:.+]] = arith.cmpf uno, %[[K:.+]], %[[K]] : vector<16xf32>
// CHECK: %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK: %[[SAFE:.+]] = arith.select %[[NAN]], %[[ZERO]], %[[K]] : vector<16xi1>, vector<16xf32>
// CHECK: arith.fptosi %[[SAFE]] : vector<16xf32> to vector<16xi32>
// CHECK-NOT: math.exp
func.func @exp_vector(%x: vector<16xf32>) -> vector<16xf32> {
  %y = math.exp %x : vector<16xf32>
  return %y : vector<16xf32>
}

// -----

// Every conversion in the function, not only the approximations': a
// scalar fptosi and fptoui of the kernel's own take the guard too.
// CHECK-LABEL: func.func @conversions
// CHECK: %[[N1:.+]] = arith.cmpf uno, %[[X:.+]], %[[X]] : f32
// CHECK: %[[S1:.+]] = arith.select %[[N1]], %{{.+}}, %[[X]] : f32
// CHECK: arith.fptosi %[[S1]] : f32 to i64
// CHECK: %[[N2:.+]] = arith.cmpf uno, %[[X]], %[[X]] : f32
// CHECK: %[[S2:.+]] = arith.select %[[N2]], %{{.+}}, %[[X]] : f32
// CHECK: arith.fptoui %[[S2]] : f32 to i32
func.func @conversions(%x: f32) -> (i64, i32) {
  %s = arith.fptosi %x : f32 to i64
  %u = arith.fptoui %x : f32 to i32
  return %s, %u : i64, i32
}
