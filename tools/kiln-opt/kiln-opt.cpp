//===- kiln-opt.cpp - mlir-opt with Kiln's dialects and passes ------------===//
//
// Drives the lit tests. Registers the kiln and exec dialects, the upstream
// dialects Kiln lowers through, Kiln's passes, the handful of upstream
// passes the tests and pipelines use, and the default pipelines by name
// (--kiln-graph-pipeline, --kiln-cpu-kernel-pipeline).
//
// --load-pass-plugin=<plugin.so> loads a Kiln pass plugin
// (compiler/plugin/PassPlugin.h). MLIR's own option of that name expects
// MLIR's plugin entry point, so kiln-opt takes the option out of the
// command line and loads the plugin itself, before MLIR builds its pass
// options: a plugin's passes are then both --<pass> options and names in
// --pass-pipeline. Pipelines a plugin adds at extension points only apply
// to kiln-compile.
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipeline.h"
#include "compiler/Registration.h"
#include "compiler/plugin/PassPluginLoader.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <vector>

namespace {

/// The value of `arg` if it is --load-pass-plugin=<value> (or with one
/// dash), or --load-pass-plugin <value> (then `i` moves past the value).
const char *pluginArgument(int &i, int argc, char **argv) {
  const char *arg = argv[i];
  for (const char *option : {"--load-pass-plugin", "-load-pass-plugin"}) {
    size_t length = std::strlen(option);
    if (std::strncmp(arg, option, length) != 0) {
      continue;
    }
    if (arg[length] == '=') {
      return arg + length + 1;
    }
    if (arg[length] == '\0' && i + 1 < argc) {
      return argv[++i];
    }
  }
  return nullptr;
}

} // namespace

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  kiln::registerCompilerDialects(registry);
  kiln::registerCompilerPasses();
  kiln::registerDefaultPipelines();

  std::vector<char *> args = {argv[0]};
  kiln::PipelineExtensions ignored;
  for (int i = 1; i < argc; ++i) {
    const char *plugin = pluginArgument(i, argc, argv);
    if (!plugin) {
      args.push_back(argv[i]);
      continue;
    }
    std::string message;
    llvm::raw_string_ostream os(message);
    if (failed(kiln::loadPassPlugin(plugin, ignored, os))) {
      llvm::errs() << "kiln-opt: error: " << message;
      return 1;
    }
  }
  args.push_back(nullptr);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(static_cast<int>(args.size()) - 1, args.data(),
                        "Kiln optimizer driver\n", registry));
}
