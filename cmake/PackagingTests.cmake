# ctest tests of how C projects consume klpelf: the native library list and the archive's symbols;
# the installed tree (consumer_install: the files, the shared library's links, SONAME and exports,
# the installed klpelf-inspect); a separate consumer project built against the build tree
# (add_subdirectory) and against the installed tree with CMake (find_package: shared and static,
# and the freestanding component) and pkg-config (dynamic and --static), and a plain cc line. Each
# consumer is checked to be linked the way it asked, and run.

set(klpelf_consumer_work "${CMAKE_CURRENT_BINARY_DIR}/consumer-tests")
# A list passed through add_test() as one -D argument needs its separators escaped.
string(REPLACE ";" "\\;" klpelf_native_libs_arg "${KLPELF_NATIVE_LIBS}")
set(klpelf_consumer_args
  -DKLPELF_SOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}
  -DKLPELF_BINARY_DIR=${CMAKE_CURRENT_BINARY_DIR}
  -DKLPELF_CARGO=${KLPELF_CARGO}
  -DKLPELF_CARGO_PROFILE=${KLPELF_CARGO_PROFILE}
  -DKLPELF_CARGO_TARGET_DIR=${KLPELF_CARGO_TARGET_DIR}
  -DKLPELF_LIB=${KLPELF_LIB}
  "-DKLPELF_NATIVE_LIBS=${klpelf_native_libs_arg}"
  -DLIBDIR=${CMAKE_INSTALL_LIBDIR}
  -DINCLUDEDIR=${CMAKE_INSTALL_INCLUDEDIR}
  -DBINDIR=${CMAKE_INSTALL_BINDIR}
  -DDOCDIR=${CMAKE_INSTALL_DOCDIR}
  -DVERSION=${PROJECT_VERSION}
  -DC_COMPILER=${CMAKE_C_COMPILER}
  -DWORK=${klpelf_consumer_work})

add_test(NAME native_static_libs
  COMMAND ${CMAKE_COMMAND} ${klpelf_consumer_args} -DMODE=native-libs
          -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/ConsumerTest.cmake)
add_test(NAME library_symbols
  COMMAND ${CMAKE_COMMAND} ${klpelf_consumer_args} -DMODE=symbols
          -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/ConsumerTest.cmake)
set(klpelf_installed_consumers consumer_find_package consumer_find_package_static
  consumer_components consumer_pkg_config consumer_pkg_config_static consumer_plain_cc)
foreach(mode IN ITEMS add_subdirectory install find_package find_package_static components
                      pkg_config pkg_config_static plain_cc)
  add_test(NAME consumer_${mode}
    COMMAND ${CMAKE_COMMAND} ${klpelf_consumer_args} -DMODE=${mode}
            -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/ConsumerTest.cmake)
endforeach()
# The installed tree is made once and shared by the consumers that use it.
set_tests_properties(consumer_install PROPERTIES FIXTURES_SETUP klpelf_installed)
set_tests_properties(${klpelf_installed_consumers} PROPERTIES FIXTURES_REQUIRED klpelf_installed)
# They all drive cargo or cmake on shared directories: one at a time.
set_tests_properties(native_static_libs consumer_add_subdirectory consumer_install
  ${klpelf_installed_consumers} PROPERTIES RESOURCE_LOCK klpelf_cargo)
