//===- PassPluginLoader.cpp - Loading pass plugins into a tool ------------===//
//
// The library is opened for good (passes it registered live as long as the
// process). Registrations are checked before they reach MLIR's registry,
// which would abort on a duplicate pass argument.
//
//===----------------------------------------------------------------------===//

#include "compiler/plugin/PassPluginLoader.h"
#include "compiler/plugin/PassPlugin.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

using namespace mlir;

namespace kiln {
namespace {

class Registrar : public PassPluginRegistrar {
public:
  explicit Registrar(PipelineExtensions &extensions) : extensions(extensions) {}

  void registerPass(std::function<std::unique_ptr<Pass>()> factory) override {
    std::unique_ptr<Pass> pass = factory();
    std::string argument = pass->getArgument().str();
    if (argument.empty()) {
      errors.push_back("registers a pass without an argument ('" +
                       pass->getName().str() + "')");
      return;
    }
    if (PassInfo::lookup(argument) || PassPipelineInfo::lookup(argument)) {
      errors.push_back("registers pass '" + argument +
                       "', which is already registered");
      return;
    }
    mlir::registerPass(std::move(factory));
  }

  void addToPipeline(ExtensionPoint point, StringRef pipeline) override {
    extensions[point].push_back(pipeline.str());
  }

  std::vector<std::string> errors;

private:
  PipelineExtensions &extensions;
};

} // namespace

FailureOr<LoadedPassPlugin> loadPassPlugin(StringRef path,
                                           PipelineExtensions &extensions,
                                           llvm::raw_ostream &diag) {
  auto fail = [&](const Twine &message) {
    diag << "cannot load pass plugin '" << path << "': " << message << "\n";
    return failure();
  };
  if (!llvm::sys::fs::exists(path)) {
    return fail("no such file");
  }
  // The same library twice would register its passes twice.
  static llvm::StringSet<> loaded;
  llvm::SmallString<256> realPath;
  if (llvm::sys::fs::real_path(path, realPath)) {
    realPath = path;
  }
  if (loaded.contains(realPath)) {
    return fail("it is already loaded");
  }
  std::string error;
  auto library = llvm::sys::DynamicLibrary::getPermanentLibrary(
      path.str().c_str(), &error);
  if (!library.isValid()) {
    return fail(error);
  }
  auto *entry = reinterpret_cast<PassPluginInfo (*)()>(
      library.getAddressOfSymbol("kilnGetPassPluginInfo"));
  if (!entry && library.getAddressOfSymbol("mlirGetPassPluginInfo")) {
    return fail("it is an upstream MLIR pass plugin (mlirGetPassPluginInfo); "
                "Kiln loads plugins that export kilnGetPassPluginInfo "
                "(compiler/plugin/PassPlugin.h)");
  }
  if (!entry) {
    return fail("it is not a Kiln pass plugin (it does not export "
                "kilnGetPassPluginInfo)");
  }
  PassPluginInfo info = entry();
  if (info.apiVersion != KILN_PASS_PLUGIN_API_VERSION) {
    return fail("it was built against Kiln pass plugin API version " +
                Twine(info.apiVersion) + ", this Kiln supports version " +
                Twine(KILN_PASS_PLUGIN_API_VERSION) +
                "; rebuild it against this Kiln");
  }
  if (!info.name || !info.registerPlugin) {
    return fail("its kilnGetPassPluginInfo returned no name or no "
                "registration function");
  }
  Registrar registrar(extensions);
  info.registerPlugin(registrar);
  if (!registrar.errors.empty()) {
    std::string all;
    for (const std::string &e : registrar.errors) {
      all += (all.empty() ? "" : "; ") + e;
    }
    return fail("plugin '" + Twine(info.name) + "' " + all);
  }
  loaded.insert(realPath);
  return LoadedPassPlugin{path.str(), info.name,
                          info.version ? info.version : ""};
}

FailureOr<std::vector<char *>>
loadPassPluginsFromCommandLine(int argc, char **argv, StringRef tool,
                               PipelineExtensions &extensions,
                               llvm::raw_ostream &diag) {
  std::vector<char *> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::optional<StringRef> path;
    for (StringRef option : {"--load-pass-plugin", "-load-pass-plugin"}) {
      StringRef arg = argv[i];
      if (arg == option && i + 1 < argc) {
        path = argv[++i];
        break;
      }
      if (arg.consume_front(option) && arg.consume_front("=")) {
        path = arg;
        break;
      }
    }
    if (!path) {
      rest.push_back(argv[i]);
      continue;
    }
    std::string message;
    llvm::raw_string_ostream os(message);
    if (failed(loadPassPlugin(*path, extensions, os))) {
      diag << tool << ": error: " << message;
      return failure();
    }
  }
  return rest;
}

} // namespace kiln
