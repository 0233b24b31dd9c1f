# AcdTest.cmake - the one way tests are registered: a timeout and labels on every test.

# acd_unit_test(NAME name SOURCES a.c ... [MODULE lib] [LABELS l ...] [TIMEOUT s])
# Builds one cmocka executable linked with one module library (default: all of acdcore).
function(acd_unit_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT;MODULE" "SOURCES;LABELS" ${ARGN})
  if(NOT T_MODULE)
    set(T_MODULE acdcore)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_MODULE} PkgConfig::CMOCKA)
  target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}"
    ENVIRONMENT "ACD_SOURCE_DIR=${PROJECT_SOURCE_DIR};ACD_BUILD_DIR=${PROJECT_BINARY_DIR};CMOCKA_MESSAGE_OUTPUT=stdout")
endfunction()

# acd_script_test(NAME name COMMAND cmd ... [LABELS l ...] [TIMEOUT s])
# Registers an integration test driven by a script (SIPp scenarios, namespaces, etcd).
function(acd_script_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "COMMAND;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_test(NAME ${T_NAME} COMMAND ${T_COMMAND})
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}"
    ENVIRONMENT "ACD_SOURCE_DIR=${PROJECT_SOURCE_DIR};ACD_BUILD_DIR=${PROJECT_BINARY_DIR};ACDD=$<TARGET_FILE:acdd>;ACDCTL=$<TARGET_FILE:acdctl>")
endfunction()
