# Writes StandardLibrary.inc: one `{"std/<name>", R"kiln(<text>)kiln"},`
# initialiser per .kiln file. Run as
#   cmake -DOUTPUT=<file> -DINPUTS=<a.kiln;b.kiln> -P EmbedStandardLibrary.cmake
set(content "// Generated from frontends/kdl/stdlib by EmbedStandardLibrary.cmake.\n")
foreach(input IN LISTS INPUTS)
  get_filename_component(name "${input}" NAME_WE)
  file(READ "${input}" text)
  string(FIND "${text}" ")kiln\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${input} contains the raw-string delimiter )kiln\"")
  endif()
  string(APPEND content "{\"std/${name}\", R\"kiln(${text})kiln\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "${content}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
