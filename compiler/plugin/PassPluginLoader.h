//===- PassPluginLoader.h - Loading pass plugins into a tool ----*- C++ -*-===//

#ifndef KILN_COMPILER_PLUGIN_PASSPLUGINLOADER_H
#define KILN_COMPILER_PLUGIN_PASSPLUGINLOADER_H

#include "compiler/Pipeline.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace kiln {

/// A plugin the host loaded.
struct LoadedPassPlugin {
  std::string path, name, version;
};

/// Loads the pass plugin at `path`: opens it, checks its API version,
/// registers its passes and adds its pipelines to `extensions`. On failure
/// (no such file, not a shared library, not a Kiln plugin, another API
/// version, a pass name registered twice) writes a message naming the
/// plugin and the problem to `diag` and fails.
mlir::FailureOr<LoadedPassPlugin> loadPassPlugin(llvm::StringRef path,
                                                 PipelineExtensions &extensions,
                                                 llvm::raw_ostream &diag);

} // namespace kiln

#endif // KILN_COMPILER_PLUGIN_PASSPLUGINLOADER_H
