# Included by ctest after the discovered tasks_sandbox_test cases: run them one at a time, since
# the attack suite checks wall times against each run's limit.
if(DEFINED tasks_sandbox_test_TESTS)
  set_tests_properties(${tasks_sandbox_test_TESTS} PROPERTIES RUN_SERIAL TRUE)
endif()
