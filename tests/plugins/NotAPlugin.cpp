//===- NotAPlugin.cpp - Shared libraries that are not Kiln plugins --------===//
//
// Built twice: as a plain library (no entry point at all) and, with
// KILN_TEST_MLIR_PLUGIN, as what an upstream MLIR pass plugin exports.
//
//===----------------------------------------------------------------------===//

#ifdef KILN_TEST_MLIR_PLUGIN
extern "C" __attribute__((visibility("default"))) int mlirGetPassPluginInfo() {
  return 0;
}
#else
extern "C" __attribute__((visibility("default"))) int someOtherFunction() {
  return 42;
}
#endif
