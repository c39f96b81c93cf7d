# ctest tests of klpelf-inspect (see InspectTest.cmake).
foreach(mode IN ITEMS sample corrupt kbuild)
  add_test(NAME inspect_${mode}
    COMMAND ${CMAKE_COMMAND} -DMODE=${mode} -DINSPECT=$<TARGET_FILE:klpelf-inspect>
            -DSAMPLE=${CMAKE_CURRENT_BINARY_DIR}/tools/sample_livepatch.o
            -DKBUILD_SOURCES=${CMAKE_CURRENT_SOURCE_DIR}/tests/kbuild
            -DWORK=${CMAKE_CURRENT_BINARY_DIR}/inspect-tests/${mode}
            -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/InspectTest.cmake)
endforeach()
set_tests_properties(inspect_kbuild PROPERTIES SKIP_REGULAR_EXPRESSION "skipped:")
