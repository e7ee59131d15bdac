// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-hoist-invariant-loads))" -split-input-file | FileCheck %s

// The MoE combine after loop lowering: per element, a switch on the
// token's expert loads the element of that expert's output. The switch
// picks the buffer once per row; the column loop keeps one load.

// CHECK-LABEL: func.func @combine
// CHECK-SAME: (%[[IDS:.*]]: memref<4x2xi64>, %[[ROWS:.*]]: memref<4x2xi64>, %[[Y0:.*]]: memref<4x64xf32>, %[[Y1:.*]]: memref<4x64xf32>, %[[Y2:.*]]: memref<4x64xf32>, %[[OUT:.*]]: memref<4x64xf32>)
// CHECK: scf.for %[[T:.*]] =
// CHECK-NEXT: %[[E:.*]] = memref.load %[[IDS]][%[[T]], %{{.*}}]
// CHECK-NEXT: %[[EI:.*]] = arith.index_cast %[[E]]
// CHECK-NEXT: %[[R:.*]] = memref.load %[[ROWS]][%[[T]], %{{.*}}]
// CHECK-NEXT: %[[RI:.*]] = arith.index_cast %[[R]]
// CHECK-NEXT: %[[Y:.*]] = scf.index_switch %[[EI]] -> memref<4x64xf32>
// CHECK-NEXT: case 0 {
// CHECK-NEXT: scf.yield %[[Y0]]
// CHECK: case 1 {
// CHECK-NEXT: scf.yield %[[Y1]]
// CHECK: default {
// CHECK-NEXT: scf.yield %[[Y2]]
// CHECK: scf.for %[[C:.*]] =
// CHECK-NEXT: %[[V:.*]] = memref.load %[[Y]][%[[RI]], %[[C]]]
// CHECK-NEXT: memref.store %[[V]], %[[OUT]][%[[T]], %[[C]]]
func.func @combine(%ids: memref<4x2xi64>, %rows: memref<4x2xi64>,
                   %y0: memref<4x64xf32>, %y1: memref<4x64xf32>,
                   %y2: memref<4x64xf32>, %out: memref<4x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  scf.for %t = %c0 to %c4 step %c1 {
    scf.for %c = %c0 to %c64 step %c1 {
      %e = memref.load %ids[%t, %c0] : memref<4x2xi64>
      %ei = arith.index_cast %e : i64 to index
      %r = memref.load %rows[%t, %c0] : memref<4x2xi64>
      %ri = arith.index_cast %r : i64 to index
      %v = scf.index_switch %ei -> f32
      case 0 {
        %x = memref.load %y0[%ri, %c] : memref<4x64xf32>
        scf.yield %x : f32
      }
      case 1 {
        %x = memref.load %y1[%ri, %c] : memref<4x64xf32>
        scf.yield %x : f32
      }
      default {
        %x = memref.load %y2[%ri, %c] : memref<4x64xf32>
        scf.yield %x : f32
      }
      memref.store %v, %out[%t, %c] : memref<4x64xf32>
    }
  }
  return
}

// -----

// A loop that writes the expert ids may change them between columns: the
// switch becomes a buffer switch but stays in the loop.

// CHECK-LABEL: func.func @ids_written
// CHECK: scf.for
// CHECK-NEXT: scf.for
// CHECK-NEXT: memref.load
// CHECK-NEXT: arith.index_cast
// CHECK-NEXT: scf.index_switch %{{.*}} -> memref<4x64xf32>
func.func @ids_written(%ids: memref<4x2xi64>, %y0: memref<4x64xf32>,
                       %y1: memref<4x64xf32>, %out: memref<4x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0 : i64
  scf.for %t = %c0 to %c4 step %c1 {
    scf.for %c = %c0 to %c64 step %c1 {
      %e = memref.load %ids[%t, %c0] : memref<4x2xi64>
      %ei = arith.index_cast %e : i64 to index
      %v = scf.index_switch %ei -> f32
      case 0 {
        %x = memref.load %y0[%t, %c] : memref<4x64xf32>
        scf.yield %x : f32
      }
      default {
        %x = memref.load %y1[%t, %c] : memref<4x64xf32>
        scf.yield %x : f32
      }
      memref.store %v, %out[%t, %c] : memref<4x64xf32>
      memref.store %zero, %ids[%t, %c1] : memref<4x2xi64>
    }
  }
  return
}

// -----

// The MoE gather: the token of a row leaves the column loop, the copy of
// the row stays.

