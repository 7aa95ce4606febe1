# plexus_add_module(NAME <name> SOURCES <files...> [OUTPUT_DIRECTORY <dir>] [LIBS <targets...>])
#
# Builds module library lib<prefix><name>.so against the SDK only: the project's C++
# standard, hidden visibility (the manifest symbol is the one export) and no
# undefined symbols left for load time. In-tree modules land in
# <build>/lib/plexus/modules, where the daemons in <build>/bin look first.
function(plexus_add_module)
  cmake_parse_arguments(ARG "" "NAME;OUTPUT_DIRECTORY;PREFIX" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_NAME OR NOT ARG_SOURCES)
    message(FATAL_ERROR "plexus_add_module needs NAME and SOURCES")
  endif()
  if(NOT DEFINED ARG_PREFIX)
    set(ARG_PREFIX "libplexus_")
  endif()
  if(NOT ARG_OUTPUT_DIRECTORY)
    set(ARG_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/lib/plexus/modules")
  endif()
  add_library(${ARG_NAME} MODULE ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE plexus_sdk Boost::headers ${ARG_LIBS})
  target_link_options(${ARG_NAME} PRIVATE "LINKER:--no-undefined")
  set_target_properties(${ARG_NAME} PROPERTIES
    PREFIX "${ARG_PREFIX}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
endfunction()
