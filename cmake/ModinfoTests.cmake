# Differential tests of klpelf-inspect --modinfo against kmod's modinfo, modinfo_diff_<set>, driven
# by tests/kmod/modinfo_diff.py (its docstring says what it compares): the kbuild test modules that
# inspect_kbuild builds, and every module of three real Debian kernel packages fetched into the
# build directory (x86-64; arm64, another architecture; s390x, big-endian). Without kmod's modinfo,
# kernel headers or the network they print "skipped:", which ctest reports as skipped.
set(klpelf_packages_cache ${CMAKE_CURRENT_BINARY_DIR}/packages)
set(klpelf_modinfo_diff ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/tests/kmod/modinfo_diff.py
    --inspect $<TARGET_FILE:klpelf-inspect>)
add_test(NAME modinfo_diff_kbuild
  COMMAND ${klpelf_modinfo_diff} --dir ${CMAKE_CURRENT_BINARY_DIR}/inspect-tests/kbuild)
set_tests_properties(modinfo_diff_kbuild PROPERTIES FIXTURES_REQUIRED klpelf_kbuild_modules)
# name, Debian architecture ("" for the system's), package regular expression, at least this many
# modules.
foreach(set IN ITEMS "amd64||linux-modules-7\\.2\\..*-cloud-amd64|1000"
                     "arm64|arm64|linux-modules-7\\.2\\..*-cloud-arm64|1000"
                     "s390x|s390x|linux-modules-7\\.2\\..*-s390x|1000")
  string(REPLACE "|" ";" fields "${set}")
  list(GET fields 0 name)
  list(GET fields 1 arch)
  list(GET fields 2 package)
  list(GET fields 3 at_least)
  set(arch_option)
  if(arch)
    set(arch_option --arch ${arch})
  endif()
  add_test(NAME modinfo_diff_${name}
    COMMAND ${klpelf_modinfo_diff} --cache ${klpelf_packages_cache} --suite sid ${arch_option}
            --package ${package} --min ${at_least})
  # c_modinfo_debian (c_tests/) reads the packages these fetch.
  set_tests_properties(modinfo_diff_${name} PROPERTIES TIMEOUT 900
    FIXTURES_SETUP klpelf_modinfo_packages)
endforeach()
set_tests_properties(modinfo_diff_kbuild modinfo_diff_amd64 modinfo_diff_arm64 modinfo_diff_s390x
  PROPERTIES SKIP_REGULAR_EXPRESSION "skipped:")

# The certificate built into Debian sid's 7.2 cloud kernel verifies every module of its package
# (tests/signature_debian.rs, ignored by a plain cargo test because it downloads): run here, with
# the same package cache, so that an offline run is reported as skipped.
add_test(NAME signature_debian
  COMMAND ${CMAKE_COMMAND} -E env KLPELF_PACKAGE_CACHE=${klpelf_packages_cache}
          ${KLPELF_CARGO} test --test signature_debian -- --ignored --nocapture
  WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
set_tests_properties(signature_debian PROPERTIES TIMEOUT 900 SKIP_REGULAR_EXPRESSION "skipped:")
