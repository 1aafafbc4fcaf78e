# Warnings as errors for our own code only (third-party headers are system includes).
add_library(tpulab_warnings INTERFACE)
target_compile_options(tpulab_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough -Werror)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports std::string concatenation at -O3 as overlapping memcpy (GCC bug 105329).
  target_compile_options(tpulab_warnings INTERFACE -Wno-restrict)
endif()
