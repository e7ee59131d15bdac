// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg, kiln-form-dispatch-regions), kiln-outline-dispatches, func.func(kiln-schedule-regions, kiln-plan-memory))" | FileCheck %s --check-prefix=ASAP
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg, kiln-form-dispatch-regions), kiln-outline-dispatches, func.func(kiln-schedule-regions{memory-budget-kib=24}, kiln-plan-memory))" | FileCheck %s --check-prefix=ORDERED
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg, kiln-form-dispatch-regions), kiln-outline-dispatches, func.func(kiln-schedule-regions{memory-budget-kib=0}, kiln-plan-memory))" | FileCheck %s --check-prefix=ASAP

// Two independent chains of three 64x64 GEMMs (16 KiB results); the last
// GEMM of the second chain also adds the first chain's result (the add
// fuses into it). As soon as possible the chains run side by side and keep
// four results live at once (64 KiB). Program order keeps three (48 KiB):
// over a budget of 24 KiB the second chain starts in the region of the
// first chain's last GEMM, and the arena shrinks. A budget of 0 never
// reorders.
// ASAP-LABEL: func.func @chains(
// ASAP-SAME: attributes {exec.arena_size = 65536 : i64}
// ASAP: schedule_region = 0
// ASAP-NEXT: schedule_region = 1
// ASAP-NEXT: schedule_region = 2
// ASAP-NEXT: schedule_region = 0
// ASAP-NEXT: schedule_region = 1
// ASAP-NEXT: schedule_region = 3
// ORDERED-LABEL: func.func @chains(
// ORDERED-SAME: attributes {exec.arena_size = 49152 : i64}
// ORDERED: schedule_region = 0
// ORDERED-NEXT: schedule_region = 1
// ORDERED-NEXT: schedule_region = 2
// ORDERED-NEXT: schedule_region = 2
// ORDERED-NEXT: schedule_region = 3
// ORDERED-NEXT: schedule_region = 4
func.func @chains(%x: tensor<64x64xf32>, %w0: tensor<64x64xf32>, %w1: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %a1 = kiln.linear %x, %w0 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  %a2 = kiln.linear %a1, %w0 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  %a3 = kiln.linear %a2, %w0 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  %b1 = kiln.linear %x, %w1 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  %b2 = kiln.linear %b1, %w1 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  %b3 = kiln.linear %b2, %w1 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  %y = kiln.add %a3, %b3 : tensor<64x64xf32>, tensor<64x64xf32> -> tensor<64x64xf32>
  return %y : tensor<64x64xf32>
}
