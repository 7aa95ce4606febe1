# plexus_add_module(NAME <name> SOURCES <files...> [INSTALL] [LIBS <targets...>]
#                   [OUTPUT_DIRECTORY <dir>] [PREFIX <prefix>])
#
# Builds module library <prefix><name>.so (PREFIX defaults to "libplexus_") against
# the SDK only: C++23 without extensions (the standard the ABI tag records), hidden
# visibility (the manifest symbol is the one export) and no undefined symbols left
# for load time (unless find_package(Plexus) was forced past an ABI mismatch with
# PLEXUS_ALLOW_ABI_MISMATCH). INSTALL also installs it into <prefix>/lib/plexus/modules, the
# folder the daemons search by default (see plexus_install_module).
#
# Used in this repository (include(PlexusModule)) and, unchanged, by module authors
# through the installed package (find_package(Plexus)). In this repository modules
# land in <build>/lib/plexus/modules, where the daemons in <build>/bin look first;
# elsewhere in the current binary folder unless OUTPUT_DIRECTORY says otherwise.

# Where modules are installed, relative to the install prefix. The daemons look in
# <their own folder>/../lib/plexus/modules, so a relocated prefix still works.
set(PLEXUS_MODULES_INSTALL_DIR "lib/plexus/modules")

function(plexus_add_module)
  cmake_parse_arguments(ARG "INSTALL" "NAME;OUTPUT_DIRECTORY;PREFIX" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_NAME OR NOT ARG_SOURCES)
    message(FATAL_ERROR "plexus_add_module needs NAME and SOURCES")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "plexus_add_module(${ARG_NAME}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT DEFINED ARG_PREFIX)
    set(ARG_PREFIX "libplexus_")
  endif()
  if(NOT ARG_OUTPUT_DIRECTORY AND DEFINED PLEXUS_MODULE_OUTPUT_DIRECTORY)
    set(ARG_OUTPUT_DIRECTORY "${PLEXUS_MODULE_OUTPUT_DIRECTORY}")
  endif()
  add_library(${ARG_NAME} MODULE ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE Plexus::sdk Boost::headers ${ARG_LIBS})
  # A mismatched ABI forced past find_package (PLEXUS_ALLOW_ABI_MISMATCH) needs SDK
  # symbols that exist only for another ABI: link anyway, for the daemons to refuse.
  if(NOT _PLEXUS_ABI_MISMATCH_ALLOWED)
    target_link_options(${ARG_NAME} PRIVATE "LINKER:--no-undefined")
  endif()
  set_target_properties(${ARG_NAME} PROPERTIES
    PREFIX "${ARG_PREFIX}"
    CXX_STANDARD 23
    CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    # Installed next to nothing it needs: the daemon that loads it already holds
    # libplexus_sdk.so; this finds it when a test loads the module on its own.
    INSTALL_RPATH "$ORIGIN/../..")
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${ARG_NAME} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  endif()
  if(ARG_INSTALL)
    plexus_install_module(${ARG_NAME})
  endif()
endfunction()

# plexus_install_module(<target>)
#
# Installs a module built with plexus_add_module into <prefix>/lib/plexus/modules.
function(plexus_install_module target)
  install(TARGETS ${target} LIBRARY DESTINATION "${PLEXUS_MODULES_INSTALL_DIR}")
endfunction()
