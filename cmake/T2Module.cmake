# Helpers shared by src/ and tests/: one call declares a module library or a test binary.

# t2_module(NAME SOURCES ... [DEPS ...]) → static library t2_NAME with include root src/.
function(t2_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(t2_${name} STATIC ${M_SOURCES})
  target_include_directories(t2_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(t2_${name} PUBLIC ${M_DEPS})
endfunction()

# t2_test(NAME SOURCES ... [LIBS ...] [LABELS ...] [MPI_RANKS n]) → GoogleTest binary registered
# with ctest. Tests run from the repository root so that ../shared/... resolves as documented.
# With MPI_RANKS the binary runs as one ctest under mpirun with that many ranks.
function(t2_test name)
  cmake_parse_arguments(T "" "MPI_RANKS;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  if(T_MPI_RANKS)
    add_test(NAME ${name}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${T_MPI_RANKS} --oversubscribe
                     $<TARGET_FILE:${name}>
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
      ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")
  else()
    gtest_discover_tests(${name} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                         PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
                         DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
