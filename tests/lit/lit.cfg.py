# Lit configuration of Kiln's FileCheck tests.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "Kiln"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".kiln", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "tests", "lit")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

config.substitutions.append(("%kiln_src_root", config.kiln_src_root))
config.substitutions.append(("%test_plugins", config.kiln_test_plugins_dir))
config.substitutions.append(("%kiln_tools_dir", config.kiln_tools_dir))
# Test helpers are plain Python 3 without third-party modules.
config.substitutions.append(("%python", "/usr/bin/python3"))
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# kiln-opt --verify-roundtrip in a CI variant (CIRCT's trick).
opt = "kiln-opt"
if os.environ.get("KILN_OPT_VERIFY_ROUNDTRIP"):
    opt = "kiln-opt --verify-roundtrip"
tools = [
    lit.llvm.subst.ToolSubst("kiln-opt", command=os.path.join(
        config.kiln_tools_dir, "kiln-opt"), extra_args=opt.split()[1:]),
    "kiln-compile", "kiln-run", "kiln-inspect", "kiln-reference",
]
llvm_config.add_tool_substitutions(tools, [config.kiln_tools_dir])
