//===- PassPlugin.h - The API of Kiln pass plugins --------------*- C++ -*-===//
//
// A pass plugin is a shared library that kiln-opt and kiln-compile load
// with --load-pass-plugin=<path>. It exports one C symbol,
// `kilnGetPassPluginInfo`, returning a PassPluginInfo; the host checks the
// API version, then calls `registerPlugin` with a registrar through which
// the plugin registers its passes and, optionally, adds pipelines at named
// extension points of kiln-compile's default pipeline.
//
//   extern "C" KILN_PASS_PLUGIN_EXPORT kiln::PassPluginInfo
//   kilnGetPassPluginInfo() {
//     return {KILN_PASS_PLUGIN_API_VERSION, "my-plugin", "1.0",
//             [](kiln::PassPluginRegistrar &registrar) {
//               registrar.registerPass([] { return createMyPass(); });
//             }};
//   }
//
// A plugin is compiled against Kiln's and MLIR's headers and links no MLIR
// library: it uses the host's (the tools export their symbols). See
// docs/writing-a-pass.md.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_PLUGIN_PASSPLUGIN_H
#define KILN_COMPILER_PLUGIN_PASSPLUGIN_H

#include "mlir/Pass/Pass.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <functional>
#include <memory>

/// Version of this header's contract. A plugin built against another
/// version is refused.
#define KILN_PASS_PLUGIN_API_VERSION 1

#define KILN_PASS_PLUGIN_EXPORT __attribute__((visibility("default")))

namespace kiln {

/// Where kiln-compile's default pipeline runs added pipelines.
enum class ExtensionPoint {
  /// On the kiln dialect as imported, before graph optimisation.
  AfterImport,
  /// On the kiln dialect after graph optimisation (canonicalize, CSE).
  AfterGraphOptimization,
  /// On the exec dialect once dispatches are formed, scheduled and planned.
  AfterDispatchFormation,
  /// On each executable's module, before the CPU kernel pipeline.
  BeforeCodegen,
};

/// What a plugin may register, handed to its `registerPlugin`.
class PassPluginRegistrar {
public:
  virtual ~PassPluginRegistrar() = default;

  /// Registers the pass `factory` creates under its argument. The host
  /// refuses an argument that is already registered.
  virtual void
  registerPass(std::function<std::unique_ptr<mlir::Pass>()> factory) = 0;

  /// Runs `pipeline` (a textual pipeline of passes on `builtin.module`,
  /// e.g. "func.func(my-pass)") at `point` of kiln-compile's pipeline.
  virtual void addToPipeline(ExtensionPoint point,
                             llvm::StringRef pipeline) = 0;
};

/// What `kilnGetPassPluginInfo` returns.
struct PassPluginInfo {
  /// KILN_PASS_PLUGIN_API_VERSION of the headers the plugin was built with.
  uint32_t apiVersion;
  const char *name;
  const char *version;
  void (*registerPlugin)(PassPluginRegistrar &registrar);
};

} // namespace kiln

#endif // KILN_COMPILER_PLUGIN_PASSPLUGIN_H
