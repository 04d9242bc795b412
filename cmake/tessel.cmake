# Shared helpers for tessel's targets.

# Warnings are errors on tessel's own code (not on third-party headers, which
# come in as SYSTEM includes through their imported targets).
function(tessel_warnings target)
  # -Wrestrict / -Warray-bounds are off: GCC 12 at -O3 reports false positives
  # inside libstdc++'s std::string and std::sort (GCC PR 105329, 105651).
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror
                                           -Wno-error=deprecated-declarations)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-array-bounds)
  endif()
endfunction()

# tessel_module(NAME [DEPS ...]): one static library per module folder, named
# tessel_<NAME>, built from every .cpp in the folder and its sub-folders.
# Headers are included as "<module>/<file>.hpp" from the repository root.
function(tessel_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  add_library(tessel_${name} STATIC ${sources})
  target_include_directories(tessel_${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/generated)
  target_link_libraries(tessel_${name} PUBLIC ${ARG_DEPS})
  # Position-independent so that the Python extension can link the libraries;
  # without semantic interposition, so that calls inside a library stay direct
  # and inlinable (no symbol of ours is meant to be replaced at load time).
  set_target_properties(tessel_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_compile_options(tessel_${name} PRIVATE -fno-semantic-interposition)
  tessel_warnings(tessel_${name})
endfunction()
