# tpulab_module(NAME DEPS...): a static library made of every .cpp below src/NAME.
# Globbing keeps each module's file list in its own folder, so adding a file needs no CMake edit.
function(tpulab_module name)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/${name}/*.cpp")
  if(NOT sources)
    message(FATAL_ERROR "module ${name}: no .cpp files in ${CMAKE_CURRENT_SOURCE_DIR}/${name}")
  endif()
  add_library(tpulab_${name} STATIC ${sources})
  target_include_directories(tpulab_${name} PUBLIC "${CMAKE_SOURCE_DIR}/src")
  target_link_libraries(tpulab_${name} PRIVATE tpulab_warnings PUBLIC ${ARGN})
  if(TPULAB_FUZZ)
    # Coverage instrumentation for every library, so libFuzzer sees inside the code it fuzzes
    # (the tests and the CLI do not need it).
    target_compile_options(tpulab_${name} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()

# tpulab_test(NAME DEPS...): one GoogleTest binary per module made of every .cpp below tests/NAME.
# tests/<module>_timing/ holds a module's wall-clock tests: they run alone (RUN_SERIAL).
function(tpulab_test name)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/${name}/*.cpp")
  if(NOT sources)
    message(FATAL_ERROR "tests ${name}: no .cpp files in ${CMAKE_CURRENT_SOURCE_DIR}/${name}")
  endif()
  add_executable(test_${name} ${sources})
  target_include_directories(test_${name} PRIVATE "${CMAKE_SOURCE_DIR}/src" "${CMAKE_SOURCE_DIR}/tests")
  target_link_libraries(test_${name} PRIVATE tpulab_warnings tpulab_testing ${ARGN} GTest::gtest_main GTest::gmock)
  set(props LABELS ${name})
  if(name MATCHES "_timing$")
    # Wall-clock measurements: alone on the machine, as their goals assume an idle one.
    list(APPEND props RUN_SERIAL TRUE)
  endif()
  gtest_discover_tests(test_${name} DISCOVERY_TIMEOUT 60 PROPERTIES ${props})
endfunction()
