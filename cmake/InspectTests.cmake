# ctest tests of klpelf-inspect and of the test tool klp_convert, inspect_<mode>: each runs the
# driver tests/inspect/inspect_test.py with --mode <mode> (its docstring says what each checks).
# Tests that need kernel headers, a readable /proc/kallsyms or a real System.map print "skipped:"
# without them, which ctest reports as skipped.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
set(klpelf_kbuild_work ${CMAKE_CURRENT_BINARY_DIR}/inspect-tests/kbuild)
foreach(mode IN ITEMS sample corrupt resolve kallsyms kbuild kbuild_resolve klp_convert)
  add_test(NAME inspect_${mode}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/tests/inspect/inspect_test.py
            --mode ${mode} --inspect $<TARGET_FILE:klpelf-inspect>
            --sample ${CMAKE_CURRENT_BINARY_DIR}/tools/sample_livepatch.o
            --sample-raw ${CMAKE_CURRENT_BINARY_DIR}/tools/sample_livepatch.raw.o
            --klp-convert $<TARGET_FILE:klpelf_klp_convert>
            --kbuild-sources ${CMAKE_CURRENT_SOURCE_DIR}/tests/fixtures/kbuild
            --kbuild-work ${klpelf_kbuild_work}
            --work ${CMAKE_CURRENT_BINARY_DIR}/inspect-tests/${mode})
endforeach()
set_tests_properties(inspect_kallsyms inspect_kbuild inspect_kbuild_resolve PROPERTIES
  SKIP_REGULAR_EXPRESSION "skipped:")
# inspect_kbuild_resolve resolves the module inspect_kbuild builds and converts.
set_tests_properties(inspect_kbuild PROPERTIES FIXTURES_SETUP klpelf_kbuild_modules)
set_tests_properties(inspect_kbuild_resolve PROPERTIES FIXTURES_REQUIRED klpelf_kbuild_modules)
# inspect_compressed: .ko.xz, .ko.zst, .ko.gz and standard input (tests/inspect/inspect_compressed.py).
add_test(NAME inspect_compressed
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/tests/inspect/inspect_compressed.py
          --inspect $<TARGET_FILE:klpelf-inspect> --sample ${CMAKE_CURRENT_BINARY_DIR}/tools/sample_livepatch.o
          --kbuild-work ${klpelf_kbuild_work} --work ${CMAKE_CURRENT_BINARY_DIR}/inspect-tests/compressed)
set_tests_properties(inspect_compressed PROPERTIES FIXTURES_REQUIRED klpelf_kbuild_modules)

# The relocation pre-flight (--resolve MAP --relocs), inspect_<mode>, driven by
# tests/inspect/relocs_test.py (its docstring says what each checks). inspect_kbuild_relocs builds
# the kbuild modules and writes the map that c_livepatch_relocs_kbuild (c_tests/) applies against.
set(klpelf_kbuild_relocs_work ${CMAKE_CURRENT_BINARY_DIR}/inspect-tests/kbuild-relocs)
foreach(mode IN ITEMS relocs kbuild_relocs)
  set(work ${CMAKE_CURRENT_BINARY_DIR}/inspect-tests/${mode})
  if(mode STREQUAL "kbuild_relocs")
    set(work ${klpelf_kbuild_relocs_work})
  endif()
  add_test(NAME inspect_${mode}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/tests/inspect/relocs_test.py
            --mode ${mode} --inspect $<TARGET_FILE:klpelf-inspect>
            --klp-convert $<TARGET_FILE:klpelf_klp_convert>
            --fixture ${CMAKE_CURRENT_BINARY_DIR}/c_tests/fixtures/klp_relocs.o
            --kbuild-sources ${CMAKE_CURRENT_SOURCE_DIR}/tests/fixtures/kbuild --work ${work})
endforeach()
set_tests_properties(inspect_kbuild_relocs PROPERTIES SKIP_REGULAR_EXPRESSION "skipped:"
  FIXTURES_SETUP klpelf_kbuild_relocs)

# klpelf-inspect's command line (tests/inspect/cli_test.py, its docstring says what each checks):
# options, several files, unusable maps, kernel releases, the JSON's UTF-8 and schema, the man page.
foreach(mode IN ITEMS options files maps release utf8 reproducible schema manpage)
  add_test(NAME inspect_cli_${mode}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/tests/inspect/cli_test.py
            --mode ${mode} --inspect $<TARGET_FILE:klpelf-inspect>
            --sample ${CMAKE_CURRENT_BINARY_DIR}/tools/sample_livepatch.o
            --sample-raw ${CMAKE_CURRENT_BINARY_DIR}/tools/sample_livepatch.raw.o
            --klp-convert $<TARGET_FILE:klpelf_klp_convert> --cc ${CMAKE_C_COMPILER}
            --source-dir ${CMAKE_CURRENT_SOURCE_DIR} --build-dir ${CMAKE_CURRENT_BINARY_DIR}
            --work ${CMAKE_CURRENT_BINARY_DIR}/inspect-tests/cli-${mode})
endforeach()
# The schema test reads the signed kbuild module inspect_kbuild makes, when there is one.
set_tests_properties(inspect_cli_schema PROPERTIES FIXTURES_REQUIRED klpelf_kbuild_modules)
