# ctest's install.plugin_example: cmake -P this script with KILN_BUILD_DIR,
# EXAMPLE_SOURCE_DIR, WORK_DIR, GENERATOR, CXX_COMPILER and LIT. Does what
# docs/writing-a-pass.md tells a user to: installs the runtime and the
# compiler's tools into WORK_DIR/prefix, configures and builds the example
# plugin against that prefix only, then runs the example's own lit tests
# with the installed tools and the built plugin.
include(${CMAKE_CURRENT_LIST_DIR}/InstallSteps.cmake)
require_variables(RunPluginExample.cmake KILN_BUILD_DIR EXAMPLE_SOURCE_DIR
  WORK_DIR GENERATOR CXX_COMPILER LIT)

set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})

foreach(component KilnRuntime KilnCompilerTools)
  run_step("install ${component}" ${CMAKE_COMMAND} --install ${KILN_BUILD_DIR}
    --prefix ${prefix} --component ${component})
endforeach()
run_step("configure the plugin" ${CMAKE_COMMAND} -G ${GENERATOR}
  -S ${EXAMPLE_SOURCE_DIR} -B ${build} -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
require_package_from(${build} ${prefix})
run_step("build the plugin" ${CMAKE_COMMAND} --build ${build})
run_step("the plugin's tests" ${LIT} -sv ${EXAMPLE_SOURCE_DIR}/test
  --param kiln_prefix=${prefix} --param plugin=${build}/GeluTanhPlugin.so)
message(STATUS "${step_output}")
