//===- PassPluginLoader.h - Loading pass plugins into a tool ----*- C++ -*-===//

#ifndef KILN_COMPILER_PLUGIN_PASSPLUGINLOADER_H
#define KILN_COMPILER_PLUGIN_PASSPLUGINLOADER_H

#include "compiler/Pipeline.h"
#include "mlir/Support/LLVM.h"

#include <string>
#include <vector>

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

/// Loads the plugin of every `--load-pass-plugin=<path>` (or
/// `--load-pass-plugin <path>`, one dash or two) of a tool's command line,
/// in order, and returns the other arguments (argv[0] first, no trailing
/// null). A tool calls this before it creates the options that list passes
/// (--mlir-print-ir-before=<pass>, mlir-opt's --<pass>), so that those know
/// the plugins' passes too. On failure writes "<tool>: error: ..." to
/// `diag`.
mlir::FailureOr<std::vector<char *>>
loadPassPluginsFromCommandLine(int argc, char **argv, llvm::StringRef tool,
                               PipelineExtensions &extensions,
                               llvm::raw_ostream &diag);

} // namespace kiln

#endif // KILN_COMPILER_PLUGIN_PASSPLUGINLOADER_H
