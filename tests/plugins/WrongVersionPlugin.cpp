//===- WrongVersionPlugin.cpp - A plugin of another API version -----------===//
//
// What a plugin built against a future Kiln looks like to this one: the
// host must refuse it without calling its registration function.
//
//===----------------------------------------------------------------------===//

#include "compiler/plugin/PassPlugin.h"

#include <cstdlib>

extern "C" KILN_PASS_PLUGIN_EXPORT kiln::PassPluginInfo
kilnGetPassPluginInfo() {
  return {KILN_PASS_PLUGIN_API_VERSION + 1, "from-the-future", "9.0",
          [](kiln::PassPluginRegistrar &) { std::abort(); }};
}
