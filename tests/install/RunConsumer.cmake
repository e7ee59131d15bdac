# ctest's install.consumer: cmake -P this script with KILN_BUILD_DIR,
# CONSUMER_SOURCE_DIR, WORK_DIR, ARTIFACT, GENERATOR, C_COMPILER and
# CXX_COMPILER. Installs the build into WORK_DIR/prefix, configures and
# builds the consumer project against that prefix only, runs both clients
# and the installed kiln-run on ARTIFACT, and fails unless everything
# succeeds and both APIs produce bit-identical outputs.
include(${CMAKE_CURRENT_LIST_DIR}/InstallSteps.cmake)
require_variables(RunConsumer.cmake KILN_BUILD_DIR CONSUMER_SOURCE_DIR
  WORK_DIR ARTIFACT GENERATOR C_COMPILER CXX_COMPILER)

set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})

run_step("install" ${CMAKE_COMMAND} --install ${KILN_BUILD_DIR}
  --prefix ${prefix} --component KilnRuntime)
run_step("configure the consumer" ${CMAKE_COMMAND} -G ${GENERATOR}
  -S ${CONSUMER_SOURCE_DIR} -B ${build} -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_C_COMPILER=${C_COMPILER}
  -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
# The package must come from the fresh prefix, not from anywhere else.
require_package_from(${build} ${prefix})
run_step("build the consumer" ${CMAKE_COMMAND} --build ${build})

run_step("run-with-cxx-api" ${build}/run-with-cxx-api ${ARTIFACT})
set(cxx_output "${step_output}")
run_step("run-with-c-api" ${build}/run-with-c-api ${ARTIFACT})
set(c_output "${step_output}")
message(STATUS "C++ API:\n${cxx_output}")
if(NOT cxx_output MATCHES "^output " OR NOT cxx_output STREQUAL c_output)
  message(FATAL_ERROR
    "the C and C++ APIs disagree:\nC++:\n${cxx_output}\nC:\n${c_output}")
endif()
# The installed tool finds the installed library through its RUNPATH.
run_step("installed kiln-run" ${prefix}/bin/kiln-run ${ARTIFACT} --threads 2)
