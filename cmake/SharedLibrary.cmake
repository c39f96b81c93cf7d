# The shared library, klpelf::klpelf: libklpelf.so.<version> with the SONAME libklpelf.so.<major>
# and the links libklpelf.so.<major> and libklpelf.so (the layout cargo-c gives Rust C libraries).
# Included by the top-level CMakeLists.txt after it defines the static library's imported target
# klpelf_static and ${KLPELF_LIB}, the archive cargo builds.
#
# The library is linked here from every object of that archive (--whole-archive), with
# cmake/klpelf.map as its version script: only klpelf's C API (the klpelf_ functions of
# include/klpelf.h) is exported, the Rust standard library inside stays local. --gc-sections drops
# what the API does not reach, -z defs proves every symbol resolves at link time, and --as-needed
# keeps only the C libraries really used as dependencies. The packaging tests compare
# `nm -D --defined-only` with the header's functions.

set(KLPELF_VERSION_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/klpelf.map")
# The version script is the target's only source (it compiles nothing), so the link language is
# named explicitly.
add_library(klpelf SHARED "${KLPELF_VERSION_SCRIPT}")
set_target_properties(klpelf PROPERTIES
  LINKER_LANGUAGE C
  VERSION "${PROJECT_VERSION}"
  SOVERSION "${PROJECT_VERSION_MAJOR}"
  LINK_DEPENDS "${KLPELF_LIB};${KLPELF_VERSION_SCRIPT}")
target_include_directories(klpelf INTERFACE
  "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>"
  "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
target_link_options(klpelf PRIVATE
  "LINKER:--version-script=${KLPELF_VERSION_SCRIPT}"
  "LINKER:--gc-sections"
  "LINKER:-z,defs"
  "LINKER:--as-needed")
target_link_libraries(klpelf PRIVATE
  "-Wl,--whole-archive" "${KLPELF_LIB}" "-Wl,--no-whole-archive" ${KLPELF_NATIVE_LIBS})
add_dependencies(klpelf klpelf_cargo)
add_library(klpelf::klpelf ALIAS klpelf)

install(TARGETS klpelf LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}")
