# Shared by the install tests' scripts (cmake -P).

# Fails unless every variable named is defined (-D<var>=... on the command
# line).
function(require_variables script)
  foreach(var ${ARGN})
    if(NOT DEFINED ${var})
      message(FATAL_ERROR "${script} needs -D${var}=...")
    endif()
  endforeach()
endfunction()

# Runs a command; stops the test with its output if it fails. The output is
# left in `step_output`.
function(run_step name)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status
    OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${name} failed (${status}):\n${ARGN}\n${out}${err}")
  endif()
  message(STATUS "${name}: ok")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

# Fails unless the package Kiln of the project configured in `build` came
# from `prefix`.
function(require_package_from build prefix)
  file(STRINGS ${build}/CMakeCache.txt kiln_dir REGEX "^Kiln_DIR:")
  string(FIND "${kiln_dir}" "${prefix}/" at)
  if(NOT at GREATER 0)
    message(FATAL_ERROR "Kiln was not found in ${prefix}: ${kiln_dir}")
  endif()
endfunction()
