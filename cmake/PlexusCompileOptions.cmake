# Warnings and sanitizers applied to every target Plexus builds.
# Deprecated wire fields (FrameworkInfo.role, Resource.role) must still be read for
# Mesos clients that send them, so their deprecation warnings are not errors of ours.
add_compile_options(-Wall -Wextra -Wno-unused-parameter -Wno-deprecated-declarations)
if(PLEXUS_WERROR)
  add_compile_options(-Werror)
endif()

if(PLEXUS_SANITIZE)
  set(_plexus_sanitizers -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_compile_options(${_plexus_sanitizers})
  add_link_options(${_plexus_sanitizers})
endif()

# Every shared library Plexus builds hides its symbols unless it exports them.
set(CMAKE_CXX_VISIBILITY_PRESET hidden)
set(CMAKE_VISIBILITY_INLINES_HIDDEN ON)
