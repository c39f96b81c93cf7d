# ctest tests of klpelf-inspect and of the test tool klp_convert (see InspectTest.cmake).
set(klpelf_kbuild_work ${CMAKE_CURRENT_BINARY_DIR}/inspect-tests/kbuild)
foreach(mode IN ITEMS sample corrupt resolve kallsyms kbuild kbuild_resolve klp_convert)
  add_test(NAME inspect_${mode}
    COMMAND ${CMAKE_COMMAND} -DMODE=${mode} -DINSPECT=$<TARGET_FILE:klpelf-inspect>
            -DSAMPLE=${CMAKE_CURRENT_BINARY_DIR}/tools/sample_livepatch.o
            -DSAMPLE_RAW=${CMAKE_CURRENT_BINARY_DIR}/tools/sample_livepatch.raw.o
            -DKLP_CONVERT=$<TARGET_FILE:klpelf_klp_convert>
            -DKBUILD_SOURCES=${CMAKE_CURRENT_SOURCE_DIR}/tests/kbuild
            -DKBUILD_WORK=${klpelf_kbuild_work}
            -DWORK=${CMAKE_CURRENT_BINARY_DIR}/inspect-tests/${mode}
            -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/InspectTest.cmake)
endforeach()
set_tests_properties(inspect_kallsyms inspect_kbuild inspect_kbuild_resolve PROPERTIES
  SKIP_REGULAR_EXPRESSION "skipped:")
# inspect_kbuild_resolve resolves the module inspect_kbuild builds and converts.
set_tests_properties(inspect_kbuild PROPERTIES FIXTURES_SETUP klpelf_kbuild_modules)
set_tests_properties(inspect_kbuild_resolve PROPERTIES FIXTURES_REQUIRED klpelf_kbuild_modules)
