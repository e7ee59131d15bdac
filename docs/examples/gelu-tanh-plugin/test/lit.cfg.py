# Lit configuration of the plugin's tests. Run them with the installed
# Kiln's tools and the built plugin:
#
#   lit -v test --param kiln_prefix=$HOME/kiln \
#       --param plugin=build/GeluTanhPlugin.so
#
# FileCheck comes from LLVM 22 (--param llvm_bin=... to use another).
import os

import lit.formats

config.name = "gelu-tanh-plugin"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["lit.cfg.py"]
config.test_source_root = os.path.dirname(__file__)

def param(name, default=None):
    value = lit_config.params.get(name, default)
    if value is None:
        lit_config.fatal(f"missing --param {name}=... (see lit.cfg.py)")
    return os.path.abspath(value)

prefix = param("kiln_prefix")
plugin = param("plugin")
llvm_bin = param("llvm_bin", "/usr/lib/llvm-22/bin")
# Test outputs go next to the plugin, not into the sources.
config.test_exec_root = os.path.join(os.path.dirname(plugin), "test-output")

config.environment["PATH"] = os.pathsep.join(
    [os.path.join(prefix, "bin"), llvm_bin, config.environment.get("PATH", "")])
config.substitutions.append(("%plugin", plugin))
