# Test helpers, available to tests/ and to modules' own tests.
include(GoogleTest)

# plexus_add_test(<name> SOURCES <files...> [LIBS <targets...>] [LABELS <label>])
# Builds a GoogleTest binary and registers each of its tests with ctest as
# "<name>.<Suite>.<Test>", so `ctest -R <name>` runs one binary's tests.
function(plexus_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${name} TEST_PREFIX "${name}." DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS ${ARG_LABELS} TIMEOUT 120)
endfunction()

