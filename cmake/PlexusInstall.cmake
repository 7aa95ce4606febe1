# What `cmake --install build --prefix P` puts under P for module and framework
# authors (the daemons and shipped modules install themselves where they are built):
#   include/plexus/...            the SDK headers, version.hpp, the wire types
#                                 (plexus/v1/*.pb.h and their .proto files), the
#                                 scheduler and executor client headers, the testing headers
#   lib/libplexus_sdk.so*         the SDK library; libplexus_{scheduler,executor_lib,net}.a
#   lib/libplexus_*conformance.a  the conformance suites and FakeRuntime (when tests are built)
#   lib/cmake/Plexus/             PlexusConfig.cmake, its version file, the targets,
#                                 plexus_add_module() and plexus_add_conformance_test()
#   lib/plexus/modules/           the shipped modules
#   bin/                          plexus-master, plexus-agent, plexus-executor, plexus-execute
#   share/plexus/examples/modules/ the example modules (binpack_allocator, spread_allocator,
#                                 env_hook), each a folder an author copies and builds
include(CMakePackageConfigHelpers)

set(PLEXUS_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/Plexus")
set(_sdk "${PROJECT_SOURCE_DIR}/sdk")

# The module API version and the ABI tag this build's daemons accept, computed by
# compiling <plexus/module.hpp> exactly as a module would; recorded in the package.
try_run(_plexus_probe_ran _plexus_probe_compiled "${PROJECT_BINARY_DIR}/CMakeFiles/plexus_abi_probe"
  "${_sdk}/cmake/plexus_abi_probe.cpp"
  CMAKE_FLAGS
    "-DINCLUDE_DIRECTORIES=${_sdk}/include;${PROJECT_BINARY_DIR}/sdk/include;${Boost_INCLUDE_DIRS};${Protobuf_INCLUDE_DIRS}"
  CXX_STANDARD 23 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF
  COMPILE_OUTPUT_VARIABLE _plexus_probe_log RUN_OUTPUT_VARIABLE _plexus_probe)
if(NOT _plexus_probe_compiled OR NOT _plexus_probe MATCHES "^([0-9]+)\\|(.+)$")
  message(FATAL_ERROR "cannot compute the module ABI tag: ${_plexus_probe_log}")
endif()
set(PLEXUS_MODULE_API_VERSION "${CMAKE_MATCH_1}")
set(PLEXUS_ABI_TAG "${CMAKE_MATCH_2}")
message(STATUS "Plexus module API version ${PLEXUS_MODULE_API_VERSION}, ABI tag ${PLEXUS_ABI_TAG}")

# Headers.
install(DIRECTORY "${_sdk}/include/plexus" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  FILES_MATCHING PATTERN "*.hpp")
install(FILES "${PROJECT_BINARY_DIR}/sdk/include/plexus/version.hpp"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/plexus")
install(DIRECTORY "${PROJECT_BINARY_DIR}/sdk/proto/plexus" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  FILES_MATCHING PATTERN "*.pb.h")
install(DIRECTORY "${_sdk}/proto/plexus" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  FILES_MATCHING PATTERN "*.proto")
install(DIRECTORY "${_sdk}/scheduler/include/plexus" "${_sdk}/executor/include/plexus"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

# Libraries and their CMake targets (Plexus::sdk, Plexus::scheduler, Plexus::executor).
install(TARGETS plexus_sdk plexus_boost_json plexus_net plexus_scheduler plexus_executor_lib
  EXPORT PlexusTargets
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(EXPORT PlexusTargets NAMESPACE Plexus:: DESTINATION "${PLEXUS_CMAKE_INSTALL_DIR}")

# The test helpers and conformance suites, when this build has GoogleTest.
if(TARGET plexus_allocator_conformance)
  install(DIRECTORY "${_sdk}/testing/include/plexus" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
  install(TARGETS plexus_testing ${PLEXUS_CONFORMANCE_TARGETS} EXPORT PlexusTestingTargets
    ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
    INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
  install(EXPORT PlexusTestingTargets NAMESPACE Plexus:: DESTINATION "${PLEXUS_CMAKE_INSTALL_DIR}")
  install(FILES "${_sdk}/cmake/PlexusConformance.cmake" DESTINATION "${PLEXUS_CMAKE_INSTALL_DIR}")
endif()

# The example modules docs/modules.md leans on, as sources to copy and build.
install(DIRECTORY "${PROJECT_SOURCE_DIR}/examples/modules/"
  DESTINATION "${CMAKE_INSTALL_DATADIR}/plexus/examples/modules"
  PATTERN "build" EXCLUDE)

configure_package_config_file("${_sdk}/cmake/PlexusConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/PlexusConfig.cmake"
  INSTALL_DESTINATION "${PLEXUS_CMAKE_INSTALL_DIR}"
  PATH_VARS PLEXUS_MODULES_INSTALL_DIR)
# A module must be rebuilt for every minor release (the ABI tag has major.minor).
write_basic_package_version_file("${PROJECT_BINARY_DIR}/PlexusConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/PlexusConfig.cmake"
  "${PROJECT_BINARY_DIR}/PlexusConfigVersion.cmake"
  "${_sdk}/cmake/PlexusModule.cmake"
  "${_sdk}/cmake/plexus_abi_probe.cpp"
  DESTINATION "${PLEXUS_CMAKE_INSTALL_DIR}")