// CHECK-LABEL: func.func @gather
// CHECK-SAME: (%[[X:.*]]: memref<8x64xf32>, %[[TOKENS:.*]]: memref<4xi64>, %[[OUT:.*]]: memref<4x64xf32>)
// CHECK: scf.for %[[R:.*]] =
// CHECK-NEXT: %[[T:.*]] = memref.load %[[TOKENS]][%[[R]]]
// CHECK-NEXT: %[[TI:.*]] = arith.index_cast %[[T]]
// CHECK-NEXT: scf.for %[[C:.*]] =
// CHECK-NEXT: %[[V:.*]] = memref.load %[[X]][%[[TI]], %[[C]]]
// CHECK-NEXT: memref.store %[[V]], %[[OUT]][%[[R]], %[[C]]]
func.func @gather(%x: memref<8x64xf32>, %tokens: memref<4xi64>,
                  %out: memref<4x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  scf.for %r = %c0 to %c4 step %c1 {
    scf.for %c = %c0 to %c64 step %c1 {
      %t = memref.load %tokens[%r] : memref<4xi64>
      %ti = arith.index_cast %t : i64 to index
      %v = memref.load %x[%ti, %c] : memref<8x64xf32>
      memref.store %v, %out[%r, %c] : memref<4x64xf32>
    }
  }
  return
}

// -----

// A load through a view of a binding the loop writes stays.

// CHECK-LABEL: func.func @written_through_a_view
// CHECK: scf.for
// CHECK-NEXT: memref.load
// CHECK-NEXT: memref.store
func.func @written_through_a_view(%buf: memref<8xf32>, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %view = memref.subview %buf[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %buf[%c0] : memref<8xf32>
    memref.store %v, %view[%i] : memref<4xf32, strided<[1], offset: 4>>
  }
  return
}

// -----

// Left alone: regions that load different elements, a default that yields
// a constant, and loops that may not run (a dynamic bound; an unsigned
// loop from 2^64 - 1 to 0, which runs zero times).

// CHECK-LABEL: func.func @not_one_element
// CHECK: scf.index_switch %{{.*}} -> f32
// CHECK-LABEL: func.func @constant_default
// CHECK: scf.index_switch %{{.*}} -> f32
// CHECK-LABEL: func.func @maybe_empty_loop
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[N:.*]] step
// CHECK-NEXT: memref.load
// CHECK-NEXT: arith.index_cast
// CHECK-NEXT: scf.index_switch %{{.*}} -> memref<4x64xf32>
func.func @not_one_element(%i: index, %y0: memref<4x64xf32>,
                           %y1: memref<4x64xf32>, %out: memref<4x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %c = %c0 to %c64 step %c1 {
    %v = scf.index_switch %i -> f32
    case 0 {
      %x = memref.load %y0[%c0, %c] : memref<4x64xf32>
      scf.yield %x : f32
    }
    default {
      %x = memref.load %y1[%c1, %c] : memref<4x64xf32>
      scf.yield %x : f32
    }
    memref.store %v, %out[%c0, %c] : memref<4x64xf32>
  }
  return
}

func.func @constant_default(%i: index, %y0: memref<4x64xf32>,
                            %out: memref<4x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  scf.for %c = %c0 to %c64 step %c1 {
    %v = scf.index_switch %i -> f32
    case 0 {
      %x = memref.load %y0[%c0, %c] : memref<4x64xf32>
      scf.yield %x : f32
    }
    default {
      scf.yield %zero : f32
    }
    memref.store %v, %out[%c0, %c] : memref<4x64xf32>
  }
  return
}

func.func @maybe_empty_loop(%n: index, %ids: memref<4xi64>,
                            %y0: memref<4x64xf32>, %y1: memref<4x64xf32>,
                            %out: memref<4x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %c = %c0 to %n step %c1 {
    %e = memref.load %ids[%c0] : memref<4xi64>
    %ei = arith.index_cast %e : i64 to index
    %v = scf.index_switch %ei -> f32
    case 0 {
      %x = memref.load %y0[%c0, %c] : memref<4x64xf32>
      scf.yield %x : f32
    }
    default {
      %x = memref.load %y1[%c0, %c] : memref<4x64xf32>
      scf.yield %x : f32
    }
    memref.store %v, %out[%c0, %c] : memref<4x64xf32>
  }
  return
}

// CHECK-LABEL: func.func @unsigned_empty_loop
// CHECK: scf.for unsigned
// CHECK-NEXT: memref.load
func.func @unsigned_empty_loop(%ids: memref<4xf32>, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cmax = arith.constant -1 : index
  scf.for unsigned %i = %cmax to %c0 step %c1 {
    %v = memref.load %ids[%c1] : memref<4xf32>
    memref.store %v, %out[%c0] : memref<4xf32>
  }
  return
}
